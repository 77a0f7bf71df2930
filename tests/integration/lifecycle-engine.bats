#!/usr/bin/env bats
# The lifecycle of engine containers with docker's verbs: stop, kill, start,
# restart, wait, exec, pause/unpause, top, rename, container prune, and the
# status ps and inspect show after each. Every test has its own --root and
# --runroot; the suite ends by checking that nothing of ours is left.

load lib/engine

setup_file() { engine_suite_setup lifecycle; }
teardown_file() { engine_suite_teardown; }

# a container that ends on SIGTERM at once (its shell traps it: as pid 1 it
# would ignore a signal it has no handler for)
TERMED='trap "exit 0" TERM; echo started; while :; do sleep 0.1; done'

status_of() { v inspect "$1" | jq -r '.[0].State.Status'; }
ms_now() { date +%s%3N; }

@test "lifecycle: stop sends SIGTERM and returns as soon as the container exits" {
  v run -d --name web busybox sh -c "$TERMED" >/dev/null
  local t0 t1
  t0=$(ms_now)
  run -0 v stop web
  t1=$(ms_now)
  [[ $output == web ]]
  ((t1 - t0 < 3000))
  run -0 v ps -a
  [[ ${lines[1]} == *"Exited (0)"*web ]]
  run -0 v inspect web
  jq -e '.[0].State | .Status == "exited" and .ExitCode == 0 and .Pid == 0 and .Running == false
         and (.StartedAt | startswith("20")) and (.FinishedAt | startswith("20"))' <<<"$output"
  # stopping a stopped container is no error
  run -0 v stop web
}

@test "lifecycle: stop -t 1 escalates to SIGKILL when TERM is ignored" {
  v run -d --name stubborn busybox sh -c 'trap "" TERM; while :; do sleep 0.1; done' >/dev/null
  local t0 t1
  t0=$(ms_now)
  run -0 v stop -t 1 stubborn
  t1=$(ms_now)
  ((t1 - t0 >= 1000 && t1 - t0 < 6000))
  run -0 v wait stubborn
  [[ $output == 137 ]]
  run -0 v ps -a
  [[ ${lines[1]} == *"Exited (137)"* ]]
}

@test "lifecycle: stop uses the image's STOPSIGNAL" {
  v import -c "STOPSIGNAL SIGUSR1" "$SUITE_TMP/busybox.tar" usr1 >/dev/null
  v run -d --name u usr1 sh -c 'trap "exit 5" USR1; trap "" TERM; while :; do sleep 0.1; done' >/dev/null
  run -0 v stop -t 5 u
  run -0 v wait u
  [[ $output == 5 ]]
}

@test "lifecycle: kill -s sends the signal; KILL by default; errors exit 125" {
  v run -d --name k busybox sh -c 'trap "exit 9" USR2; while :; do sleep 0.1; done' >/dev/null
  run -0 v kill -s USR2 k
  [[ $output == k ]]
  run -0 v wait k
  [[ $output == 9 ]]
  run -125 v kill k
  [[ $output == *"not running"* ]]
  v start k >/dev/null
  run -125 v kill -s NOSUCHSIG k
  [[ $output == *"invalid signal"* ]]
  run -0 v kill k
  run -0 v wait k
  [[ $output == 137 ]]
  run -125 v kill no-such-container
}

@test "lifecycle: start runs an exited container again, its output goes on in logs" {
  v run -d --name again busybox sh -c 'echo "run $$"; echo line' >/dev/null
  run -0 v wait again
  [[ $output == 0 ]]
  local first
  first=$(v inspect again | jq -r '.[0].State.StartedAt')
  run -0 v start again
  [[ $output == again ]]
  run -0 v wait again
  run -0 v logs again
  [[ $(grep -c '^line$' <<<"$output") -eq 2 ]]
  [[ $(v inspect again | jq -r '.[0].State.StartedAt') != "$first" ]]
  # start -a runs it in the foreground with its output and exit code
  v run -d --name fg busybox sh -c 'echo attached; exit 4' >/dev/null
  v wait fg >/dev/null
  run -4 v start -a fg
  [[ $output == attached ]]
  # starting a running one does nothing
  v run -d --name up busybox sleep 100 >/dev/null
  local pid
  pid=$(v inspect up | jq '.[0].State.Pid')
  run -0 v start up
  [[ $(v inspect up | jq '.[0].State.Pid') == "$pid" ]]
}

@test "lifecycle: restart gives a running container a new init" {
  v run -d --name r busybox sh -c "$TERMED" >/dev/null
  local pid
  pid=$(v inspect r | jq '.[0].State.Pid')
  ((pid > 0))
  run -0 v restart -t 2 r
  [[ $output == r ]]
  local pid2
  pid2=$(v inspect r | jq '.[0].State.Pid')
  ((pid2 > 0 && pid2 != pid))
  [[ $(status_of r) == running ]]
  refute kill -0 "$pid" 2>/dev/null
  # restart of an exited one starts it
  v stop r >/dev/null
  run -0 v restart r
  [[ $(status_of r) == running ]]
}

@test "lifecycle: wait blocks until the exit and prints the code" {
  v run -d --name w busybox sh -c 'sleep 0.5; exit 3' >/dev/null
  run -0 v wait w
  [[ $output == 3 ]]
  [[ $(status_of w) == exited ]]
  # several at once, in order
  v run -d --name w2 busybox sh -c 'exit 2' >/dev/null
  run -0 v wait w w2
  [[ ${lines[0]} == 3 && ${lines[1]} == 2 ]]
  run -125 v wait no-such-container
}

@test "lifecycle: exec output, exit code, -e, -u, -w; 126/127 when it cannot run" {
  v run -d --name x busybox sh -c "$TERMED" >/dev/null
  run -0 v exec x echo hello
  [[ $output == hello ]]
  run -42 v exec x sh -c 'exit 42'
  run -0 v exec -e FOO=bar -e HOSTNAME=over x sh -c 'echo $FOO $HOSTNAME'
  [[ $output == "bar over" ]]
  run -0 v exec -u nobody x id -u
  [[ $output == 65534 ]]
  run -0 v exec -u 123:456 x sh -c 'echo $(id -u):$(id -g)'
  [[ $output == 123:456 ]]
  run -0 v exec -w /tmp x pwd
  [[ $output == /tmp ]]
  run -0 v exec x pwd
  [[ $output == / ]]
  run -127 v exec x no-such-command
  run -126 v exec x /etc/noexec
  run -125 v exec -u no-such-user x true
  run -125 v exec -w relative x true
  # without -i the process reads nothing; with -i it reads our stdin
  run -0 v exec x cat
  [[ -z $output ]]
  run -0 bash -c 'echo piped | "$@" exec -i x cat' _ "${VR[@]}"
  [[ $output == piped ]]
  # -d returns at once, the process runs on
  run -0 v exec -d x sh -c 'sleep 0.3; echo done >/tmp/detached'
  sleep 1
  run -0 v exec x cat /tmp/detached
  [[ $output == done ]]
  v stop x >/dev/null
  run -125 v exec x true
  [[ $output == *"not running"* ]]
}

@test "lifecycle: pause stops a counter, unpause resumes it; ps and inspect say so" {
  v run -d --name p busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done' >/dev/null
  local id count
  id=$(v inspect p | jq -r '.[0].Id')
  count=$T/root/containers/$id/upper/tmp/count
  sleep 0.5
  run -0 v pause p
  [[ $output == p ]]
  sleep 0.2
  local a b
  a=$(cat "$count")
  sleep 0.5
  b=$(cat "$count")
  [[ -n $a && $a == "$b" ]]
  run -0 v ps
  [[ ${lines[1]} == *"Paused"*p ]]
  run -0 v inspect p
  jq -e '.[0].State | .Status == "paused" and .Paused == true and .Running == true' <<<"$output"
  run -125 v pause p
  run -125 v exec p true
  run -0 v unpause p
  sleep 0.5
  b=$(cat "$count")
  ((b > a))
  [[ $(status_of p) == running ]]
  run -125 v unpause p
  # a paused container still stops
  v pause p >/dev/null
  run -0 v stop -t 1 p
  [[ $(status_of p) == exited ]]
}

@test "lifecycle: top lists the container's processes" {
  v run -d --name t busybox sh -c 'sleep 1000 & wait' >/dev/null
  sleep 0.3
  run -0 v top t
  [[ ${lines[0]} == UID*PID*PPID*CMD ]]
  [[ $output == *"sleep 1000"* ]]
  [[ $output == *"root"* ]]
  local pid
  pid=$(v inspect t | jq '.[0].State.Pid')
  grep -q "^root *$pid " <<<"$output"
  v stop -t 1 t >/dev/null
  run -125 v top t
}

@test "lifecycle: rename keeps names unique" {
  v run -d --name old busybox sleep 100 >/dev/null
  v run -d --name other busybox sleep 100 >/dev/null
  run -0 v rename old new
  run -0 v inspect new
  jq -e '.[0].Name == "new" and .[0].State.Status == "running"' <<<"$output"
  run -125 v inspect old
  run -125 v rename new other
  [[ $output == *"already in use"* ]]
  run -125 v rename new 'bad/name'
  run -125 v rename no-such-container x
  # the old name is free again, and the exit is recorded under the new one
  v run -d --name old busybox true >/dev/null
  run -0 v stop -t 1 new
  run -0 v ps -a
  [[ $output == *"Exited (137)"*new* ]]
}

@test "lifecycle: container prune removes exited containers only" {
  v run -d --name done1 busybox true >/dev/null
  v run -d --name done2 busybox sh -c 'exit 3' >/dev/null
  v run -d --name alive busybox sleep 100 >/dev/null
  v wait done1 done2 >/dev/null
  local id1
  id1=$(v inspect done1 | jq -r '.[0].Id')
  # without -f it asks; no answer keeps everything
  run -0 bash -c ': | "$@" container prune' _ "${VR[@]}"
  [[ $(v ps -a -q | wc -l) -eq 3 ]]
  run -0 v container prune -f
  [[ ${lines[0]} == "Deleted Containers:" ]]
  [[ $output == *"$id1"* ]]
  run -0 v ps -a -q
  [[ $(wc -l <<<"$output") -eq 1 ]]
  [[ $(status_of alive) == running ]]
  [[ ! -e $T/root/containers/$id1 && ! -e $T/root/names/done1 ]]
  # container ls and friends reach the same commands
  run -0 v container ls
  [[ $output == *alive* ]]
  run -0 v container kill alive
  run -0 v container wait alive
  run -0 v container prune -f
  [[ -z $(v ps -a -q) ]]
}

@test "lifecycle: concurrent starts run one container once; stop and wait race safely" {
  v run -d --name c busybox sh -c "$TERMED" >/dev/null
  v stop c >/dev/null
  local pids=() i
  for i in 1 2 3; do v start c >/dev/null 2>&1 & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i"; done
  [[ $(status_of c) == running ]]
  local id
  id=$(v inspect c | jq -r '.[0].Id')
  # one init: every process of its cgroup descends from one shell
  run -0 v top c
  [[ $(grep -c 'sh -c trap' <<<"$output") -eq 1 ]]
  v wait c >"$T/wait.out" &
  local waiter=$!
  v stop c >/dev/null & local stopper=$!
  wait "$stopper"
  wait "$waiter"
  [[ $(cat "$T/wait.out") == 0 ]]
}

@test "lifecycle: failures exit 125 and leave nothing behind" {
  for cmd in start stop restart kill wait pause unpause top; do
    run -125 v "$cmd" no-such-container
    [[ $output == *"no-such-container"* ]]
  done
  run -125 v exec no-such-container true
  run -125 v stop -t x whatever
  run -125 v start
  run -125 v rename onlyone
  run -125 v container nosuchverb
  [[ -z $(ls "$T/root/containers") && -z $(ls "$T/root/names") ]]
}

@test "lifecycle: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
}
