#!/usr/bin/env bats
# -t and -i of run and exec: a pty for the container relayed to the caller's
# terminal (raw mode, window size, SIGWINCH, exit code), stdin only with -i.
# script(1) gives the test a terminal; SHELL=/bin/sh and timeout
# --foreground keep it from stopping on SIGTTOU when CI has no terminal.

load lib/engine

setup_file() { engine_suite_setup tty; }
teardown_file() { engine_suite_teardown; }

# Runs a command line under a fresh terminal of 40 rows and 100 columns.
in_tty() { # CMDLINE
  SHELL=/bin/sh script -qec "stty rows 40 cols 100; timeout --foreground 30 $1" /dev/null
}
vr_line() { printf '%q ' "${VR[@]}"; }

@test "tty: run -it --rm gives the container a terminal of the caller's size, and its exit code" {
  run -6 in_tty "$(vr_line) run -it --rm busybox sh -c 'tty; stty size; exit 6'" </dev/null
  [[ $output == *"/dev/pts/"* && $output == *"40 100"* ]] || { echo "$output" >&2; return 1; }
  run -0 v ps -aq
  [[ -z $output ]]
}

@test "tty: run -it without --rm goes through the monitor: same terminal, output in logs too" {
  run -7 in_tty "$(vr_line) run -it --name kept busybox sh -c 'tty; stty size; echo kept-out; exit 7'" </dev/null
  [[ $output == *"/dev/pts/"* && $output == *"40 100"* && $output == *kept-out* ]] ||
    { echo "$output" >&2; return 1; }
  run -0 v logs kept
  [[ $output == *"40 100"* && $output == *kept-out* ]]
  [[ $(v inspect kept | jq '.[0].Config.Tty') == true ]]
}

@test "tty: what is typed reaches the container's shell through the terminal" {
  local vr
  vr=$(vr_line)
  run -4 in_tty "$vr run -it --rm busybox sh" < <(printf 'echo typed-$((6*7))\nexit 4\n'; sleep 3)
  [[ $output == *typed-42* ]] || { echo "$output" >&2; return 1; }
  run -5 in_tty "$vr run -it --name typed busybox sh" < <(printf 'echo typed-$((5*5))\nexit 5\n'; sleep 3)
  [[ $output == *typed-25* ]] || { echo "$output" >&2; return 1; }
}

@test "tty: a resized terminal resizes the container's (SIGWINCH)" {
  local vr
  vr=$(vr_line)
  for how in "--rm" "--name winch"; do
    run -0 in_tty "sh -c '$vr run -t $how busybox sh -c \"sleep 1.5; stty size\" & sleep 0.7; stty rows 22 cols 77; wait'" </dev/null
    [[ $output == *"22 77"* ]] || { echo "$how: $output" >&2; return 1; }
  done
}

@test "tty: without -i the container's stdin is empty; with -i it is the caller's" {
  run -0 v run --rm busybox sh -c 'cat; echo end' <<<"not passed"
  [[ $output == end ]]
  run -0 v run --name noin busybox sh -c 'cat; echo end' <<<"not passed"
  [[ $output == end ]]
  run -0 v run -i --rm busybox sh -c 'cat; echo end' <<<"passed"
  [[ $output == $'passed\nend' ]]
  run -0 v run -i --name withi busybox sh -c 'cat; echo end' <<<"passed"
  [[ $output == $'passed\nend' ]]
}

@test "tty: exec -it runs in a terminal and returns the exit code" {
  v run -d --name box busybox sleep 100 >/dev/null
  run -9 in_tty "$(vr_line) exec -it box sh -c 'tty; stty size; exit 9'" </dev/null
  [[ $output == *"/dev/pts/"* && $output == *"40 100"* ]] || { echo "$output" >&2; return 1; }
  run -125 v exec -dt box true
  [[ $output == *"-t with -d"* ]]
  # without -t: no terminal
  run -0 v exec box sh -c '[ -t 1 ] || echo no-terminal'
  [[ $output == no-terminal ]]
}

@test "tty: run -dit keeps a shell waiting on its terminal; exec -it gets into it" {
  v run -dit --name sh busybox sh >/dev/null
  sleep 0.5
  [[ $(v inspect sh | jq -r '.[0].State.Status') == running ]]
  run -3 in_tty "$(vr_line) exec -it sh sh -c 'exit 3'" </dev/null
  run -0 v stop -t 1 sh
}

@test "tty: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
}
