#!/usr/bin/env bats
# Drives $VESSEL_RUNTIME through podman (Debian's 4.3) with the cgroupfs
# manager. Podman is fully private: storage, tmp dir, locks, events, network
# config and cgroup parent all live under a temp dir made in setup_file, and
# the only image is a busybox rootfs imported from a local tarball.

bats_require_minimum_version 1.5.0
load lib/clients

setup_file() {
  # bats 1.8 turns a skip in setup_file into a failure: setup() skips
  PM_SKIP=$(clients_missing podman conmon script timeout) || true
  export PM_SKIP
  [[ -z $PM_SKIP ]] || return 0
  clients_require_runtime

  PM_TMP=$(clients_tmpdir podman)
  # one cgroup parent per suite run, so cleanup cannot touch anything else
  PM_CGROUP_PARENT=/${PM_TMP##*/}
  PM_IMAGE=localhost/vessel-busybox:latest
  # podman 4.3 (containers/image) keeps its blob info cache in
  # /var/lib/containers/cache whatever --root says; note whether the suite is
  # the one creating that dir
  PM_VARLIB_EXISTED=0
  [[ -e /var/lib/containers ]] && PM_VARLIB_EXISTED=1
  export PM_TMP PM_CGROUP_PARENT PM_IMAGE PM_VARLIB_EXISTED
  pm_write_config
  rootfs_busybox "$PM_TMP/rootfs"
  rootfs_tar "$PM_TMP/rootfs" "$PM_TMP/rootfs.tar"
  pm import --change CMD=/bin/sh "$PM_TMP/rootfs.tar" "$PM_IMAGE" >/dev/null
}

teardown_file() {
  pm_cleanup
}

setup() {
  [[ -z ${PM_SKIP:-} ]] || skip "$PM_SKIP"
}

teardown() {
  [[ -z ${PM_SKIP:-} ]] || return 0
  # containers a test named and may have left behind when it failed midway
  local names
  mapfile -t names < <(pm ps -a --format '{{.Names}}' 2>/dev/null | grep '^vt-')
  ((${#names[@]} == 0)) || pm rm -f -t 0 "${names[@]}" >/dev/null 2>&1 || true
  return 0
}

# rlimit value for default_ulimits: podman 4.3 lowers its own RLIMIT_NPROC
# to 32768 at start, and nothing here may raise a hard limit (no
# CAP_SYS_RESOURCE), so the container gets min(current hard limit, CAP).
pm_ulimit() { # ULIMIT_FLAG CAP
  local hard
  hard=$(ulimit -H "$1")
  [[ $hard == unlimited || $hard -gt $2 ]] && hard=$2
  echo "$hard"
}

pm_write_config() {
  local t=$PM_TMP nofile nproc
  nofile=$(pm_ulimit -n 1048576)
  nproc=$(pm_ulimit -u 32768)
  mkdir -p "$t"/{root,runroot,tmp,cni,hooks,imgtmp,bin,runtime-state}
  # podman gives a runtime no --root when run as root, so its state would
  # land in the runtime's default dir (/run/runc for runc) and the suite could
  # not tell what it left there. The wrapper keeps the runtime's name, which
  # podman matches against runtime_supports_json.
  PM_RUNTIME=$t/bin/${VESSEL_RUNTIME##*/}
  export PM_RUNTIME
  cat >"$PM_RUNTIME" <<EOF
#!/bin/sh
exec "$VESSEL_RUNTIME" --root "$t/runtime-state" "\$@"
EOF
  chmod 0755 "$PM_RUNTIME"
  cat >"$t/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
log_driver = "k8s-file"
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$t/events.log"
tmp_dir = "$t/tmp"
static_dir = "$t/root/libpod"
volume_path = "$t/root/volumes"
image_copy_tmp_dir = "$t/imgtmp"
hooks_dir = ["$t/hooks"]
# shm locks live in /dev/shm/libpod_lock, shared with every other podman
lock_type = "file"
num_locks = 256
pull_policy = "never"
# vessel-runtime speaks runc's --log-format=json like crun and runc do
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "vessel-runtime"]

[network]
network_backend = "cni"
network_config_dir = "$t/cni"
EOF
  cat >"$t/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$t/root"
runroot = "$t/runroot"
EOF
  cat >"$t/registries.conf" <<EOF
unqualified-search-registries = []
short-name-mode = "enforcing"
EOF
  # a wrapper carrying the whole private setup: usable from script(1), and
  # by hand to debug a failed run
  cat >"$t/podman" <<EOF
#!/bin/sh
export CONTAINERS_CONF=$t/containers.conf
export CONTAINERS_STORAGE_CONF=$t/storage.conf
export CONTAINERS_REGISTRIES_CONF=$t/registries.conf
export TMPDIR=$t/imgtmp
# conmon 2.1.6 writes an "oom" marker into its working directory
cd $t/tmp || exit 125
exec timeout --foreground -k 10 ${VESSEL_TEST_TIMEOUT:-60} podman \\
  --root $t/root --runroot $t/runroot --tmpdir $t/tmp \\
  --storage-driver overlay --cgroup-manager cgroupfs --events-backend file \\
  --runtime "$PM_RUNTIME" "\$@"
EOF
  chmod 0755 "$t/podman"
}

pm() {
  "$PM_TMP/podman" "$@"
}

# pm_run OPTIONS... IMAGE CMD...: podman run without network, in the suite's
# cgroup parent
pm_run() {
  pm run --network none --cgroup-parent "$PM_CGROUP_PARENT" "$@"
}

pm_cleanup() {
  [[ -n ${PM_TMP:-} && -d $PM_TMP ]] || return 0
  # best effort, every step: runs under errexit in the last test
  if [[ -x $PM_TMP/podman ]]; then
    pm rm -a -f -t 0 >/dev/null 2>&1 || true
    pm rmi -a -f >/dev/null 2>&1 || true
  fi
  clients_kill_using "$PM_TMP" || true
  clients_remove_cgroup "$PM_CGROUP_PARENT" || true
  if clients_umount_under "$PM_TMP"; then
    rm -rf "$PM_TMP" || true
  fi
  if ((!PM_VARLIB_EXISTED)); then
    rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb || true
    rmdir /var/lib/containers/cache /var/lib/containers 2>/dev/null || true
  fi
  return 0
}

# the value of FORMAT in `podman inspect` of container NAME
pm_inspect() {
  pm inspect --format "$2" "$1"
}

@test "podman run prints the container's output" {
  run --separate-stderr pm_run --rm "$PM_IMAGE" echo hello
  assert_status 0
  assert_output hello
}

@test "podman run propagates the exit code of the container process" {
  run pm_run --rm "$PM_IMAGE" sh -c 'exit 3'
  assert_status 3
}

@test "podman run exits 126 when the command is not executable" {
  run pm_run --rm "$PM_IMAGE" /etc/passwd
  assert_status 126
  assert_contains "permission denied"
}

@test "podman run exits 127 when the command does not exist" {
  run -127 pm_run --rm "$PM_IMAGE" no-such-command
}

@test "podman run -it gives the container a terminal" {
  # the pause before the exit: podman's attach can miss what a container
  # writes just before it ends (seen once in CI, the exit code came through)
  run clients_pty "$PM_TMP/podman" run --rm -it --network none \
    --cgroup-parent "$PM_CGROUP_PARENT" "$PM_IMAGE" \
    sh -c 'tty; test -t 0 && echo stdin-is-a-tty; test -t 1 && echo stdout-is-a-tty; sleep 0.5; exit 7'
  assert_status 7
  assert_contains /dev/pts/0
  assert_contains stdin-is-a-tty
  assert_contains stdout-is-a-tty
}

@test "podman run -d, logs, exec, stop and rm" {
  run pm_run -d --name vt-detached "$PM_IMAGE" sh -c \
    'trap "echo got-sigterm; exit 42" TERM; echo marker >/tmp/m; echo started; while :; do sleep 0.1; done'
  assert_status 0

  retry_until 10 eval '[[ $(pm logs vt-detached 2>&1) == *started* ]]'
  run pm_inspect vt-detached '{{.State.Status}}'
  assert_output running

  run --separate-stderr pm exec vt-detached cat /tmp/m
  assert_status 0
  assert_output marker
  run pm exec vt-detached sh -c 'exit 5'
  assert_status 5

  # the trap proves SIGTERM reached the process: a SIGKILL after the
  # timeout would give 137
  run pm stop -t 20 vt-detached
  assert_status 0
  run pm_inspect vt-detached '{{.State.Status}} {{.State.ExitCode}}'
  assert_output "exited 42"
  run pm logs vt-detached
  assert_contains got-sigterm

  run pm rm vt-detached
  assert_status 0
  run pm container exists vt-detached
  assert_status 1
}

@test "podman run --memory 32m: exceeding the limit gets the process OOM-killed" {
  # tail buffers its whole input when it sees no newline
  run pm_run --rm --memory 256m "$PM_IMAGE" sh -c 'head -c 64m /dev/zero | tail >/dev/null'
  assert_status 0
  run pm_run --name vt-oom --memory 32m "$PM_IMAGE" sh -c 'head -c 64m /dev/zero | tail >/dev/null'
  assert_status 137
  run pm rm vt-oom
  assert_status 0
}

@test "podman run --pids-limit 5: forking beyond the limit fails" {
  local forks='for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo all-forked'
  run pm_run --rm --pids-limit 50 "$PM_IMAGE" sh -c "$forks"
  assert_status 0
  assert_contains all-forked
  run pm_run --rm --pids-limit 5 "$PM_IMAGE" sh -c "$forks"
  [ "$status" -ne 0 ]
  assert_contains "can't fork"
  assert_not_contains all-forked
}

@test "podman run --pids-limit 1 starts the container" {
  run --separate-stderr pm_run --rm --pids-limit 1 "$PM_IMAGE" echo alone
  assert_status 0
  assert_output alone
}

@test "podman run --read-only: / is read-only, /tmp is writable" {
  run pm_run --rm --read-only "$PM_IMAGE" sh -c \
    'touch /root-file && echo root-writable; touch /tmp/file && echo tmp-writable'
  assert_status 0
  assert_contains "Read-only file system"
  assert_not_contains root-writable
  assert_contains tmp-writable
}

@test "podman run --cap-drop ALL leaves no capability" {
  run --separate-stderr pm_run --rm --cap-drop ALL "$PM_IMAGE" grep ^Cap /proc/self/status
  assert_status 0
  assert_contains "CapEff:	0000000000000000"
  assert_contains "CapPrm:	0000000000000000"
  assert_contains "CapBnd:	0000000000000000"
  # and the control: podman's default set is not empty
  run --separate-stderr pm_run --rm "$PM_IMAGE" grep ^CapEff /proc/self/status
  assert_status 0
  assert_not_contains "0000000000000000"
}

@test "podman run --privileged gets every capability the host gives" {
  local host eff
  host=$(awk '$1 == "CapPrm:" { print $2 }' /proc/self/status)
  run --separate-stderr pm_run --rm --privileged "$PM_IMAGE" \
    awk '$1 == "CapEff:" { print $2 }' /proc/self/status
  assert_status 0
  eff=$output
  # none the host withholds (this one: CAP_SYS_RESOURCE), CAP_SYS_ADMIN among them
  (((0x$eff & ~0x$host) == 0 && (0x$eff & (1 << 21)))) ||
    { echo "CapEff $eff, host CapPrm $host" >&2; return 1; }
}

# the counter the vt-pause container increments, read through its rootfs
pm_counter() {
  local v
  v=$(cat "$1/tmp/count" 2>/dev/null)
  [[ $v =~ ^[0-9]+$ ]] && echo "$v"
}

@test "podman pause freezes the container, unpause resumes it" {
  run pm_run -d --name vt-pause "$PM_IMAGE" sh -c \
    'i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; usleep 20000; done'
  assert_status 0
  local merged c1 c2 c3
  merged=$(pm_inspect vt-pause '{{.GraphDriver.Data.MergedDir}}')
  [ -d "$merged" ]
  retry_until 10 pm_counter "$merged" >/dev/null

  run pm pause vt-pause
  assert_status 0
  run pm_inspect vt-pause '{{.State.Status}}'
  assert_output paused
  c1=$(pm_counter "$merged")
  sleep 0.5
  c2=$(pm_counter "$merged")
  [[ -n $c1 && $c1 == "$c2" ]] || {
    echo "the counter moved while paused: $c1 -> $c2" >&2
    false
  }

  run pm unpause vt-pause
  assert_status 0
  run pm_inspect vt-pause '{{.State.Status}}'
  assert_output running
  retry_until 5 eval 'c3=$(pm_counter "$merged"); (( ${c3:-0} > c2 ))'
  run --separate-stderr pm exec vt-pause echo alive
  assert_status 0
  assert_output alive

  run pm rm -f -t 0 vt-pause
  assert_status 0
}

@test "podman: nothing is left on the host after cleanup" {
  # every test removed its containers, through --rm or podman rm
  run --separate-stderr pm ps -a -q
  assert_status 0
  assert_empty
  # the runtime deleted every container's cgroup; podman's conmon cgroup
  # is the only child the suite's cgroup parent may still hold
  run bash -c "find $CGROUP_ROOT/*$PM_CGROUP_PARENT -mindepth 1 -type d ! -name conmon 2>/dev/null"
  assert_empty

  # and deleted its state (the runtime may keep its cache of compiled seccomp
  # filters there: that is not a container's)
  run ls "$PM_TMP/runtime-state"
  assert_empty

  pm_cleanup
  run clients_leftovers "$PM_TMP" "$PM_CGROUP_PARENT"
  assert_empty
  if ((!PM_VARLIB_EXISTED)); then
    [[ ! -e /var/lib/containers ]] || {
      echo "leftover /var/lib/containers:" >&2
      ls -R /var/lib/containers >&2
      false
    }
  fi
}
