#!/usr/bin/env bats
# Restart policies and health checks, both applied by the container's
# monitor: on-failure[:N], always and unless-stopped with docker's back-off;
# stop, kill and rm -f are never undone; --health-* probes run in the
# container and show in ps and inspect.

load lib/engine

setup_file() { engine_suite_setup restart; }
teardown_file() { engine_suite_teardown; }

state() { v inspect "$1" | jq -r ".[0]$2"; }
# waits until the jq filter on inspect's document is true
wait_for() { # NAME FILTER [TENTHS]
  local _
  for _ in $(seq "${3:-100}"); do
    v inspect "$1" | jq -e ".[0] | $2" >/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for $2 on $1: $(v inspect "$1" | jq -c '.[0].State')" >&2
  return 1
}
# the ms between two RFC 3339 times
ms_between() { echo $((($(date -d "$2" +%s%N) - $(date -d "$1" +%s%N)) / 1000000)); }

@test "restart: on-failure:3 restarts a failing container three times with a growing back-off" {
  v run -d --name of --restart on-failure:3 busybox sh -c 'echo run; exit 3' >/dev/null
  wait_for of '.RestartCount == 3 and .State.Status == "exited"'
  sleep 0.5 # a fourth run would come after 800 ms at most
  [[ $(state of .RestartCount) == 3 && $(state of .State.ExitCode) == 3 ]]
  [[ $(state of .HostConfig.RestartPolicy.Name) == on-failure ]]
  [[ $(state of .HostConfig.RestartPolicy.MaximumRetryCount) == 3 ]]
  run -0 v logs -t of
  [[ ${#lines[@]} -eq 4 ]]
  # docker's back-off: 100 ms, then 200, then 400 between the runs
  local t=() l
  for l in "${lines[@]}"; do t+=("${l%% *}"); done
  local g1 g2 g3
  g1=$(ms_between "${t[0]}" "${t[1]}")
  g2=$(ms_between "${t[1]}" "${t[2]}")
  g3=$(ms_between "${t[2]}" "${t[3]}")
  echo "gaps $g1 $g2 $g3" >&2
  ((g1 >= 90 && g2 >= 190 && g3 >= 390 && g3 > g1 + 200))
  run -0 v ps -a
  [[ ${lines[1]} == *"Exited (3)"*of ]]
}

@test "restart: on-failure leaves a clean exit alone; no policy never restarts" {
  v run -d --name ok --restart on-failure busybox true >/dev/null
  v run -d --name plain busybox false >/dev/null
  wait_for ok '.State.Status == "exited"'
  wait_for plain '.State.Status == "exited"'
  sleep 0.5
  [[ $(state ok .RestartCount) == 0 && $(state plain .RestartCount) == 0 ]]
  [[ $(state plain .HostConfig.RestartPolicy.Name) == no ]]
}

@test "restart: wait returns at the next exit, though the policy restarts the container" {
  v run -d --name wt --restart always busybox sh -c 'sleep 0.5; exit 3' >/dev/null
  run -0 timeout 20 "${VR[@]}" wait wt
  [[ $output == 3 ]]
  # and it keeps coming back
  wait_for wt '.RestartCount >= 1 and .State.Status == "running"'
  run -0 timeout 20 "${VR[@]}" wait wt
  [[ $output == 3 ]]
  v rm -f wt >/dev/null
}

@test "restart: always restarts a clean exit; stop is not undone and start resumes the policy" {
  v run -d --name al --restart always busybox sh -c 'sleep 0.3' >/dev/null
  wait_for al '.RestartCount >= 2'
  run -0 v stop -t 2 al
  local n
  n=$(state al .RestartCount)
  sleep 1.5
  [[ $(state al .State.Status) == exited && $(state al .RestartCount) == "$n" ]]
  run -0 v ps -a
  [[ ${lines[1]} == *Exited*al ]]
  # no monitor waits on: it let go of the container
  refute pgrep -f -- "$T/root.* run -d --name al" >/dev/null
  # a start by the user: the policy applies again, the count starts over
  run -0 v start al
  wait_for al '.RestartCount >= 1'
  v rm -f al >/dev/null
}

@test "restart: unless-stopped: kill stays killed, a stop during the back-off too" {
  v run -d --name us --restart unless-stopped busybox sleep 100 >/dev/null
  wait_for us '.State.Status == "running"'
  run -0 v kill us
  wait_for us '.State.Status == "exited"'
  sleep 0.5
  [[ $(state us .State.Status) == exited && $(state us .RestartCount) == 0 ]]
  [[ $(state us .State.ExitCode) == 137 ]]
  # a container that fails again and again: stop it between two runs
  v run -d --name flap --restart unless-stopped busybox sh -c 'exit 1' >/dev/null
  wait_for flap '.RestartCount >= 4'
  # between two runs it shows as restarting, as docker's
  wait_for flap '.State.Status == "restarting" and .State.Restarting'
  run -0 v ps -a
  [[ $output == *"Restarting (1)"*flap* ]]
  local t0 t1
  t0=$(date +%s%3N)
  run -0 v stop flap
  t1=$(date +%s%3N)
  ((t1 - t0 < 3000))
  local n
  n=$(state flap .RestartCount)
  sleep 2
  [[ $(state flap .State.Status) == exited && $(state flap .RestartCount) == "$n" ]]
  [[ $(state flap .State.Restarting) == false ]]
}

@test "restart: rm -f removes a container whose policy would restart it, monitor and all" {
  v run -d --name gone --restart always busybox sleep 100 >/dev/null
  local id
  id=$(state gone .Id)
  echo "$id" >>"$SUITE_TMP/ids"
  run -0 v rm -f gone
  sleep 0.5
  run -125 v inspect gone
  [[ ! -e $T/root/containers/$id ]]
  refute pgrep -f -- "$T/root.* --name gone" >/dev/null
  # the same between two runs
  v run -d --name gone2 --restart always busybox sh -c 'exit 1' >/dev/null
  wait_for gone2 '.RestartCount >= 3'
  run -0 v rm -f gone2
  sleep 0.5
  refute pgrep -f -- "$T/root.* --name gone2" >/dev/null
  run -0 v ps -aq
  [[ -z $output ]]
}

@test "restart: the monitor of run -d --rm removes the container when it ends, or at once when its command is missing" {
  v run -d --rm --name brief busybox sh -c 'sleep 0.3' >/dev/null
  local _
  for _ in $(seq 50); do [[ -z $(ls "$T/root/containers") ]] && break; sleep 0.1; done
  [[ -z $(ls "$T/root/containers") && -z $(ls "$T/root/names") ]]
  run -127 v run -d --rm busybox no-such-command
  [[ -z $(ls "$T/root/containers") && -z $(ls "$T/root/names") ]]
  # without --rm a missing command leaves the exited container, as docker
  run -127 v run -d --name kept busybox no-such-command
  [[ $(v inspect kept | jq -r '.[0].State.ExitCode') == 127 ]]
}

@test "restart: bad --restart values and --rm with --restart exit 125 and leave nothing" {
  run -125 v run --restart sometimes busybox true
  [[ $output == *"bad --restart"* ]]
  run -125 v run --restart on-failure:x busybox true
  run -125 v run --restart on-failure:-1 busybox true
  run -125 v run --rm --restart always busybox true
  [[ $output == *conflicting* ]]
  run -0 v ps -aq
  [[ -z $output ]]
}

@test "health: a passing check turns starting into healthy, in ps and inspect" {
  v run -d --name hc --health-cmd 'echo probe-out; test -e /tmp/ready' --health-interval 200ms \
    busybox sh -c 'sleep 1; touch /tmp/ready; sleep 100' >/dev/null
  run -0 v ps
  [[ ${lines[1]} == *"(health: starting)"*hc ]]
  [[ $(state hc .State.Health.Status) == starting ]]
  wait_for hc '.State.Health.Status == "healthy"'
  run -0 v ps
  [[ ${lines[1]} =~ Up\ [^\(]*\(healthy\) ]]
  v inspect hc | jq -e '.[0].State.Health | .FailingStreak == 0 and (.Log | length) <= 5 and
    (.Log[-1] | .ExitCode == 0 and .Output == "probe-out\n" and (.Start | length) > 0 and (.End | length) > 0)'
  v inspect hc | jq -e '.[0].Config.Healthcheck.Test == ["CMD-SHELL", "echo probe-out; test -e /tmp/ready"]'
  # five results kept at most
  sleep 1.5
  [[ $(state hc '.State.Health.Log | length') == 5 ]]
}

@test "health: a paused container is not probed; it is again once unpaused" {
  v run -d --name hp --health-cmd 'date +%s%N >>/tmp/probes' --health-interval 150ms \
    busybox sleep 100 >/dev/null
  wait_for hp '.State.Health.Status == "healthy"'
  v pause hp >/dev/null
  local before n
  sleep 1
  # no probe runs: an exec into the frozen container would hang there
  refute pgrep -f -- "$T/root --runroot $T/run exec"
  n=$(state hp '.State.Health.FailingStreak')
  [[ $n == 0 && $(state hp .State.Health.Status) == healthy ]]
  v unpause hp >/dev/null
  run -0 v exec hp sh -c 'wc -l </tmp/probes'
  before=$output
  sleep 1
  run -0 v exec hp sh -c 'wc -l </tmp/probes'
  ((output > before))
  v rm -f hp >/dev/null
}

@test "health: failures past --health-retries make it unhealthy; success heals it" {
  v run -d --name bad --health-cmd 'test -e /tmp/ok' --health-interval 150ms --health-retries 2 \
    busybox sleep 100 >/dev/null
  wait_for bad '.State.Health.Status == "unhealthy" and .State.Health.FailingStreak >= 2'
  run -0 v ps
  [[ ${lines[1]} == *"(unhealthy)"*bad ]]
  v inspect bad | jq -e '.[0].State.Health.Log[-1].ExitCode == 1'
  v exec bad touch /tmp/ok
  wait_for bad '.State.Health.Status == "healthy" and .State.Health.FailingStreak == 0'
}

@test "health: the start period does not count failures; a timeout is a failure" {
  v run -d --name sp --health-cmd false --health-interval 100ms --health-retries 1 \
    --health-start-period 1500ms busybox sleep 100 >/dev/null
  sleep 0.8
  [[ $(state sp .State.Health.Status) == starting ]]
  [[ $(state sp .State.Health.FailingStreak) == 0 ]]
  wait_for sp '.State.Health.Status == "unhealthy"'
  v run -d --name slow --health-cmd 'sleep 5' --health-interval 100ms --health-timeout 300ms \
    --health-retries 1 busybox sleep 100 >/dev/null
  wait_for slow '.State.Health.Status == "unhealthy"'
  v inspect slow | jq -e '.[0].State.Health.Log[0] | .ExitCode == -1 and (.Output | test("exceeded timeout"))'
}

@test "health: the image's Healthcheck applies; --health-* override it, --no-healthcheck drops it" {
  # busybox again, its config given a Healthcheck (the config's digest is its
  # file's name in a docker-archive)
  local d=$T/arch cfg h
  mkdir -p "$d"
  v save -o "$d/bb.tar" busybox
  tar -C "$d" -xf "$d/bb.tar"
  rm "$d/bb.tar"
  cfg=$(jq -r '.[0].Config' "$d/manifest.json")
  jq -c '.config.Healthcheck = {"Test": ["CMD", "sh", "-c", "echo image probe; exit 0"],
    "Interval": 200000000, "Retries": 1}' "$d/$cfg" >"$d/new.json"
  h=$(sha256sum "$d/new.json" | cut -c1-64)
  rm "$d/$cfg"
  mv "$d/new.json" "$d/$h.json"
  jq -c --arg c "$h.json" '.[0].Config = $c | .[0].RepoTags = ["checked:latest"]' \
    "$d/manifest.json" >"$d/m" && mv "$d/m" "$d/manifest.json"
  tar -C "$d" -cf "$T/checked.tar" .
  v load -i "$T/checked.tar" >/dev/null
  v run -d --name img checked sleep 100 >/dev/null
  wait_for img '.State.Health.Status == "healthy"'
  v inspect img | jq -e '.[0].State.Health.Log[-1].Output == "image probe\n"'
  v inspect img | jq -e '.[0].Config.Healthcheck.Interval == 200000000'
  # a flag overrides the image's command
  v run -d --name flag --health-cmd 'exit 1' --health-interval 100ms checked sleep 100 >/dev/null
  wait_for flag '.State.Health.Status == "unhealthy"'
  v run -d --name off --no-healthcheck checked sleep 100 >/dev/null
  sleep 0.5
  [[ $(state off .State.Health) == null ]]
}

@test "health: between probes the idle monitor writes the log; a line cut by a probe stays one entry" {
  # the monitor hands the container to its idle loop and takes it back for
  # each probe: the streams, the log and a line not ended yet go across
  v run -d --name hl --health-cmd true --health-interval 200ms busybox \
    sh -c 'printf "begun "; sleep 1; echo ended; sleep 0.5; echo second; sleep 100' >/dev/null
  wait_for hl '.State.Health.Status == "healthy"'
  sleep 2
  local id log
  id=$(v inspect hl | jq -r '.[0].Id')
  log=$T/root/containers/$id/$id-json.log
  [[ $(jq -j .log "$log") == $'begun ended\nsecond' ]]
  [[ $(jq -s length "$log") == 2 ]]
  [[ $(v inspect hl | jq '.[0].State.Health.Log | length') -ge 5 ]]
  # SIGTERM to the monitor goes on to the container, whose sh dies of it
  v run -d --name term busybox sh -c 'trap "echo got-term; exit 7" TERM; while true; do sleep 0.1; done' >/dev/null
  sleep 0.5
  pkill -TERM -f "^vessel-monitor $(v inspect term | jq -r '.[0].Id') idle "
  wait_for term '.State.Status == "exited"'
  [[ $(state term .State.ExitCode) == 7 && $(v logs term) == got-term ]]
  v rm -f hl term >/dev/null
}

@test "health: bad --health-* values exit 125" {
  run -125 v run --health-cmd true --health-interval soon busybox true
  [[ $output == *"bad duration"* ]]
  run -125 v run --health-cmd true --health-retries 0 busybox true
  run -125 v run --health-cmd true --no-healthcheck busybox true
  run -125 v run --health-cmd '' busybox true
  run -0 v ps -aq
  [[ -z $output ]]
  # no check: no Health in inspect, plain "Up" in ps
  v run -d --name none busybox sleep 100 >/dev/null
  [[ $(state none .State.Health) == null ]]
  run -0 v ps
  [[ ${lines[1]} != *"("* ]]
}

@test "restart-health: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
}
