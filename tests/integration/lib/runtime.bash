# Shared helpers for the bats suites that drive an OCI runtime's command line
# (vessel-runtime, or runc for comparison) through $VESSEL_RUNTIME.
#
# A suite does:
#   load lib/runtime
#   setup_file()    { vr_suite_setup NAME; }     # temp dir, state dir, rootfs
#   teardown()      { vr_teardown; }             # delete -f what the test made
#   teardown_file() { vr_suite_teardown; }       # force-remove anything left
#   ... and its last test calls vr_assert_clean.
#
# Everything a suite makes lives under $VR_TMP (a mktemp dir under /tmp);
# every container id and every cgroup path starts with $VR_PREFIX, so leaks
# can be found by name.

bats_require_minimum_version 1.5.0

: "${VESSEL_RUNTIME:?set VESSEL_RUNTIME to the runtime binary under test}"
# a hung runtime fails its test instead of the whole suite
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-45}

VR_CGROUP_ROOT=${VR_CGROUP_ROOT:-/sys/fs/cgroup}

# The runtime with the suite's own state dir. A hung runtime is killed:
# bats' own test timeout cannot end a test whose output pipe it holds.
vr() { timeout -k 5 "${VR_CMD_TIMEOUT:-60}" "$VESSEL_RUNTIME" --root "$VR_ROOT" "$@"; }

# Builds a minimal busybox root filesystem in DIR.
vr_build_rootfs() { # DIR
  local dir=$1 app
  mkdir -p "$dir"/{bin,etc,proc,sys,dev,tmp,root,home/user,var/run}
  chmod 1777 "$dir/tmp"
  cp /bin/busybox "$dir/bin/busybox"
  for app in $(/bin/busybox --list); do
    [[ $app == busybox ]] && continue
    ln -s busybox "$dir/bin/$app"
  done
  ln -s bin "$dir/sbin"
  mkdir -p "$dir/usr"
  ln -s ../bin "$dir/usr/bin"
  ln -s ../bin "$dir/usr/sbin"
  cat >"$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$dir/etc/group" <<'EOF'
root:x:0:
user:x:1000:
extra:x:2000:user
nogroup:x:65534:
EOF
  chown 1000:1000 "$dir/home/user"
}

vr_suite_setup() { # NAME
  local name=$1
  VR_TMP=$(mktemp -d "/tmp/vt-$name.XXXXXX")
  # containers running as other (mapped) users must reach their rootfs
  chmod 755 "$VR_TMP"
  # the random part of the temp dir keeps parallel runs apart
  VR_PREFIX="vt-$name-${VR_TMP##*.}"
  VR_ROOT=$VR_TMP/state
  export VR_TMP VR_PREFIX VR_ROOT
  mkdir -p "$VR_TMP/bundles" "$VR_TMP/base"
  : >"$VR_TMP/ids"
  : >"$VR_TMP/all-ids"
  : >"$VR_TMP/pids"
  : >"$VR_TMP/cgroups"
  vr_build_rootfs "$VR_TMP/base/rootfs"
  (cd "$VR_TMP/base" && "$VESSEL_RUNTIME" spec) ||
    { echo "\`$VESSEL_RUNTIME spec\` failed" >&2; return 1; }
  [[ -s $VR_TMP/base/config.json ]]
}

# Prints a fresh container id (PREFIX-N[-TAG]) and records it for cleanup.
vr_new_id() { # [TAG]
  local n
  n=$(($(cat "$VR_TMP/counter" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$VR_TMP/counter"
  local id="$VR_PREFIX-$n${1:+-$1}"
  echo "$id" >>"$VR_TMP/ids"
  echo "$id" >>"$VR_TMP/all-ids"
  echo "$id"
}

# Makes the bundle $VR_TMP/bundles/ID (sets BUNDLE): a copy of the suite's
# rootfs and the runtime's own `spec` output, with terminal off, a writable
# root, cgroupsPath
# /ID, process.args ARGS (when given), then the jq FILTER ('.' for none).
vr_bundle() { # ID FILTER [ARGS...]
  local id=$1 filter=$2 a
  shift 2
  BUNDLE=$VR_TMP/bundles/$id
  mkdir -p "$BUNDLE"
  cp -a "$VR_TMP/base/rootfs" "$BUNDLE/rootfs"
  # args go in as named --arg a0.. (jq would parse a positional "-c" as its own option)
  local i=0 jqargs=()
  for a in "$@"; do
    jqargs+=(--arg "a$i" "$a")
    i=$((i + 1))
  done
  local base='.process.terminal = false | .root.path = "rootfs" | .root.readonly = false
    | .linux.cgroupsPath = ("/" + $id)
    | if $n > 0 then .process.args = [range(0; $n) as $i | $ARGS.named["a\($i)"]] else . end'
  jq --arg id "$id" --argjson n "$i" "${jqargs[@]}" "$base | $filter" "$VR_TMP/base/config.json" \
    >"$BUNDLE/config.json" || { echo "jq filter failed: $filter" >&2; return 1; }
}

# Edits BUNDLE's config.json with a jq filter (extra jq options first).
vr_config() { # [JQ-OPTIONS...] FILTER
  jq "$@" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
    mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# Creates ID from BUNDLE with the container's stdio on files in the bundle
# (stdout, stderr), so nothing holds the test's pipes. The runtime's own
# errors land in stderr too and are printed when create fails.
vr_create() { # ID [CREATE-OPTIONS...]
  local id=$1
  shift
  vr create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$BUNDLE/stdout" 2>"$BUNDLE/stderr" || {
    local rc=$?
    cat "$BUNDLE/stderr" >&2
    return "$rc"
  }
}

# create + start, then waits for "running".
vr_up() { # ID
  vr_create "$1" && vr start "$1" && vr_wait_status "$1" running
}

# Runs ID in the foreground with stdin from /dev/null and prints its output
# afterwards: through a file, so that a container that never exits cannot
# hold the output pipe of bats' `run` (and defeat the test timeout).
vr_run() { # ID [RUN-OPTIONS...]
  local id=$1 rc=0
  shift
  vr run --bundle "$BUNDLE" "$@" "$id" </dev/null >"$BUNDLE/run.out" 2>&1 || rc=$?
  cat "$BUNDLE/run.out"
  return "$rc"
}

vr_state_field() { # ID JQ-PATH
  vr state "$1" | jq -r "$2"
}

vr_status() { # ID
  vr_state_field "$1" .status
}

vr_pid() { # ID
  vr_state_field "$1" .pid
}

# Polls (every 50ms, at most TRIES times) until ID has STATUS.
vr_wait_status() { # ID STATUS [TRIES]
  local i st
  for ((i = 0; i < ${3:-100}; i++)); do
    st=$(vr_status "$1" 2>/dev/null) && [[ $st == "$2" ]] && return 0
    sleep 0.05
  done
  echo "container \`$1\` status is \`${st:-?}\`, wanted \`$2\`" >&2
  return 1
}

# Polls until the shell command succeeds (every 50ms, at most TRIES times).
vr_wait_for() { # TRIES COMMAND...
  local tries=$1 i
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

# Remembers a background pid that the suite started, for cleanup and checks.
vr_track_pid() { echo "$1" >>"$VR_TMP/pids"; }

# Remembers a cgroup path (relative to a hierarchy, e.g. /vt-x/parent) that
# a test made or that the runtime legitimately leaves (a cgroupsPath parent).
vr_track_cgroup() { echo "$1" >>"$VR_TMP/cgroups"; }

# The cgroup hierarchies of this host (v1 controllers, name=systemd, unified).
vr_hierarchies() {
  local d
  for d in "$VR_CGROUP_ROOT"/*/; do
    d=${d%/}
    [[ -f $d/cgroup.procs ]] && echo "$d"
  done
}

# Kills every process in a cgroup directory tree and removes it, deepest first.
vr_rm_cgroup_tree() { # DIR
  local dir=$1 sub p i
  [[ -d $dir ]] || return 0
  for sub in "$dir"/*/; do
    [[ -d $sub ]] && vr_rm_cgroup_tree "${sub%/}"
  done
  [[ -f $dir/freezer.state ]] && echo THAWED >"$dir/freezer.state" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    rmdir "$dir" 2>/dev/null && return 0
    while read -r p; do kill -9 "$p" 2>/dev/null; done <"$dir/cgroup.procs"
    sleep 0.05
  done
  echo "cannot remove cgroup \`$dir\`" >&2
  return 1
}

# Mount points under DIR as seen from this mount namespace.
vr_mounts_under() { # DIR
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
}

# Pids of live processes that belong to the suite: in a cgroup named with
# the prefix, with the temp dir on their command line, or tracked.
vr_suite_pids() {
  local p cmd tracked=" $(tr '\n' ' ' <"$VR_TMP/pids") "
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" || $p == "$BASHPID" ]] && continue
    [[ -r /proc/$p/cgroup ]] || continue
    if [[ $tracked == *" $p "* ]] ||
      grep -q ":/$VR_PREFIX" "/proc/$p/cgroup" 2>/dev/null; then
      # zombies of our own shell are gone once reaped; count only live ones
      [[ $(awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null) == Z ]] || echo "$p"
      continue
    fi
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
    [[ $cmd == *"$VR_TMP"* ]] && echo "$p"
  done
  return 0
}

# Cgroup directories in any hierarchy whose name starts with the prefix.
vr_suite_cgroups() {
  local h
  while read -r h; do
    find "$h" -mindepth 1 -maxdepth 1 -type d -name "$VR_PREFIX*" 2>/dev/null
  done < <(vr_hierarchies)
  return 0
}

# Per-test cleanup through the runtime itself: delete -f every container the
# test made, kill background pids, remove the test's bundles.
vr_teardown() {
  local id p
  [[ -n ${VR_TMP:-} && -d $VR_TMP ]] || return 0
  while read -r id; do
    [[ -n $id ]] || continue
    "$VESSEL_RUNTIME" --root "$VR_ROOT" delete -f "$id" >/dev/null 2>&1
  done <"$VR_TMP/ids"
  while read -r p; do
    [[ -n $p ]] && kill -9 "$p" 2>/dev/null
  done <"$VR_TMP/pids"
  while read -r id; do
    [[ -n $id ]] || continue
    # never recurse into something still mounted: leave it to the final check
    [[ -z $(vr_mounts_under "$VR_TMP/bundles/$id") ]] &&
      rm -rf --one-file-system "${VR_TMP:?}/bundles/$id"
  done <"$VR_TMP/ids"
  : >"$VR_TMP/ids"
  local cg h
  while read -r cg; do
    [[ -n $cg ]] || continue
    while read -r h; do rmdir "$h$cg" 2>/dev/null; done < <(vr_hierarchies)
  done < <(sort -r "$VR_TMP/cgroups")
  : >"$VR_TMP/cgroups"
  return 0
}

# Asserts that nothing the suite made is left: no container in the state
# dir, no mount under the temp dir, no cgroup with the prefix, no process.
vr_assert_clean() {
  local bad=0 out
  out=$(vr list -q 2>&1) || { echo "list failed: $out"; bad=1; }
  [[ -z $out ]] || { echo "containers left: $out"; bad=1; }
  out=$(find "$VR_ROOT" -mindepth 1 -maxdepth 1 -name "$VR_PREFIX*" 2>/dev/null)
  [[ -z $out ]] || { echo "state left: $out"; bad=1; }
  out=$(vr_mounts_under "$VR_TMP")
  [[ -z $out ]] || { echo "mounts left: $out"; bad=1; }
  out=$(vr_suite_cgroups)
  [[ -z $out ]] || { echo "cgroups left: $out"; bad=1; }
  # a process killed by the last teardown may still be exiting: give it a moment
  local i
  for i in $(seq 30); do
    out=$(vr_suite_pids)
    [[ -z $out ]] && break
    sleep 0.1
  done
  [[ -z $out ]] || {
    echo "processes left:"
    local p
    for p in $out; do echo "  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done
    bad=1
  }
  return "$bad"
}

# Removes everything, whether or not the runtime cleaned up after itself.
vr_suite_teardown() {
  [[ -n ${VR_TMP:-} && -d $VR_TMP && $VR_TMP == /tmp/vt-* ]] || return 0
  local id p m cg
  cp "$VR_TMP/all-ids" "$VR_TMP/ids"
  vr_teardown
  for p in $(vr_suite_pids); do kill -9 "$p" 2>/dev/null; done
  while read -r cg; do
    vr_rm_cgroup_tree "$cg"
  done < <(vr_suite_cgroups)
  # deepest first
  while read -r m; do
    umount -l "$m" 2>/dev/null
  done < <(vr_mounts_under "$VR_TMP" | sort -r)
  if [[ -z $(vr_mounts_under "$VR_TMP") ]]; then
    rm -rf --one-file-system "$VR_TMP"
  else
    echo "mounts left under \`$VR_TMP\`, not removed" >&2
  fi
}

# --- small assertion helpers -------------------------------------------------

# Fails with a message showing what was expected and got.
vr_expect_eq() { # GOT WANT [WHAT]
  [[ $1 == "$2" ]] && return 0
  echo "${3:-value}: got \`$1\`, want \`$2\`" >&2
  return 1
}

# Asserts that ID left no trace: no state, no cgroup in any hierarchy, no
# process in it.
vr_assert_no_trace() { # ID
  local id=$1 h bad=0
  if vr state "$id" >/dev/null 2>&1; then
    echo "\`state $id\` still succeeds" >&2
    bad=1
  fi
  [[ ! -e $VR_ROOT/$id ]] || { echo "state dir \`$VR_ROOT/$id\` left" >&2; bad=1; }
  while read -r h; do
    [[ ! -d $h/$id ]] || { echo "cgroup \`$h/$id\` left" >&2; bad=1; }
  done < <(vr_hierarchies)
  local p
  for p in /proc/[0-9]*; do
    if grep -q ":/$id\$" "$p/cgroup" 2>/dev/null; then
      echo "process ${p#/proc/} left in cgroup \`/$id\`" >&2
      bad=1
    fi
  done
  return "$bad"
}
