#!/usr/bin/env bats
# cgroups (v1 controllers of this hybrid host): placement by cgroupsPath,
# limits written and enforced, `update`, device rules.

load lib/runtime

setup_file() {
  vr_suite_setup cg
  [[ -f $VR_CGROUP_ROOT/memory/cgroup.procs && -f $VR_CGROUP_ROOT/pids/cgroup.procs ]] ||
    skip "needs the v1 memory and pids controllers"
}
teardown() { vr_teardown; }
teardown_file() { vr_suite_teardown; }

# Runs FUSE_OPEN in a container with FILTER; output in $output.
run_dev() { # FILTER
  local id
  id=$(vr_new_id)
  vr_bundle "$id" "$1" sh -c "$FUSE_OPEN"
  run vr_run "$id"
}

# The container's cgroup directory in controller CTRL.
cg() { # CTRL ID
  echo "$VR_CGROUP_ROOT/$1/$2"
}

@test "cgroups: cgroupsPath places the container and is removed on delete" {
  local id pid parent ctrl
  id=$(vr_new_id)
  parent=/$VR_PREFIX-parent
  vr_track_cgroup "$parent"
  vr_bundle "$id" ".linux.cgroupsPath = \"$parent/$id\"" sleep 600
  vr_up "$id"
  pid=$(vr_pid "$id")
  for ctrl in memory pids cpu devices freezer; do
    [[ -d $VR_CGROUP_ROOT/$ctrl$parent/$id ]] || { echo "no $ctrl cgroup" >&2; return 1; }
    grep -qx "$pid" "$VR_CGROUP_ROOT/$ctrl$parent/$id/cgroup.procs" ||
      { echo "pid $pid not in the $ctrl cgroup" >&2; return 1; }
  done
  grep -q ":memory:$parent/$id\$" "/proc/$pid/cgroup"
  vr delete -f "$id"
  for ctrl in memory pids cpu devices freezer; do
    [[ ! -d $VR_CGROUP_ROOT/$ctrl$parent/$id ]] || { echo "$ctrl cgroup left" >&2; return 1; }
  done
}

@test "cgroups: a process exec'd into the container joins its cgroups" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  # from the host: the exec'd process sits in the container's cgroups
  # stdio to /dev/null: the detached process must not hold the test's pipe
  vr exec --detach --pid-file "$VR_TMP/exec.pid" "$id" sleep 30 </dev/null >/dev/null 2>&1
  local xpid
  xpid=$(cat "$VR_TMP/exec.pid")
  grep -q ":memory:/$id\$" "/proc/$xpid/cgroup"
  grep -q ":pids:/$id\$" "/proc/$xpid/cgroup"
}

@test "cgroups: the memory limit is written and enforced" {
  local id
  id=$(vr_new_id)
  # ulimit -v is a safety net: a broken limit ends in ENOMEM, not a host OOM
  vr_bundle "$id" '.linux.resources.memory = {limit: 33554432}' \
    sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null; echo started >/tmp/started;
      ulimit -v 400000; tail /dev/zero; echo "rc=$?"'
  vr_create "$id"
  vr_expect_eq "$(cat "$(cg memory "$id")/memory.limit_in_bytes")" 33554432 memory.limit_in_bytes
  vr start "$id"
  vr_wait_status "$id" stopped 400
  [[ $(cat "$BUNDLE/stdout") == *rc=137* ]] || { cat "$BUNDLE/stdout" "$BUNDLE/stderr" >&2; return 1; }
}

@test "cgroups: the pids limit is written and enforced" {
  local id
  id=$(vr_new_id)
  # a failed fork ends the forking shell; its sleeps stay in the cgroup
  vr_bundle "$id" '.linux.resources.pids = {limit: 10}' \
    sh -c 'sh -c "i=0; while [ \$i -lt 20 ]; do sleep 30 & i=\$((i + 1)); done" 2>/tmp/err;
      echo ready; exec sleep 600'
  vr_create "$id"
  vr_expect_eq "$(cat "$(cg pids "$id")/pids.max")" 10 pids.max
  vr start "$id"
  vr_wait_for 200 grep -q ready "$BUNDLE/stdout"
  local current
  current=$(cat "$(cg pids "$id")/pids.current")
  ((current <= 10 && current >= 5)) || { echo "pids.current $current" >&2; return 1; }
  grep -qi "fork" "$BUNDLE/rootfs/tmp/err" || { cat "$BUNDLE/rootfs/tmp/err" >&2; return 1; }
}

@test "cgroups: update --pids-limit changes pids.max and is enforced" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.linux.resources.pids = {limit: 100}' sleep 600
  vr_up "$id"
  vr_expect_eq "$(cat "$(cg pids "$id")/pids.max")" 100 "pids.max before"
  vr update --pids-limit 10 "$id"
  vr_expect_eq "$(cat "$(cg pids "$id")/pids.max")" 10 "pids.max after"
  # the sleeps must not hold the output pipe of `run`
  run vr exec "$id" sh -c 'i=0; while [ $i -lt 20 ]; do sleep 30 </dev/null >/dev/null 2>&1 & i=$((i + 1)); done; echo end'
  [[ $output == *"can't fork"* || $output == *"Resource temporarily unavailable"* ]] ||
    { echo "$output" >&2; return 1; }
}

@test "cgroups: update --resources FILE changes memory, pids and cpu" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.linux.resources.memory = {limit: 268435456} | .linux.resources.pids = {limit: 100}' \
    sleep 600
  vr_up "$id"
  jq -n '{memory: {limit: 134217728}, pids: {limit: 50}, cpu: {shares: 256}}' >"$VR_TMP/res.json"
  vr update --resources "$VR_TMP/res.json" "$id"
  vr_expect_eq "$(cat "$(cg memory "$id")/memory.limit_in_bytes")" 134217728 memory.limit_in_bytes
  vr_expect_eq "$(cat "$(cg pids "$id")/pids.max")" 50 pids.max
  vr_expect_eq "$(cat "$(cg cpu "$id")/cpu.shares")" 256 cpu.shares
}

@test "cgroups: update --resources - reads the resources from stdin" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.linux.resources.pids = {limit: 100}' sleep 600
  vr_up "$id"
  echo '{"pids": {"limit": 42}, "memory": {"limit": 100663296}}' | vr update --resources - "$id"
  vr_expect_eq "$(cat "$(cg pids "$id")/pids.max")" 42 pids.max
  vr_expect_eq "$(cat "$(cg memory "$id")/memory.limit_in_bytes")" 100663296 memory.limit_in_bytes
}

@test "cgroups: update with flags changes memory and cpu" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  vr update --memory 67108864 --cpu-share 300 --cpu-quota 20000 --cpu-period 100000 "$id"
  vr_expect_eq "$(cat "$(cg memory "$id")/memory.limit_in_bytes")" 67108864 memory.limit_in_bytes
  vr_expect_eq "$(cat "$(cg cpu "$id")/cpu.shares")" 300 cpu.shares
  vr_expect_eq "$(cat "$(cg cpu "$id")/cpu.cfs_quota_us")" 20000 cpu.cfs_quota_us
  vr_expect_eq "$(cat "$(cg cpu "$id")/cpu.cfs_period_us")" 100000 cpu.cfs_period_us
}

@test "cgroups: update of a missing container fails" {
  run vr update --pids-limit 10 "$VR_PREFIX-nosuch"
  ((status != 0))
}

@test "cgroups: cpu shares, quota and period are written" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.linux.resources.cpu = {shares: 512, quota: 50000, period: 200000}' sleep 600
  vr_up "$id"
  vr_expect_eq "$(cat "$(cg cpu "$id")/cpu.shares")" 512 cpu.shares
  vr_expect_eq "$(cat "$(cg cpu "$id")/cpu.cfs_quota_us")" 50000 cpu.cfs_quota_us
  vr_expect_eq "$(cat "$(cg cpu "$id")/cpu.cfs_period_us")" 200000 cpu.cfs_period_us
}

# /dev/fuse (10:229) opens for anyone and is not among the default devices.
FUSE_DEV='.linux.devices = [{path: "/dev/vt-fuse", type: "c", major: 10, minor: 229, fileMode: 438}]'
FUSE_OPEN='( exec 3</dev/vt-fuse ) && echo opened-r; ( exec 3>/dev/vt-fuse ) && echo opened-w;
  head -c 1 /dev/zero | wc -c'

@test "cgroups: a device no rule allows cannot be opened" {
  run_dev "$FUSE_DEV"
  [[ $output != *opened-* ]] || { echo "$output" >&2; return 1; }
  [[ $output == *"Operation not permitted"* ]]
  # the runtime's default devices stay usable
  vr_expect_eq "${lines[-1]}" 1 "bytes read from /dev/zero"
}

@test "cgroups: device rules allow exactly the access they list" {
  run_dev "$FUSE_DEV | .linux.resources.devices += [{allow: true, type: \"c\", major: 10,
    minor: 229, access: \"r\"}]"
  [[ $output == *opened-r* && $output != *opened-w* ]] || { echo "$output" >&2; return 1; }
  run_dev "$FUSE_DEV | .linux.resources.devices += [{allow: true, type: \"c\", major: 10,
    minor: 229, access: \"rwm\"}]"
  [[ $output == *opened-r* && $output == *opened-w* ]] || { echo "$output" >&2; return 1; }
}

@test "cgroups: the devices cgroup denies everything not listed" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  local list
  list=$(cat "$(cg devices "$id")/devices.list")
  [[ $list != *"a *:* rwm"* ]] || { echo "devices.list allows all: $list" >&2; return 1; }
  grep -q '^c 1:3 rwm$' <<<"$list"
}

@test "cgroups: a freezer cgroup freezes on pause" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  vr pause "$id"
  vr_expect_eq "$(cat "$(cg freezer "$id")/freezer.state")" FROZEN freezer.state
  vr resume "$id"
  vr_expect_eq "$(cat "$(cg freezer "$id")/freezer.state")" THAWED freezer.state
}

@test "cgroups: nothing is left behind" {
  vr_assert_clean
}
