#!/usr/bin/env bats
# vessel run's flags that shape the container, each checked from inside it:
# --env-file, labels, stop signal and timeout, resources (cgroup files as the
# container sees them), ulimits, /dev/shm, sysctls, devices, --privileged,
# no-new-privileges, seccomp profiles and --init. Bad values exit 125 and
# leave nothing. The suite ends by checking the host.

load lib/engine

setup_file() { engine_suite_setup run-flags; }
teardown_file() { engine_suite_teardown; }

left() { ls "$T/root/containers" "$T/root/names" "$T/root/volumes" 2>/dev/null | grep -c '^[0-9a-zA-Z]' || true; }

@test "run-flags: --env-file reads KEY=VALUE lines, comments, KEY alone from the caller; -e wins" {
  printf '# a comment\nA=1\n  B=two words\nFROM_CALLER\nUNSET_ONE\n\nC="quoted"\n' >"$T/env"
  FROM_CALLER=passed run -0 env -u UNSET_ONE "${VR[@]}" run --rm --env-file "$T/env" -e A=override \
    busybox sh -c 'echo "$A|$B|$FROM_CALLER|$C|${UNSET_ONE-unset}"'
  [[ $output == 'override|two words|passed|"quoted"|unset' ]]
  printf 'BAD KEY=1\n' >"$T/bad"
  run -125 v run --rm --env-file "$T/bad" busybox true
  [[ $output == *"whitespace"* ]]
  run -125 v run --rm --env-file "$T/nosuch" busybox true
  [[ $(left) -eq 0 ]]
}

@test "run-flags: --label and --label-file are kept in the record and shown by inspect" {
  printf 'from=file\n# no\nempty=\n' >"$T/labels"
  run -0 v run --name lab --label a=b --label c= --label-file "$T/labels" busybox true
  run -0 v inspect lab
  [[ $(jq -c '.[0].Config.Labels' <<<"$output") == '{"a":"b","c":"","from":"file","empty":""}' ]]
  run -125 v run --rm --label =x busybox true
}

@test "run-flags: --stop-signal is what stop sends" {
  run -0 v run -d --name sig --stop-signal USR1 busybox \
    sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while true; do sleep 0.1; done'
  for _ in $(seq 50); do [[ $(v logs sig) == *ready* ]] && break; sleep 0.1; done
  run -0 v stop -t 20 sig
  run -0 v logs sig
  [[ $output == *got-usr1* ]]
  run -0 v inspect sig
  [[ $(jq -r '.[0].State.ExitCode' <<<"$output") == 7 ]]
  [[ $(jq -r '.[0].Config.StopSignal' <<<"$output") == USR1 ]]
  run -125 v run --rm --stop-signal SIGNOPE busybox true
}

@test "run-flags: --stop-timeout is stop's wait before SIGKILL when -t is not given" {
  # sleep as pid 1 ignores SIGTERM: only the SIGKILL ends it
  run -0 v run -d --name slow --stop-timeout 1 busybox sleep 100
  start=$(date +%s%N)
  run -0 v stop slow
  ms=$((($(date +%s%N) - start) / 1000000))
  [[ $ms -ge 900 && $ms -lt 6000 ]] || { echo "stop took ${ms}ms" >&2; false; }
  run -0 v inspect slow
  [[ $(jq -r '.[0].Config.StopTimeout' <<<"$output") == 1 ]]
  run -125 v run --rm --stop-timeout abc busybox true
}

@test "run-flags: memory, swap, reservation and CPU limits are the container's cgroup" {
  run -0 v run --rm -m 64m --memory-swap 128m --memory-reservation 32m --cpus 0.5 \
    --cpu-shares 512 --cpuset-cpus 0 --pids-limit 50 busybox sh -c '
    cd /sys/fs/cgroup
    cat memory/memory.limit_in_bytes memory/memory.memsw.limit_in_bytes \
      memory/memory.soft_limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us \
      cpu/cpu.shares cpuset/cpuset.cpus pids/pids.max
    grep Cpus_allowed_list /proc/self/status'
  [[ ${lines[0]} == 67108864 && ${lines[1]} == 134217728 && ${lines[2]} == 33554432 ]]
  [[ ${lines[3]} == 50000 && ${lines[4]} == 100000 && ${lines[5]} == 512 ]]
  [[ ${lines[6]} == 0 && ${lines[7]} == 50 && ${lines[8]} == *$'\t'0 ]]
  run -0 v run --rm --cpu-quota 20000 --cpu-period 50000 busybox \
    cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us
  [[ ${lines[0]} == 20000 && ${lines[1]} == 50000 ]]
  run -0 v run --rm --cpuset-mems 0 busybox cat /sys/fs/cgroup/cpuset/cpuset.mems
  [[ $output == 0 ]]
  run -0 v run --rm -m 64m --memory-swap -1 busybox cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes
  [[ $output -gt 1000000000000 ]]
}

@test "run-flags: --ulimit sets the container's limits; above the host's hard limit is refused" {
  run -0 v run --rm --ulimit nofile=100:200 --ulimit core=0 busybox sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
  [[ ${lines[0]} == 100 && ${lines[1]} == 200 && ${lines[2]} == 0 ]]
  hard=$(ulimit -Hn)
  run -125 v run --rm --ulimit "nofile=10:$((hard + 1))" busybox true
  [[ $output == *CAP_SYS_RESOURCE* ]]
  run -125 v run --rm --ulimit nofile=20:10 busybox true
  [[ $(left) -eq 0 ]]
}

@test "run-flags: /dev/shm is 64m by default, --shm-size changes it" {
  run -0 v run --rm busybox sh -c 'grep " /dev/shm " /proc/mounts'
  [[ $output == *size=65536k* ]]
  run -0 v run --rm --shm-size 8m busybox sh -c 'grep " /dev/shm " /proc/mounts'
  [[ $output == *size=8192k* ]]
  run v run --rm --shm-size 1m busybox busybox dd if=/dev/zero of=/dev/shm/f bs=1k count=2048
  [[ $status -ne 0 && $output == *"No space left"* ]]
}

@test "run-flags: --sysctl sets namespaced sysctls only" {
  run -0 v run --rm --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmni=1000 busybox \
    cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni
  [[ ${lines[0]} == 1 && ${lines[1]} == 1000 ]]
  run -125 v run --rm --sysctl kernel.hostname=x busybox true
  [[ $output == *"not namespaced"* ]]
  run -125 v run --rm --sysctl vm.swappiness=1 busybox true
  run -125 v run --rm --network host --sysctl net.ipv4.ip_forward=1 busybox true
  [[ $(left) -eq 0 ]]
}

@test "run-flags: --device adds the node and allows it in the device cgroup, with its access" {
  run -0 v run --rm --device /dev/null:/dev/mynull busybox sh -c 'echo x >/dev/mynull && echo wrote'
  [[ $output == wrote ]]
  run -125 v run --rm --device /dev/nosuch busybox true
  run -125 v run --rm --device "$T" busybox true
  [[ $(left) -eq 0 ]]
  # the access is the device cgroup's: with r only, opening for writing is
  # denied (loop-control is none of the nodes every container may use)
  [[ -c /dev/loop-control ]] || skip "no /dev/loop-control on this host"
  run v run --rm --device /dev/loop-control:/dev/lc:r busybox sh -c 'echo x >/dev/lc'
  [[ $status -ne 0 && $output == *"Operation not permitted"* ]]
  run v run --rm --device /dev/loop-control:/dev/lc:rw busybox sh -c 'echo x >/dev/lc'
  [[ $status -ne 0 && $output == *"Invalid argument"* && $output != *"not permitted"* ]]
}

@test "run-flags: --privileged gets every capability, no seccomp, no masked paths, host devices" {
  run -0 v run --rm busybox sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; grep -c " /proc/keys " /proc/mounts'
  [[ ${lines[0]} != *"$(grep CapBnd /proc/self/status | cut -f2)" && ${lines[1]} == *2 && ${lines[2]} == 1 ]]
  run -0 v run --rm --privileged busybox sh -c '
    grep -E "^(CapEff|Seccomp):" /proc/self/status
    grep -c " /proc/keys " /proc/mounts
    grep " /sys " /proc/mounts
    ls /dev | wc -l'
  [[ ${lines[0]} == *"$(grep CapBnd /proc/self/status | cut -f2)" ]]
  [[ ${lines[1]} == *0 && ${lines[2]} == 0 && ${lines[3]} == *" rw,"* ]]
  [[ ${lines[4]} -gt 20 ]]
}

@test "run-flags: --security-opt no-new-privileges sets NoNewPrivs" {
  run -0 v run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
  [[ $output == *1 ]]
  run -0 v run --rm --security-opt no-new-privileges=false busybox grep NoNewPrivs /proc/self/status
  [[ $output == *0 ]]
  run -0 v run --rm --security-opt no-new-privileges:true busybox grep NoNewPrivs /proc/self/status
  [[ $output == *1 ]]
  run -125 v run --rm --security-opt no-new-privileges=maybe busybox true
}

@test "run-flags: --security-opt seccomp=FILE applies a docker profile" {
  cat >"$T/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
 "syscalls": [
   {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
   {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}}
 ]}
JSON
  run v run --rm --security-opt "seccomp=$T/profile.json" busybox sh -c 'mkdir /tmp/x || echo blocked; chmod 700 /tmp && echo chmod-ok'
  [[ $output == *blocked* && $output == *chmod-ok* ]]
  # the rule for CAP_SYS_ADMIN holders applies with that capability
  run v run --rm --cap-add SYS_ADMIN --security-opt "seccomp=$T/profile.json" busybox sh -c 'chmod 700 /tmp || echo chmod-blocked'
  [[ $output == *chmod-blocked* ]]
  echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$T/bad.json"
  run -125 v run --rm -v made:/m --security-opt "seccomp=$T/bad.json" busybox true
  run -125 v run --rm --security-opt "seccomp=$T/nosuch.json" busybox true
  [[ $(left) -eq 0 ]]
}

@test "run-flags: a profile without execveat: run, exec and a detached start still work" {
  # the exec stub starts programs with execveat; without it the engine runs
  # from a sealed copy of itself instead, and the run is made once
  echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execveat"], "action": "SCMP_ACT_ERRNO"}]}' \
    >"$T/noexecveat.json"
  run -0 v run --rm --name once --security-opt "seccomp=$T/noexecveat.json" busybox echo ran
  [[ $output == ran ]]
  run -0 v run -d --name nx --security-opt "seccomp=$T/noexecveat.json" busybox sleep 100
  run -0 v exec nx echo in-exec
  [[ $output == in-exec ]]
  run -0 v restart -t 0 nx
  [[ $(v inspect -f '{{.State.Status}}' nx) == running ]]
  v rm -f nx >/dev/null
  [[ -z $(v ps -aq) ]]
}

@test "run-flags: --init runs tini as pid 1: it reaps zombies and forwards stop's signal" {
  [[ -x /usr/bin/tini-static ]] || skip "Debian's tini is not installed"
  run -0 v run --rm --init busybox sh -c 'cat /proc/1/cmdline | busybox tr "\0" " "'
  [[ $output == "/dev/init -- sh -c "* ]]
  # an orphan that exits is reaped by pid 1: no zombie stays
  run -0 v run --rm --init busybox sh -c '
    sh -c "sleep 0.2 & exit 0"; sleep 1
    for s in /proc/[0-9]*/stat; do busybox cut -d" " -f3 "$s"; done | grep -c Z || true'
  [[ ${lines[-1]} == 0 ]]
  # sleep alone as pid 1 ignores SIGTERM; under tini it gets and dies of it
  run -0 v run -d --name initstop --init busybox sleep 100
  start=$(date +%s%N)
  run -0 v stop -t 20 initstop
  ms=$((($(date +%s%N) - start) / 1000000))
  [[ $ms -lt 5000 ]] || { echo "stop took ${ms}ms" >&2; false; }
}

@test "run-flags: bad values exit 125 with one line and leave nothing behind" {
  local bad
  for bad in "--cpus 0" "--cpus abc" "--cpu-shares 1" "--cpu-period 10" "--cpu-quota 5" \
    "--cpuset-cpus 999" "--cpuset-cpus x-y" "--cpuset-mems 99" "--memory-swap 10m" \
    "-m 64m --memory-swap 32m" "-m 32m --memory-reservation 64m" "--cpus 1 --cpu-quota 10000" \
    "--ulimit nofile" "--ulimit bogus=1" "--shm-size 0" "--sysctl x" "--device rel" \
    "--stop-timeout -5" "--security-opt seccomp=" "--label-file /nonexistent"; do
    # shellcheck disable=SC2086
    run v run --rm -v made:/made $bad busybox true
    [[ $status -eq 125 ]] || { echo "accepted: $bad" >&2; false; }
    [[ $output != *$'\n'* ]] || { echo "not one line: $output" >&2; false; }
    [[ $(left) -eq 0 ]] || { echo "left after: $bad" >&2; false; }
  done
}

@test "run-flags: --help names the new flags" {
  run -0 v run --help
  local f
  for f in --env-file --label --stop-signal --stop-timeout --memory-swap --cpus --cpuset-cpus \
    --ulimit --shm-size --sysctl --device --privileged --init --mount --tmpfs no-new-privileges; do
    [[ $output == *"$f"* ]] || { echo "missing $f" >&2; false; }
  done
}

@test "run-flags: the suite left no mounts, cgroups or processes behind" {
  engine_assert_clean
}
