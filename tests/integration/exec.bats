#!/usr/bin/env bats
# `exec`: a new process inside a running container, with its options.

load lib/runtime

setup_file() {
  vr_suite_setup exec
  # one long-lived container serves the tests that only read from it
  SHARED=$(vr_new_id shared)
  vr_bundle "$SHARED" '.hostname = "exec-host" | .process.env += ["FROM_SPEC=spec-value"]' \
    sleep 600
  vr_up "$SHARED"
  # per-test teardown must leave it running: take it off the per-test list
  : >"$VR_TMP/ids"
  export SHARED
}
teardown() { vr_teardown; }
teardown_file() { vr_suite_teardown; }

# The hex CapEff of a process in the shared container, as a number.
cap_bit() { # HEXMASK BIT
  echo $(((16#$1 >> $2) & 1))
}

@test "exec: runs in the container's namespaces, pid 1 is the container's init" {
  run -0 vr exec "$SHARED" ps -o pid,args
  grep -Eq '^ *1 +sleep 600$' <<<"$output" || { echo "$output" >&2; return 1; }
  run -0 vr exec "$SHARED" hostname
  vr_expect_eq "$output" exec-host hostname
}

@test "exec: joins every namespace and the cgroup of the init process" {
  local pid ns
  pid=$(vr_pid "$SHARED")
  for ns in pid mnt net uts ipc; do
    run -0 vr exec "$SHARED" readlink "/proc/self/ns/$ns"
    vr_expect_eq "$output" "$(readlink "/proc/$pid/ns/$ns")" "$ns namespace"
  done
  # seen from the container (its cgroup namespace, if it has one): the exec'd
  # process is where the init is
  run -0 vr exec "$SHARED" sh -c 'grep -E ":(memory|pids):" /proc/self/cgroup; echo --; grep -E ":(memory|pids):" /proc/1/cgroup'
  vr_expect_eq "${output%%--*}" "$(sed -n '/--/,$p' <<<"$output" | tail -n +2)"$'\n' cgroups
}

@test "exec: passes arguments through unchanged" {
  run -0 vr exec "$SHARED" sh -c 'printf "[%s]" "$@"' _ a 'b c' '' '--flag' '$HOME'
  vr_expect_eq "$output" '[a][b c][][--flag][$HOME]' arguments
}

@test "exec: the exit code of the process is propagated" {
  run -42 vr exec "$SHARED" sh -c 'exit 42'
  run -0 vr exec "$SHARED" true
  run -1 vr exec "$SHARED" false
}

@test "exec: a process killed by a signal reports 128+signal" {
  run -137 vr exec "$SHARED" sh -c 'kill -9 $$'
}

@test "exec: the spec's environment is inherited and --env adds or overrides" {
  run -0 vr exec "$SHARED" sh -c 'echo "$FROM_SPEC"'
  vr_expect_eq "$output" spec-value "inherited env"
  run -0 vr exec --env FOO=bar --env FROM_SPEC=over "$SHARED" sh -c 'echo "$FOO $FROM_SPEC"'
  vr_expect_eq "$output" "bar over" "--env"
}

@test "exec: --cwd sets the working directory" {
  run -0 vr exec --cwd /tmp "$SHARED" pwd
  vr_expect_eq "$output" /tmp cwd
}

@test "exec: --user 1000:1000 runs as that user and group" {
  run -0 vr exec --user 1000:1000 "$SHARED" id -u
  vr_expect_eq "$output" 1000 uid
  run -0 vr exec --user 1000:1000 "$SHARED" id -g
  vr_expect_eq "$output" 1000 gid
  # no supplementary group of the runtime leaks in
  run -0 vr exec --user 1000:1000 "$SHARED" cat /proc/self/status
  local groups
  groups=$(awk '/^Groups:/ { $1 = ""; print }' <<<"$output")
  [[ $groups != *" 0"* ]] || { echo "Groups:$groups" >&2; return 1; }
}

@test "exec: --process FILE runs the process it describes" {
  local pf=$VR_TMP/process.json
  jq -n '{terminal: false, args: ["sh", "-c", "echo from-file $PF_VAR; id -u; pwd"],
    env: ["PATH=/bin", "PF_VAR=pf-value"], cwd: "/home/user",
    user: {uid: 1000, gid: 1000}}' >"$pf"
  run -0 vr exec --process "$pf" "$SHARED"
  vr_expect_eq "$output" $'from-file pf-value\n1000\n/home/user' output
}

@test "exec: --detach --pid-file leaves the process running in the container" {
  local pf=$VR_TMP/exec.pid pid
  rm -f "$pf"
  vr exec --detach --pid-file "$pf" "$SHARED" sleep 601 </dev/null >/dev/null 2>&1
  pid=$(cat "$pf")
  [[ $pid =~ ^[0-9]+$ ]]
  vr_wait_for 100 eval '[[ $(tr "\0" " " </proc/$pid/cmdline) == "sleep 601 " ]]'
  vr_expect_eq "$(grep ':memory:' "/proc/$pid/cgroup")" \
    "$(grep ':memory:' "/proc/$(vr_pid "$SHARED")/cgroup")" "cgroup"
  run -0 vr ps --format json "$SHARED"
  jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
  kill -9 "$pid"
}

@test "exec: --cap adds a capability that the spec does not grant" {
  local eff
  run -0 vr exec "$SHARED" awk '/^CapEff:/ { print $2 }' /proc/self/status
  eff=$output
  vr_expect_eq "$(cap_bit "$eff" 12)" 0 "CAP_NET_ADMIN without --cap"
  vr_expect_eq "$(cap_bit "$eff" 5)" 1 "CAP_KILL from the spec"
  run -0 vr exec --cap CAP_NET_ADMIN "$SHARED" awk '/^CapEff:/ { print $2 }' /proc/self/status
  vr_expect_eq "$(cap_bit "$output" 12)" 1 "CAP_NET_ADMIN with --cap"
  vr_expect_eq "$(cap_bit "$output" 5)" 1 "CAP_KILL with --cap"
  # the container's own init did not gain it
  vr_expect_eq "$(awk '/^CapEff:/ { print $2 }' "/proc/$(vr_pid "$SHARED")/status")" "$eff" \
    "init's CapEff"
}

@test "exec: inherits noNewPrivileges from the spec" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.process.noNewPrivileges = true' sleep 600
  vr_up "$id"
  run -0 vr exec "$id" awk '/^NoNewPrivs:/ { print $2 }' /proc/self/status
  vr_expect_eq "$output" 1 NoNewPrivs
}

@test "exec: into a stopped container fails" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . true
  vr_create "$id"
  vr start "$id"
  vr_wait_status "$id" stopped
  run vr exec "$id" true
  ((status != 0))
}

@test "exec: into a missing container fails" {
  run vr exec "$VR_PREFIX-nosuch" true
  ((status != 0))
}

@test "exec: of a missing binary fails with a not-found error" {
  run vr exec "$SHARED" /bin/no-such-binary
  ((status != 0))
  [[ ${output,,} == *"no such file"* || ${output,,} == *"not found"* ]]
  vr_expect_eq "$(vr_status "$SHARED")" running
}

@test "exec: the shared container is still running and deletes cleanly" {
  vr_expect_eq "$(vr_status "$SHARED")" running
  echo "$SHARED" >>"$VR_TMP/ids"
  vr delete -f "$SHARED"
  vr_assert_no_trace "$SHARED"
}

@test "exec: nothing is left behind" {
  vr_assert_clean
}
