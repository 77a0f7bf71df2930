#!/usr/bin/env bats
# vessel volumes: volume create/ls/inspect/rm/prune, named and anonymous
# volumes with -v and --mount (filled from the image on first use), binds
# and tmpfs mounts. Each test has its own --root; the suite ends by checking
# that the host holds nothing of it.

load lib/engine

setup_file() { engine_suite_setup volumes; }
teardown_file() { engine_suite_teardown; }

# what a test's root holds: containers, names, volumes
left() { ls "$T/root/containers" "$T/root/names" "$T/root/volumes" 2>/dev/null | grep -c '^[0-9a-zA-Z]' || true; }

@test "volumes: create, ls, inspect and rm a named volume" {
  run -0 v volume create --label team=db --label tier= data1
  [[ $output == data1 ]]
  run -0 v volume ls
  [[ ${lines[0]} == "DRIVER"*"VOLUME NAME" && ${lines[1]} == "local"*"data1" ]]
  run -0 v volume ls -q
  [[ $output == data1 ]]
  run -0 v volume ls --format json
  [[ $(jq -r '.[0].Name' <<<"$output") == data1 ]]
  run -0 v volume inspect data1
  [[ $(jq -r '.[0].Driver' <<<"$output") == local ]]
  [[ $(jq -r '.[0].Labels.team' <<<"$output") == db ]]
  [[ $(jq -r '.[0].Labels.tier' <<<"$output") == "" ]]
  mp=$(jq -r '.[0].Mountpoint' <<<"$output")
  [[ $mp == "$T/root/volumes/data1/_data" && -d $mp ]]
  [[ $(jq -r '.[0].CreatedAt' <<<"$output") == 20* ]]
  # a name is unique; bad names and unknown volumes are errors
  run -125 v volume create data1
  [[ $output == *"already in use"* ]]
  run -125 v volume create 'bad/name'
  run -125 v volume inspect nosuch
  run -0 v volume rm data1
  [[ $output == data1 ]]
  run -125 v volume rm data1
  run -0 v volume rm -f data1
  [[ $(left) -eq 0 ]]
}

@test "volumes: volume create without a name makes a random one" {
  run -0 v volume create
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  name=$output
  run -0 v volume ls -q
  [[ $output == "$name" ]]
  run -0 v volume rm "$name"
}

@test "volumes: -v NAME:/dst makes the volume on demand and keeps data across containers" {
  run -0 v run --rm -v keep:/data busybox sh -c 'echo persisted >/data/file'
  run -0 v volume ls -q
  [[ $output == keep ]]
  run -0 v run --rm -v keep:/data busybox cat /data/file
  [[ $output == persisted ]]
  # :ro is enforced inside the container
  run v run --rm -v keep:/data:ro busybox sh -c 'echo x >/data/other'
  [[ $status -ne 0 && $output == *"Read-only file system"* ]]
  [[ ! -e $T/root/volumes/keep/_data/other ]]
  # the data is on the host, in the volume
  [[ $(cat "$T/root/volumes/keep/_data/file") == persisted ]]
  # one container stays for the suite's final check
  run -0 v run --name keeper -v keep:/data busybox true
}

@test "volumes: a new empty volume is filled with the image's content at its path, once" {
  run -0 v run --rm -v etcvol:/etc busybox cat /etc/passwd
  [[ $output == root:x:0:0:* ]]
  [[ -f $T/root/volumes/etcvol/_data/group ]]
  # not copied again: what the volume holds now wins over the image
  run -0 v run --rm -v etcvol:/etc busybox sh -c 'rm /etc/group; echo changed >/etc/passwd'
  run -0 v run --rm -v etcvol:/etc busybox sh -c 'cat /etc/passwd; ls /etc'
  [[ ${lines[0]} == changed && $output != *group* ]]
  # a volume that is not empty is never overwritten
  run -0 v volume create full
  echo mine >"$T/root/volumes/full/_data/mine"
  run -0 v run --rm -v full:/etc busybox ls /etc
  [[ $output == mine ]]
  # nocopy: the new volume stays empty
  run -0 v run --rm -v empty1:/etc:nocopy busybox ls /etc
  [[ -z $output ]]
  run -0 v run --rm --mount type=volume,src=empty2,dst=/etc,volume-nocopy busybox ls /etc
  [[ -z $output ]]
}

@test "volumes: two first runs on one new volume fill it once and both succeed" {
  v run --rm -v twin:/etc busybox cat /etc/group >"$T/out1" 2>&1 &
  v run --rm -v twin:/etc busybox cat /etc/group >"$T/out2" 2>&1 &
  wait %1 && wait %2
  [[ $(cat "$T/out1") == root:x:0:* && $(cat "$T/out2") == root:x:0:* ]]
  run -0 v volume ls -q
  [[ $output == twin ]]
}

@test "volumes: an anonymous volume (-v /dst) goes with run --rm and rm -v, stays with plain rm" {
  run -0 v run --rm -v /scratch busybox sh -c 'echo x >/scratch/f && cat /scratch/f'
  [[ $output == x ]]
  run -0 v volume ls -q
  [[ -z $output ]]
  # detached, its monitor removes the container and has vessel remove the volume
  run -0 v run -d --rm --name d1 -v /scratch busybox true
  for _ in $(seq 100); do
    [[ -z $(v volume ls -q) && -z $(v ps -aq) ]] && break
    sleep 0.1
  done
  run -0 v volume ls -q
  [[ -z $output ]]
  run -0 v run --name a1 -v /scratch busybox true
  run -0 v volume ls -q
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  anon=$output
  run -0 v inspect a1
  [[ $(jq -r '.[0].Mounts[0].Name' <<<"$output") == "$anon" ]]
  [[ $(jq -r '.[0].Mounts[0].Destination' <<<"$output") == /scratch ]]
  run -0 v rm -v a1
  run -0 v volume ls -q
  [[ -z $output ]]
  run -0 v run --name a2 -v /scratch busybox true
  run -0 v rm a2
  run -0 v volume ls -q
  [[ $output =~ ^[0-9a-f]{64}$ ]]
  # prune takes unused anonymous volumes; -a named ones too
  run -0 v volume create named1
  # what a killed volume create left half made goes too
  mkdir -p "$T/root/volumes/.tmp-0123456789abcdef/_data"
  run -0 v volume prune -f
  [[ ! -e $T/root/volumes/.tmp-0123456789abcdef ]]
  [[ $output == *"$anon"* || $output == *"Deleted Volumes"* ]]
  run -0 v volume ls -q
  [[ $output == named1 ]]
  run -0 v volume prune -f -a
  run -0 v volume ls -q
  [[ -z $output ]]
}

@test "volumes: a volume in use by a container, even stopped, cannot be removed or pruned" {
  run -0 v run --name user1 -v busy:/data busybox true
  run -125 v volume rm busy
  [[ $output == *"in use by container \`user1\`"* ]]
  run -0 v volume prune -f -a
  run -0 v volume ls -q
  [[ $output == busy ]]
  run -0 v rm user1
  run -0 v volume rm busy
  [[ $(left) -eq 0 ]]
}

@test "volumes: --mount with bind, volume and tmpfs, docker's keys and aliases" {
  mkdir -p "$T/host"
  echo from-host >"$T/host/f"
  run -0 v run --rm --mount "type=bind,source=$T/host,target=/h,readonly" busybox cat /h/f
  [[ $output == from-host ]]
  run v run --rm --mount "type=bind,src=$T/host,dst=/h,ro=true" busybox touch /h/g
  [[ $status -ne 0 && ! -e $T/host/g ]]
  run -0 v run --rm --mount "type=bind,src=$T/host,destination=/h" busybox touch /h/g
  [[ -e $T/host/g ]]
  run -0 v run --rm --mount type=volume,src=mvol,dst=/m busybox sh -c 'echo v >/m/f'
  [[ $(cat "$T/root/volumes/mvol/_data/f") == v ]]
  run -0 v run --rm --mount type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=700 busybox \
    sh -c 'grep " /t " /proc/mounts; busybox stat -c %a /t'
  [[ ${lines[0]} == "tmpfs /t tmpfs "*size=1024k*mode=700* && ${lines[1]} == 700 ]]
  # a missing bind source is an error, and leaves nothing
  run -125 v run --rm --mount "type=bind,src=$T/nosuch,dst=/x" busybox true
  run -0 v volume rm mvol
  [[ $(left) -eq 0 ]]
}

@test "volumes: --tmpfs mounts a size-limited, noexec tmpfs" {
  run -0 v run --rm --tmpfs /t:size=1m busybox sh -c 'grep " /t " /proc/mounts'
  [[ $output == *"size=1024k"* && $output == *noexec* && $output == *nosuid* ]]
  run v run --rm --tmpfs /t:size=1m busybox busybox dd if=/dev/zero of=/t/f bs=1k count=2048
  [[ $status -ne 0 && $output == *"No space left"* ]]
  run -0 v run --rm --tmpfs /t:exec,mode=1770 busybox sh -c 'grep " /t " /proc/mounts'
  [[ $output != *noexec* && $output == *mode=1770* ]]
}

@test "volumes: bad volume flags exit 125 and leave no container, name or volume" {
  local bad
  for bad in "-v bad!:/x" "-v vol:rel" "-v vol:/x:rx" "--mount type=nfs,dst=/x" \
    "--mount type=volume,src=vol" "--mount type=tmpfs,src=/a,dst=/x" "--tmpfs rel" \
    "--tmpfs /x:size=huge" "--mount type=volume,src=vol,dst=/x,color=red"; do
    # shellcheck disable=SC2086
    run v run --rm -v made:/made $bad busybox true
    [[ $status -eq 125 ]] || { echo "accepted: $bad" >&2; false; }
    [[ $output != *$'\n'* ]] || { echo "not one line: $output" >&2; false; }
  done
  # a failure after the volume was made on demand takes it away again
  run -125 v run --rm -v made:/made --device /dev/nosuch busybox true
  run -125 v run --rm -v made:/made -v made:/made busybox true
  [[ $(left) -eq 0 ]]
  run -125 v volume create -d nfs x
  run -125 v volume nosuchverb
  [[ $(left) -eq 0 ]]
}

@test "volumes: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
}
