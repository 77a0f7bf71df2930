#!/usr/bin/env bats
# The runtime's command line itself: help, version, flag syntax, errors,
# spec, features, logging, and refusal of bad ids and bad configs.

load lib/runtime

setup_file() { vr_suite_setup cli; }
teardown() { vr_teardown; }
teardown_file() { vr_suite_teardown; }

COMMANDS=(spec create start run state kill delete exec list ps pause resume update features)

@test "cli: --version prints the version and the spec version" {
  run -0 "$VESSEL_RUNTIME" --version
  [[ $output == *version* ]]
  # runc and crun both print the OCI spec version they implement
  [[ $output == *spec* ]]
}

@test "cli: --help prints usage listing every command" {
  run -0 "$VESSEL_RUNTIME" --help
  [[ ${output,,} == *usage* ]]
  local c
  for c in "${COMMANDS[@]}"; do
    [[ $output == *"$c"* ]] || { echo "\`$c\` missing from --help" >&2; return 1; }
  done
}

@test "cli: <command> --help exits 0 and prints usage for every command" {
  local c
  for c in "${COMMANDS[@]}"; do
    run "$VESSEL_RUNTIME" "$c" --help
    ((status == 0)) || { echo "\`$c --help\` exited $status: $output" >&2; return 1; }
    [[ ${output,,} == *usage* && $output == *"$c"* ]] ||
      { echo "\`$c --help\` printed no usage: $output" >&2; return 1; }
  done
}

@test "cli: an unknown command fails with a one-line error" {
  run --separate-stderr "$VESSEL_RUNTIME" --root "$VR_ROOT" frobnicate
  ((status != 0))
  [[ $stderr == *frobnicate* ]]
  (($(grep -c . <<<"$stderr") == 1)) || { echo "stderr: $stderr" >&2; return 1; }
}

@test "cli: an unknown flag fails with a one-line error" {
  run --separate-stderr "$VESSEL_RUNTIME" --root "$VR_ROOT" --bogus-flag list
  ((status != 0))
  [[ $stderr == *bogus-flag* ]]
  (($(grep -c . <<<"$stderr") == 1)) || { echo "stderr: $stderr" >&2; return 1; }

  run --separate-stderr "$VESSEL_RUNTIME" --root "$VR_ROOT" state --bogus-flag x
  ((status != 0))
  [[ $stderr == *bogus-flag* ]]
  (($(grep -c . <<<"$stderr") == 1)) || { echo "stderr: $stderr" >&2; return 1; }
}

@test "cli: --flag=value and --flag value are both accepted" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  # not under `run`: the container would hold its output pipe
  "$VESSEL_RUNTIME" --root="$VR_ROOT" create --bundle="$BUNDLE" "$id" \
    </dev/null >"$BUNDLE/stdout" 2>&1
  run -0 "$VESSEL_RUNTIME" --root "$VR_ROOT" state "$id"
  [[ $(jq -r .status <<<"$output") == created ]]
  run -0 "$VESSEL_RUNTIME" --root="$VR_ROOT" state "$id"
  [[ $(jq -r .id <<<"$output") == "$id" ]]
  # a second state dir proves --root is honoured and not defaulted
  run "$VESSEL_RUNTIME" --root "$VR_TMP/other-root" state "$id"
  ((status != 0))
  run -0 "$VESSEL_RUNTIME" --root "$VR_ROOT" --log-format=json --log="$VR_TMP/eq.log" \
    delete --force "$id"
  run ! "$VESSEL_RUNTIME" --root "$VR_ROOT" state "$id"
  rm -rf "$VR_TMP/other-root"
}

@test "cli: spec writes a valid config.json" {
  local d=$VR_TMP/spec-test
  mkdir -p "$d"
  cd "$d"
  run -0 "$VESSEL_RUNTIME" spec
  [[ -f $d/config.json ]]
  jq -e '.ociVersion and (.process.args | length > 0) and .root.path and
    (.linux.namespaces | map(.type) | index("pid") != null and index("mount") != null) and
    (.mounts | map(.destination) | index("/proc") != null)' config.json
}

@test "cli: spec refuses to overwrite an existing config.json" {
  local d=$VR_TMP/spec-exists
  mkdir -p "$d"
  cd "$d"
  echo '{"mine": true}' >config.json
  run "$VESSEL_RUNTIME" spec
  ((status != 0))
  [[ $(cat config.json) == '{"mine": true}' ]]
}

@test "cli: spec --rootless has a user namespace and id mappings" {
  local d=$VR_TMP/spec-rootless
  mkdir -p "$d"
  cd "$d"
  run -0 "$VESSEL_RUNTIME" spec --rootless
  jq -e '(.linux.namespaces | map(.type) | index("user") != null) and
    (.linux.uidMappings | length > 0) and (.linux.gidMappings | length > 0)' config.json
}

@test "cli: features prints JSON describing what the runtime supports" {
  run --separate-stderr -0 "$VESSEL_RUNTIME" features
  jq -e '
    (.ociVersionMin | type == "string") and (.ociVersionMax | type == "string") and
    (.hooks | index("prestart") != null and index("poststop") != null and
      index("createRuntime") != null and index("startContainer") != null) and
    (.mountOptions | index("ro") != null or index("rbind") != null) and
    (.linux.namespaces | index("pid") != null and index("mount") != null and
      index("user") != null and index("network") != null) and
    (.linux.capabilities | index("CAP_SYS_ADMIN") != null and index("CAP_KILL") != null) and
    (.linux.cgroup | type == "object") and
    (.linux.seccomp.enabled == true)' <<<"$output"
}

@test "cli: --log FILE --log-format json writes JSON lines with level and msg" {
  local log=$VR_TMP/log.json
  rm -f "$log"
  run "$VESSEL_RUNTIME" --root "$VR_ROOT" --log "$log" --log-format json start "$VR_PREFIX-missing"
  ((status != 0))
  [[ -s $log ]]
  # every line is a JSON object; an error line with a message is among them
  jq -e -s 'all(type == "object" and has("level") and has("msg"))' "$log"
  jq -e -s 'any(.level == "error" and (.msg | length > 0))' "$log"
}

@test "cli: invalid container ids are refused before anything is created" {
  local id cg
  cg=$(vr_new_id badid)
  vr_bundle "$cg" . true
  mkdir -p "$VR_ROOT"
  local before
  before=$(ls -A "$VR_ROOT"; ls -A "$VR_TMP")
  for id in .. . a/b ../x "" "a b"; do
    run "$VESSEL_RUNTIME" --root "$VR_ROOT" create --bundle "$BUNDLE" "$id" </dev/null
    ((status != 0)) || { echo "id \`$id\` was accepted" >&2; return 1; }
    [[ $(ls -A "$VR_ROOT"; ls -A "$VR_TMP") == "$before" ]] ||
      { echo "id \`$id\` left files behind" >&2; return 1; }
    vr_assert_no_trace "$cg"
  done
  # the state of a bad id is refused too, never read from outside --root
  run "$VESSEL_RUNTIME" --root "$VR_ROOT" state ../state
  ((status != 0))
}

# Makes a bundle, breaks its config with a shell command and asserts that
# create fails mentioning WANT and leaves no trace.
bad_config() { # WANT SHELL-CODE
  local want=$1 id
  shift
  id=$(vr_new_id)
  vr_bundle "$id" . true
  eval "$1"
  run "$VESSEL_RUNTIME" --root "$VR_ROOT" create --bundle "$BUNDLE" "$id" </dev/null
  ((status != 0)) || { echo "create accepted the bad config" >&2; return 1; }
  [[ ${output,,} == *"${want,,}"* ]] ||
    { echo "error does not name \`$want\`: $output" >&2; return 1; }
  vr_assert_no_trace "$id"
}

@test "cli: a config.json that is not JSON fails create and leaves nothing" {
  bad_config json 'echo "{not json" >"$BUNDLE/config.json"'
}

@test "cli: an unknown namespace type fails create naming its JSON path" {
  bad_config 'linux.namespaces[0].type' "vr_config '.linux.namespaces[0].type = \"bogus\"'"
}

@test "cli: a value of the wrong type fails create naming its JSON path" {
  bad_config 'process.user.uid' "vr_config '.process.user.uid = \"0\"'"
}

@test "cli: a missing config.json fails create" {
  bad_config config.json 'rm "$BUNDLE/config.json"'
}

@test "cli: state, kill, delete, start of a missing container fail" {
  local c
  for c in state start delete pause resume ps; do
    run "$VESSEL_RUNTIME" --root "$VR_ROOT" "$c" "$VR_PREFIX-nosuch"
    ((status != 0)) || { echo "\`$c\` of a missing container succeeded" >&2; return 1; }
  done
  run "$VESSEL_RUNTIME" --root "$VR_ROOT" kill "$VR_PREFIX-nosuch" KILL
  ((status != 0))
}

@test "cli: nothing is left behind" {
  vr_assert_clean
}
