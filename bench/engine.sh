#!/usr/bin/env bash
# engine.sh -- benchmark the vessel engine against podman and vessel-runtime.
#
# In one run, on the same busybox image: medians of `vessel run --rm busybox
# true`, `podman run --rm` of that image and `vessel-runtime run` of a bundle
# with the engine's own config.json on a copy of its rootfs; the time to start
# K detached containers (vessel and podman); the memory per idle detached
# container, the median of the K (cgroup charge + the monitor's PSS for
# vessel, cgroup charge + conmon's PSS for podman); and unpacking a layer
# against `tar -xzf` of the same tarball. Then ratios against the targets of
# the engine issue. A benchmark, not a test: tests/run.sh never runs it.
#
# Usage (as root, from anywhere):
#   bench/engine.sh                          # full run (a few minutes)
#   N=5 PODMAN_N=3 K=5 UNPACK_N=2 bench/engine.sh   # quick run
#
# Environment (defaults in brackets):
#   VESSEL          the engine  [build/src/vessel/vessel, built with meson if missing]
#   RUNTIME         the runtime [build/src/vessel-runtime/vessel-runtime]
#   N               hyperfine runs of vessel and vessel-runtime  [30]
#   ROUNDS          ... in this many interleaved rounds, forward then reverse
#                   order, the runs of all rounds pooled (as
#                   ../shared/bench/peers.sh does)  [3]
#   PODMAN_N        hyperfine runs of podman run --rm  [10]
#   K               detached containers started per engine  [50]
#   UNPACK_N        hyperfine runs of each unpack  [3]
#   LAYER_SRC       directory tarred (gzip) as the layer to unpack  [/usr/include]
#   PODMAN          auto|0|1 -- measure podman  [auto]
#   PODMAN_RUNTIME  podman's OCI runtime, runc or crun  [runc]
#   HIDE_CGROUP2    auto|0|1 -- run everything in a private mount namespace
#                   without the hybrid cgroup2 mount (crun 1.8 refuses a
#                   cgroup2 mount with controllers); auto: when it has some  [auto]
#   STRICT          1 = exit 3 when a figure misses its target  [0]
#   OUTDIR          also write the summary (summary.md) and hyperfine JSON there
#
# Exit status: 0 when everything was measured and nothing was left on the
# host; 1 when a measurement failed or something was left; 2 on a usage
# error or missing prerequisite; 3 with STRICT=1 when a target is missed.

set -uo pipefail
export LC_ALL=C

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SELF")/.." && pwd)

die() { printf 'engine.sh: error: %s\n' "$*" >&2; exit 2; }
say() { printf '%s\n' "$*"; }

case ${1:-} in
  -h | --help) sed -n '2,/^$/p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "no arguments expected (got '$1'); see --help" ;;
esac

N=${N:-30} ROUNDS=${ROUNDS:-3} PODMAN_N=${PODMAN_N:-10} K=${K:-50} UNPACK_N=${UNPACK_N:-3}
LAYER_SRC=${LAYER_SRC:-/usr/include} PODMAN=${PODMAN:-auto}
PODMAN_RUNTIME=${PODMAN_RUNTIME:-runc} HIDE_CGROUP2=${HIDE_CGROUP2:-auto}
for v in N PODMAN_N K UNPACK_N; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || die "$v must be a positive integer"
done
[[ $(id -u) -eq 0 ]] || die "must run as root"
for t in hyperfine jq tar cc pkg-config; do command -v "$t" >/dev/null || die "$t is not installed"; done
[[ -d $LAYER_SRC ]] || die "LAYER_SRC=$LAYER_SRC is not a directory"

# ------------------------------------------------------------- binaries ----
if [[ -z ${VESSEL:-} || -z ${RUNTIME:-} ]]; then
  if [[ ! -x $REPO/build/src/vessel/vessel || ! -x $REPO/build/src/vessel-runtime/vessel-runtime ]]; then
    say "building vessel in $REPO/build"
    if [[ ! -f $REPO/build/build.ninja ]]; then
      out=$(meson setup "$REPO/build" "$REPO" 2>&1) || { printf '%s\n' "$out" >&2; die "meson setup failed"; }
    fi
    out=$(ninja -C "$REPO/build" 2>&1) || { printf '%s\n' "$out" | tail -40 >&2; die "ninja failed"; }
  fi
fi
VESSEL=$(readlink -f "${VESSEL:-$REPO/build/src/vessel/vessel}")
RUNTIME=$(readlink -f "${RUNTIME:-$REPO/build/src/vessel-runtime/vessel-runtime}")
[[ -x $VESSEL && -x $RUNTIME ]] || die "no vessel or vessel-runtime binary"
BUSYBOX=$(command -v busybox || true)
[[ -n $BUSYBOX ]] && ! ldd "$BUSYBOX" >/dev/null 2>&1 || die "need a static busybox (busybox-static)"

USE_PODMAN=0
if [[ $PODMAN != 0 ]]; then
  if command -v podman >/dev/null && command -v "$PODMAN_RUNTIME" >/dev/null; then
    USE_PODMAN=1
  elif [[ $PODMAN == 1 ]]; then
    die "PODMAN=1 but podman or $PODMAN_RUNTIME is missing"
  fi
fi

# ------------------------------------------- private mount namespace -----
if [[ -z ${ENGINE_BENCH_INNER:-} ]]; then
  hide=0
  if [[ $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then
    if [[ $HIDE_CGROUP2 == 1 || ($HIDE_CGROUP2 == auto &&
      -n $(tr -d ' \n' </sys/fs/cgroup/unified/cgroup.controllers)) ]]; then hide=1; fi
  fi
  if [[ $hide == 1 ]]; then
    ENGINE_BENCH_INNER=1 ENGINE_BENCH_HIDE=1 exec unshare --mount --propagation private -- bash "$SELF"
  fi
fi
CG_SEEN="as on the host"
if [[ ${ENGINE_BENCH_HIDE:-0} == 1 ]]; then
  umount /sys/fs/cgroup/unified 2>/dev/null || umount -l /sys/fs/cgroup/unified || die "cannot hide cgroup2"
  CG_SEEN="v1 only: the cgroup2 mount hidden in a private mount namespace"
fi

# ------------------------------------------------------------- cleanup -----
W=$(mktemp -d /tmp/vessel-engine-bench.XXXXXX) || die "mktemp failed"
# ext4's TOPDIR hint: the stores below W get block groups of their own. ext4
# without a journal (this host's) scans past every inode freed in the last
# 5-300 s of a group on each new inode, so whatever churned /tmp before (a
# test run) slowed whichever peer came next, by up to 2x here.
chattr +T "$W" 2>/dev/null || true
chmod 755 "$W"
TAG=veb$$
V=("$VESSEL" --root "$W/vroot" --runroot "$W/vrun")
HOST_PATHS=(/var/lib/containers/cache /var/lib/containers /run/containers/networks /run/containers
  /etc/containers/networks)
for p in "${HOST_PATHS[@]}"; do [[ -e $p ]] && echo "$p"; done >"$W/preexist"
PODMAN_ACTIVE=0
FAILED=0
: >"$W/ids"

cleanup() {
  local id p d
  for id in $("${V[@]}" ps -a -q 2>/dev/null); do "${V[@]}" rm -f "$id" >/dev/null 2>&1; done
  "$RUNTIME" --root "$W/rtstate" delete -f "$TAG-rt" >/dev/null 2>&1
  if [[ $PODMAN_ACTIVE == 1 ]]; then
    podman rm -af -t 0 >/dev/null 2>&1
    podman rmi -af >/dev/null 2>&1
  fi
  p=/var/lib/containers/cache
  [[ -e $p ]] && ! grep -qxF "$p" "$W/preexist" && rm -f "$p/blob-info-cache-v1.boltdb"
  for p in "${HOST_PATHS[@]}"; do
    [[ -d $p ]] && ! grep -qxF "$p" "$W/preexist" && rmdir "$p" 2>/dev/null
  done
  for d in /sys/fs/cgroup/*/"$TAG"-podman /sys/fs/cgroup/"$TAG"-podman; do
    [[ -d $d ]] && rmdir "$d"/*/ "$d" 2>/dev/null
  done
  grep -o " $W[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
}
final() {
  cleanup
  # the host check: what the run could have left behind
  local left=() id
  for id in $(sort -u "$W/ids"); do
    for d in /sys/fs/cgroup/*/vessel-"$id" /sys/fs/cgroup/vessel-"$id"; do [[ -d $d ]] && left+=("$d"); done
  done
  for d in /sys/fs/cgroup/*/"$TAG"* /sys/fs/cgroup/"$TAG"*; do [[ -d $d ]] && left+=("$d"); done
  grep -q " $W" /proc/self/mountinfo && left+=("a mount under $W")
  pgrep -f -- "$W" >/dev/null && left+=("a process running from $W")
  if ((${#left[@]})); then
    say "host check: LEFT BEHIND: ${left[*]}"
    rc=1
  else
    say "host check: clean (no container, cgroup, mount or process of this run left)"
  fi
  rm -rf "$W"
}
trap 'final; exit $rc' EXIT
trap 'exit 130' INT TERM
rc=0

median() { sort -n | awk '{a[NR]=$1} END{ if(NR==0){print "-"; exit} if(NR%2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
cg_mem_bytes() { # memory charged to PID's memory cgroup (v1 or v2), bytes
  local pid=$1 path
  if [[ -d /sys/fs/cgroup/memory && $(stat -fc %T /sys/fs/cgroup/memory) == cgroupfs ]]; then
    path=$(awk -F: '$2 ~ /(^|,)memory(,|$)/{print $3}' "/proc/$pid/cgroup")
    cat "/sys/fs/cgroup/memory$path/memory.usage_in_bytes" 2>/dev/null || echo 0
  else
    path=$(awk -F: '$1=="0"{print $3}' "/proc/$pid/cgroup")
    cat "/sys/fs/cgroup$path/memory.current" 2>/dev/null || echo 0
  fi
}
pss_kb() { awk '/^Pss:/{print $2; exit}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
ppid_of() { awk '/^PPid:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
settle() { sync; sleep 2; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
# hyperfine's median of the command named NAME in JSON file F, in ms
hf_median() { jq -r --arg n "$2" '.results[] | select(.command == $n) | (.median * 10000 | floor) / 10' "$1"; }
fail() { say "!!! $*"; FAILED=1; }

say "vessel:         $VESSEL"
say "vessel-runtime: $RUNTIME"
say "host:           $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); cgroups seen: $CG_SEEN"

# --------------------------------------------------------------- image -----
# the default image as the setup builds it (scripts/busybox-image.sh)
BUSYBOX_TAR=$W/busybox.tar bash "$REPO/scripts/busybox-image.sh" "${V[@]}" >/dev/null ||
  die "vessel import failed"
"${V[@]}" run --rm busybox true || die "vessel run --rm busybox true failed"

# the runtime's bundle: the engine's own config.json, on a copy of the rootfs
"${V[@]}" run --name "$TAG-cfg" busybox true >/dev/null || die "vessel run failed"
cfg_id=$("${V[@]}" inspect "$TAG-cfg" | jq -r '.[0].Id')
mkdir -p "$W/bundle/rootfs" "$W/rtstate"
tar -C "$W/bundle/rootfs" -xf "$W/busybox.tar"
# the container's /etc files (hostname, hosts, resolv.conf) go with it: copies
cdir=$W/vroot/containers/$cfg_id
cp "$cdir"/{hostname,hosts,resolv.conf} "$W/bundle/" || die "no engine /etc files to copy"
jq --arg cg "/$TAG-rt" --arg cdir "$cdir" --arg bdir "$W/bundle" \
  '.process.args = ["/bin/true"] | .process.terminal = false
    | .root.path = "rootfs" | .linux.cgroupsPath = $cg
    | .mounts |= map(if (.source | startswith($cdir + "/"))
                     then .source = ($bdir + "/" + (.source | split("/") | last)) else . end)' \
  "$cdir/config.json" >"$W/bundle/config.json" || die "no engine config.json to copy"
"${V[@]}" rm "$TAG-cfg" >/dev/null
RT_RUN=("$RUNTIME" --root "$W/rtstate" run --bundle "$W/bundle" "$TAG-rt")
"${RT_RUN[@]}" || die "vessel-runtime run of the engine's bundle failed"

# --------------------------------------------------------------- podman ----
if [[ $USE_PODMAN == 1 ]]; then
  P=$W/podman
  mkdir -p "$P"/{root,runroot,tmp,net}
  # nofile/nproc pinned: podman's default nofile needs CAP_SYS_RESOURCE above
  # the hard limit, which the machine may lack
  cat >"$P/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "$PODMAN_RUNTIME"
tmp_dir = "$P/tmp"
static_dir = "$P/root/libpod"
volume_path = "$P/root/volumes"
[network]
network_config_dir = "$P/net"
EOF
  cat >"$P/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$P/runroot"
graphroot = "$P/root"
EOF
  export CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf
  PODMAN_ACTIVE=1
  PCG="--cgroup-parent=/$TAG-podman"
  # the same image: vessel's docker-archive, loaded into podman's private store
  if "${V[@]}" save busybox | podman load >"$W/podman-load.out" 2>&1; then
    PIMG=$(sed -n 's/^Loaded image: //p' "$W/podman-load.out" | head -1)
  fi
  if [[ -z ${PIMG:-} ]] || ! podman run --rm "$PCG" "$PIMG" /bin/true >/dev/null 2>"$W/podman.err"; then
    fail "podman cannot run the image: $(head -c 300 "$W/podman-load.out" "$W/podman.err" 2>/dev/null)"
    USE_PODMAN=0
  else
    say "podman:         $(podman --version), runtime $PODMAN_RUNTIME ($("$PODMAN_RUNTIME" --version | head -1)), image $PIMG"
  fi
fi

# -------------------------------------------------------------- latency ----
say ""
say "=== latency: run --rm busybox true ($N runs; podman $PODMAN_N) ==="
# written back, inodes freed before are skipped by ext4 for 5 s only (300 s
# while their table block is dirty): each peer starts on a quiet allocator
settle_inodes() { sync; sleep 6; }
# interleaved rounds, so that a drift of the machine's load or of its inode
# allocator (each run frees ~17 inodes) weighs on both alike
per_round=$(((N + ROUNDS - 1) / ROUNDS))
lat_cmds=("vessel run --rm" "${V[*]} run --rm busybox true" "vessel-runtime run" "${RT_RUN[*]}")
for ((r = 1; r <= ROUNDS; r++)); do
  order=(0 2)
  ((r % 2)) || order=(2 0)
  for i in "${order[@]}"; do
    settle_inodes
    hyperfine -N --style basic --warmup 3 --runs "$per_round" \
      --export-json "$W/latency.$i.round$r.json" -n "${lat_cmds[i]}" "${lat_cmds[i + 1]}" ||
      fail "hyperfine (${lat_cmds[i]}) failed"
  done
done
# the median of the runs of all rounds, ms
pooled_median() {
  jq -rs '[.[].results[0].times[]] | sort as $t | ($t | length) as $n
    | if $n == 0 then "-" else
        ((if $n % 2 == 1 then $t[($n - 1) / 2] else ($t[$n / 2 - 1] + $t[$n / 2]) / 2 end)
         * 10000 | floor) / 10 end' "$@"
}
LAT_V=$(pooled_median "$W"/latency.0.round*.json)
LAT_RT=$(pooled_median "$W"/latency.2.round*.json)
say "pooled over $ROUNDS rounds: vessel run --rm $LAT_V ms, vessel-runtime run $LAT_RT ms"
LAT_P=-
if [[ $USE_PODMAN == 1 ]]; then
  settle_inodes
  hyperfine -N --style basic --warmup 2 --runs "$PODMAN_N" --export-json "$W/latency-podman.json" \
    -n "podman run --rm" "podman run --rm $PCG $PIMG /bin/true" || fail "hyperfine (podman) failed"
  LAT_P=$(hf_median "$W/latency-podman.json" "podman run --rm")
fi

# -------------------------------------------------------------- density ----
# K detached idle containers: the time to start them, then per container the
# memory cgroup's charge plus the PSS of the process that stays for it (the
# vessel monitor, the container init's parent; podman's conmon)
declare -A START MEM CG EXTRA MEAN
# PEER "CG..." "PSS...": the median container's cgroup charge and monitor
# PSS, and their sum's median (MEM) and mean (MEAN). The median, as for every
# other figure: the mean also carries what is no one container's cost, the
# image's page cache charged to the first container that read it and the
# per-CPU charge batches (up to 256 KiB a CPU) of the last ones.
memory_figures() {
  local -a cg=($2) pss=($3) sum=()
  local i
  for i in "${!cg[@]}"; do sum+=($((cg[i] + pss[i]))); done
  CG[$1]=$(printf '%s\n' "${cg[@]}" | median)
  EXTRA[$1]=$(printf '%s\n' "${pss[@]}" | median)
  MEM[$1]=$(printf '%s\n' "${sum[@]}" | median)
  MEAN[$1]=$(printf '%s\n' "${sum[@]}" | awk '{t += $1} END {printf "%.0f", NR ? t / NR : 0}')
}
density_vessel() {
  local i t0 pids pid c p alive=0 cgs=() psss=()
  settle
  t0=$(date +%s%N)
  for ((i = 1; i <= K; i++)); do
    "${V[@]}" run -d --name "$TAG-v$i" busybox sleep 1000 >/dev/null || { fail "vessel run -d #$i failed"; return; }
  done
  START[vessel]=$(ms_since "$t0")
  "${V[@]}" ps --format json | jq -r '.[].Id' >>"$W/ids"
  settle
  pids=$("${V[@]}" inspect $(seq -f "$TAG-v%g" 1 "$K") | jq -r '.[].State.Pid')
  for pid in $pids; do
    [[ $pid -gt 0 && -d /proc/$pid ]] || continue
    alive=$((alive + 1))
    cgs+=($(($(cg_mem_bytes "$pid") / 1024)))
    psss+=("$(pss_kb "$(ppid_of "$pid")")")
  done
  [[ $alive -eq $K ]] || fail "vessel: only $alive/$K containers alive"
  memory_figures vessel "${cgs[*]}" "${psss[*]}"
  t0=$(date +%s%N)
  "${V[@]}" rm -f $(seq -f "$TAG-v%g" 1 "$K") >/dev/null || fail "vessel rm -f failed"
  say "vessel: started $K in ${START[vessel]} ms; per container (medians): memcg ${CG[vessel]} KiB + monitor PSS ${EXTRA[vessel]} KiB, together ${MEM[vessel]} KiB (mean ${MEAN[vessel]}); removed in $(ms_since "$t0") ms"
}
density_podman() {
  local i t0 pid cpid alive=0 cgs=() psss=()
  settle
  t0=$(date +%s%N)
  for ((i = 1; i <= K; i++)); do
    podman run -d "$PCG" --name "$TAG-p$i" "$PIMG" /bin/sleep 1000 >/dev/null 2>"$W/podman.err" ||
      { fail "podman run -d #$i failed: $(head -c 300 "$W/podman.err")"; return; }
  done
  START[podman]=$(ms_since "$t0")
  settle
  while read -r pid cpid; do
    [[ $pid -gt 0 && -d /proc/$pid ]] || continue
    alive=$((alive + 1))
    cgs+=($(($(cg_mem_bytes "$pid") / 1024)))
    psss+=("$( ((cpid > 0)) && pss_kb "$cpid" || echo 0)")
  done < <(podman inspect --format '{{.State.Pid}} {{.State.ConmonPid}}' $(seq -f "$TAG-p%g" 1 "$K"))
  [[ $alive -eq $K ]] || fail "podman: only $alive/$K containers alive"
  memory_figures podman "${cgs[*]}" "${psss[*]}"
  t0=$(date +%s%N)
  podman rm -f -t 0 $(seq -f "$TAG-p%g" 1 "$K") >/dev/null 2>&1 || fail "podman rm -f failed"
  say "podman: started $K in ${START[podman]} ms; per container (medians): memcg ${CG[podman]} KiB + conmon PSS ${EXTRA[podman]} KiB, together ${MEM[podman]} KiB (mean ${MEAN[podman]}); removed in $(ms_since "$t0") ms"
}
say ""
say "=== density: $K detached 'sleep 1000' containers ==="
density_vessel
[[ $USE_PODMAN == 1 ]] && density_podman

# --------------------------------------------------------------- unpack ----
say ""
say "=== unpacking a layer: $LAYER_SRC as a gzip tarball ($UNPACK_N runs) ==="
UNPACK=$W/unpack-layer
cc -O2 -D_GNU_SOURCE -I"$REPO/src/lib" "$REPO/bench/unpack-layer.c" "$REPO/build/libvessel-engine.a" \
  "$REPO/build/libvessel.a" $(pkg-config --libs libarchive nettle jansson libseccomp) -o "$UNPACK" ||
  fail "cannot build the unpack helper against $REPO/build"
tar -C "$LAYER_SRC" -czf "$W/layer.tgz" . 2>/dev/null
say "layer: $(du -m "$W/layer.tgz" | cut -f1) MB compressed, $(tar -tzf "$W/layer.tgz" | wc -l) entries"
UNP_V=- UNP_T=-
if [[ -x $UNPACK ]]; then
  # each run into a new directory, nothing removed until the end: a run
  # after the removal of the last one's 9,000 inodes waited on ext4's scan
  # past them (one peer took 0.4 s, the other 6 s, by turns)
  O=$W/unpacked
  mkdir -p "$O" && chattr +T "$O" 2>/dev/null
  hyperfine --style basic --warmup 1 --runs "$UNPACK_N" --export-json "$W/unpack.json" \
    --prepare "sync" \
    -n "vessel unpack" "$UNPACK $W/layer.tgz \$(mktemp -u -p $O v.XXXXXX)" \
    -n "tar -xzf" "d=\$(mktemp -d -p $O t.XXXXXX) && tar -xzf $W/layer.tgz -C \$d" ||
    fail "hyperfine (unpack) failed"
  UNP_V=$(hf_median "$W/unpack.json" "vessel unpack")
  UNP_T=$(hf_median "$W/unpack.json" "tar -xzf")
  v1=$(ls -d "$O"/v.* | head -1) t1=$(ls -d "$O"/t.* | head -1)
  [[ $(find "$v1" | wc -l) -eq $(find "$t1" | wc -l) ]] || fail "the two unpacks differ in entries"
  rm -rf "$O"
fi

# -------------------------------------------------------------- summary ----
isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
MISSED=0
ROWS=()
row() { # LABEL VESSEL PEER_NAME PEER TARGET_RATIO [ABS_TARGET]
  local ratio=- verdict=n/a
  if isnum "$2" && isnum "$4" && awk -v p="$4" 'BEGIN{exit !(p > 0)}'; then
    ratio=$(awk -v v="$2" -v p="$4" 'BEGIN{printf "%.3f", v / p}')
    if [[ -n $5 ]]; then
      if awk -v x="$ratio" -v t="$5" 'BEGIN{exit !(x <= t)}'; then verdict=met; else verdict=MISSED; MISSED=1; fi
    fi
  fi
  if [[ -n ${6:-} ]] && isnum "$2"; then
    if awk -v v="$2" -v t="$6" 'BEGIN{exit !(v <= t)}'; then
      [[ $verdict == MISSED ]] || verdict=met
    else verdict=MISSED; MISSED=1; fi
  fi
  ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$1" "${2:--}" "$3" "${4:--}" "$ratio" \
    "${5:+<= $5x}${6:+ <= $6}" "$verdict")")
}
row "run --rm busybox true, median ms" "$LAT_V" "podman run --rm" "$LAT_P" 0.06
row "run --rm busybox true, median ms" "$LAT_V" "vessel-runtime run" "$LAT_RT" 1.5
row "start $K detached, ms" "${START[vessel]:-}" "podman" "${START[podman]:--}" 0.15
row "memory per idle container, median KiB (cgroup + monitor/conmon PSS)" "${MEM[vessel]:-}" "podman" \
  "${MEM[podman]:--}" "" 230
row "unpack a layer, median ms" "$UNP_V" "tar -xzf" "$UNP_T" 1.5

{
  say ""
  say "## vessel engine vs peers ($(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
  say ""
  say "| figure | vessel | peer | peer's | vessel / peer | target | verdict |"
  say "|---|---:|---|---:|---:|---|---|"
  printf '%s\n' "${ROWS[@]}"
  say ""
  say "memory (medians): vessel memcg ${CG[vessel]:--} + monitor PSS ${EXTRA[vessel]:--} KiB (mean of the sums ${MEAN[vessel]:--}); podman memcg ${CG[podman]:--} + conmon PSS ${EXTRA[podman]:--} KiB (mean ${MEAN[podman]:--})"
  ((FAILED)) && say "SOME MEASUREMENTS FAILED: see the !!! lines above"
} | tee "$W/summary.md"
if [[ -n ${OUTDIR:-} ]]; then
  mkdir -p "$OUTDIR" && cp "$W/summary.md" "$W"/*.json "$OUTDIR/" 2>/dev/null
fi
((FAILED)) && rc=1
[[ ${STRICT:-0} == 1 && $MISSED == 1 && $rc == 0 ]] && rc=3
exit $rc
