#!/usr/bin/env bats
# Logs: the monitor writes a container's output as docker's json-file log
# (<id>-json.log, rotated by --log-opt max-size/max-file) and `vessel logs`
# reads it back: stdout to stdout, stderr to stderr, --tail, --since, -t,
# and -f across rotation until the container stops.

load lib/engine

setup_file() { engine_suite_setup logs; }
teardown_file() { engine_suite_teardown; }

id_of() { v inspect "$1" | jq -r '.[0].Id'; }
wait_exited() { # NAME
  local _
  for _ in $(seq 100); do
    [[ $(v inspect "$1" | jq -r '.[0].State.Status') == exited ]] && return 0
    sleep 0.1
  done
  return 1
}

@test "logs: the log is docker's json-file format, one entry a line, streams apart" {
  v run -d --name j busybox sh -c 'echo "out <&> \"q\""; echo err >&2; printf "no newline"' >/dev/null
  wait_exited j
  local id log
  id=$(id_of j)
  log=$T/root/containers/$id/$id-json.log
  [[ -f $log ]]
  run -0 jq -c '{log, stream}' "$log"
  [[ $output == *'{"log":"out <&> \"q\"\n","stream":"stdout"}'* ]]
  [[ $output == *'{"log":"err\n","stream":"stderr"}'* ]]
  [[ $output == *'{"log":"no newline","stream":"stdout"}'* ]]
  # docker's time: RFC 3339 in UTC with nanoseconds; Go's HTML escaping
  jq -e -r '.time' "$log" | grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$'
  grep -q '\\u003c\\u0026\\u003e' "$log"
  # logs splits the streams again
  run -0 --separate-stderr v logs j
  [[ $output == $'out <&> "q"\nno newline' ]]
  [[ $stderr == err ]]
}

@test "logs: a foreground run without --rm lands in the log too, and still shows its output" {
  run -0 --separate-stderr v run --name fg busybox sh -c 'echo to-out; echo to-err >&2'
  [[ $output == to-out && $stderr == to-err ]]
  run -0 --separate-stderr v logs fg
  [[ $output == to-out && $stderr == to-err ]]
}

@test "logs: --tail N keeps the last lines, --tail all and 0" {
  v run -d --name t busybox seq 1 20 >/dev/null
  wait_exited t
  run -0 v logs --tail 3 t
  [[ $output == $'18\n19\n20' ]]
  run -0 v logs -n 1 t
  [[ $output == 20 ]]
  run -0 v logs --tail 0 t
  [[ -z $output ]]
  run -0 v logs --tail all t
  [[ ${#lines[@]} -eq 20 ]]
  run -125 v logs --tail nope t
  [[ $output == *"bad --tail"* ]]
}

@test "logs: --since drops older entries (RFC 3339, unix seconds, a duration); -t prints the times" {
  v run -d --name s busybox sh -c 'echo early; sleep 2; echo late' >/dev/null
  wait_exited s
  run -0 v logs -t s
  [[ ${lines[0]} =~ ^20[0-9-]+T[0-9:]+\.[0-9]{9}Z\ early$ ]]
  local late_time
  late_time=${lines[1]%% *}
  run -0 v logs --since "$late_time" s
  [[ $output == late ]]
  sleep 1.2
  run -0 v logs --since 1s s
  [[ -z $output ]]
  run -0 v logs --since 1m s
  [[ $output == $'early\nlate' ]]
  run -0 v logs --since "$(($(date +%s) - 600))" s
  [[ $output == $'early\nlate' ]]
  run -125 v logs --since yesterday s
  [[ $output == *"bad --since"* ]]
}

@test "logs: max-size and max-file rotate the log; logs reads the rotated files too" {
  v run -d --name r --log-opt max-size=1k --log-opt max-file=3 busybox \
    sh -c 'i=0; while [ $i -lt 60 ]; do echo "line $i abcdefghijklmnopqrstuvwxyz"; i=$((i+1)); done' >/dev/null
  wait_exited r
  local id dir
  id=$(id_of r)
  dir=$T/root/containers/$id
  [[ -f $dir/$id-json.log && -f $dir/$id-json.log.1 && -f $dir/$id-json.log.2 ]]
  [[ ! -e $dir/$id-json.log.3 ]]
  local f
  for f in "$dir/$id-json.log"*; do
    (($(stat -c %s "$f") < 1024 + 200)) || { echo "$f too big" >&2; return 1; }
  done
  # the newest lines are all there, in order, the oldest were rotated away
  run -0 v logs r
  [[ ${lines[-1]} == "line 59 abcdefghijklmnopqrstuvwxyz" ]]
  [[ $output != *"line 0 "* ]]
  local prev=-1 n
  for l in "${lines[@]}"; do
    n=${l#line }
    n=${n%% *}
    ((n == prev + 1 || prev == -1)) || { echo "gap after $prev: $l" >&2; return 1; }
    prev=$n
  done
  run -125 v run --rm --log-opt max-file=0 busybox true
  [[ $output == *"bad --log-opt"* ]]
  run -125 v run --rm --log-opt mode=fast busybox true
  [[ $output == *"unknown --log-opt"* ]]
}

@test "logs: -f follows the log across rotation and ends when the container stops" {
  v run -d --name f --log-opt max-size=500 --log-opt max-file=5 busybox \
    sh -c 'sleep 0.5; i=0; while [ $i -lt 40 ]; do echo "follow $i"; i=$((i+1)); sleep 0.02; done' >/dev/null
  run -0 timeout 30 "${VR[@]}" logs -f f
  [[ ${#lines[@]} -eq 40 ]] || { echo "$output" >&2; return 1; }
  [[ ${lines[0]} == "follow 0" && ${lines[39]} == "follow 39" ]]
  local id
  id=$(id_of f)
  [[ -f $T/root/containers/$id/$id-json.log.2 ]] # it did rotate while followed
  # of a container that does not run, -f prints what there is and returns
  run -0 timeout 10 "${VR[@]}" logs -f --tail 1 f
  [[ $output == "follow 39" ]]
}

@test "logs: run -d -t logs what the terminal shows" {
  v run -d -t --name tty busybox sh -c 'tty; echo shown' >/dev/null
  wait_exited tty
  run -0 v logs tty
  [[ $output == $'/dev/pts/0\r\nshown\r' ]]
  local id
  id=$(id_of tty)
  jq -e -s 'all(.stream == "stdout")' "$T/root/containers/$id/$id-json.log"
}

@test "logs: -i keeps a detached container's stdin open; without it stdin is empty" {
  v run -d -i --name cat busybox cat >/dev/null
  sleep 0.5
  [[ $(v inspect cat | jq -r '.[0].State.Status') == running ]]
  v rm -f cat >/dev/null
  run -0 v run --name nocat busybox cat <<<"ignored"
  [[ -z $output ]]
  run -0 v run -i --rm busybox cat <<<"piped in"
  [[ $output == "piped in" ]]
}

@test "logs: the monitor runs as vessel-monitor, or in the forked vessel when that is missing" {
  v run -d --name prog busybox sh -c 'echo from-prog; sleep 100' >/dev/null
  local id
  id=$(v inspect prog | jq -r '.[0].Id')
  pgrep -f "^vessel-monitor $id" >/dev/null
  # idle, it is the small loop, with a few pages of its own (vessel-monitor
  # itself keeps ~70 KiB); what writing the log took it gives back after a
  # quiet second
  local mon
  mon=$(pgrep -f "^vessel-monitor $id idle ")
  sleep 1.5
  (($(awk '/^RssAnon:/{print $2}' "/proc/$mon/status") <= 24))
  VESSEL_MONITOR=/nonexistent v run -d --name forked busybox sh -c 'echo from-fork; exit 3' >/dev/null
  wait_exited forked
  run -0 v logs forked
  [[ $output == from-fork && $(v inspect forked | jq '.[0].State.ExitCode') == 3 ]]
  run -0 v logs prog
  [[ $output == from-prog ]]
}

@test "logs: bad input exits 125" {
  run -125 v logs no-such
  [[ $output == *no-such* ]]
  run -125 v logs
  run -125 v logs --since
}

@test "logs: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
}
