#!/usr/bin/env bash
# Installs what vessel needs, builds it, runs a busybox container with
# vessel-runtime, then builds the image busybox:latest into vessel's default
# store and runs it with the engine: the README's first command.
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

# the engine: busybox:latest (once) in the default store, then a container of it
vessel=$PWD/build/src/vessel/vessel
"$vessel" image inspect busybox:latest >/dev/null 2>&1 || bash scripts/busybox-image.sh "$vessel" >/dev/null
"$vessel" run --rm busybox echo hello
