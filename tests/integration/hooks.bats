#!/usr/bin/env bats
# OCI hooks: when each kind runs, in which order, what it is given on stdin,
# in argv and in its environment, and what a failing or hung hook does.

load lib/runtime

setup_file() { vr_suite_setup hook; }
teardown() { vr_teardown; }
teardown_file() { vr_suite_teardown; }

# The hook: appends its name to DIR/order and keeps its stdin, argv and env.
HOOK_SCRIPT='#!/bin/sh
name=$1
dir=$2
echo "$name" >>"$dir/order"
cat >"$dir/$name.json"
printf "%s\n" "$0" "$@" >"$dir/$name.args"
env >"$dir/$name.env"
'

# Makes a bundle for ID whose six hook kinds all log into $LOG (on the host;
# bind-mounted at /hooklog for startContainer, which runs in the container).
hooked_bundle() { # ID ARGS...
  local id=$1
  shift
  vr_bundle "$id" . "$@"
  LOG=$VR_TMP/hooklog-$id
  mkdir -p "$LOG"
  printf '%s' "$HOOK_SCRIPT" >"$VR_TMP/hook.sh"
  printf '%s' "$HOOK_SCRIPT" >"$BUNDLE/rootfs/hook.sh"
  chmod 755 "$VR_TMP/hook.sh" "$BUNDLE/rootfs/hook.sh"
  vr_config --arg h "$VR_TMP/hook.sh" --arg log "$LOG" '
    def hook($name; $path; $dir): {path: $path, args: ["hook-argv0", $name, $dir, "two words"],
      env: ["HOOK_ENV=hook value", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"], timeout: 10};
    .mounts += [{destination: "/hooklog", type: "bind", source: $log, options: ["rbind", "rw"]}] |
    .hooks = {
      prestart: [hook("prestart"; $h; $log)],
      createRuntime: [hook("createRuntime"; $h; $log)],
      createContainer: [hook("createContainer"; $h; $log)],
      startContainer: [hook("startContainer"; "/hook.sh"; "/hooklog")],
      poststart: [hook("poststart"; $h; $log)],
      poststop: [hook("poststop"; $h; $log)]}'
}

order() { tr '\n' ' ' <"$LOG/order" 2>/dev/null; }

@test "hooks: each kind runs once, in order, at its lifecycle step" {
  local id
  id=$(vr_new_id)
  hooked_bundle "$id" sleep 600
  vr_create "$id"
  vr_expect_eq "$(order)" "prestart createRuntime createContainer " "hooks after create"
  vr start "$id"
  vr_wait_for 100 eval '[[ $(order) == *poststart* ]]'
  vr_expect_eq "$(order)" \
    "prestart createRuntime createContainer startContainer poststart " "hooks after start"
  vr kill "$id" KILL
  vr_wait_status "$id" stopped
  # poststop belongs to delete, not to the process exiting
  vr_expect_eq "$(order)" \
    "prestart createRuntime createContainer startContainer poststart " "hooks after kill"
  vr delete "$id"
  vr_expect_eq "$(order)" \
    "prestart createRuntime createContainer startContainer poststart poststop " "hooks after delete"
}

@test "hooks: run once with run, poststop included" {
  local id
  id=$(vr_new_id)
  hooked_bundle "$id" true
  run -0 vr_run "$id"
  vr_expect_eq "$(order)" \
    "prestart createRuntime createContainer startContainer poststart poststop " "hooks of run"
}

@test "hooks: receive the container state on stdin" {
  local id pid k
  id=$(vr_new_id)
  hooked_bundle "$id" sleep 600
  vr_up "$id"
  vr_wait_for 100 test -s "$LOG/poststart.json"
  pid=$(vr_pid "$id")
  vr delete -f "$id"
  for k in prestart createRuntime createContainer startContainer poststart poststop; do
    jq -e >/dev/null --arg id "$id" --arg b "$BUNDLE" \
      '.id == $id and .bundle == $b and (.ociVersion | type == "string") and
       (.status | IN("creating", "created", "running", "stopped"))' "$LOG/$k.json" ||
      { echo "$k got: $(cat "$LOG/$k.json")" >&2; return 1; }
  done
  # the pid as seen from where the hook runs: the runtime's namespace...
  for k in prestart createRuntime poststart; do
    jq -e >/dev/null --argjson p "$pid" '.pid == $p' "$LOG/$k.json" ||
      { echo "$k got: $(cat "$LOG/$k.json")" >&2; return 1; }
  done
  # ...or the container's, where init is pid 1
  for k in createContainer startContainer; do
    jq -e >/dev/null '.pid == 1' "$LOG/$k.json" || { echo "$k got: $(cat "$LOG/$k.json")" >&2; return 1; }
  done
  jq -e '.status == "running"' "$LOG/poststart.json"
  jq -e '.status == "stopped"' "$LOG/poststop.json"
  jq -e '.status == "created" or .status == "creating"' "$LOG/createRuntime.json"
}

@test "hooks: get their args and exactly their env" {
  local id k
  id=$(vr_new_id)
  hooked_bundle "$id" true
  VR_RUNTIME_ENV_LEAK=leaked run -0 vr_run "$id"
  for k in prestart createRuntime createContainer startContainer poststart poststop; do
    local dir=$LOG
    [[ $k == startContainer ]] && dir=/hooklog
    # argv[0] of a #! script is replaced by the kernel: compare the rest
    vr_expect_eq "$(tail -n +2 "$LOG/$k.args")" "$(printf '%s\n' "$k" "$dir" "two words")" "$k argv"
    grep -qx 'HOOK_ENV=hook value' "$LOG/$k.env" || { echo "$k env: $(cat "$LOG/$k.env")" >&2; return 1; }
    ! grep -q VR_RUNTIME_ENV_LEAK "$LOG/$k.env" || { echo "$k got the runtime's env" >&2; return 1; }
  done
}

@test "hooks: startContainer runs inside the container, createRuntime on the host" {
  local id
  id=$(vr_new_id)
  hooked_bundle "$id" true
  vr_config '.hooks.startContainer[0].args += ["x"] | .hostname = "hook-host"'
  # startContainer's path only exists in the container's rootfs
  run -0 vr_run "$id"
  [[ -s $LOG/startContainer.env ]]
  grep -q "^HOOK_ENV" "$LOG/createRuntime.env"
  [[ ! -e /hook.sh ]]
}

@test "hooks: a failing prestart makes create fail and leaves nothing behind" {
  local id
  id=$(vr_new_id)
  hooked_bundle "$id" sleep 600
  vr_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]'
  run vr_create "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
  # the container never started
  [[ $(order) != *startContainer* && $(order) != *poststart* ]]
}

@test "hooks: a failing createRuntime makes create fail and leaves nothing behind" {
  local id
  id=$(vr_new_id)
  hooked_bundle "$id" sleep 600
  vr_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "exit 1"]}]'
  run vr_create "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
}

@test "hooks: a hook with a missing path makes create fail" {
  local id
  id=$(vr_new_id)
  hooked_bundle "$id" sleep 600
  vr_config --arg p "$VR_TMP/no-such-hook" '.hooks.prestart = [{path: $p}]'
  run vr_create "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
}

@test "hooks: a hook that exceeds its timeout is killed and fails the step" {
  local id hpid start
  id=$(vr_new_id)
  hooked_bundle "$id" sleep 600
  vr_config --arg log "$LOG" '.hooks.createRuntime = [{path: "/bin/sh",
    args: ["sh", "-c", "echo $$ >\"$0/hung.pid\"; exec sleep 60", $log], timeout: 1}]'
  start=$SECONDS
  run vr_create "$id"
  ((status != 0))
  ((SECONDS - start < 15)) || { echo "create took $((SECONDS - start))s" >&2; return 1; }
  hpid=$(cat "$LOG/hung.pid")
  vr_wait_for 100 eval '! kill -0 $hpid 2>/dev/null' ||
    { echo "hook process $hpid still alive" >&2; return 1; }
  vr_assert_no_trace "$id"
}

@test "hooks: a failing poststart is only a warning (runtime-spec)" {
  local id
  id=$(vr_new_id)
  hooked_bundle "$id" sleep 600
  vr_config '.hooks.poststart = [{path: "/bin/sh", args: ["sh", "-c", "exit 1"]}]'
  vr_create "$id"
  vr start "$id"
  vr_expect_eq "$(vr_status "$id")" running
}

@test "hooks: a failing poststop is only a warning, delete still succeeds" {
  local id
  id=$(vr_new_id)
  hooked_bundle "$id" true
  vr_config '.hooks.poststop = [{path: "/bin/sh", args: ["sh", "-c", "exit 1"]}] +
    .hooks.poststop'
  vr_create "$id"
  vr start "$id"
  vr_wait_status "$id" stopped
  vr delete "$id"
  vr_assert_no_trace "$id"
  # the remaining poststop hooks still ran
  [[ $(order) == *poststop* ]]
}

@test "hooks: nothing is left behind" {
  vr_assert_clean
}
