#!/usr/bin/env bats
# What the container may and may not do: fds, capabilities, no_new_privs,
# seccomp, the runtime binary, user namespaces, and the process attributes
# of the spec (uts names, rlimits, oom score, sysctls, umask, ids, cwd).

load lib/runtime

setup_file() { vr_suite_setup sec; }
teardown() { vr_teardown; }
teardown_file() { vr_suite_teardown; }

# Runs a one-shot container with FILTER and the shell SCRIPT; output in $output.
run_sh() { # FILTER SCRIPT [RUN-STATUS]
  local id
  id=$(vr_new_id)
  vr_bundle "$id" "$1" sh -c "$2"
  run "-${3:-0}" vr_run "$id"
}

# The CapXxx lines of /proc/self/status as "Inh Prm Eff Bnd Amb" hex words.
CAPS_SCRIPT='for k in CapInh CapPrm CapEff CapBnd CapAmb; do
  awk -v k="$k:" "\$1 == k { printf \"%s=%s \", substr(k, 1, 6), \$2 }" /proc/self/status; done'

@test "security: no host fd leaks into the container" {
  exec 5<"$BATS_TEST_FILENAME" 6>"$VR_TMP/fd6"
  run_sh . 'cd /proc/self/fd && echo *'
  exec 5<&- 6>&-
  # 0 1 2, and 3 for the directory the shell is listing
  [[ $output == "0 1 2" || $output == "0 1 2 3" ]] || { echo "fds: $output" >&2; return 1; }
}

@test "security: no host fd leaks into an exec'd process" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sleep 600
  vr_up "$id"
  exec 5<"$BATS_TEST_FILENAME"
  run -0 vr exec "$id" sh -c 'cd /proc/self/fd && echo *'
  exec 5<&-
  [[ $output == "0 1 2" || $output == "0 1 2 3" ]] || { echo "fds: $output" >&2; return 1; }
  # nor into pid 1, whose fds the runtime set up
  run -0 vr exec "$id" sh -c 'cd /proc/1/fd && echo *'
  [[ $output == "0 1 2" ]] || { echo "pid 1 fds: $output" >&2; return 1; }
}

@test "security: --preserve-fds passes exactly the extra fds asked for" {
  local id
  echo preserved-content >"$VR_TMP/preserved"
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'cat <&3; cd /proc/self/fd && echo *'
  # fd 3 is bats' own: open it only for the runtime's process
  run -0 bash -c 'exec 3<"$1" 4<"$1"; exec "$VESSEL_RUNTIME" --root "$VR_ROOT" run --preserve-fds 1 --bundle "$2" "$3" </dev/null' \
    _ "$VR_TMP/preserved" "$BUNDLE" "$id"
  [[ ${lines[0]} == preserved-content ]]
  # fd 4 was not asked for; fd 3 stays open, 4 is the directory listed
  [[ ${lines[1]} == "0 1 2 3" || ${lines[1]} == "0 1 2 3 4" ]] ||
    { echo "fds: ${lines[1]}" >&2; return 1; }

  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'cat <&3'
  run bash -c 'exec 3<"$1"; exec "$VESSEL_RUNTIME" --root "$VR_ROOT" run --bundle "$2" "$3" </dev/null' \
    _ "$VR_TMP/preserved" "$BUNDLE" "$id"
  ((status != 0))
  [[ $output != *preserved-content* ]]
}

@test "security: the working directory is the spec's, not the runtime's" {
  cd "$VR_TMP"
  run_sh '.process.cwd = "/tmp"' 'readlink /proc/self/cwd; cd .. && pwd; ls /proc/self/cwd/../ | head -50'
  vr_expect_eq "${lines[0]}" /tmp cwd
  vr_expect_eq "${lines[1]}" / "parent of cwd"
  [[ $output != *bundles* && $output != *state* ]]
}

@test "security: capabilities are exactly the spec's sets (only CAP_KILL)" {
  run_sh '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"],
    permitted: ["CAP_KILL"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"]}' "$CAPS_SCRIPT"
  vr_expect_eq "$output" "CapInh=0000000000000020 CapPrm=0000000000000020 CapEff=0000000000000020 CapBnd=0000000000000020 CapAmb=0000000000000020 " caps
}

@test "security: capabilities the runtime does not hold are left out with a warning" {
  # every capability the kernel knows, as --privileged asks; the container
  # gets what this host's root holds (here: all but CAP_SYS_RESOURCE)
  local last all want
  last=$(cat /proc/sys/kernel/cap_last_cap)
  all=$(jq -cn --argjson n "$last" '[range(0; $n + 1)] | map(
    ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL",
     "CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE",
     "CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER",
     "CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT",
     "CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE","CAP_SYS_TIME",
     "CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL",
     "CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM",
     "CAP_BLOCK_SUSPEND","CAP_AUDIT_READ","CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"][.])')
  want=$(awk '$1 == "CapPrm:" { print $2 }' /proc/self/status)
  run_sh ".process.capabilities = {bounding: $all, effective: $all, permitted: $all}" \
    'awk "\$1 == \"CapEff:\" { print \$2 }" /proc/self/status'
  vr_expect_eq "${lines[-1]}" "$want" "CapEff"
  if [[ $want != $(printf '%016x' $(((1 << (last + 1)) - 1))) ]]; then
    [[ $output == *"capabilities not granted"* ]] || { echo "$output" >&2; return 1; }
  fi
}

@test "security: each capability set is applied separately (non-root user)" {
  # uid 1000 has no file caps: after execve it keeps the ambient set only
  run_sh '.process.user = {uid: 1000, gid: 1000} |
    .process.capabilities = {bounding: ["CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"],
      effective: ["CAP_KILL", "CAP_CHOWN"], permitted: ["CAP_KILL", "CAP_CHOWN"],
      inheritable: ["CAP_KILL", "CAP_CHOWN"], ambient: ["CAP_KILL"]}' "$CAPS_SCRIPT"
  vr_expect_eq "$output" "CapInh=0000000000000021 CapPrm=0000000000000020 CapEff=0000000000000020 CapBnd=0000000000002021 CapAmb=0000000000000020 " caps
}

@test "security: empty capability sets give no capability at all" {
  run_sh '.process.capabilities = {bounding: [], effective: [], permitted: [],
    inheritable: [], ambient: []}' "$CAPS_SCRIPT"
  vr_expect_eq "$output" "CapInh=0000000000000000 CapPrm=0000000000000000 CapEff=0000000000000000 CapBnd=0000000000000000 CapAmb=0000000000000000 " caps
}

@test "security: no capabilities object gives no capability at all" {
  run_sh 'del(.process.capabilities)' "$CAPS_SCRIPT"
  vr_expect_eq "$output" "CapInh=0000000000000000 CapPrm=0000000000000000 CapEff=0000000000000000 CapBnd=0000000000000000 CapAmb=0000000000000000 " caps
}

@test "security: an unknown capability name fails create" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.process.capabilities.bounding += ["CAP_NOT_A_CAP"]' true
  run vr_create "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
}

@test "security: a capability the bounding set lacks cannot be used" {
  # CAP_CHOWN is not in the default set of `spec`
  run_sh '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"],
    permitted: ["CAP_KILL"]}' 'touch /tmp/f; chown 1000 /tmp/f 2>/dev/null && echo chowned || echo refused'
  vr_expect_eq "$output" refused chown
}

@test "security: noNewPrivileges true sets NoNewPrivs, false leaves it clear" {
  run_sh '.process.noNewPrivileges = true' 'awk "/^NoNewPrivs:/ { print \$2 }" /proc/self/status'
  vr_expect_eq "$output" 1 "NoNewPrivs with noNewPrivileges"
  run_sh '.process.noNewPrivileges = false' 'awk "/^NoNewPrivs:/ { print \$2 }" /proc/self/status'
  vr_expect_eq "$output" 0 "NoNewPrivs without noNewPrivileges"
}

SECCOMP_MKDIR='.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
  architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: $errno}]}'

@test "security: a seccomp rule with errnoRet 1 makes mkdir fail with EPERM" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'mkdir /tmp/denied; echo "rc=$?"; touch /tmp/allowed && echo touched;
    awk "/^Seccomp:/ { print \$2 }" /proc/self/status'
  vr_config --argjson errno 1 "$SECCOMP_MKDIR"
  run -0 vr_run "$id"
  [[ $output == *"Operation not permitted"* ]] || { echo "$output" >&2; return 1; }
  [[ $output == *rc=1* && $output == *touched* ]]
  # filter mode
  vr_expect_eq "${lines[-1]}" 2 "Seccomp"
  [[ ! -e $BUNDLE/rootfs/tmp/denied && -e $BUNDLE/rootfs/tmp/allowed ]]
}

@test "security: seccomp errnoRet is the errno the syscall returns" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'mkdir /tmp/denied'
  vr_config --argjson errno 13 "$SECCOMP_MKDIR"
  run -1 vr_run "$id"
  [[ $output == *"Permission denied"* ]] || { echo "$output" >&2; return 1; }
}

@test "security: a seccomp profile naming an unknown syscall action fails create" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . true
  vr_config '.linux.seccomp = {defaultAction: "SCMP_ACT_BOGUS"}'
  run vr_create "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
}

# The CVE-2019-5736 attacker: waits for a process whose command line names
# /tmp/fifo (the runtime binary re-executed inside the container, blocked
# opening the fifo as its log), opens its executable, kills it, then tries to
# write the executable through the magic link. Logs each step in /tmp/log.
ATTACKER='echo ready >>/tmp/log
while :; do
  for f in /proc/[0-9]*/cmdline; do
    p=${f%/cmdline}; p=${p#/proc/}
    [ "$p" = $$ ] && continue
    # split so that this script itself does not match
    case "$(tr "\0" " " <"$f" 2>/dev/null)" in *"--log /tmp/fi"fo*) ;; *) continue ;; esac
    echo "found $p $(readlink /proc/$p/exe 2>&1)" >>/tmp/log
    ( exec 7<"/proc/$p/exe" || exit 1
      echo opened >>/tmp/log
      kill -9 "$p"
      for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        if echo PWNED >/proc/self/fd/7; then echo wrote >>/tmp/log; exit 0; fi
        sleep 0.05
      done
      echo refused >>/tmp/log ) 2>>/tmp/err
    kill -9 "$p" 2>/dev/null
    echo done >>/tmp/log
    exit 0
  done
  sleep 0.01
done'

# Checks the runtime binary on the host is intact (writing a private copy,
# e.g. a memfd, harms nobody).
check_attack() { # SUM-BEFORE
  cat "$BUNDLE/rootfs/tmp/log" "$BUNDLE/rootfs/tmp/err" >&2 2>/dev/null || true
  vr_expect_eq "$(sha256sum <"$VESSEL_RUNTIME")" "$1" "runtime binary checksum"
}

# exec_attack [JQ-FILTER]: a container running the attacker, then an exec of
# /proc/self/exe into it; sets rc (the exec's status) and checks the binary.
exec_attack() {
  local id sum_before rpid
  rc=0
  sum_before=$(sha256sum <"$VESSEL_RUNTIME")
  id=$(vr_new_id)
  vr_bundle "$id" "${1:-.}" sh -c "$ATTACKER"
  mkfifo "$BUNDLE/rootfs/tmp/fifo"
  vr_up "$id"
  vr_wait_for 100 grep -q ready "$BUNDLE/rootfs/tmp/log"
  # re-executes whatever entered the container, which then blocks opening
  # the fifo; a runtime may also refuse to execute it (runc: ENOENT)
  timeout 20 "$VESSEL_RUNTIME" --root "$VR_ROOT" exec "$id" \
    /proc/self/exe --log /tmp/fifo state nosuch </dev/null >/dev/null 2>&1 &
  rpid=$!
  vr_track_pid "$rpid"
  vr_wait_for 200 eval 'grep -q "^done" "$BUNDLE/rootfs/tmp/log" || ! kill -0 $rpid 2>/dev/null'
  wait "$rpid" || rc=$?
  check_attack "$sum_before"
}

@test "security: exec of /proc/self/exe cannot overwrite the runtime binary (CVE-2019-5736)" {
  local rc
  exec_attack
  if ! grep -q '^found' "$BUNDLE/rootfs/tmp/log"; then
    # never ran inside: the exec must have been refused, not hung or succeeded
    ((rc != 0 && rc != 124)) || { echo "exec neither ran nor failed (rc $rc)" >&2; return 1; }
  fi
}

@test "security: an init of /proc/self/exe cannot overwrite the runtime binary (CVE-2019-5736)" {
  local id sum_before
  sum_before=$(sha256sum <"$VESSEL_RUNTIME")
  id=$(vr_new_id)
  vr_bundle "$id" . /proc/self/exe --log /tmp/fifo state nosuch
  mkfifo "$BUNDLE/rootfs/tmp/fifo"
  vr_create "$id" || true
  vr start "$id" 2>/dev/null || true
  # the runtime may refuse to execute itself; then there is nothing to attack
  if [[ $(vr_status "$id" 2>/dev/null) != running ]]; then
    check_attack "$sum_before"
    return 0
  fi
  vr exec -d "$id" sh -c "$ATTACKER" </dev/null >/dev/null 2>&1
  vr_wait_for 200 grep -q '^done' "$BUNDLE/rootfs/tmp/log" || true
  check_attack "$sum_before"
  grep -q '^found' "$BUNDLE/rootfs/tmp/log"
}

# A profile that forbids execveat, which the exec stub is started with: the
# runtime must then run from a sealed copy of itself instead.
SECCOMP_NO_EXECVEAT='.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
  architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"],
  syscalls: [{names: ["execveat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'

@test "security: with execveat forbidden the runtime starts the program from a sealed copy" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . sh -c 'mkdir /tmp/x && echo ran'
  vr_config "$SECCOMP_NO_EXECVEAT"
  run -0 vr --debug run --bundle "$BUNDLE" "$id" </dev/null
  [[ $output == *ran* && $output == *"seccomp profile does not allow execveat"* ]] ||
    { echo "$output" >&2; return 1; }
}

@test "security: exec of /proc/self/exe under a profile without execveat cannot overwrite the runtime" {
  local rc
  exec_attack "$SECCOMP_NO_EXECVEAT"
  # the sealed copy ran inside and the attacker found it: only writing failed
  grep -q '^found' "$BUNDLE/rootfs/tmp/log"
}

@test "security: a program the kernel cannot execute exits 126 with the reason" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" . /bin/notelf
  printf 'garbage, not a program\n' >"$BUNDLE/rootfs/bin/notelf"
  chmod +x "$BUNDLE/rootfs/bin/notelf"
  run -126 vr_run "$id"
  [[ $output == *"exec /bin/notelf: exec format error"* ]] || { echo "$output" >&2; return 1; }
}

@test "security: a user namespace maps container root to host uid 100000" {
  local id pid
  id=$(vr_new_id)
  vr_bundle "$id" '.linux.namespaces += [{type: "user"}] |
    .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
    .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]' \
    sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; exec sleep 600'
  vr_up "$id"
  vr_wait_for 100 eval '(($(wc -l <"$BUNDLE/stdout") >= 4))'
  mapfile -t out <"$BUNDLE/stdout"
  vr_expect_eq "${out[0]}" 0 "uid inside"
  vr_expect_eq "${out[1]}" 0 "gid inside"
  vr_expect_eq "$(tr -s ' ' <<<"${out[2]}" | sed 's/^ //')" "0 100000 65536" uid_map
  vr_expect_eq "$(tr -s ' ' <<<"${out[3]}" | sed 's/^ //')" "0 100000 65536" gid_map
  pid=$(vr_pid "$id")
  vr_expect_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" 100000 "host uid"
  vr_expect_eq "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" 100000 "host gid"
}

@test "security: hostname and domainname are set in the uts namespace" {
  local host_name
  host_name=$(hostname)
  run_sh '.hostname = "vt-host" | .domainname = "vt.example"' \
    'hostname; cat /proc/sys/kernel/domainname'
  vr_expect_eq "${lines[0]}" vt-host hostname
  vr_expect_eq "${lines[1]}" vt.example domainname
  vr_expect_eq "$(hostname)" "$host_name" "host's hostname"
}

@test "security: rlimits set soft and hard RLIMIT_NOFILE" {
  run_sh '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 1024}]' \
    'ulimit -n; ulimit -Hn'
  vr_expect_eq "$output" $'512\n1024' "nofile soft/hard"
}

@test "security: an rlimit above the host's hard limit fails (no CAP_SYS_RESOURCE)" {
  # this host lacks CAP_SYS_RESOURCE: raising the hard limit cannot be done
  local hard id
  hard=$(ulimit -Hn)
  [[ $hard != unlimited ]] || skip "hard limit is unlimited"
  local eff
  eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
  # bit 24 is CAP_SYS_RESOURCE
  if (((16#$eff >> 24) & 1)); then
    skip "this host has CAP_SYS_RESOURCE"
  fi
  id=$(vr_new_id)
  vr_bundle "$id" ".process.rlimits = [{type: \"RLIMIT_NOFILE\", soft: $((hard + 1)), hard: $((hard + 1))}]" true
  run vr_run "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
}

@test "security: oomScoreAdj is applied" {
  run_sh '.process.oomScoreAdj = 500' 'cat /proc/self/oom_score_adj'
  vr_expect_eq "$output" 500 oom_score_adj
}

@test "security: sysctls are set inside new net and ipc namespaces only" {
  local fwd shm
  fwd=$(cat /proc/sys/net/ipv4/ip_forward)
  shm=$(cat /proc/sys/kernel/shmmax)
  run_sh '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "12345678"}' \
    'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax'
  vr_expect_eq "$output" $'1\n12345678' sysctls
  vr_expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$fwd" "host ip_forward"
  vr_expect_eq "$(cat /proc/sys/kernel/shmmax)" "$shm" "host shmmax"
}

@test "security: a sysctl outside the container's namespaces fails create" {
  local id before
  before=$(cat /proc/sys/vm/swappiness)
  id=$(vr_new_id)
  vr_bundle "$id" '.linux.sysctl = {"vm.swappiness": "7"}' true
  run vr_run "$id"
  ((status != 0))
  vr_expect_eq "$(cat /proc/sys/vm/swappiness)" "$before" "host swappiness"
  vr_assert_no_trace "$id"

  # net.* without a network namespace of its own is the host's
  id=$(vr_new_id)
  vr_bundle "$id" '.linux.namespaces |= map(select(.type != "network")) |
    .linux.sysctl = {"net.ipv4.ip_forward": "1"}' true
  run vr_run "$id"
  ((status != 0))
  vr_expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" 0 "host ip_forward"
}

@test "security: umask is applied" {
  run_sh '.process.user.umask = 63' 'umask; touch /tmp/f; stat -c %a /tmp/f'
  vr_expect_eq "$output" $'0077\n600' umask
}

@test "security: process.user uid, gid and additionalGids" {
  run_sh '.process.user = {uid: 1000, gid: 1000, additionalGids: [2000, 3000]}' \
    'id -u; id -g; awk "/^Groups:/ { \$1 = \"\"; print }" /proc/self/status'
  vr_expect_eq "${lines[0]}" 1000 uid
  vr_expect_eq "${lines[1]}" 1000 gid
  vr_expect_eq "$(echo ${lines[2]})" "2000 3000" groups
}

@test "security: a user without additionalGids has no supplementary groups" {
  run_sh '.process.user = {uid: 1000, gid: 1000}' \
    'awk "/^Groups:/ { \$1 = \"\"; print }" /proc/self/status'
  vr_expect_eq "$(echo $output)" "" groups
}

@test "security: process.cwd is the working directory, relative cwd is refused" {
  run_sh '.process.cwd = "/home/user"' 'pwd'
  vr_expect_eq "$output" /home/user cwd
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.process.cwd = "home/user"' true
  run vr_run "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
}

@test "security: nothing is left behind" {
  vr_assert_clean
}
