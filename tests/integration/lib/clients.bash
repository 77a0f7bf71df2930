# Shared setup for the suites that drive vessel-runtime through real
# container engines (podman.bats, containerd.bats): locating the runtime,
# private temp dirs, running a command on a pty, and finding or removing what
# a suite left on the host (mounts, cgroups, processes).

CLIENTS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=rootfs.bash
source "$CLIENTS_LIB_DIR/rootfs.bash"

CGROUP_ROOT=${CGROUP_ROOT:-/sys/fs/cgroup}

# clients_require_runtime: VESSEL_RUNTIME must name an executable. Not a skip:
# the suites exist to test that runtime.
clients_require_runtime() {
  if [[ -z ${VESSEL_RUNTIME:-} ]]; then
    echo "VESSEL_RUNTIME is not set (point it at vessel-runtime, or /usr/sbin/runc)" >&2
    return 1
  fi
  if [[ ! -x $VESSEL_RUNTIME ]]; then
    echo "VESSEL_RUNTIME=$VESSEL_RUNTIME is not executable" >&2
    return 1
  fi
}

# clients_missing CMD...: print "CMD is not installed" for the first CMD
# not on PATH and fail; print nothing when all are there.
clients_missing() {
  local cmd
  for cmd in "$@"; do
    if ! command -v "$cmd" >/dev/null; then
      echo "$cmd is not installed"
      return 1
    fi
  done
}

# clients_tmpdir NAME: create and print a private temp dir. Kept out of
# $BATS_TMPDIR on purpose: overlay mounts must not live where bats deletes.
clients_tmpdir() {
  mktemp -d "${VESSEL_TEST_TMPDIR:-/tmp}/vessel-$1.XXXXXX"
}

# clients_pty CMD...: run CMD with a pseudo-terminal as its stdin, stdout and
# stderr (via script(1)); prints what the terminal showed, CR and NUL
# stripped, and returns CMD's exit status.
clients_pty() {
  local cmd rc out
  printf -v cmd '%q ' "$@"
  out=$(SHELL=/bin/sh script -qefc "$cmd" /dev/null </dev/null)
  rc=$?
  printf '%s\n' "$out" | tr -d '\r\000'
  return $rc
}

# Mount points in our mount namespace at or under DIR, deepest first.
clients_mounts_under() {
  local dir=${1%/}
  [[ -n $dir ]] || return 0
  # field 5 is the mount point, with spaces etc. as octal escapes
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
    awk '{ print gsub("/", "/"), $0 }' | sort -rn | cut -d' ' -f2-
}

# clients_umount_under DIR: unmount everything at or under DIR (lazily when
# busy). Returns 0 when nothing remains mounted there.
clients_umount_under() {
  local dir=$1 m _
  for _ in 1 2 3; do
    while IFS= read -r m; do
      [[ -n $m ]] || continue
      m=$(printf '%b' "$m")
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done < <(clients_mounts_under "$dir")
    [[ -z $(clients_mounts_under "$dir") ]] && return 0
  done
  return 1
}

# Directories /sys/fs/cgroup/<hierarchy>/REL that exist, one a line.
clients_cgroups_named() {
  local rel=${1#/} d
  [[ -n $rel ]] || return 0
  for d in "$CGROUP_ROOT"/*/"$rel"; do
    [[ -d $d ]] && printf '%s\n' "$d"
  done
  return 0
}

# PIDs in cgroup REL or below, on any hierarchy.
clients_cgroup_pids() {
  local d
  while IFS= read -r d; do
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done < <(clients_cgroups_named "$1") | sort -un
}

# clients_remove_cgroup REL: kill what still runs in cgroup REL (thawing it
# first, frozen tasks cannot die) and remove it with its children on every
# hierarchy. Returns 0 when no such cgroup remains.
clients_remove_cgroup() {
  local rel=${1#/} d pids try
  [[ -n $rel ]] || return 0
  d=$CGROUP_ROOT/freezer/$rel
  if [[ -d $d ]]; then
    find "$d" -name freezer.state 2>/dev/null | while IFS= read -r f; do
      echo THAWED 2>/dev/null >"$f"
    done
  fi
  for try in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(clients_cgroup_pids "$rel")
    [[ -z $pids ]] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    sleep 0.2
  done
  while IFS= read -r d; do
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done < <(clients_cgroups_named "$rel")
  [[ -z $(clients_cgroups_named "$rel") ]]
}

# PIDs (other than this shell) whose command line, working directory or
# root is DIR or lies under it. Forks little: it scans every process.
clients_pids_using() {
  local dir=${1%/} p args self=$$ me=$BASHPID
  [[ -n $dir ]] || return 0
  {
    find /proc/[0-9]*/cwd /proc/[0-9]*/root -maxdepth 0 -printf '%p %l\n' 2>/dev/null |
      awk -v d="$dir" '{
        l = substr($0, index($0, " ") + 1)
        if (l == d || index(l, d "/") == 1) { split($1, f, "/"); print f[3] }
      }'
    for p in /proc/[0-9]*; do
      mapfile -d '' args 2>/dev/null <"$p/cmdline" || continue
      [[ "${args[*]}" == *"$dir"* ]] && echo "${p#/proc/}"
    done
  } | sort -un | grep -v -x -e "$self" -e "$me"
  return 0
}

# clients_pid_alive PID: PID exists and is not a zombie (a daemon started
# by an earlier bats process is reaped by init, maybe late).
clients_pid_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# describe PIDS: "pid (cmdline)" per line, for failure messages.
clients_describe_pids() {
  local pid
  for pid in "$@"; do
    printf '%s (%s)\n' "$pid" "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"
  done
}

# clients_kill_using DIR: SIGTERM then SIGKILL every process using DIR.
clients_kill_using() {
  local pids try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(clients_pids_using "$1")
    [[ -z $pids ]] && return 0
    # shellcheck disable=SC2086
    if ((try <= 3)); then kill -TERM $pids 2>/dev/null; else kill -KILL $pids 2>/dev/null; fi
    sleep 0.3
  done
  [[ -z $(clients_pids_using "$1") ]]
}

# clients_stop_daemon PIDFILE SECONDS: SIGTERM the daemon whose pid PIDFILE
# holds, SIGKILL it after SECONDS.
clients_stop_daemon() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  retry_until "$2" eval "! clients_pid_alive $pid" || kill -KILL "$pid" 2>/dev/null
  retry_until 5 eval "! clients_pid_alive $pid"
}

# clients_leftovers DIR CGROUP...: print one line per thing the suite left on
# the host: mounts under DIR, DIR itself, processes using DIR, and the given
# cgroups (relative to each hierarchy) with any processes in them.
clients_leftovers() {
  local dir=$1 rel m pid
  shift
  while IFS= read -r m; do
    [[ -n $m ]] && echo "leftover mount: $m"
  done < <(clients_mounts_under "$dir")
  [[ -e $dir ]] && echo "leftover directory: $dir"
  for pid in $(clients_pids_using "$dir"); do
    echo "leftover process: $(clients_describe_pids "$pid")"
  done
  for rel in "$@"; do
    while IFS= read -r m; do
      echo "leftover cgroup: $m"
    done < <(clients_cgroups_named "$rel")
    for pid in $(clients_cgroup_pids "$rel"); do
      echo "leftover process in cgroup $rel: $(clients_describe_pids "$pid")"
    done
  done
  return 0
}

# assert_status N: the last `run` exited with status N; shows its output
# otherwise.
assert_status() {
  if [[ $status -ne $1 ]]; then
    printf 'expected exit status %s, got %s; output:\n%s\n' "$1" "$status" "$output" >&2
    [[ -n ${stderr:-} ]] && printf 'stderr:\n%s\n' "$stderr" >&2
    return 1
  fi
}

# assert_contains TEXT: the last `run`'s output contains TEXT.
assert_contains() {
  if [[ $output != *"$1"* ]]; then
    printf 'expected output to contain %q; output:\n%s\n' "$1" "$output" >&2
    [[ -n ${stderr:-} ]] && printf 'stderr:\n%s\n' "$stderr" >&2
    return 1
  fi
}

# assert_not_contains TEXT: the last `run`'s output lacks TEXT.
assert_not_contains() {
  if [[ $output == *"$1"* ]]; then
    printf 'expected output not to contain %q; output:\n%s\n' "$1" "$output" >&2
    return 1
  fi
}

# retry_until SECONDS CMD...: run CMD every 0.1s until it succeeds; fails
# after SECONDS.
retry_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# assert_empty: the last `run` printed nothing.
assert_empty() {
  if [[ -n $output ]]; then
    printf 'expected no output, got:\n%s\n' "$output" >&2
    return 1
  fi
}

# assert_output TEXT: the last `run` printed exactly TEXT.
assert_output() {
  if [[ $output != "$1" ]]; then
    printf 'expected output %q, got:\n%s\n' "$1" "$output" >&2
    [[ -n ${stderr:-} ]] && printf 'stderr:\n%s\n' "$stderr" >&2
    return 1
  fi
}
