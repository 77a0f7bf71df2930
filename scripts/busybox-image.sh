#!/usr/bin/env bash
# Builds the image busybox:latest from Debian's busybox-static (no download):
# the directories of docker's busybox image, every applet as a link, root and
# nobody, CMD sh. Usage: busybox-image.sh VESSEL [GLOBAL-FLAGS...], e.g.
#   scripts/busybox-image.sh build/src/vessel/vessel --root /tmp/store
# With BUSYBOX_TAR=FILE the root filesystem tarball is kept there too.
set -euo pipefail
vessel=${1:?usage: busybox-image.sh VESSEL [GLOBAL-FLAGS...]}
shift
rootfs=$(mktemp -d /tmp/vessel-busybox.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,dev,etc,home,proc,root,sys,tmp,usr/sbin,var/spool/mail,var/www}
chmod 1777 "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ $applet == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
tar -C "$rootfs" --numeric-owner -cf "$rootfs.tar" .
trap 'rm -rf "$rootfs" "$rootfs.tar"' EXIT
[[ -z ${BUSYBOX_TAR:-} ]] || cp "$rootfs.tar" "$BUSYBOX_TAR"
"$vessel" "$@" import --change 'CMD ["sh"]' "$rootfs.tar" busybox:latest
