#!/usr/bin/env bats
# Drives $VESSEL_RUNTIME through dockerd (Debian's docker.io 20.10), added
# with --add-runtime and made the default. The daemon is private: data root,
# exec root (its containerd, the shims' state, the runtime's --root), socket,
# key file and cgroup parent all live under a temp dir made in setup_file; no
# bridge, no iptables, no ip_forward change. The only image is a busybox
# rootfs imported from a local tarball.

bats_require_minimum_version 1.5.0
load lib/clients

setup_file() {
  # bats 1.8 turns a skip in setup_file into a failure: setup() skips
  DK_SKIP=$(clients_missing dockerd containerd containerd-shim-runc-v2 script timeout) || true
  [[ -n $DK_SKIP || -x /usr/bin/docker ]] || DK_SKIP="/usr/bin/docker is not installed"
  export DK_SKIP
  [[ -z $DK_SKIP ]] || return 0
  clients_require_runtime

  DK_TMP=$(clients_tmpdir docker)
  DK_SOCK=$DK_TMP/docker.sock
  DK_IMAGE=vessel-busybox:latest
  # one cgroup parent per suite run, so cleanup cannot touch anything else
  DK_CGROUP_PARENT=/${DK_TMP##*/}
  # dockerd keeps plugin sockets in /run/docker and the shims theirs in
  # /run/containerd whatever the roots say: note what the suite creates
  DK_RUN_DOCKER_EXISTED=0 DK_RUN_CONTAINERD_EXISTED=0 DK_KEY_EXISTED=0
  [[ -e /run/docker ]] && DK_RUN_DOCKER_EXISTED=1
  [[ -e /run/containerd ]] && DK_RUN_CONTAINERD_EXISTED=1
  [[ -e /etc/docker/key.json ]] && DK_KEY_EXISTED=1
  DK_IP_FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)
  export DK_TMP DK_SOCK DK_IMAGE DK_CGROUP_PARENT DK_RUN_DOCKER_EXISTED DK_RUN_CONTAINERD_EXISTED \
    DK_KEY_EXISTED DK_IP_FORWARD

  dk_start
  rootfs_busybox "$DK_TMP/rootfs"
  rootfs_tar "$DK_TMP/rootfs" "$DK_TMP/rootfs.tar"
  dk import --change 'CMD ["/bin/sh"]' "$DK_TMP/rootfs.tar" "$DK_IMAGE" >/dev/null
}

teardown_file() {
  dk_cleanup
}

setup() {
  [[ -z ${DK_SKIP:-} ]] || skip "$DK_SKIP"
}

teardown() {
  [[ -z ${DK_SKIP:-} ]] || return 0
  # containers a test named and may have left behind when it failed midway
  local names
  mapfile -t names < <(dk ps -a --format '{{.Names}}' 2>/dev/null | grep '^vt-')
  ((${#names[@]} == 0)) || dk rm -f "${names[@]}" >/dev/null 2>&1 || true
  return 0
}

dk_start() {
  local t=$DK_TMP
  mkdir -p "$t"/{data,exec}
  # its trust key would go to /etc/docker/key.json
  printf '{"deprecated-key-path": "%s/key.json"}\n' "$t" >"$t/daemon.json"
  dockerd --config-file "$t/daemon.json" --data-root "$t/data" --exec-root "$t/exec" \
    --pidfile "$t/dockerd.pid" -H "unix://$DK_SOCK" \
    --bridge none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --userland-proxy=false --storage-driver overlay2 \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$DK_CGROUP_PARENT" \
    --add-runtime "vessel=$VESSEL_RUNTIME" --default-runtime vessel \
    </dev/null >"$t/dockerd.log" 2>&1 3>&- &
  echo $! >"$t/dockerd.pid.bg"
  if ! retry_until 30 dk version >/dev/null 2>&1; then
    echo "dockerd did not start; its log:" >&2
    cat "$t/dockerd.log" >&2
    return 1
  fi
}

# dk_stop: SIGTERM dockerd (it stops its containerd), SIGKILL after 15s.
dk_stop() {
  clients_stop_daemon "$DK_TMP/dockerd.pid.bg" 15
}

# the docker client of the daemon's own version, against the suite's daemon
dk() {
  timeout -k 10 "${VESSEL_TEST_TIMEOUT:-60}" /usr/bin/docker -H "unix://$DK_SOCK" "$@"
}

dk_run() {
  dk run --network none "$@" </dev/null
}

dk_cleanup() {
  [[ -n ${DK_TMP:-} && -d $DK_TMP ]] || return 0
  # best effort, every step: runs under errexit in the last test
  if [[ -S $DK_SOCK ]]; then
    dk rm -f $(dk ps -a -q 2>/dev/null) >/dev/null 2>&1 || true
    dk rmi -f "$DK_IMAGE" >/dev/null 2>&1 || true
  fi
  dk_stop || true
  clients_kill_using "$DK_TMP" || true
  clients_remove_cgroup "$DK_CGROUP_PARENT" || true
  if clients_umount_under "$DK_TMP"; then
    rm -rf "$DK_TMP" || true
  fi
  if ((!DK_RUN_DOCKER_EXISTED)); then
    rmdir /run/docker/plugins /run/docker 2>/dev/null || true
  fi
  if ((!DK_RUN_CONTAINERD_EXISTED)); then
    rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc 2>/dev/null || true
    rmdir /run/containerd 2>/dev/null || true
  fi
  return 0
}

@test "docker: the daemon's default runtime is vessel-runtime" {
  run --separate-stderr dk info --format '{{.DefaultRuntime}}'
  assert_status 0
  assert_output vessel
}

@test "docker run prints the container's output" {
  run --separate-stderr dk_run --rm "$DK_IMAGE" echo hello
  assert_status 0
  assert_output hello
}

@test "docker run propagates the exit code of the container process" {
  run dk_run --rm "$DK_IMAGE" sh -c 'exit 3'
  assert_status 3
}

@test "docker run exits 126 when the command is not executable, 127 when it does not exist" {
  # dockerd tells them apart by the runtime's words
  run dk_run --rm "$DK_IMAGE" /etc/passwd
  assert_status 126
  assert_contains "permission denied"
  run -127 dk_run --rm "$DK_IMAGE" no-such-command
  run -127 dk_run --rm "$DK_IMAGE" /no/such/file
}

@test "docker run -it gives the container a terminal" {
  # the pause before the exit: a client's attach can miss what a container
  # writes just before it ends
  run clients_pty /usr/bin/docker -H "unix://$DK_SOCK" run --rm -it --network none "$DK_IMAGE" \
    sh -c 'tty; test -t 0 && echo stdin-is-a-tty; test -t 1 && echo stdout-is-a-tty; sleep 0.5; exit 7'
  assert_status 7
  assert_contains /dev/pts/0
  assert_contains stdin-is-a-tty
  assert_contains stdout-is-a-tty
}

@test "docker run -d, logs, exec, stop and rm" {
  run dk_run -d --name vt-detached "$DK_IMAGE" sh -c \
    'trap "echo got-sigterm; exit 42" TERM; echo marker >/tmp/m; echo started; while :; do sleep 0.1; done'
  assert_status 0

  retry_until 10 eval '[[ $(dk logs vt-detached 2>&1) == *started* ]]'
  run --separate-stderr dk inspect --format '{{.State.Status}}' vt-detached
  assert_output running

  run --separate-stderr dk exec vt-detached cat /tmp/m
  assert_status 0
  assert_output marker
  run dk exec vt-detached sh -c 'exit 5'
  assert_status 5

  # the trap proves SIGTERM reached the process: a SIGKILL after the
  # timeout would give 137
  run dk stop -t 20 vt-detached
  assert_status 0
  run --separate-stderr dk inspect --format '{{.State.Status}} {{.State.ExitCode}}' vt-detached
  assert_output "exited 42"
  run dk logs vt-detached
  assert_contains got-sigterm

  run dk rm vt-detached
  assert_status 0
}

@test "docker run --memory 32m: exceeding the limit gets the process OOM-killed" {
  # tail buffers its whole input when it sees no newline
  run dk_run --rm --memory 256m "$DK_IMAGE" sh -c 'head -c 64m /dev/zero | tail >/dev/null'
  assert_status 0
  run dk_run --rm --memory 32m "$DK_IMAGE" sh -c 'head -c 64m /dev/zero | tail >/dev/null'
  assert_status 137
}

@test "docker run --pids-limit 5: forking beyond the limit fails" {
  local forks='for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo all-forked'
  run dk_run --rm --pids-limit 50 "$DK_IMAGE" sh -c "$forks"
  assert_status 0
  assert_contains all-forked
  run dk_run --rm --pids-limit 5 "$DK_IMAGE" sh -c "$forks"
  [ "$status" -ne 0 ]
  assert_contains "can't fork"
  assert_not_contains all-forked
}

@test "docker run --read-only and --cap-drop ALL" {
  run dk_run --rm --read-only "$DK_IMAGE" sh -c 'touch /root-file && echo root-writable'
  assert_contains "Read-only file system"
  assert_not_contains root-writable
  run --separate-stderr dk_run --rm --cap-drop ALL "$DK_IMAGE" grep ^CapEff /proc/self/status
  assert_status 0
  assert_output "CapEff:	0000000000000000"
}

@test "docker run --privileged gets every capability the host gives" {
  # all of them where root holds all; on a host that withholds some (this
  # one: CAP_SYS_RESOURCE) the rest, with a warning, rather than a failure
  local host eff
  host=$(awk '$1 == "CapPrm:" { print $2 }' /proc/self/status)
  run --separate-stderr dk_run --rm --privileged "$DK_IMAGE" \
    awk '$1 == "CapEff:" { print $2 }' /proc/self/status
  assert_status 0
  eff=$output
  # every one dockerd knows (20.10: up to CAP_AUDIT_READ), none the host withholds
  (((0x$eff & ~0x$host) == 0 && (0x$eff & (1 << 21)) && (0x$eff & (1 << 37)))) ||
    { echo "CapEff $eff, host CapPrm $host" >&2; return 1; }
}

@test "docker update changes a running container's limits" {
  run dk_run -d --name vt-update "$DK_IMAGE" sleep 100
  assert_status 0
  # dockerd sends 0 for every limit not given: those stay as they were
  run dk update --memory 64m --memory-swap 128m vt-update
  assert_status 0
  run dk update --cpus 0.5 --pids-limit 20 vt-update
  assert_status 0
  run --separate-stderr dk exec vt-update sh -c \
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us \
      /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'
  assert_status 0
  assert_contains 67108864
  assert_contains 20
  run dk rm -f vt-update
  assert_status 0
}

@test "docker pause freezes the container, unpause resumes it" {
  run dk_run -d --name vt-pause "$DK_IMAGE" sh -c \
    'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; usleep 20000; done'
  assert_status 0
  local c1 c2 c3 root
  retry_until 10 dk exec vt-pause test -s /tmp/count
  # read from the host, through the init's root: a frozen process still has one
  root=/proc/$(dk inspect --format '{{.State.Pid}}' vt-pause)/root
  run dk pause vt-pause
  assert_status 0
  run --separate-stderr dk inspect --format '{{.State.Status}}' vt-pause
  assert_output paused
  c1=$(cat "$root/tmp/count")
  sleep 0.5
  c2=$(cat "$root/tmp/count")
  [[ -n $c1 && $c1 == "$c2" ]] || {
    echo "the counter moved while paused: $c1 -> $c2" >&2
    false
  }
  run dk unpause vt-pause
  assert_status 0
  retry_until 5 eval 'c3=$(dk exec vt-pause cat /tmp/count); (( ${c3:-0} > c2 ))'
  run dk rm -f vt-pause
  assert_status 0
}

@test "docker: nothing is left on the host after cleanup" {
  run --separate-stderr dk ps -a -q
  assert_status 0
  assert_empty
  # the runtime deleted every container's cgroup and state
  run bash -c "find $CGROUP_ROOT/*$DK_CGROUP_PARENT -mindepth 1 -type d 2>/dev/null"
  assert_empty
  run bash -c "find $DK_TMP/exec/runtime-vessel -mindepth 2 ! -name '.seccomp-cache*' 2>/dev/null"
  assert_empty

  dk_cleanup
  run clients_leftovers "$DK_TMP" "$DK_CGROUP_PARENT"
  assert_empty
  # the host's network is as it was
  [[ $(cat /proc/sys/net/ipv4/ip_forward) == "$DK_IP_FORWARD" ]]
  if ((!DK_KEY_EXISTED)); then
    [[ ! -e /etc/docker/key.json ]] || { echo "dockerd wrote /etc/docker/key.json" >&2; false; }
  fi
}
