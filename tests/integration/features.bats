#!/usr/bin/env bats
# vessel-runtime beyond the basic lifecycle: a terminal kept by a foreground
# run, run --keep, the seccomp agent (listenerPath), tmpcopyup, scheduling
# attributes, and cleanup after a create killed halfway.
load lib/runtime

setup_file() { vr_suite_setup feat; }
teardown() { vr_teardown; }
teardown_file() { vr_suite_teardown; }

@test "features: foreground run with terminal: true gives the process a tty and its exit code" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.process.terminal = true' sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys; exit 4'
  # script(1) gives the runtime a terminal of its own, as a person's shell
  # would; SHELL is pinned because script runs the command with it
  run env SHELL=/bin/sh script -qec "$VESSEL_RUNTIME --root $VR_ROOT run --bundle $BUNDLE $id" /dev/null </dev/null
  ((status == 4)) || { echo "status $status: $output" >&2; return 1; }
  [[ $output == *"/dev/pts/0"* && $output == *both-ttys* ]] || { echo "$output" >&2; return 1; }
  run ! vr state "$id"
}

@test "features: exec --tty in the foreground relays a terminal and the exit code" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  # --foreground: in a process group of its own (timeout's default) the
  # runtime would be a background job of the terminal and stop on SIGTTOU
  run env SHELL=/bin/sh script -qec "timeout --foreground 30 $VESSEL_RUNTIME --root $VR_ROOT exec --tty $id sh -c 'tty; exit 6'" /dev/null </dev/null
  ((status == 6)) || { echo "status $status: $output" >&2; return 1; }
  [[ $output == *"/dev/pts/"* ]] || { echo "$output" >&2; return 1; }
}

@test "features: create with terminal: true and no --console-socket is refused and leaves nothing" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.process.terminal = true' true
  run ! vr create --bundle "$BUNDLE" "$id"
  [[ $output == *console-socket* ]] || { echo "$output" >&2; return 1; }
  vr_assert_no_trace "$id"
}

@test "features: run --keep leaves the stopped container for state and delete" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'exit 5'
  run vr_run "$id" --keep
  ((status == 5))
  vr_expect_eq "$(vr_state_field "$id" .status)" stopped status
  vr delete "$id"
  run ! vr state "$id"
}

@test "features: the seccomp agent at listenerPath gets the notify fd and the container state" {
  local id sock out
  id=$(vr_new_id)
  sock=$VR_TMP/agent.sock
  out=$VR_TMP/agent.out
  python3 - "$sock" "$out" <<'PY' &
import array, json, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1); s.settimeout(20)
c, _ = s.accept()
msg, anc, _, _ = c.recvmsg(65536, socket.CMSG_SPACE(4))
fds = array.array('i')
for level, kind, data in anc:
    fds.frombytes(data[:4])
st = json.loads(msg)
with open(out, "w") as f:
    f.write("%d %s %s %s %d\n" % (len(fds), st["fds"][0], st["metadata"], st["state"]["id"], st["pid"]))
os.close(fds[0])  # no answer: the notified syscall fails with ENOSYS
PY
  local agent=$!
  vr_wait_for 100 test -S "$sock"
  vr_bundle "$id" . sh -c 'mkdir /tmp/x 2>&1; echo rc=$?'
  vr_config --arg sock "$sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
      "listenerPath": $sock, "listenerMetadata": "meta-1",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
  run -0 vr_run "$id"
  [[ $output == *"Function not implemented"* && $output == *rc=1* ]] || { echo "$output" >&2; return 1; }
  wait "$agent"
  read -r n fdname meta cid pid <"$out"
  vr_expect_eq "$n $fdname $meta $cid" "1 seccompFd meta-1 $id" "agent message"
  ((pid > 1))
}

@test "features: tmpcopyup fills a tmpfs with what the image had there" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
      "options": ["tmpcopyup", "mode=755"]}]' sh -c 'cat /data/sub/f; readlink /data/link; echo new >/data/n && cat /data/n'
  mkdir -p "$BUNDLE/rootfs/data/sub"
  echo from-image >"$BUNDLE/rootfs/data/sub/f"
  ln -s /etc/passwd "$BUNDLE/rootfs/data/link"
  run -0 vr_run "$id"
  vr_expect_eq "$output" $'from-image\n/etc/passwd\nnew' "tmpfs content"
  # the image itself is untouched
  [[ ! -e $BUNDLE/rootfs/data/n ]]
}

@test "features: ioPriority, scheduler and execCPUAffinity reach the process" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
      | .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}
      | .process.execCPUAffinity = {"initial": "0"}' \
    sh -c 'grep Cpus_allowed_list /proc/self/status; grep "^policy" /proc/self/sched; cut -d" " -f19 /proc/self/stat'
  run -0 vr_run "$id"
  [[ ${lines[0]} == *$'\t0' ]] || { echo "$output" >&2; return 1; }
  [[ ${lines[1]} =~ :\ +3$ ]] || { echo "$output" >&2; return 1; } # SCHED_BATCH
  vr_expect_eq "${lines[2]}" 7 nice
}

@test "features: delete --force cleans up after a create killed halfway" {
  local id i cg
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  # kill create at different points until one leaves a half-made container
  for i in 1 2 3 4 5 6 7 8; do
    # the binary itself in the background (a function would run in a subshell
    # that the kill would hit instead)
    "$VESSEL_RUNTIME" --root "$VR_ROOT" create --bundle "$BUNDLE" "$id" >/dev/null 2>&1 &
    sleep "0.00$i"
    kill -9 $! 2>/dev/null || true
    wait $! 2>/dev/null || true
    vr delete --force "$id"
    run ! vr state "$id"
    for cg in "$VR_CGROUP_ROOT"/*/"$id"; do
      [[ ! -d $cg ]] || { echo "left $cg after kill at step $i" >&2; return 1; }
    done
  done
}

@test "features: the container's init is single-threaded while it waits for start" {
  local id pid
  id=$(vr_new_id)
  vr_bundle "$id" . true
  vr_create "$id"
  pid=$(vr_pid "$id")
  vr_expect_eq "$(ls "/proc/$pid/task" | wc -l)" 1 "threads of the init"
  vr_expect_eq "$(vr_state_field "$id" .status)" created status
}

@test "features: an idmapped bind mount shows the files under the mapped ids" {
  local id src
  id=$(vr_new_id)
  src=$VR_TMP/idmap-src
  mkdir -p "$src"
  echo data >"$src/f"
  chown 0:0 "$src/f"
  vr_bundle "$id" . sh -c 'stat -c "%u:%g" /idm/f; stat -c "%u:%g" /idr/f'
  vr_config --arg src "$src" '.mounts += [
      {"destination": "/idm", "type": "bind", "source": $src, "options": ["bind", "idmap"],
       "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
       "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}]},
      {"destination": "/idr", "type": "bind", "source": $src, "options": ["rbind"]}]'
  run -0 vr_run "$id"
  vr_expect_eq "$output" $'1000:2000\n0:0' "owners through the idmapped mount and a plain one"
  # the files on disk keep their owner
  vr_expect_eq "$(stat -c %u:%g "$src/f")" 0:0 "owner on disk"
  vr_expect_eq "$(vr features | jq -r .linux.mountExtensions.idmap.enabled)" true features
}

@test "features: join a time namespace by path" {
  local a b pid
  a=$(vr_new_id)
  vr_bundle "$a" '.linux.namespaces += [{"type": "time"}]' sleep 600
  vr_up "$a"
  pid=$(vr_pid "$a")
  b=$(vr_new_id)
  vr_bundle "$b" . readlink /proc/self/ns/time
  vr_config --arg p "/proc/$pid/ns/time" '.linux.namespaces += [{"type": "time", "path": $p}]'
  run -0 vr_run "$b"
  vr_expect_eq "$output" "$(readlink "/proc/$pid/ns/time")" "time namespace"
  [[ $output != "$(readlink /proc/self/ns/time)" ]]
}

@test "features: compiled seccomp filters are reused, never for another profile" {
  local id i n before
  before=$(ls "$VR_ROOT/.seccomp-cache" 2>/dev/null | wc -l)
  for i in 1 2; do
    id=$(vr_new_id)
    vr_bundle "$id" . sh -c 'mkdir /tmp/x 2>&1; echo rc=$?'
    vr_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
    run -0 vr_run "$id"
    [[ $output == *"Operation not permitted"* ]] || { echo "run $i: $output" >&2; return 1; }
  done
  n=$(ls "$VR_ROOT/.seccomp-cache" | wc -l)
  ((n == before + 1)) || { echo "cache files: $n, before: $before" >&2; return 1; }
  # another errno is another profile: a new program, not the cached one
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'mkdir /tmp/x 2>&1; echo rc=$?'
  vr_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
  run -0 vr_run "$id"
  [[ $output == *"Permission denied"* ]] || { echo "$output" >&2; return 1; }
  vr_expect_eq "$(ls "$VR_ROOT/.seccomp-cache" | wc -l)" $((before + 2)) "cache files"
}

@test "features: nothing is left behind" {
  vr_assert_clean
}
