# Shared helpers of the suites that drive the `vessel` engine: a busybox image
# tarball made once per suite, a private --root and --runroot per test, and
# cleanup of containers, mounts and the temp dir.

bats_require_minimum_version 1.5.0

VESSEL=${VESSEL_ENGINE:-$BATS_TEST_DIRNAME/../../build/src/vessel/vessel}

engine_suite_setup() { # NAME
  [[ -x $VESSEL ]] || { echo "no vessel binary at $VESSEL" >&2; return 1; }
  export SUITE_TMP
  SUITE_TMP=$(mktemp -d "/tmp/vessel-$1-bats.XXXXXX")
  local rootfs=$SUITE_TMP/rootfs a
  mkdir -p "$rootfs"/{bin,etc,tmp,root}
  cp /bin/busybox "$rootfs/bin/busybox"
  for a in sh echo cat ls id hostname pwd env touch mkdir sleep true false grep wc seq; do
    ln -s busybox "$rootfs/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  printf 'echo not executable\n' >"$rootfs/etc/noexec"
  tar -C "$rootfs" -cf "$SUITE_TMP/busybox.tar" .
  : >"$SUITE_TMP/ids"
}

engine_suite_teardown() {
  if [[ -n ${SUITE_TMP:-} && -d $SUITE_TMP ]]; then
    # a failed test may have left a mount: never rm -rf through one
    grep -o " $SUITE_TMP[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$SUITE_TMP"
  fi
}

setup() {
  T=$SUITE_TMP/t$BATS_TEST_NUMBER
  mkdir -p "$T"
  VR=("$VESSEL" --root "$T/root" --runroot "$T/run")
  v import "$SUITE_TMP/busybox.tar" busybox >/dev/null
}

teardown() {
  local id
  # remember every container for the final checks, then remove them all
  for id in $(ls "$T/root/containers" 2>/dev/null); do echo "$id" >>"$SUITE_TMP/ids"; done
  for id in $(timeout 20 "${VR[@]}" ps -a -q 2>/dev/null); do
    timeout 20 "${VR[@]}" rm -f "$id" >/dev/null 2>&1 || true
  done
}

v() { timeout -k 10 60 "${VR[@]}" "$@"; }

# A suite's last test: no mount under its temp dir, no cgroup (v1 hierarchies
# or v2) of any container it made, no process naming its temp dir.
engine_assert_clean() {
  local id
  if grep -q "$SUITE_TMP" /proc/self/mountinfo; then
    echo "mount left: $(grep "$SUITE_TMP" /proc/self/mountinfo)" >&2
    return 1
  fi
  [[ $(wc -l <"$SUITE_TMP/ids") -gt 0 ]] || { echo "the suite recorded no container" >&2; return 1; }
  while read -r id; do
    [[ -z $id ]] && continue
    if [[ -n $(ls -d /sys/fs/cgroup/*/vessel-"$id" /sys/fs/cgroup/vessel-"$id" 2>/dev/null) ]]; then
      echo "cgroup left for $id" >&2
      return 1
    fi
  done <"$SUITE_TMP/ids"
  if pgrep -f -- "$SUITE_TMP" >/dev/null; then
    echo "process left: $(pgrep -af -- "$SUITE_TMP")" >&2
    return 1
  fi
}

# refute CMD...: fails when CMD succeeds. A bare `! CMD` does not fail a bats
# test unless it is the test's last line (set -e ignores negated commands).
refute() {
  if "$@"; then
    echo "expected to fail: $*" >&2
    return 1
  fi
}
