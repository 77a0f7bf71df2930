#!/usr/bin/env bats
# Drives $VESSEL_RUNTIME through containerd (Debian's 1.6) and its
# containerd-shim-runc-v2, with ctr as the client. The containerd instance is
# private: its own config, root, state, temp dir and sockets under a temp dir,
# no CRI plugin, no network. The image is a busybox rootfs packed locally as
# an oci-archive and imported. ctr is told where the runtime keeps its state
# (--runc-root) and its FIFOs (--fifo-dir), and which cgroup to use
# (--cgroup), so everything the suite makes is its own to check and remove.

bats_require_minimum_version 1.5.0
load lib/clients

setup_file() {
  # bats 1.8 turns a skip in setup_file into a failure: setup() skips
  CTR_SKIP=$(clients_missing containerd ctr containerd-shim-runc-v2 timeout) || true
  export CTR_SKIP
  [[ -z $CTR_SKIP ]] || return 0
  clients_require_runtime

  CTR_TMP=$(clients_tmpdir containerd)
  CTR_SOCK=$CTR_TMP/containerd.sock
  CTR_NS=vessel-test
  CTR_IMAGE=docker.io/vessel/busybox:latest
  # one cgroup parent per suite run, so cleanup cannot touch anything else
  CTR_CGROUP_PARENT=/${CTR_TMP##*/}
  # containerd-shim-runc-v2 puts its sockets in /run/containerd/s whatever
  # the config says; note whether the suite is the one creating that dir
  CTR_RUN_DIR_EXISTED=0
  [[ -e /run/containerd ]] && CTR_RUN_DIR_EXISTED=1
  export CTR_TMP CTR_SOCK CTR_NS CTR_IMAGE CTR_CGROUP_PARENT CTR_RUN_DIR_EXISTED

  ctr_write_config
  ctr_start
  rootfs_busybox "$CTR_TMP/rootfs"
  rootfs_oci_archive "$CTR_TMP/rootfs" "$CTR_TMP/busybox-oci.tar" "$CTR_IMAGE" sh
  ctrc images import "$CTR_TMP/busybox-oci.tar" >/dev/null
}

teardown_file() {
  ctr_cleanup
}

setup() {
  [[ -z ${CTR_SKIP:-} ]] || skip "$CTR_SKIP"
}

teardown() {
  # containers a test may have left behind when it failed midway
  local id
  [[ -S ${CTR_SOCK:-} ]] || return 0
  for id in $(ctrc containers ls -q 2>/dev/null || true); do
    ctrc task kill -s KILL "$id" >/dev/null 2>&1 || true
    ctrc task delete -f "$id" >/dev/null 2>&1 || true
    ctrc containers delete "$id" >/dev/null 2>&1 || true
  done
  return 0
}

ctr_write_config() {
  local t=$CTR_TMP
  mkdir -p "$t"/{root,state,tmp,fifo,runtime-state}
  cat >"$t/config.toml" <<EOF
version = 2
root = "$t/root"
state = "$t/state"
temp = "$t/tmp"
# no CRI (it wants CNI and a sandbox image), no /opt/containerd, no
# snapshotters but overlayfs and native
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$CTR_SOCK"

[ttrpc]
  address = "$CTR_SOCK.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.monitor.v1.cgroups"]
  no_prometheus = true
EOF
}

# ctr_start: run containerd in the background and wait for its socket. Its
# output must not hold bats' file descriptors open.
ctr_start() {
  containerd --config "$CTR_TMP/config.toml" </dev/null >"$CTR_TMP/containerd.log" 2>&1 3>&- &
  echo $! >"$CTR_TMP/containerd.pid"
  if ! retry_until 20 ctrc version >/dev/null 2>&1; then
    echo "containerd did not start; its log:" >&2
    cat "$CTR_TMP/containerd.log" >&2
    return 1
  fi
}

# ctr_stop: SIGTERM containerd, SIGKILL it after 10s.
ctr_stop() {
  clients_stop_daemon "$CTR_TMP/containerd.pid" 10
}

# ctr against the suite's containerd and namespace
ctrc() {
  timeout -k 10 "${VESSEL_TEST_TIMEOUT:-60}" ctr -a "$CTR_SOCK" -n "$CTR_NS" "$@"
}

# container ids carry the temp dir's suffix: unique per suite run
ctr_id() {
  echo "vt-${CTR_TMP##*.}-$1"
}

# ctr_run OPTIONS... IMAGE ID CMD...: ctr run through $VESSEL_RUNTIME, with
# the runtime state, FIFOs and cgroup in the suite's own places
ctr_run() {
  local args=() a id=
  # the cgroup is named after the container id, the argument after the image
  for a in "$@"; do
    if [[ $a == "$CTR_IMAGE" ]]; then
      id=next
    elif [[ $id == next ]]; then
      id=$a
      break
    fi
  done
  args=(--runc-binary "$VESSEL_RUNTIME" --runc-root "$CTR_TMP/runtime-state"
    --fifo-dir "$CTR_TMP/fifo" --cgroup "$CTR_CGROUP_PARENT/$id")
  ctrc run "${args[@]}" "$@" </dev/null
}

# ctr_exec OPTIONS... ID CMD...: ctr task exec, FIFOs in the suite's dir
ctr_exec() {
  ctrc task exec --fifo-dir "$CTR_TMP/fifo" "$@" </dev/null
}

# the status column of `ctr task ls` for task ID
ctr_task_status() {
  ctrc task ls | awk -v id="$1" '$1 == id { print $3 }'
}

# socket path containerd-shim-runc-v2 1.6 uses for container ID
ctr_shim_socket() {
  local hash
  hash=$(printf '%s' "$CTR_SOCK/$CTR_NS/$1" | sha256sum | cut -d' ' -f1)
  echo "/run/containerd/s/$hash"
}

ctr_cleanup() {
  [[ -n ${CTR_TMP:-} && -d $CTR_TMP ]] || return 0
  # best effort, every step: runs under errexit in the last test
  if [[ -S $CTR_SOCK ]]; then
    teardown || true
    ctrc images rm "$CTR_IMAGE" >/dev/null 2>&1 || true
  fi
  ctr_stop || true
  clients_kill_using "$CTR_TMP" || true
  clients_remove_cgroup "$CTR_CGROUP_PARENT" || true
  if clients_umount_under "$CTR_TMP"; then
    rm -rf "$CTR_TMP" || true
  fi
  if ((!CTR_RUN_DIR_EXISTED)); then
    rmdir /run/containerd/s /run/containerd/fifo /run/containerd/runc 2>/dev/null || true
    rmdir /run/containerd 2>/dev/null || true
  fi
  return 0
}

@test "ctr run prints the container's output" {
  run --separate-stderr ctr_run --rm "$CTR_IMAGE" "$(ctr_id echo)" echo hello
  assert_status 0
  assert_output hello
}

@test "ctr run propagates the exit code of the container process" {
  run ctr_run --rm "$CTR_IMAGE" "$(ctr_id exit)" sh -c 'exit 3'
  assert_status 3
}

@test "ctr run -d, task exec, task kill and cleanup" {
  local id
  id=$(ctr_id detached)
  run ctr_run -d "$CTR_IMAGE" "$id" sh -c \
    'trap "exit 42" TERM; echo marker >/tmp/m; while :; do sleep 0.1; done'
  assert_status 0
  run ctr_task_status "$id"
  assert_output RUNNING

  retry_until 10 ctr_exec --exec-id probe "$id" test -f /tmp/m
  run --separate-stderr ctr_exec --exec-id e1 "$id" cat /tmp/m
  assert_status 0
  assert_output marker
  run ctr_exec --exec-id e2 "$id" sh -c 'exit 5'
  assert_status 5

  # SIGTERM, the default signal, reaches the trap: exit code 42
  run ctrc task kill "$id"
  assert_status 0
  retry_until 10 eval '[[ $(ctr_task_status "$id") == STOPPED ]]'
  run ctrc task delete "$id"
  assert_status 0
  assert_contains "exit code 42"
  run ctrc containers delete "$id"
  assert_status 0

  run ctrc containers ls -q
  assert_not_contains "$id"
  run ls -A "$CTR_TMP/runtime-state/$CTR_NS"
  assert_empty
  [ ! -e "$(ctr_shim_socket "$id")" ]
}

# the counter a container increments in ROOTFS/tmp/count
ctr_counter() {
  local v
  v=$(cat "$1/tmp/count" 2>/dev/null)
  [[ $v =~ ^[0-9]+$ ]] && echo "$v"
}

@test "ctr task pause freezes the container, resume thaws it" {
  local id rootfs c1 c2 c3
  id=$(ctr_id pause)
  run ctr_run -d "$CTR_IMAGE" "$id" sh -c \
    'i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; usleep 20000; done'
  assert_status 0
  # the shim mounts the container's rootfs in its bundle, in our namespace
  rootfs=$CTR_TMP/state/io.containerd.runtime.v2.task/$CTR_NS/$id/rootfs
  retry_until 10 ctr_counter "$rootfs" >/dev/null

  run ctrc task pause "$id"
  assert_status 0
  run ctr_task_status "$id"
  assert_output PAUSED
  c1=$(ctr_counter "$rootfs")
  sleep 0.5
  c2=$(ctr_counter "$rootfs")
  [[ -n $c1 && $c1 == "$c2" ]] || {
    echo "the counter moved while paused: $c1 -> $c2" >&2
    false
  }

  run ctrc task resume "$id"
  assert_status 0
  run ctr_task_status "$id"
  assert_output RUNNING
  retry_until 5 eval 'c3=$(ctr_counter "$rootfs"); (( ${c3:-0} > c2 ))'
  run --separate-stderr ctr_exec --exec-id e1 "$id" echo alive
  assert_status 0
  assert_output alive

  run ctrc task kill -s KILL "$id"
  assert_status 0
  retry_until 10 eval '[[ $(ctr_task_status "$id") == STOPPED ]]'
  run ctrc task delete "$id"
  assert_status 0
  run ctrc containers delete "$id"
  assert_status 0
}

@test "ctr run --memory-limit: exceeding the limit gets the process OOM-killed" {
  # tail buffers its whole input when it sees no newline
  run ctr_run --rm --memory-limit $((256 << 20)) "$CTR_IMAGE" "$(ctr_id mem-ok)" \
    sh -c 'head -c 64m /dev/zero | tail >/dev/null'
  assert_status 0
  run ctr_run --rm --memory-limit $((32 << 20)) "$CTR_IMAGE" "$(ctr_id mem-oom)" \
    sh -c 'head -c 64m /dev/zero | tail >/dev/null'
  assert_status 137
}

@test "containerd: nothing is left on the host after cleanup" {
  # every test removed its containers and tasks
  run --separate-stderr ctrc containers ls -q
  assert_status 0
  assert_empty
  run --separate-stderr ctrc task ls -q
  assert_status 0
  assert_empty
  # the runtime deleted every container's cgroup and state
  run bash -c "find $CGROUP_ROOT/*$CTR_CGROUP_PARENT -mindepth 1 -type d 2>/dev/null"
  assert_empty
  run find "$CTR_TMP/runtime-state" -mindepth 2
  assert_empty
  # no container rootfs is still mounted while containerd runs
  run clients_mounts_under "$CTR_TMP"
  assert_empty

  ctr_cleanup
  run clients_leftovers "$CTR_TMP" "$CTR_CGROUP_PARENT"
  assert_empty
  # the shims are gone and removed their sockets
  local name sock
  for name in echo exit detached pause mem-ok mem-oom; do
    sock=$(ctr_shim_socket "$(ctr_id "$name")")
    [[ ! -e $sock ]] || { echo "leftover shim socket $sock" >&2; false; }
  done
  if ((!CTR_RUN_DIR_EXISTED)); then
    [[ ! -e /run/containerd ]] || { echo "leftover /run/containerd" >&2; ls -R /run/containerd >&2; false; }
  fi
}
