#!/usr/bin/env bats
# The vessel engine end to end: images imported from a busybox tarball, and
# containers run in the foreground with docker's flags, listed, inspected and
# removed. Every test has its own --root and --runroot; the suite ends by
# checking the host: no mounts, cgroups or processes of ours left.

load lib/engine

setup_file() { engine_suite_setup engine; }
teardown_file() { engine_suite_teardown; }

# the container directories and names under this test's root
containers_left() { ls "$T/root/containers" "$T/root/names" 2>/dev/null | grep -c '^[0-9a-z]' || true; }

# every cgroup directory the runtime could have made for a container id
cgroup_dirs_of() {
  local id=$1
  ls -d /sys/fs/cgroup/*/vessel-"$id" /sys/fs/cgroup/vessel-"$id" 2>/dev/null || true
}

@test "engine: run --rm prints the command's output and leaves nothing" {
  run v run --rm busybox echo hello
  [[ $status -eq 0 ]]
  [[ $output == hello ]]
  [[ $(containers_left) -eq 0 ]]
  run v ps -a -q
  [[ $status -eq 0 && -z $output ]]
}

@test "engine: run --rm leaves its empty directories as spares for the next container, and only those" {
  local spares=$T/root/containers/.spares
  v run --rm --hostname first-one busybox true
  [[ -d $spares/0.upper && -d $spares/0.work && -d $spares/0.rootfs && -f $spares/0.hostname ]]
  [[ -z $(find "$spares/0.upper" "$spares/0.work" "$spares/0.rootfs" -mindepth 1) ]]
  # its /etc files are written over: the next one's name, whole
  run -0 v run --rm --hostname two busybox cat /etc/hostname
  [[ $output == two ]]
  # the next one takes them, writes, and leaves them to no one
  run -0 v run --rm busybox sh -c 'test ! -e /written && echo data >/written && cat /written'
  [[ $output == data && ! -e $spares/0.upper ]]
  run -0 v run --rm busybox sh -c 'test ! -e /written && ls -A /tmp'
  [[ -z $output && -d $spares/0.upper ]]
  # a detached container takes them too; what it writes stays its own
  v run -d --name keeper busybox sh -c 'echo kept >/file; sleep 100' >/dev/null
  [[ ! -e $spares/0.upper ]]
  sleep 0.3
  [[ $(cat "$T/root/containers/$(v inspect -f '{{.Id}}' keeper)/upper/file") == kept ]]
  v rm -f keeper >/dev/null
  # container prune removes them
  v run --rm busybox true
  [[ -d $spares/0.upper ]]
  v container prune -f >/dev/null
  [[ ! -e $spares ]]
}

@test "engine: exit codes are the container's, 126 not executable, 127 not found" {
  run v run --rm busybox sh -c 'exit 3'
  [[ $status -eq 3 ]]
  run v run --rm busybox true
  [[ $status -eq 0 ]]
  run -126 v run --rm busybox /etc/passwd
  [[ $status -eq 126 ]]
  [[ $output == *"/etc/passwd"*"ermission denied"* ]]
  run -127 v run --rm busybox no-such-command
  [[ $status -eq 127 ]]
  [[ $output == *"no-such-command"*"not found"* ]]
  [[ $(containers_left) -eq 0 ]]
}

@test "engine: -e, -w, -u and --hostname reach the process" {
  run v run --rm -e FOO=bar -e 'SPACED=a b' -w /tmp -u 65534:65534 --hostname box busybox \
    sh -c 'echo "$FOO|$SPACED"; pwd; id -u; id -g; hostname'
  [[ $status -eq 0 ]]
  [[ ${lines[0]} == "bar|a b" ]]
  [[ ${lines[1]} == /tmp ]]
  [[ ${lines[2]} == 65534 && ${lines[3]} == 65534 ]]
  [[ ${lines[4]} == box ]]
  # a name from the image's /etc/passwd, with its primary group
  run v run --rm -u nobody busybox id
  [[ $output == "uid=65534(nobody) gid=65534(nogroup)"* ]]
  run v run --rm -u nosuchuser busybox id
  [[ $status -eq 125 && $output == *nosuchuser* ]]
  # default: root, in /, with the short id as host name
  run v run --rm busybox sh -c 'id -u; pwd; hostname'
  [[ ${lines[0]} == 0 && ${lines[1]} == / && ${lines[2]} =~ ^[0-9a-f]{12}$ ]]
}

@test "engine: the image's config and --change, --entrypoint" {
  v import --change 'ENV GREETING=hi' --change 'WORKDIR /tmp' \
    --change 'CMD ["sh", "-c", "echo $GREETING from $(pwd)"]' "$SUITE_TMP/busybox.tar" greeter >/dev/null
  run v run --rm greeter
  [[ $status -eq 0 && $output == "hi from /tmp" ]]
  run v run --rm -e GREETING=yo greeter
  [[ $output == "yo from /tmp" ]]
  run v run --rm --entrypoint echo greeter one two
  [[ $output == "one two" ]]
}

@test "engine: --read-only root, and writes stay in the container" {
  run v run --rm --read-only busybox touch /x
  [[ $status -ne 0 && $output == *"Read-only"* ]]
  run v run --name w busybox sh -c 'echo data > /written; cat /written'
  [[ $status -eq 0 && $output == data ]]
  # the image's layer is untouched: another container does not see the file
  run v run --rm busybox cat /written
  [[ $status -ne 0 ]]
  id=$(v inspect w | jq -r '.[0].Id')
  [[ $(cat "$T/root/containers/$id/upper/written") == data ]]
  # the container's / is 0755 as in docker, --rm or not
  run -0 v run --rm busybox ls -ld /
  [[ $output == drwxr-xr-x* ]]
  run -0 v run busybox ls -ld /
  [[ $output == drwxr-xr-x* ]]
}

@test "engine: -v binds a host directory, :ro read-only" {
  mkdir -p "$T/vol"
  echo from-host >"$T/vol/in"
  run v run --rm -v "$T/vol:/mnt" busybox sh -c 'cat /mnt/in; echo from-ctr > /mnt/out'
  [[ $status -eq 0 && $output == from-host ]]
  [[ $(cat "$T/vol/out") == from-ctr ]]
  run v run --rm -v "$T/vol:/mnt:ro" busybox sh -c 'cat /mnt/in; touch /mnt/nope'
  [[ $status -ne 0 && ${lines[0]} == from-host && $output == *"Read-only"* ]]
  [[ ! -e $T/vol/nope ]]
  run v run --rm -v "$T/does-not-exist:/mnt" busybox true
  [[ $status -eq 125 ]]
  run v run --rm -v "relative/dir:/mnt" busybox true # a relative path: no volume name
  [[ $status -eq 125 ]]
}

@test "engine: --memory and --pids-limit reach the container's cgroup" {
  run v run --rm -m 64m --pids-limit 20 busybox sh -c '
    cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max
    cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
  [[ $status -eq 0 ]]
  [[ ${lines[0]} == 20 ]]
  [[ ${lines[1]} == $((64 * 1024 * 1024)) ]]
  # and the limit holds: 30 background sleeps cannot all start under 10
  run v run --rm --pids-limit 10 busybox sh -c 'for i in $(seq 30); do sleep 1 & done; echo end'
  [[ $status -ne 0 && $output == *"can't fork"* && $output != *end* ]]
  run v run --rm --pids-limit 50 busybox sh -c 'for i in $(seq 30); do sleep 0.1 & done; echo end'
  [[ $status -eq 0 && $output == end ]]
  run v run --rm -m lots busybox true
  [[ $status -eq 125 ]]
}

@test "engine: capabilities are docker's default set, --cap-add and --cap-drop change it" {
  run v run --rm busybox grep CapEff /proc/self/status
  [[ $output == *"00000000a80425fb" ]]
  run v run --rm --cap-drop ALL busybox grep CapBnd /proc/self/status
  [[ $output == *"0000000000000000" ]]
  run v run --rm --cap-add NET_ADMIN busybox grep CapEff /proc/self/status
  [[ $output == *"00000000a80435fb" ]]
  run v run --rm --cap-add NOT_A_CAP busybox true
  [[ $status -eq 125 ]]
}

@test "engine: the default seccomp profile filters, unconfined does not, SYS_ADMIN allows mount" {
  run v run --rm busybox grep '^Seccomp:' /proc/self/status
  [[ $output == *2 ]]
  run v run --rm --security-opt seccomp=unconfined busybox grep '^Seccomp:' /proc/self/status
  [[ $output == *0 ]]
  run v run --rm --cap-add SYS_ADMIN busybox sh -c 'mkdir /m && mount -t tmpfs t /m && echo mounted'
  [[ $status -eq 0 && $output == mounted ]]
  run v run --rm busybox sh -c 'mkdir /m && mount -t tmpfs t /m'
  [[ $status -ne 0 ]]
  run v run --rm --security-opt apparmor=x busybox true
  [[ $status -eq 125 ]]
}

@test "engine: --network none has only loopback, host shares the host's" {
  run v run --rm busybox ls /sys/class/net
  [[ $status -eq 0 && $output == lo ]]
  run v run --rm --network host busybox ls /sys/class/net
  [[ $(wc -l <<<"$output") -eq $(ls /sys/class/net | wc -l) ]]
  run v run --rm --network bridge busybox true
  [[ $status -eq 125 ]]
  # as docker's: the loopback is up (IFF_UP|IFF_LOOPBACK), localhost and the
  # name are in readable /etc files, a user -v replaces one of them
  run -0 v run --rm -u 65534 --hostname box busybox sh -c \
    'cat /sys/class/net/lo/flags /etc/hostname; cat /etc/hosts; test -e /etc/resolv.conf && echo resolv'
  [[ ${lines[0]} == 0x9 && ${lines[1]} == box && ${lines[2]} == $'127.0.0.1\tlocalhost' ]]
  [[ $output == *resolv ]]
  echo "10.0.0.1 other" >"$T/hosts"
  run -0 v run --rm -v "$T/hosts:/etc/hosts:ro" busybox cat /etc/hosts
  [[ $output == "10.0.0.1 other" ]]
  run -0 v run --rm --network host busybox cat /etc/hosts
  [[ $output == "$(cat /etc/hosts)" ]]
  # and the host's name, unless -h
  run -0 v run --rm --network host busybox sh -c 'hostname; cat /etc/hostname'
  [[ ${lines[0]} == "$(hostname)" && ${lines[1]} == "$(hostname)" ]]
  run -0 v run --rm --network host -h other busybox hostname
  [[ $output == other ]]
}

@test "engine: one init layer per image holds the mount points, under the image's /etc" {
  local img=$T/img ino
  # /etc 0750 owned by 1:1, and no /proc, /sys or /dev
  mkdir -p "$img"/{bin,etc}
  cp /bin/busybox "$img/bin/busybox"
  chmod 0750 "$img/etc"
  chown 1:1 "$img/etc"
  tar -C "$img" -cf "$T/img.tar" .
  v import "$T/img.tar" odd >/dev/null
  run -0 v run --rm -h box odd /bin/busybox sh -c \
    '/bin/busybox stat -c "%a %u %g" /etc; /bin/busybox cat /etc/hostname; /bin/busybox ls -d /proc/1'
  [[ ${lines[0]} == "750 1 1" && ${lines[1]} == box && ${lines[2]} == /proc/1 ]] ||
    { echo "$output" >&2; return 1; }
  local init=("$T"/root/layers/*.init)
  [[ ${#init[@]} -eq 1 && -f ${init[0]}/etc/hosts && -d ${init[0]}/proc ]]
  ino=$(stat -c %i "${init[0]}")
  run -0 v run --rm odd /bin/busybox true
  [[ $(stat -c %i "${init[0]}") == "$ino" ]] # made once
  # busybox's own: nothing of it lands in the container's upper dir
  run -0 v create --name kept busybox true
  run -0 v start -a kept
  [[ -z $(ls -A "$T/root/containers/$(v inspect -f '{{.Id}}' kept)/upper") ]]
  v rm kept >/dev/null
  # an image whose /etc is a link: no init layer, the files are still there
  rm -rf "$img/etc"
  mkdir -p "$img/data/etc"
  ln -s data/etc "$img/etc"
  tar -C "$img" -cf "$T/link.tar" .
  v import "$T/link.tar" linked >/dev/null
  run -0 v run --rm -h linkbox linked /bin/busybox cat /etc/hostname
  [[ $output == linkbox ]]
  # and it goes with its image
  v rmi odd linked >/dev/null
  v rmi busybox >/dev/null
  [[ -z $(ls -A "$T/root/layers") ]]
}

@test "engine: images table, -q and json; tag, image inspect, rmi" {
  run v images
  [[ $status -eq 0 ]]
  [[ ${lines[0]} == REPOSITORY*TAG*"IMAGE ID"*CREATED*SIZE ]]
  [[ ${lines[1]} =~ ^busybox\ +latest\ +[0-9a-f]{12}\  ]]
  run v images -q
  [[ $output =~ ^[0-9a-f]{12}$ ]]
  v tag busybox bb:v2
  run v images --format json
  jq -e 'length == 2 and (map(.Name) | sort == ["bb:v2", "busybox:latest"]) and
         (map(.Id) | unique | length == 1) and (.[0].Id | test("^sha256:[0-9a-f]{64}$"))' <<<"$output"
  run v image inspect bb:v2
  jq -e '.[0].RepoTags == ["bb:v2"] and (.[0].Layers | length == 1)' <<<"$output"
  run v rmi bb:v2
  [[ $status -eq 0 ]]
  run v image inspect bb:v2
  [[ $status -eq 125 ]]
  run v rmi bb:v2
  [[ $status -eq 125 ]]
  run v image ls -q
  [[ $output =~ ^[0-9a-f]{12}$ ]]
  # an image a container was made from stays until the container goes
  v run --name user busybox true
  run v rmi busybox
  [[ $status -eq 125 && $output == *"in use"*user* ]]
  run v run --rm busybox echo still-there
  [[ $output == still-there ]]
  v rm user
  run v rmi busybox
  [[ $status -eq 0 ]]
  run v images -q
  [[ -z $output ]]
  [[ -z $(ls "$T/root/layers") ]]
}

@test "engine: ps and inspect show records in table and JSON" {
  v run --name first busybox sh -c 'exit 4' || true
  v run busybox echo x >/dev/null
  run v ps
  [[ $status -eq 0 && ${#lines[@]} -eq 1 && ${lines[0]} == "CONTAINER ID"*NAMES ]]
  run v ps -a
  [[ ${#lines[@]} -eq 3 ]]
  [[ ${lines[1]} == *'"sh -c exit 4"'*"Exited (4)"*first ]]
  [[ ${lines[2]} == *"Exited (0)"*vessel_1 ]]
  run v ps -a -q
  [[ ${#lines[@]} -eq 2 && ${lines[0]} =~ ^[0-9a-f]{12}$ ]]
  run v ps -a --format json
  jq -e 'length == 2 and .[0].Names == ["first"] and .[0].ExitCode == 4 and .[0].State == "exited"' <<<"$output"
  run v inspect first
  [[ $status -eq 0 ]]
  jq -e '.[0] | (.Id | test("^[0-9a-f]{64}$")) and .Name == "first" and
    (.Image | startswith("sha256:")) and .State.Status == "exited" and .State.ExitCode == 4 and
    .Config.Cmd == ["sh", "-c", "exit 4"] and .Config.Image == "busybox"' <<<"$output"
  # by id prefix too
  id=$(jq -r '.[0].Id' <<<"$output")
  run v inspect "${id:0:8}"
  [[ $(jq -r '.[0].Name' <<<"$output") == first ]]
  run v inspect nothing-here
  [[ $status -eq 125 ]]
}

@test "engine: rm removes a container; a running one needs -f" {
  v run --name done busybox true
  id=$(v inspect done | jq -r '.[0].Id')
  [[ -d $T/root/containers/$id ]]
  run v rm done
  [[ $status -eq 0 ]]
  [[ ! -e $T/root/containers/$id && ! -e $T/root/names/done ]]

  "${VR[@]}" run --name long busybox sleep 100 >"$T/long.out" 2>&1 &
  local bg=$!
  for _ in $(seq 100); do [[ $(v ps -q) ]] && break; sleep 0.1; done
  run v ps
  [[ ${lines[1]} == *Up*long ]]
  id=$(v inspect long | jq -r '.[0].Id')
  [[ $(v inspect long | jq -r '.[0].State.Status') == running ]]
  [[ -n $(cgroup_dirs_of "$id") ]]
  # the overlay is the container's alone: the host sees no mount of it
  refute grep -q "$T" /proc/self/mountinfo
  run v rm long
  [[ $status -eq 125 && $output == *running* ]]
  run v rm -f long
  [[ $status -eq 0 ]]
  local rc=0
  wait $bg || rc=$?
  [[ $rc -eq 137 ]]
  [[ ! -e $T/root/containers/$id ]]
  [[ -z $(cgroup_dirs_of "$id") ]]
  run v ps -a -q
  [[ -z $output ]]
  run v rm long
  [[ $status -eq 125 ]]
}

@test "engine: run -d returns the id of a running container, logs prints its output" {
  run v run -d --name bg busybox sh -c 'echo started; exec sleep 100'
  [[ $status -eq 0 && $output =~ ^[0-9a-f]{64}$ ]]
  id=$output
  run v ps
  [[ ${lines[1]} == "${id:0:12}"*Up*bg ]]
  [[ -n $(cgroup_dirs_of "$id") ]]
  refute grep -q "$T" /proc/self/mountinfo
  for _ in $(seq 50); do [[ $(v logs bg) == started ]] && break; sleep 0.1; done
  run v logs bg
  [[ $status -eq 0 && $output == started ]]
  # the monitor keeps none of the caller's fds (here: fd 7)
  v run -d --name held busybox sleep 100 7>"$T/held-fd" >/dev/null
  local p
  for p in $(pgrep -f -- "$T/root"); do
    refute grep -q held-fd < <(ls -l "/proc/$p/fd")
  done
  [[ -n $(pgrep -f -- "$T/root") ]]
  run v rm bg
  [[ $status -eq 125 ]]
  run v rm -f bg
  [[ $status -eq 0 ]]
  [[ ! -e $T/root/containers/$id && -z $(cgroup_dirs_of "$id") ]]
  echo "$id" >>"$SUITE_TMP/ids"
  # a command that cannot start fails run -d as run
  run -127 v run -d busybox no-such-command
  [[ $status -eq 127 && $output == *no-such-command* ]]
  run v run -d no-such-image
  [[ $status -eq 125 ]]
  # a short one ends on its own and records its exit code
  run v run -d --name quick busybox sh -c 'exit 5'
  [[ $status -eq 0 ]]
  for _ in $(seq 50); do [[ $(v inspect quick | jq -r '.[0].State.Status') == exited ]] && break; sleep 0.1; done
  [[ $(v inspect quick | jq '.[0].State.ExitCode') == 5 ]]
  run v logs vessel_1
  [[ $status -eq 0 ]]
}

@test "engine: a container whose vessel run was killed is still seen and removed by rm -f" {
  "${VR[@]}" run --name orphan busybox sleep 100 >/dev/null 2>&1 &
  local bg=$!
  for _ in $(seq 100); do [[ $(v ps -q) ]] && break; sleep 0.1; done
  id=$(v inspect orphan | jq -r '.[0].Id')
  kill -9 $bg
  wait $bg || true
  # the runtime still runs it: ps says so, and rm wants -f
  run v ps
  [[ ${lines[1]} == *Up*orphan ]]
  run v rm orphan
  [[ $status -eq 125 ]]
  run v rm -f orphan
  [[ $status -eq 0 ]]
  [[ ! -e $T/root/containers/$id && -z $(ls "$T/run/runtime") ]]
  [[ -z $(cgroup_dirs_of "$id") ]]
  echo "$id" >>"$SUITE_TMP/ids"
}

@test "engine: names are unique and checked" {
  run v run --name web busybox true
  [[ $status -eq 0 ]]
  run v run --name web busybox true
  [[ $status -eq 125 && $output == *"already in use"* ]]
  [[ $(v ps -a -q | wc -l) -eq 1 ]]
  run v run --name 'no/slash' busybox true
  [[ $status -eq 125 ]]
  run v run --name .. busybox true
  [[ $status -eq 125 ]]
  [[ $(ls "$T/root/containers" | wc -l) -eq 1 ]]
  v rm web
  run v run --rm --name web busybox echo again
  [[ $status -eq 0 && $output == again ]]
}

@test "engine: concurrent runs with one name: exactly one gets it" {
  local i ok=0
  for i in 1 2 3 4 5 6; do
    timeout 60 "${VR[@]}" run --name race busybox true >"$T/race.$i" 2>&1 &
  done
  for i in 1 2 3 4 5 6; do
    wait %$i 2>/dev/null && ok=$((ok + 1)) || true
  done
  wait
  [[ $ok -eq 1 ]]
  [[ $(v ps -a -q | wc -l) -eq 1 ]]
  [[ $(ls "$T/root/containers" | wc -l) -eq 1 ]]
  [[ $(grep -l "already in use" "$T"/race.* | wc -l) -eq 5 ]]
}

@test "engine: a signal to vessel run reaches the container" {
  "${VR[@]}" run --name sig busybox sh -c 'trap "echo got-TERM; exit 9" TERM; echo ready; while :; do sleep 0.05; done' >"$T/sig.out" 2>&1 &
  local bg=$!
  for _ in $(seq 100); do grep -q ready "$T/sig.out" 2>/dev/null && break; sleep 0.05; done
  kill -TERM $bg
  local rc=0
  wait $bg || rc=$?
  echo "rc=$rc" >&2
  cat "$T/sig.out" >&2
  [[ $rc -eq 9 ]]
  grep -q got-TERM "$T/sig.out"
  [[ $(v inspect sig | jq '.[0].State.ExitCode') == 9 ]]
}

@test "engine: bad input fails with 125 and leaves nothing behind" {
  run v run --rm no-such-image true
  [[ $status -eq 125 && ${#lines[@]} -eq 1 && $output == *no-such-image* ]]
  run v run no-such-image true
  [[ $status -eq 125 ]]
  run v run --bogus busybox true
  [[ $status -eq 125 && $output == *--bogus* ]]
  run v run
  [[ $status -eq 125 ]]
  run v run --pids-limit x busybox true
  [[ $status -eq 125 ]]
  run v run -w relative busybox true
  [[ $status -eq 125 ]]
  run v nosuchcommand
  [[ $status -eq 125 ]]
  [[ $(containers_left) -eq 0 ]]
  [[ -z $(ls "$T/run/runtime") ]]
  refute grep -q "$T" /proc/self/mountinfo
}

@test "engine: --help everywhere and version" {
  run v --help
  [[ $status -eq 0 && $output == *run*ps*rm*images* ]]
  local c
  for c in run ps rm logs inspect import images rmi tag version; do
    run v "$c" --help
    [[ $status -eq 0 && $output == "usage: vessel"*"$c"* ]]
  done
  run v image --help
  [[ $status -eq 0 ]]
  run v image inspect --help
  [[ $status -eq 0 && $output == *"image inspect"* ]]
  run v version
  [[ $status -eq 0 && $output == "vessel version "* ]]
  run "$VESSEL" --log-level loud version
  [[ $status -eq 125 ]]
}

@test "engine: VESSEL_ROOT and VESSEL_RUNROOT pick the default directories" {
  VESSEL_ROOT=$T/envroot VESSEL_RUNROOT=$T/envrun run timeout 60 "$VESSEL" import "$SUITE_TMP/busybox.tar" envimg
  [[ $status -eq 0 ]]
  [[ -d $T/envroot/images && -d $T/envrun/runtime ]]
  VESSEL_ROOT=$T/envroot VESSEL_RUNROOT=$T/envrun run timeout 60 "$VESSEL" run --rm envimg echo ok
  [[ $output == ok ]]
}

@test "engine: the cgroup of a --rm container is gone after it exits" {
  run v run --rm busybox cat /proc/self/cgroup
  [[ $status -eq 0 ]]
  id=$(grep -o 'vessel-[0-9a-f]\{64\}' <<<"$output" | head -1)
  id=${id#vessel-}
  [[ ${#id} -eq 64 ]]
  echo "$id" >>"$SUITE_TMP/ids"
  [[ -z $(cgroup_dirs_of "$id") ]]
}

@test "engine: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
}
