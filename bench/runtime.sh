#!/usr/bin/env bash
# runtime.sh -- benchmark vessel-runtime against crun and runc.
#
# A thin wrapper over the shared peer benchmark (../shared/bench/peers.sh next
# to the repository): it adds vessel-runtime as EXTRA_RUNTIMES="vessel=$BIN",
# lets peers.sh measure everything, then prints vessel/crun ratios next to the
# targets.  A benchmark, not a test: tests/run.sh never runs it.
#
# Usage (as root, from anywhere):
#   bench/runtime.sh                                  # full run (minutes)
#   N=6 ROUNDS=2 K=5 PODMAN=0 bench/runtime.sh        # quick run (~1 min)
#   BIN=/usr/sbin/runc bench/runtime.sh               # another runtime as "vessel"
#
# Environment (defaults in brackets):
#   BIN           the runtime measured as "vessel"
#                 [build/src/vessel-runtime/vessel-runtime, built with meson if missing]
#   SHARED_BENCH  directory holding peers.sh  [<repo>/../shared/bench, else
#                 the same beside the main worktree when <repo> is a git worktree]
#   STRICT        1 = exit 3 when a measured figure misses its target  [0]
#   OUTDIR        also passed to peers.sh; the summary goes to OUTDIR/summary.md
#   N ROUNDS WARMUP RSS_N K PODMAN PODMAN_N PODMAN_K HIDE_CGROUP2 NICE KEEP_TMP
#   RUNTIMES      passed to peers.sh unchanged (see peers.sh --help)
#
# Targets (vessel / crun): run wall median <= 0.5x, run CPU <= 0.5x,
# peak RSS <= 0.6x, memory charged per idle detached container <= 1.0x.
#
# Exit status: that of peers.sh (0 all measured, 1 some failed, 2 usage or
# prerequisite); else 1 when the run left something on the host, or 3 with
# STRICT=1 when a target is missed.

set -uo pipefail
export LC_ALL=C

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SELF")/.." && pwd)

die() { printf 'runtime.sh: error: %s\n' "$*" >&2; exit 2; }
say() { printf '%s\n' "$*"; }

case ${1:-} in
  -h | --help) sed -n '2,/^$/p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "no arguments expected (got '$1'); see --help" ;;
esac

# ------------------------------------------------------------ peers.sh ----
find_shared() {
  local common
  if [[ -n ${SHARED_BENCH:-} ]]; then
    printf '%s\n' "$SHARED_BENCH"
    return
  fi
  if [[ -r $REPO/../shared/bench/peers.sh ]]; then
    printf '%s\n' "$REPO/../shared/bench"
    return
  fi
  # a linked git worktree lives elsewhere; the main worktree has shared/ beside it
  common=$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) || return
  printf '%s\n' "$(dirname "$common")/../shared/bench"
}
SHARED=$(find_shared)
[[ -n $SHARED && -r $SHARED/peers.sh ]] ||
  die "peers.sh not found (looked in ${SHARED:-$REPO/../shared/bench}); set SHARED_BENCH=DIR"
SHARED=$(cd "$SHARED" && pwd)

# ------------------------------------------------------------- runtime ----
if [[ -z ${BIN:-} ]]; then
  BIN=$REPO/build/src/vessel-runtime/vessel-runtime
  if [[ ! -x $BIN ]]; then
    say "building vessel-runtime in $REPO/build"
    if [[ ! -f $REPO/build/build.ninja ]]; then
      out=$(meson setup "$REPO/build" "$REPO" 2>&1) || { printf '%s\n' "$out" >&2; die "meson setup failed"; }
    fi
    out=$(ninja -C "$REPO/build" 2>&1) || { printf '%s\n' "$out" | tail -40 >&2; die "ninja failed"; }
    [[ -x $BIN ]] || die "the build did not produce $BIN"
  fi
fi
[[ -x $BIN ]] || die "runtime not executable: $BIN"
BIN=$(readlink -f "$BIN")

[[ $(id -u) -eq 0 ]] || die "must run as root"

# ------------------------------------------------------- host snapshot ----
# What a run may leave behind if a runtime misbehaves: cgroups named after
# peers.sh's container ids (pb<pid>-...), its temp dirs, mounts in the host
# namespace that point into them.  Other users of the machine are not ours.
leftovers() {
  find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name 'pb[0-9]*' 2>/dev/null
  find /tmp -maxdepth 1 -name 'peerbench.*' 2>/dev/null
  grep -o ' /tmp/peerbench\.[^ ]*' /proc/self/mountinfo 2>/dev/null
}
# Empty directories the peers create on the host as a side effect: crun makes
# its default state dir even for `crun --version` (which peers.sh runs without
# --root), libmount makes /run/mount for the umount that hides cgroup2.
SIDE_DIRS=(/run/crun /run/runc /run/vessel-runtime /run/mount)
SIDE_NEW=()
for d in "${SIDE_DIRS[@]}"; do [[ -e $d ]] || SIDE_NEW+=("$d"); done
side_cleanup() { # remove what this run created, if nothing else is in it
  local d
  for d in "${SIDE_NEW[@]}"; do [[ -d $d ]] && rmdir "$d" 2>/dev/null; done
}
W=$(mktemp -d /tmp/vessel-bench.XXXXXX) || die "mktemp failed"
trap 'side_cleanup; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
leftovers | sort >"$W/before"

# ---------------------------------------------------------------- run -----
say "peers.sh: $SHARED/peers.sh"
say "vessel:   $BIN"
EXTRA_RUNTIMES="${EXTRA_RUNTIMES:+$EXTRA_RUNTIMES }vessel=$BIN" \
  bash "$SHARED/peers.sh" | tee "$W/out"
rc=${PIPESTATUS[0]}

side_cleanup
leftovers | sort >"$W/after"
comm -13 "$W/before" "$W/after" >"$W/new"
for d in "${SIDE_NEW[@]}"; do [[ -e $d ]] && echo "$d (not empty)"; done >>"$W/new"

# ------------------------------------------------------------ summary -----
# cell TABLE ROW COLUMN: a cell of a markdown table of peers.sh's final
# section; TABLE and COLUMN match the start of the heading / header cell.
cell() {
  awk -v T="$1" -v R="$2" -v C="$3" '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    /^## peers.sh results/ { sec = 1; next }
    !sec { next }
    /^### / { intab = index(substr($0, 5), T) == 1; col = 0; next }
    !intab || !/^\|/ || /^\|[-: |]+\|$/ { next }
    {
      n = split($0, c, "|")
      if (!col) { for (i = 2; i < n; i++) if (index(trim(c[i]), C) == 1) { col = i; break }
                  if (!col) col = -1; next }
      if (col > 0 && trim(c[2]) == R) { v = trim(c[col]); sub(/ *\(.*\)$/, "", v); print v; exit }
    }' "$W/out"
}
isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

MISSED=0
declare -a ROWS
row() { # LABEL TABLE COLUMN TARGET
  local label=$1 table=$2 col=$3 target=$4 v c r ratio verdict
  v=$(cell "$table" vessel "$col"); c=$(cell "$table" crun "$col"); r=$(cell "$table" runc "$col")
  ratio=-; verdict="n/a"
  if isnum "$v" && isnum "$c" && awk -v c="$c" 'BEGIN{exit !(c > 0)}'; then
    ratio=$(awk -v v="$v" -v c="$c" 'BEGIN{printf "%.2f", v / c}')
    if awk -v x="$ratio" -v t="$target" 'BEGIN{exit !(x <= t)}'; then verdict=met; else verdict=MISSED; MISSED=1; fi
  fi
  ROWS+=("$(printf '| %s | %s | %s | %s | %s | <= %s | %s |' "$label" "${v:--}" "${c:--}" "${r:--}" "$ratio" "$target" "$verdict")")
}
row "run wall median (ms)" "Per runtime" "run ms" 0.5
row "run CPU user+sys (ms)" "Per runtime" "run cpu ms" 0.5
row "peak RSS of run (KB)" "Per runtime" "peak RSS of run" 0.6
row "memcg charge per idle container (KiB)" "Density" "memcg usage KiB" 1.0

{
  say ""
  say "## vessel-runtime vs crun ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  say ""
  say "vessel = $BIN"
  say ""
  say "| figure | vessel | crun | runc | vessel / crun | target | verdict |"
  say "|---|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${ROWS[@]}"
  say ""
  if [[ -s $W/new ]]; then
    say "host check: LEFT BEHIND by this run:"
    sed 's/^/  /' "$W/new"
  else
    say "host check: clean (no pb* cgroups, peerbench temp dirs, mounts or new /run dirs left)"
  fi
  case $rc in
    0) say "peers.sh: all measurements succeeded" ;;
    1) say "peers.sh: SOME MEASUREMENTS FAILED (exit 1); see FAIL cells and !!! lines above" ;;
    *) say "peers.sh: exited with status $rc" ;;
  esac
} | tee "$W/summary.md"
[[ -n ${OUTDIR:-} ]] && mkdir -p "$OUTDIR" && cp "$W/summary.md" "$OUTDIR/summary.md"

if [[ $rc -ne 0 ]]; then exit "$rc"; fi
if [[ -s $W/new ]]; then exit 1; fi
if [[ ${STRICT:-0} == 1 && $MISSED == 1 ]]; then exit 3; fi
exit 0
