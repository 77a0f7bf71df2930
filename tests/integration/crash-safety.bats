#!/usr/bin/env bats
# Crash safety of the engine: each command is killed with SIGKILL between two
# of its steps (VESSEL_TEST_CRASH=<point> makes it kill itself there, see
# src/lib/util/crashpoint.h) and at random moments. The next command must
# see a consistent state, ps/rm/prune (or a rerun) must clean up what was
# half made, and afterwards nothing of the container may be left: no mount
# in any mount namespace, no cgroup (v1 or unified), no process, no runtime
# state, no directory or name, and the image store must verify.

load lib/engine

setup_file() {
  engine_suite_setup crash
  # a sleep no other process on the host runs, so leftovers can be found
  export SLEEP=$((86000 + RANDOM % 400))
}
teardown_file() { engine_suite_teardown; }

# a command that kills itself at point
crash() { # POINT ARGS...
  local point=$1
  shift
  VESSEL_TEST_CRASH=$point timeout -k 10 60 "${VR[@]}" "$@"
}

# the ids under this test's root right now, kept for the final checks
note_ids() {
  local id
  for id in $(ls "$T/root/containers" 2>/dev/null) $(ls "$T/run/runtime" 2>/dev/null); do
    [[ ${#id} -eq 64 ]] && echo "$id" >>"$T/ids"
    echo "$id" >>"$SUITE_TMP/ids"
  done
  return 0
}

# The helpers below check every step explicitly: they run inside `f || …`,
# where bash ignores errexit.
must() { # CMD...: succeeds, else says what failed
  local out
  out=$("$@" 2>&1) || { echo "failed: $* -> $out" >&2; return 1; }
}

# the names ps -a lists, one a line
names() { v ps -a --format json | jq -r '.[].Names[]'; }
status_of() { v inspect "$1" | jq -r '.[0].State.Status'; }

# ps -a and inspect work after a crash, and show only whole containers
consistent() {
  local out id
  out=$(v ps -a --format json) && jq -e 'type == "array"' <<<"$out" >/dev/null ||
    { echo "ps -a failed: $out" >&2; return 1; }
  for id in $(v ps -a -q); do
    out=$(v inspect "$id") &&
      jq -e '.[0].State.Status | IN("created", "running", "paused", "exited")' <<<"$out" >/dev/null ||
      { echo "inspect $id failed: $out" >&2; return 1; }
  done
}

# every index entry's manifest, config and layers exist and hash to their
# names; after prune, no blob or layer is unreferenced and no temp is left
store_ok() {
  local imgs=$T/root/images m cfg d want=() blobs
  verify() {
    local f=$imgs/blobs/sha256/${1#sha256:}
    [[ -f $f && $(sha256sum <"$f" | cut -d' ' -f1) == "${1#sha256:}" ]] ||
      { echo "blob $1 is missing or corrupt" >&2; return 1; }
  }
  for m in $(jq -r '.manifests[].digest' "$imgs/index.json"); do
    verify "$m" || return 1
    want+=("${m#sha256:}")
    cfg=$(jq -r .config.digest "$imgs/blobs/sha256/${m#sha256:}")
    verify "$cfg" || return 1
    want+=("${cfg#sha256:}")
    for d in $(jq -r '.layers[].digest' "$imgs/blobs/sha256/${m#sha256:}"); do
      verify "$d" || return 1
      want+=("${d#sha256:}")
    done
  done
  must v image prune -f || return 1
  blobs=$(ls -A "$imgs/blobs/sha256" | sort)
  [[ $blobs == "$(printf '%s\n' "${want[@]}" | sort -u)" ]] ||
    { echo "unreferenced or temp blobs: $(comm -23 <(echo "$blobs") <(printf '%s\n' "${want[@]}" | sort -u))" >&2; return 1; }
  ! ls -A "$T/root/layers" | grep -q tmp || { echo "a temp layer is left" >&2; return 1; }
  [[ -z $(ls -A "$imgs" | grep -v '^\(blobs\|index.json\|index.lock\|oci-layout\)$') ]] ||
    { echo "stray files in the image store: $(ls -A "$imgs")" >&2; return 1; }
}

# nothing of this test's containers is left on the host
nothing_left() {
  local id f
  [[ -z $(ls -A "$T/root/names") ]] || { echo "names left: $(ls -A "$T/root/names")" >&2; return 1; }
  [[ -z $(ls -A "$T/root/containers" | grep -v '^\.lock$\|^\.spares$') ]] ||
    { echo "container dirs left: $(ls -A "$T/root/containers")" >&2; return 1; }
  [[ -z $(ls "$T/run/runtime" 2>/dev/null) ]] ||
    { echo "runtime state left: $(ls -A "$T/run/runtime")" >&2; return 1; }
  for id in $(sort -u "$T/ids" 2>/dev/null); do
    [[ -z $(ls -d /sys/fs/cgroup/*/vessel-"$id" /sys/fs/cgroup/vessel-"$id" 2>/dev/null) ]] ||
      { echo "cgroup left for $id" >&2; return 1; }
  done
  # a mount namespace kept by any process still holding our overlay
  for f in /proc/[0-9]*/mountinfo; do
    ! grep -qs -- "$T" "$f" || { echo "mount of ours in ${f%/mountinfo}" >&2; return 1; }
  done
  ! pgrep -f -- "$T" >/dev/null || { echo "a process of ours is left" >&2; return 1; }
  ! pgrep -f -- "sleep $SLEEP" >/dev/null || { echo "a container process is left" >&2; return 1; }
  store_ok
}

# after the crash: a consistent view; then what ps lists goes with rm -f,
# and the name can be used again
recover_name() { # NAME
  note_ids
  consistent || return 1
  if [[ $(names) == *"$1"* ]]; then
    must v rm -f "$1" || return 1
  fi
  must v run --rm --name "$1" busybox true || return 1
  [[ -z $(v ps -a -q) ]] || { echo "containers left: $(v ps -a)" >&2; return 1; }
  nothing_left
}

@test "crash: run killed at each step, foreground and detached, is cleaned up" {
  local p
  for p in create-name create-dir create-record start-mounted start-recorded runtime-created \
    runtime-started start-exited start-exit-recorded; do
    run -137 crash "$p" run --name fg busybox sleep 1
    recover_name fg || { echo "after run killed at $p" >&2; return 1; }
  done
  for p in create-name create-dir create-record; do
    run -137 crash "$p" run -d --name bg busybox sleep "$SLEEP"
    recover_name bg || { echo "after run -d killed at $p" >&2; return 1; }
  done
}

@test "crash: a detached container whose monitor is killed is reported and cleaned up" {
  local p
  # killed before the container runs: run -d fails with 125 and says why
  for p in start-mounted start-recorded runtime-created; do
    run -125 crash "$p" run -d --name mon busybox sleep "$SLEEP"
    [[ $output == *"monitor of container \`mon\` was killed"* ]] || { echo "$p: $output" >&2; return 1; }
    recover_name mon || { echo "after the monitor was killed at $p" >&2; return 1; }
  done
  # killed once it runs: the container runs on without it, rm -f ends it
  run crash runtime-started run -d --name mon busybox sleep "$SLEEP"
  note_ids
  [[ $(status_of mon) == running ]]
  recover_name mon
}

@test "crash: rm -f killed after the runtime delete and after the directory removal" {
  local p
  for p in rm-runtime rm-dir; do
    v run -d --name gone busybox sleep "$SLEEP" >/dev/null
    note_ids
    run -137 crash "$p" rm -f gone
    recover_name gone || { echo "after rm killed at $p" >&2; return 1; }
  done
}

@test "crash: rm of a name a killed run left half made succeeds at once" {
  run -137 crash create-dir run --name half busybox true
  note_ids
  run -0 v rm -f half
  run -125 v inspect half
  nothing_left
}

@test "crash: rename killed halfway leaves one name, and the rename can be redone" {
  local p
  for p in rename-name rename-record; do
    v run -d --name old busybox sleep "$SLEEP" >/dev/null
    note_ids
    run -137 crash "$p" rename old new
    consistent
    local now
    now=$(names)
    [[ $now == old || $now == new ]] || { echo "$p: $now" >&2; return 1; }
    [[ $(ls "$T/root/names") == "$now" ]] || { echo "$p: names $(ls "$T/root/names")" >&2; return 1; }
    [[ $now == new ]] || run -0 v rename old new
    run -0 v inspect new
    [[ $(jq -r '.[0].Name' <<<"$output") == *new ]]
    run -0 v rm -f new
    nothing_left
  done
}

@test "crash: start killed at each step is cleaned up" {
  local p
  v run -d --name st busybox sleep "$SLEEP" >/dev/null
  note_ids
  v stop -t 0 st >/dev/null
  for p in start-mounted start-recorded runtime-created runtime-started; do
    # the container keeps running with the output it was given: not bats' pipe
    local rc=0
    crash "$p" start -a st >"$T/out" 2>&1 || rc=$?
    [[ $rc -eq 137 ]] || { echo "$p: start -a exited $rc: $(cat "$T/out")" >&2; return 1; }
    note_ids
    consistent
    run -0 v stop -t 0 st
    run -0 v start st
    [[ $(status_of st) == running ]] || { echo "$p: $(status_of st)" >&2; return 1; }
    run -0 v stop -t 0 st
  done
  run -0 v rm -f st
  nothing_left
}

@test "crash: import, load and rmi killed halfway leave the store consistent" {
  local p rootfs=$T/rootfs
  mkdir -p "$rootfs/bin" "$rootfs/etc"
  cp /bin/busybox "$rootfs/bin/"
  ln -s busybox "$rootfs/bin/true"
  echo "$BATS_TEST_NUMBER" >"$rootfs/etc/marker"
  tar -C "$rootfs" -cf "$T/other.tar" .
  for p in import-blob unpack-layer import-manifest; do
    run -137 crash "$p" import "$T/other.tar" other
    run -0 v images --format json
    refute jq -e 'any(.[]; tostring | contains("other"))' <<<"$output" >/dev/null
    store_ok || { echo "after import killed at $p" >&2; return 1; }
  done
  run -0 v import "$T/other.tar" other
  run -0 v save -o "$T/other-archive.tar" other
  run -0 v rmi other
  store_ok
  for p in load-blobs unpack-layer load-layers; do
    run -137 crash "$p" load -i "$T/other-archive.tar"
    run -0 v images -q
    store_ok || { echo "after load killed at $p" >&2; return 1; }
  done
  run -0 v load -i "$T/other-archive.tar"
  run -137 crash rmi-index rmi other
  run -0 v images --format json
  refute jq -e 'any(.[]; tostring | contains("other"))' <<<"$output" >/dev/null
  store_ok
  # the store still works: an import and a container from it
  run -0 v import "$T/other.tar" other
  run -0 v run --rm other true
  # run unpacks a layer the store lacks: killed halfway, the next run redoes it
  rm -rf "$T/root/layers"/*
  run -137 crash unpack-layer run --rm other true
  store_ok
  run -0 v run --rm other true
  nothing_left
}

@test "crash: import and load killed at random moments leave the store consistent" {
  local i pid rootfs=$T/big
  # a layer large enough that the kills land while blobs and files are written
  mkdir -p "$rootfs/bin"
  cp /bin/busybox "$rootfs/bin/"
  ln -s busybox "$rootfs/bin/true"
  head -c 24M /dev/urandom >"$rootfs/blob"
  for i in $(seq 200); do echo "$i" >"$rootfs/f$i"; done
  tar -C "$rootfs" -cf "$T/big.tar" .
  for i in $(seq 6); do
    "${VR[@]}" import "$T/big.tar" big >/dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    run -0 v images -q
    store_ok || { echo "after import killed (round $i)" >&2; return 1; }
    v rmi big >/dev/null 2>&1 || true
  done
  run -0 v import "$T/big.tar" big
  run -0 v save -o "$T/big-archive.tar" big
  run -0 v rmi big
  for i in $(seq 6); do
    "${VR[@]}" load -i "$T/big-archive.tar" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    run -0 v images -q
    store_ok || { echo "after load killed (round $i)" >&2; return 1; }
    v rmi big >/dev/null 2>&1 || true
  done
  run -0 v load -i "$T/big-archive.tar"
  run -0 v run --rm big true
  nothing_left
}

@test "crash: run -d and run killed at random moments leave nothing after rm" {
  local i pid
  for i in $(seq 20); do
    "${VR[@]}" run -d --name "r$i" busybox sleep "$SLEEP" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf "0.%03d" $((RANDOM % 61)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    note_ids
  done
  for i in $(seq 10); do
    "${VR[@]}" run --rm --name "f$i" busybox sleep "$SLEEP" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    note_ids
  done
  consistent
  local id
  # rm -f killed at random moments too: the next one finishes the job
  for id in $(v ps -a -q); do
    "${VR[@]}" rm -f "$id" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf "0.%03d" $((RANDOM % 31)))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  consistent
  for id in $(v ps -a -q); do
    run -0 v rm -f "$id"
  done
  # every name is free again
  for i in $(seq 20); do
    run -0 v run --rm --name "r$i" busybox true
  done
  run -0 v ps -a -q
  [[ -z $output ]]
  nothing_left
}

@test "crash: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
  run ! pgrep -f -- "sleep $SLEEP"
}
