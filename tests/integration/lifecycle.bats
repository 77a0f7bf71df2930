#!/usr/bin/env bats
# Container lifecycle through the command line: create, start, state, kill,
# delete, run, list, ps, pause, resume, and their error cases.

load lib/runtime

setup_file() { vr_suite_setup life; }
teardown() { vr_teardown; }
teardown_file() { vr_suite_teardown; }

# A process that prints the first signal it gets among TERM, USR1, HUP and
# exits 0 (a pid 1 without handlers would ignore them).
TRAPPER='trap "echo got-TERM; exit 0" TERM; trap "echo got-USR1; exit 7" USR1;
  trap "echo got-HUP; exit 0" HUP; echo ready; while :; do sleep 0.05; done'

@test "lifecycle: create, start, kill, delete move through the spec's states" {
  local id pid
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_create "$id"

  run -0 vr state "$id"
  jq -e --arg id "$id" --arg b "$BUNDLE" \
    '.id == $id and .status == "created" and .pid > 0 and .bundle == $b and
     (.ociVersion | type == "string")' <<<"$output"
  pid=$(jq -r .pid <<<"$output")
  kill -0 "$pid"
  # created: the user's program has not been executed yet
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") != "sleep 600 " ]]

  vr start "$id"
  vr_wait_status "$id" running
  vr_expect_eq "$(vr_pid "$id")" "$pid" "pid after start"
  vr_wait_for 100 eval '[[ $(tr "\0" " " </proc/$pid/cmdline) == "sleep 600 " ]]'

  vr kill "$id" KILL
  vr_wait_status "$id" stopped
  ! kill -0 "$pid" 2>/dev/null || [[ $(awk '/^State:/ {print $2}' "/proc/$pid/status") == Z ]]

  vr delete "$id"
  run ! vr state "$id"
  vr_assert_no_trace "$id"
}

# Starts a trapping container and kills it with SIG; asserts it stops.
kill_with() { # SIG
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c "$TRAPPER"
  vr_up "$id"
  vr_wait_for 100 grep -q ready "$BUNDLE/stdout"
  vr kill "$id" "$1"
  vr_wait_status "$id" stopped
  vr delete "$id"
  vr_assert_no_trace "$id"
}

@test "lifecycle: kill by signal name TERM delivers SIGTERM" {
  kill_with TERM
  grep -q got-TERM "$BUNDLE/stdout"
}

@test "lifecycle: kill with no signal sends SIGTERM" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c "$TRAPPER"
  vr_up "$id"
  vr_wait_for 100 grep -q ready "$BUNDLE/stdout"
  vr kill "$id"
  vr_wait_status "$id" stopped
  grep -q got-TERM "$BUNDLE/stdout"
}

@test "lifecycle: kill by number 9" {
  kill_with 9
  [[ $(cat "$BUNDLE/stdout") != *got-* ]]
}

@test "lifecycle: kill by name KILL" {
  kill_with KILL
}

@test "lifecycle: kill by name SIGKILL" {
  kill_with SIGKILL
}

@test "lifecycle: kill SIGHUP by full name reaches the process" {
  kill_with SIGHUP
  grep -q got-HUP "$BUNDLE/stdout"
}

@test "lifecycle: kill with an unknown signal fails and the container keeps running" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  run ! vr kill "$id" SIGNOPE
  run ! vr kill "$id" 99999
  vr_expect_eq "$(vr_status "$id")" running
}

@test "lifecycle: run propagates exit code 0" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . true
  run -0 vr_run "$id"
  run ! vr state "$id"
  vr_assert_no_trace "$id"
}

@test "lifecycle: run propagates exit code 3" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'exit 3'
  run -3 vr_run "$id"
  vr_assert_no_trace "$id"
}

@test "lifecycle: run reports a process killed by SIGKILL as 137" {
  local id
  id=$(vr_new_id)
  # outside a pid namespace: the kernel ignores a pid 1 signalling itself
  vr_bundle "$id" '.linux.namespaces |= map(select(.type != "pid"))' sh -c 'kill -9 $$'
  run -137 vr_run "$id"
  vr_assert_no_trace "$id"
}

@test "lifecycle: run reports an init killed from outside by SIGKILL as 137" {
  local id pid rpid
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'echo ready; exec sleep 600'
  # the binary itself in the background, not a subshell running it
  "$VESSEL_RUNTIME" --root "$VR_ROOT" run --bundle "$BUNDLE" "$id" </dev/null >"$BUNDLE/stdout" 2>&1 &
  rpid=$!
  vr_track_pid "$rpid"
  vr_wait_for 100 grep -q ready "$BUNDLE/stdout"
  pid=$(vr_pid "$id")
  kill -9 "$pid"
  local rc=0
  wait "$rpid" || rc=$?
  vr_expect_eq "$rc" 137 "exit status"
  vr_assert_no_trace "$id"
}

@test "lifecycle: run --detach returns while the container runs" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'echo detached-out; exec sleep 600'
  timeout 20 "$VESSEL_RUNTIME" --root "$VR_ROOT" run --detach --bundle "$BUNDLE" "$id" \
    </dev/null >"$BUNDLE/stdout" 2>"$BUNDLE/stderr"
  vr_expect_eq "$(vr_status "$id")" running
  vr_wait_for 100 grep -q detached-out "$BUNDLE/stdout"
  run ! vr delete "$id"
  vr delete --force "$id"
  vr_assert_no_trace "$id"
}

@test "lifecycle: --pid-file holds the container's pid (create and run -d)" {
  local id id2
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_create "$id" --pid-file "$VR_TMP/$id.pid"
  [[ $(cat "$VR_TMP/$id.pid") =~ ^[0-9]+$ ]]
  vr_expect_eq "$(cat "$VR_TMP/$id.pid")" "$(vr_pid "$id")" "pid file"

  id2=$(vr_new_id)
  vr_bundle "$id2" . sleep 600
  vr run -d --pid-file "$VR_TMP/$id2.pid" --bundle "$BUNDLE" "$id2" \
    </dev/null >/dev/null 2>"$BUNDLE/stderr"
  vr_expect_eq "$(cat "$VR_TMP/$id2.pid")" "$(vr_pid "$id2")" "pid file"
  rm -f "$VR_TMP/$id.pid" "$VR_TMP/$id2.pid"
}

@test "lifecycle: list shows a table, -q the ids, --format json the states" {
  local a b pa
  a=$(vr_new_id)
  vr_bundle "$a" . sleep 600
  vr_up "$a"
  local bundle_a=$BUNDLE
  b=$(vr_new_id)
  vr_bundle "$b" . sleep 600
  vr_create "$b"
  pa=$(vr_pid "$a")

  run -0 vr list
  [[ ${lines[0]} == *ID*PID*STATUS*BUNDLE* ]]
  grep -Eq "^$a +$pa +running +$bundle_a " <<<"$output"
  grep -Eq "^$b +[0-9]+ +created +$BUNDLE " <<<"$output"

  run -0 vr list -q
  vr_expect_eq "$(sort <<<"$output")" "$(printf '%s\n' "$a" "$b" | sort)" "list -q"

  run -0 vr list --format json
  jq -e --arg a "$a" --arg b "$b" --argjson pa "$pa" --arg ba "$bundle_a" '
    length == 2 and
    (map(select(.id == $a))[0] | .status == "running" and .pid == $pa and .bundle == $ba) and
    (map(select(.id == $b))[0] | .status == "created")' <<<"$output"
}

@test "lifecycle: ps and ps --format json list the container's processes" {
  local id pid child
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'sleep 601 & exec sleep 600'
  vr_up "$id"
  pid=$(vr_pid "$id")
  # wait for the exec and the child
  vr_wait_for 100 eval '[[ $(vr ps --format json "$id" | jq length) == 2 ]]'

  run -0 vr ps --format json "$id"
  jq -e --argjson p "$pid" 'length == 2 and index($p) != null' <<<"$output"
  child=$(jq --argjson p "$pid" 'map(select(. != $p))[0]' <<<"$output")
  [[ $(tr '\0' ' ' <"/proc/$child/cmdline") == "sleep 601 " ]]

  run -0 vr ps "$id"
  [[ ${lines[0]} == *PID* ]]
  grep -Eq "^[^ ]+ +$pid " <<<"$output"
  grep -Eq "^[^ ]+ +$child " <<<"$output"
}

@test "lifecycle: pause stops progress and resume restarts it" {
  local id a b
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'while :; do echo x >>/tmp/tick; sleep 0.02; done'
  vr_up "$id"
  local tick=$BUNDLE/rootfs/tmp/tick
  vr_wait_for 100 test -s "$tick"

  vr pause "$id"
  vr_expect_eq "$(vr_status "$id")" paused
  a=$(stat -c %s "$tick")
  sleep 0.3
  b=$(stat -c %s "$tick")
  vr_expect_eq "$b" "$a" "bytes written while paused"
  # pausing twice is an error or a no-op, never a state change
  vr pause "$id" 2>/dev/null || true
  vr_expect_eq "$(vr_status "$id")" paused

  vr resume "$id"
  vr_expect_eq "$(vr_status "$id")" running
  vr_wait_for 100 eval '(($(stat -c %s "$tick") > b))'
}

@test "lifecycle: resume of a running container fails" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  run ! vr resume "$id"
  vr_expect_eq "$(vr_status "$id")" running
}

@test "lifecycle: delete of a running container needs --force" {
  local id pid
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  pid=$(vr_pid "$id")
  run ! vr delete "$id"
  vr_expect_eq "$(vr_status "$id")" running
  kill -0 "$pid"
  vr delete --force "$id"
  run ! vr state "$id"
  vr_wait_for 100 eval '! kill -0 $pid 2>/dev/null'
  vr_assert_no_trace "$id"
}

@test "lifecycle: delete --force of a paused container" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  vr pause "$id"
  vr delete -f "$id"
  vr_assert_no_trace "$id"
}

@test "lifecycle: delete of a created container removes it and its process" {
  local id pid
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_create "$id"
  pid=$(vr_pid "$id")
  vr delete -f "$id"
  vr_wait_for 100 eval '! kill -0 $pid 2>/dev/null'
  vr_assert_no_trace "$id"
}

@test "lifecycle: kill --all signals every process of the container" {
  local id pids p
  id=$(vr_new_id)
  # without a pid namespace killing init alone would leave the children
  vr_bundle "$id" '.linux.namespaces |= map(select(.type != "pid"))' \
    sh -c 'sleep 601 & sleep 602 & exec sleep 600'
  vr_up "$id"
  vr_wait_for 100 eval '[[ $(vr ps --format json "$id" | jq length) == 3 ]]'
  pids=$(vr ps --format json "$id" | jq -r '.[]')
  vr kill --all "$id" KILL
  vr_wait_status "$id" stopped
  for p in $pids; do
    vr_wait_for 100 eval '! kill -0 $p 2>/dev/null || [[ $(awk "/^State:/ {print \$2}" /proc/$p/status) == Z ]]' ||
      { echo "pid $p survived kill --all" >&2; return 1; }
  done
}

@test "lifecycle: start twice fails, start of a stopped container fails" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'echo started; exec sleep 600'
  vr_up "$id"
  run ! vr start "$id"
  vr_expect_eq "$(vr_status "$id")" running
  vr kill "$id" KILL
  vr_wait_status "$id" stopped
  run ! vr start "$id"
  vr_expect_eq "$(grep -c started "$BUNDLE/stdout")" 1 "times started"
}

@test "lifecycle: create with an existing id fails and leaves the first container alone" {
  local id pid
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_create "$id"
  pid=$(vr_pid "$id")
  run ! vr create --bundle "$BUNDLE" "$id" </dev/null
  run -0 vr state "$id"
  jq -e --argjson p "$pid" '.status == "created" and .pid == $p' <<<"$output"
  kill -0 "$pid"
}

@test "lifecycle: run of a missing binary fails with a not-found error" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . /bin/nonexistent-binary
  run vr_run "$id"
  ((status != 0))
  [[ ${output,,} == *"no such file"* || ${output,,} == *"not found"* ]]
  [[ $output == *nonexistent-binary* ]]
  vr_assert_no_trace "$id"
}

@test "lifecycle: foreground run passes stdin through" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'read line; echo "got:$line"; cat'
  run -0 bash -c 'printf "first\nsecond\n" | "$VESSEL_RUNTIME" --root "$VR_ROOT" run --bundle "$1" "$2"' \
    _ "$BUNDLE" "$id"
  vr_expect_eq "$output" $'got:first\nsecond' "output"
}

@test "lifecycle: foreground run forwards signals to the container" {
  local id rpid
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c "$TRAPPER"
  # the binary itself in the background, not a subshell running it
  "$VESSEL_RUNTIME" --root "$VR_ROOT" run --bundle "$BUNDLE" "$id" </dev/null >"$BUNDLE/stdout" 2>&1 &
  rpid=$!
  vr_track_pid "$rpid"
  vr_wait_for 100 grep -q ready "$BUNDLE/stdout"
  kill -USR1 "$rpid"
  local rc=0
  wait "$rpid" || rc=$?
  vr_expect_eq "$rc" 7 "exit status"
  grep -q got-USR1 "$BUNDLE/stdout"
  vr_assert_no_trace "$id"
}

@test "lifecycle: state of a stopped container keeps the id and status" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . true
  vr_create "$id"
  vr start "$id"
  vr_wait_status "$id" stopped
  run -0 vr state "$id"
  jq -e --arg id "$id" '.id == $id and .status == "stopped"' <<<"$output"
  vr delete "$id"
  vr_assert_no_trace "$id"
}

@test "lifecycle: nothing is left behind" {
  vr_assert_clean
}
