#!/usr/bin/env bash
# Installs what vessel needs, builds it, and runs a busybox container with
# vessel-runtime: the README's first command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[[ -f build/build.ninja ]] || meson setup build >/dev/null
ninja -C build >/dev/null
runtime=$PWD/build/src/vessel-runtime/vessel-runtime

bundle=$(mktemp -d /tmp/vessel-quickstart.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ $applet == busybox ]] || ln -sf busybox "$bundle/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$bundle/rootfs/etc/passwd"
echo 'root:x:0:' >"$bundle/rootfs/etc/group"
(cd "$bundle" && "$runtime" spec)
# not a terminal: the output of a one-shot command, like `runc run` in a script
jq '.process.terminal = false | .process.args = ["/bin/sh", "-c", "echo hello from $(hostname), pid $$ in its own namespaces"]' \
  "$bundle/config.json" >"$bundle/config.json.new" && mv "$bundle/config.json.new" "$bundle/config.json"
"$runtime" --root "$bundle/state" run --bundle "$bundle" quickstart-$$
