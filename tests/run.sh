#!/usr/bin/env bash
# Builds vessel twice (release and static, then ASan+UBSan) and runs every test:
# the C unit tests of both builds and the bats suites against the release
# binaries. Prints each TAP line and ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD

passed=0 failed=0 skipped=0
# tally TAP lines read on stdin; "not ok" fails, "# skip" is counted apart
tally() {
  local prefix=$1 line
  while IFS= read -r line; do
    printf '%s%s\n' "$prefix" "$line"
    case $line in
      "not ok "*) failed=$((failed + 1)) ;;
      "ok "*"# skip"* | "ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
      "ok "*) passed=$((passed + 1)) ;;
    esac
  done
}
fail_step() { # NAME: a step that is itself a failure (build broke, suite hung)
  echo "not ok - $1"
  failed=$((failed + 1))
}

build() { # DIR MESON_ARGS...
  local dir=$1
  shift
  if [[ ! -f $dir/build.ninja ]]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
}

run_unit() { # DIR LABEL
  local t
  for t in "$1"/tests/unit/test-*; do
    [[ -x $t && -f $t ]] || continue
    tally "[$2 ${t##*/}] " < <(timeout 300 "$t" 2>&1 || echo "not ok - ${t##*/} exited with status $?")
  done
}

# house style (shared/style.md): every C file as clang-format writes it
if command -v clang-format >/dev/null; then
  unformatted=$(git ls-files '*.c' '*.h' 2>/dev/null | while read -r f; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
  if [[ -z $unformatted ]]; then
    tally "[style] " <<<"ok - every C file is clang-formatted"
  else
    tally "[style] " <<<"not ok - not clang-formatted: $(echo $unformatted)"
  fi
fi

if build build; then
  run_unit build unit
  built=1
else
  fail_step "release build"
  built=0
fi
if build build-asan -Dstatic=false -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_unit build-asan asan
else
  fail_step "asan build"
fi

if ((built)); then
  export VESSEL_RUNTIME=$top/build/src/vessel-runtime/vessel-runtime
  for suite in tests/integration/*.bats; do
    [[ -f $suite ]] || continue
    name=${suite##*/}
    tally "[${name%.bats}] " < <(timeout 600 bats --tap "$suite" 2>&1; rc=$?; ((rc == 124)) && echo "not ok - suite timed out")
  done
fi

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
