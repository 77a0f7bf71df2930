#!/usr/bin/env bats
# The container's filesystem: mounts of the spec, /proc, /sys, /dev, masked
# and read-only paths, a read-only root, devices, and symlinks in the image
# that try to redirect mounts onto the host.

load lib/runtime

setup_file() { vr_suite_setup mnt; }
teardown() { vr_teardown; }
teardown_file() { vr_suite_teardown; }

# Runs a one-shot container with FILTER and the shell SCRIPT; output in $output.
run_sh() { # FILTER SCRIPT [RUN-STATUS]
  local id
  id=$(vr_new_id)
  vr_bundle "$id" "$1" sh -c "$2"
  run "-${3:-0}" vr_run "$id"
}

# A fresh host directory for a test, with one file in it.
host_dir() { # NAME
  local d=$VR_TMP/host-$1
  rm -rf "$d"
  mkdir -p "$d"
  echo host-content >"$d/file"
  echo "$d"
}

@test "mounts: a rw bind mount is writable and shared with the host" {
  local d
  d=$(host_dir rw)
  run_sh ".mounts += [{destination: \"/mnt/rw\", type: \"bind\", source: \"$d\",
    options: [\"rbind\", \"rw\"]}]" 'cat /mnt/rw/file; echo from-container >/mnt/rw/new'
  vr_expect_eq "$output" host-content "file read through the bind mount"
  vr_expect_eq "$(cat "$d/new")" from-container "file written through the bind mount"
}

@test "mounts: a ro bind mount cannot be written" {
  local d
  d=$(host_dir ro)
  run_sh ".mounts += [{destination: \"/mnt/ro\", type: \"bind\", source: \"$d\",
    options: [\"rbind\", \"ro\"]}]" \
    'cat /mnt/ro/file; echo x >/mnt/ro/new; echo x >/mnt/ro/file; rm /mnt/ro/file; echo end'
  [[ ${lines[0]} == host-content ]]
  [[ $output == *"Read-only file system"* ]]
  vr_expect_eq "$(ls "$d")" file "host dir contents"
  vr_expect_eq "$(cat "$d/file")" host-content "host file"
}

@test "mounts: a bind mount of a single file" {
  local d
  d=$(host_dir file)
  run_sh ".mounts += [{destination: \"/etc/injected\", type: \"bind\", source: \"$d/file\",
    options: [\"bind\", \"ro\"]}]" 'cat /etc/injected'
  vr_expect_eq "$output" host-content "bind-mounted file"
}

@test "mounts: a bind mount of a missing source fails create" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" ".mounts += [{destination: \"/mnt/x\", type: \"bind\",
    source: \"$VR_TMP/does-not-exist\", options: [\"rbind\"]}]" true
  run vr_create "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
}

@test "mounts: tmpfs honours size and mode" {
  run_sh '.mounts += [{destination: "/mnt/t", type: "tmpfs", source: "tmpfs",
    options: ["nosuid", "nodev", "size=1m", "mode=0710"]}]' \
    'stat -c %a /mnt/t; grep " /mnt/t " /proc/self/mountinfo;
     dd if=/dev/zero of=/mnt/t/big bs=64k count=64 2>&1; echo "dd=$?"'
  vr_expect_eq "${lines[0]}" 710 "tmpfs mode"
  [[ ${lines[1]} == *" - tmpfs "* && ${lines[1]} == *size=1024k* ]] ||
    { echo "mountinfo: ${lines[1]}" >&2; return 1; }
  [[ ${lines[1]} == *nosuid* && ${lines[1]} == *nodev* ]]
  [[ $output == *"No space left on device"* && $output == *dd=1* ]]
}

@test "mounts: /proc and /sys are procfs and sysfs" {
  run_sh . 'awk "\$5 == \"/proc\" || \$5 == \"/sys\" { print \$5, \$(NF-2) }" /proc/self/mountinfo;
    test -r /proc/self/status && echo proc-ok; test -d /sys/kernel && echo sys-ok'
  [[ $output == *"/proc proc"* && $output == *"/sys sysfs"* ]] || { echo "$output" >&2; return 1; }
  [[ $output == *proc-ok* && $output == *sys-ok* ]]
}

@test "mounts: the pid namespace's /proc shows only the container's processes" {
  run_sh . 'ls -d /proc/[0-9]* | wc -l; echo $$'
  vr_expect_eq "${lines[1]}" 1 "pid of init"
  # the shell and the ls/wc of the pipeline at most
  ((${lines[0]} <= 3)) || { echo "pids: ${lines[0]}" >&2; return 1; }
}

@test "mounts: maskedPaths hide files and directories" {
  # host paths that exist and have content here
  [[ -n $(head -c1 /proc/keys) && -n $(head -c1 /proc/timer_list) && -n $(ls -A /sys/kernel/mm) ]]
  run_sh '.linux.maskedPaths = ["/proc/keys", "/proc/timer_list", "/sys/kernel/mm", "/proc/no-such"]' \
    'wc -c </proc/keys; cat /proc/timer_list | wc -c; ls -A /sys/kernel/mm | wc -l;
     touch /sys/kernel/mm/x 2>/dev/null && echo wrote-mm;
     echo end'
  vr_expect_eq "$output" $'0\n0\n0\nend' "masked paths"
}

@test "mounts: the default spec masks /proc/kcore, keys and timer_list" {
  run_sh . 'for f in /proc/kcore /proc/keys /proc/timer_list; do
    [ -e $f ] && echo "$f $(wc -c <$f)"; done; echo end'
  # absent files (no kcore on some kernels) need no mask
  [[ -e /proc/kcore ]] && [[ $output == *"/proc/kcore 0"* ]]
  [[ $output == *"/proc/keys 0"* && $output == *"/proc/timer_list 0"* ]] ||
    { echo "$output" >&2; return 1; }
}

@test "mounts: readonlyPaths cannot be written" {
  run_sh '.linux.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger"] | .hostname = "ro-test"' \
    'echo changed >/proc/sys/kernel/hostname; echo "rc=$?"; hostname;
     grep " /proc/sys " /proc/self/mountinfo'
  [[ $output == *"Read-only file system"* && $output == *rc=1* ]] || { echo "$output" >&2; return 1; }
  [[ $output == *$'\nro-test\n'* ]]
  [[ $(awk '{ print $6 }' <<<"${lines[-1]}") == ro,* ]] || { echo "${lines[-1]}" >&2; return 1; }
}

@test "mounts: root.readonly makes / unwritable" {
  run_sh '.root.readonly = true' 'touch /newfile; echo "rc=$?"; touch /tmp/newfile; echo "rc=$?";
    awk "\$5 == \"/\" { print \$6 }" /proc/self/mountinfo'
  [[ $output == *"Read-only file system"* ]]
  vr_expect_eq "$(grep -c '^rc=1$' <<<"$output")" 2 "failed touches"
  [[ ${lines[-1]} == ro* ]]
  [[ ! -e $VR_TMP/bundles/$VR_PREFIX-*/rootfs/newfile ]]
}

@test "mounts: a writable root is writable" {
  run_sh '.root.readonly = false' 'echo w >/newfile && cat /newfile'
  vr_expect_eq "$output" w "written file"
}

@test "mounts: a symlink in the rootfs cannot redirect a mount destination to the host" {
  local d id
  d=$(host_dir evil)
  id=$(vr_new_id)
  vr_bundle "$id" '.mounts += [{destination: "/evil", type: "tmpfs", source: "tmpfs",
    options: ["size=1m"]}, {destination: "/evil2/sub", type: "tmpfs", source: "tmpfs"},
    {destination: "/evil3", type: "bind", source: "/etc/hostname-placeholder", options: ["bind"]}]' \
    sh -c 'stat -f -c %T /evil/; echo in-container >/evil/planted 2>/dev/null; echo done'
  vr_config --arg src "$d/file" '.mounts[-1].source = $src'
  # absolute links to a host directory, a missing host directory, a host file
  ln -s "$d/newdir" "$BUNDLE/rootfs/evil"
  ln -s "$d" "$BUNDLE/rootfs/evil2"
  ln -s "$d/newfile" "$BUNDLE/rootfs/evil3"
  run vr_run "$id"
  # the host directory is untouched whether or not the runtime refused
  vr_expect_eq "$(ls -A "$d")" file "host dir contents"
  vr_expect_eq "$(cat "$d/file")" host-content "host file"
  if ((status == 0)); then
    # followed inside the rootfs: the tmpfs is where the link points in it
    vr_expect_eq "${lines[0]}" tmpfs "filesystem at /evil"
    [[ -d $BUNDLE/rootfs/$d/newdir ]]
  fi
}

@test "mounts: a .. in a mount destination stays inside the rootfs" {
  local d id
  d=$(host_dir dotdot)
  id=$(vr_new_id)
  vr_bundle "$id" ".mounts += [{destination: \"/../../../../../../..$d/sub\",
    type: \"tmpfs\", source: \"tmpfs\"}]" true
  run vr_run "$id"
  vr_expect_eq "$(ls -A "$d")" file "host dir contents"
}

@test "mounts: a /dev symlink in the rootfs cannot redirect devices to the host" {
  local d id
  d=$(host_dir dev)
  id=$(vr_new_id)
  vr_bundle "$id" . true
  rmdir "$BUNDLE/rootfs/dev"
  ln -s "$d" "$BUNDLE/rootfs/dev"
  run vr_run "$id"
  vr_expect_eq "$(ls -A "$d")" file "host dir contents"
  [[ -z $(vr_mounts_under "$d") ]]
}

@test "mounts: rootfsPropagation rprivate and rslave are accepted" {
  run_sh '.linux.rootfsPropagation = "rprivate"' 'awk "\$5 == \"/\"" /proc/self/mountinfo'
  [[ $output != *shared:* ]] || { echo "$output" >&2; return 1; }
  run_sh '.linux.rootfsPropagation = "rslave"' 'echo ok'
  vr_expect_eq "$output" ok rslave
  local d
  d=$(host_dir prop)
  run_sh ".mounts += [{destination: \"/mnt/p\", type: \"bind\", source: \"$d\",
    options: [\"rbind\", \"rslave\"]}, {destination: \"/mnt/q\", type: \"bind\", source: \"$d\",
    options: [\"rbind\", \"rprivate\"]}]" 'cat /mnt/p/file /mnt/q/file'
  vr_expect_eq "$output" $'host-content\nhost-content' "propagation bind mounts"
}

@test "mounts: an unknown mount option or propagation fails create" {
  local id
  id=$(vr_new_id)
  vr_bundle "$id" '.linux.rootfsPropagation = "bogus"' true
  run vr_create "$id"
  ((status != 0))
  vr_assert_no_trace "$id"
}

@test "mounts: /dev has the standard devices, pts, shm and fd links" {
  run_sh . 'cd /dev; for n in null zero full random urandom tty; do stat -c "%n %F %t:%T" $n; done;
    test -c ptmx && echo ptmx-ok; test -d pts && echo pts-ok; test -d shm && echo shm-ok;
    for l in fd stdin stdout stderr; do echo "$l -> $(readlink $l)"; done;
    awk "\$5 == \"/dev/pts\" { print \"pts-fs\", \$(NF-2) }" /proc/self/mountinfo;
    head -c 4 /dev/zero | od -An -tx1; echo x >/dev/null && echo null-ok; echo x 2>/dev/null >/dev/full || echo full-ok'
  local want
  want=$(printf '%s\n' 'null character special file 1:3' 'zero character special file 1:5' \
    'full character special file 1:7' 'random character special file 1:8' \
    'urandom character special file 1:9' 'tty character special file 5:0')
  vr_expect_eq "$(head -6 <<<"$output")" "$want" "device nodes"
  local l
  for l in ptmx-ok pts-ok shm-ok "fd -> /proc/self/fd" "stdin -> /proc/self/fd/0" \
    "stdout -> /proc/self/fd/1" "stderr -> /proc/self/fd/2" "pts-fs devpts" \
    " 00 00 00 00" null-ok full-ok; do
    grep -qxF -- "$l" <<<"$output" || { echo "missing \`$l\` in: $output" >&2; return 1; }
  done
}

@test "mounts: /dev holds only the standard entries" {
  run_sh . 'ls -A /dev | sort | tr "\n" " "'
  local e
  for e in $output; do
    case $e in
      null | zero | full | random | urandom | tty | ptmx | pts | shm | mqueue | fd | stdin | stdout | stderr | console | core) ;;
      *) echo "unexpected /dev entry \`$e\`" >&2; return 1 ;;
    esac
  done
}

@test "mounts: a linux.devices entry creates the node with its type, numbers and mode" {
  run_sh '.linux.devices = [
      {path: "/dev/vt-char", type: "c", major: 1, minor: 3, fileMode: 432, uid: 0, gid: 0},
      {path: "/dev/vt-block", type: "b", major: 7, minor: 200, fileMode: 384, uid: 1000, gid: 1000}] |
    .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]' \
    'stat -c "%n %F %t:%T %a %u:%g" /dev/vt-char /dev/vt-block; echo x >/dev/vt-char && echo wrote'
  vr_expect_eq "${lines[0]}" "/dev/vt-char character special file 1:3 660 0:0" "char device"
  vr_expect_eq "${lines[1]}" "/dev/vt-block block special file 7:c8 600 1000:1000" "block device"
  vr_expect_eq "${lines[2]}" wrote "write to the device"
}

@test "mounts: nothing is left behind" {
  vr_assert_clean
}
