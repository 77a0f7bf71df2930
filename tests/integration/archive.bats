#!/usr/bin/env bats
# Images and file systems in and out of vessel: save (docker-archive and
# oci-archive) and load into a fresh store, export of a container and import
# of that tar, podman reading our archives and us reading podman's, and
# hostile archives refused with 125 and the store left as it was.

bats_require_minimum_version 1.5.0
load lib/clients

VESSEL=${VESSEL_ENGINE:-$BATS_TEST_DIRNAME/../../build/src/vessel/vessel}

setup_file() {
  [[ -x $VESSEL ]] || { echo "no vessel binary at $VESSEL" >&2; return 1; }
  export SUITE_TMP
  SUITE_TMP=$(mktemp -d /tmp/vessel-archive-bats.XXXXXX)
  local rootfs=$SUITE_TMP/rootfs a
  mkdir -p "$rootfs"/{bin,etc,tmp,root,data}
  cp /bin/busybox "$rootfs/bin/busybox"
  for a in sh echo cat ls rm test true; do ln -s busybox "$rootfs/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\n' >"$rootfs/etc/group"
  echo keep >"$rootfs/data/keep"
  echo gone >"$rootfs/data/gone"
  tar -C "$rootfs" -cf "$SUITE_TMP/busybox.tar" .
  PM_VARLIB_EXISTED=0
  [[ -e /var/lib/containers ]] && PM_VARLIB_EXISTED=1
  export PM_VARLIB_EXISTED
}

teardown_file() {
  if [[ -n ${SUITE_TMP:-} && -d $SUITE_TMP ]]; then
    grep -o " $SUITE_TMP[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$SUITE_TMP"
  fi
  # podman (containers/image) keeps a blob info cache there whatever --root says
  if ((!${PM_VARLIB_EXISTED:-1})); then
    rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
    rmdir /var/lib/containers/cache /var/lib/containers 2>/dev/null || true
  fi
}

setup() {
  T=$SUITE_TMP/t$BATS_TEST_NUMBER
  mkdir -p "$T"
  VR=("$VESSEL" --root "$T/root" --runroot "$T/run")
  V2=("$VESSEL" --root "$T/root2" --runroot "$T/run2")
  v import "$SUITE_TMP/busybox.tar" busybox >/dev/null
}

teardown() {
  local id r
  for r in "$T/root" "$T/root2"; do
    for id in $(timeout 20 "$VESSEL" --root "$r" --runroot "$T/run" ps -a -q 2>/dev/null); do
      timeout 20 "$VESSEL" --root "$r" --runroot "$T/run" rm -f "$id" >/dev/null 2>&1 || true
    done
  done
}

v() { timeout 60 "${VR[@]}" "$@"; }
v2() { timeout 60 "${V2[@]}" "$@"; }

# every file of a store, with a digest of each regular file
store_state() {
  (cd "$1" && find . -path ./images/index.lock -prune -o -printf '%y %p\n' | sort &&
    find images -type f ! -name index.lock -exec sha256sum {} + | sort)
}

@test "archive: save docker-archive, load into a fresh store, run" {
  run v save -o "$T/img.tar" busybox
  [[ $status -eq 0 && -z $output ]]
  run tar -xOf "$T/img.tar" manifest.json
  [[ $(jq -r '.[0].RepoTags[0]' <<<"$output") == busybox:latest ]]
  layer=$(jq -r '.[0].Layers[0]' <<<"$output")
  # docker's layers are plain tars whose sha256 is the config's diff_id
  tar -xOf "$T/img.tar" "$layer" | tar -t | grep -qx './bin/busybox'
  [[ sha256:$(tar -xOf "$T/img.tar" "$layer" | sha256sum | cut -d' ' -f1) == \
    $(tar -xOf "$T/img.tar" "$(jq -r '.[0].Config' <<<"$output")" | jq -r '.rootfs.diff_ids[0]') ]]
  run v2 load -i "$T/img.tar"
  [[ $status -eq 0 && $output == "Loaded image: busybox:latest" ]]
  run v2 run --rm busybox cat /data/keep
  [[ $status -eq 0 && $output == keep ]]
  [[ $(v images -q) == $(v2 images -q) ]]
  # a gzip'd layer inside a gzip'd archive (what `docker save | gzip` and some tools write)
  mkdir "$T/gz" && tar -C "$T/gz" -xf "$T/img.tar"
  gzip -n "$T/gz/$layer" && mv "$T/gz/$layer.gz" "$T/gz/$layer"
  tar -C "$T/gz" -cf - . | gzip -n >"$T/img.tar.gz"
  v2 rmi busybox
  run v2 load -i "$T/img.tar.gz"
  [[ $status -eq 0 && $output == "Loaded image: busybox:latest" ]]
  run v2 run --rm busybox cat /data/keep
  [[ $status -eq 0 && $output == keep ]]
}

@test "archive: save oci-archive to stdout, load from stdin, run" {
  v save --format oci-archive busybox >"$T/oci.tar"
  run tar -xOf "$T/oci.tar" index.json
  [[ $(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' <<<"$output") == busybox:latest ]]
  tar -tf "$T/oci.tar" | grep -qx oci-layout
  # every blob's name is its content's digest
  mkdir "$T/x" && tar -C "$T/x" -xf "$T/oci.tar"
  for b in "$T"/x/blobs/sha256/*; do [[ $(sha256sum <"$b" | cut -d' ' -f1) == "${b##*/}" ]]; done
  run v2 load <"$T/oci.tar"
  [[ $status -eq 0 && $output == "Loaded image: busybox:latest" ]]
  run v2 run --rm busybox echo from-oci
  [[ $status -eq 0 && $output == from-oci ]]
}

@test "archive: several images and names in one archive, untagged by id" {
  v tag busybox other:v1
  id=$(v images -q | head -1)
  v save -o "$T/two.tar" busybox other:v1
  run tar -xOf "$T/two.tar" manifest.json
  [[ $(jq -r '.[0].RepoTags | join(",")' <<<"$output") == busybox:latest,other:v1 ]]
  run v2 load -i "$T/two.tar"
  [[ $status -eq 0 && ${lines[0]} == "Loaded image: busybox:latest" && ${lines[1]} == "Loaded image: other:v1" ]]
  v2 run --rm other:v1 true
  v save --format oci-archive -o "$T/byid.tar" "$id"
  run v2 rmi busybox other:v1
  [[ $status -eq 0 ]]
  run v2 load -i "$T/byid.tar"
  [[ $status -eq 0 && $output == "Loaded image ID: sha256:$id"* ]]
}

@test "archive: export writes the container's view, import takes it back" {
  v run --name c1 busybox sh -c 'rm /data/gone; echo new >/data/new; rm -r /etc; mkdir /etc; echo x >/etc/only'
  run v export -o "$T/fs.tar" c1
  [[ $status -eq 0 ]]
  run tar -tf "$T/fs.tar"
  [[ $output == *data/keep* && $output == *data/new* && $output != *data/gone* && $output != *passwd* ]]
  [[ $output == *etc/only* && $output != *.wh.* ]]
  v export c1 >"$T/fs2.tar"
  cmp "$T/fs.tar" "$T/fs2.tar"
  v import "$T/fs.tar" exported >/dev/null
  run v run --rm exported sh -c 'cat /data/keep /data/new /etc/only; test ! -e /data/gone && echo no-gone'
  [[ $status -eq 0 && $output == $'keep\nnew\nx\nno-gone' ]]
  run v export no-such-container
  [[ $status -eq 125 ]]
}

@test "archive: a corrupted blob fails with 125, names it, and changes nothing" {
  v save --format oci-archive -o "$T/oci.tar" busybox
  mkdir "$T/x" && tar -C "$T/x" -xf "$T/oci.tar"
  cfg=$(tar -xOf "$T/oci.tar" index.json | jq -r '.manifests[0].digest' | cut -d: -f2)
  cfg=$(jq -r '.config.digest' "$T/x/blobs/sha256/$cfg" | cut -d: -f2)
  jq -c '.config.Cmd = ["/bin/evil"]' "$T/x/blobs/sha256/$cfg" >"$T/cfg" && cat "$T/cfg" >"$T/x/blobs/sha256/$cfg"
  tar -C "$T/x" -cf "$T/bad.tar" .
  before=$(store_state "$T/root")
  v rmi busybox
  mid=$(store_state "$T/root")
  run v load -i "$T/bad.tar"
  [[ $status -eq 125 && $output == *"sha256:$cfg"*corrupted* ]]
  [[ $(store_state "$T/root") == "$mid" ]]
  run v2 load -i "$T/bad.tar"
  [[ $status -eq 125 ]]
  [[ -z $(find "$T/root2/images/blobs/sha256" "$T/root2/layers" -mindepth 1) ]]
  run v load -i "$T/oci.tar"
  [[ $status -eq 0 ]]
}

@test "archive: a missing blob, a bad name or a bad layer fails with 125 and leaves nothing" {
  v save --format oci-archive -o "$T/oci.tar" busybox
  mkdir "$T/x" && tar -C "$T/x" -xf "$T/oci.tar"
  man=$(jq -r '.manifests[0].digest' "$T/x/index.json" | cut -d: -f2)
  layer=$(jq -r '.layers[0].digest' "$T/x/blobs/sha256/$man" | cut -d: -f2)
  mv "$T/x/blobs/sha256/$layer" "$T/layer"
  tar -C "$T/x" -cf "$T/missing.tar" .
  run v2 load -i "$T/missing.tar"
  [[ $status -eq 125 && $output == *"sha256:$layer"*missing* ]]
  # a blob name that is no sha256 digest
  mv "$T/layer" "$T/x/blobs/sha256/not-a-digest"
  tar -C "$T/x" -cf "$T/badname.tar" .
  run v2 load -i "$T/badname.tar"
  [[ $status -eq 125 && $output == *not-a-digest* ]]
  # a docker-archive whose layer climbs out with ../ (diff_id and all right)
  mkdir -p "$T/evil/l" "$T/d"
  echo pwned >"$T/evil/l/escape"
  tar -C "$T/evil/l" --transform 's,^\./escape,../../escape,' -cPf "$T/d/layer.tar" ./escape
  tar -tPf "$T/d/layer.tar" | grep -q '^\.\./\.\./escape'
  diff=$(sha256sum <"$T/d/layer.tar" | cut -d' ' -f1)
  jq -cn --arg d "sha256:$diff" '{architecture:"amd64",os:"linux",config:{},rootfs:{type:"layers",diff_ids:[$d]}}' >"$T/d/c.json"
  echo '[{"Config":"c.json","RepoTags":["evil:latest"],"Layers":["layer.tar"]}]' >"$T/d/manifest.json"
  tar -C "$T/d" -cf "$T/evil.tar" manifest.json c.json layer.tar
  run v2 load -i "$T/evil.tar"
  [[ $status -eq 125 && $output == *escape* ]]
  [[ ! -e $T/root2/escape && ! -e $T/escape && ! -e $T/root2/layers/escape ]]
  # a layer that is not what the config's diff_id says
  echo '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:'"$(printf '0%.0s' {1..64})"'"]}}' >"$T/d/c.json"
  tar -C "$T/d" -cf "$T/diffid.tar" manifest.json c.json layer.tar
  run v2 load -i "$T/diffid.tar"
  [[ $status -eq 125 && $output == *diff_id* ]]
  # not an archive at all, an entry climbing out, and an empty input
  run v2 load -i /bin/busybox
  [[ $status -eq 125 ]]
  tar -C "$T/d" --transform 's,^,../,' -cPf "$T/up.tar" manifest.json
  run v2 load -i "$T/up.tar"
  [[ $status -eq 125 && $output == *..* ]]
  run v2 load </dev/null
  [[ $status -eq 125 ]]
  [[ -z $(find "$T/root2/images/blobs/sha256" "$T/root2/layers" -mindepth 1) ]]
  [[ $(jq '.manifests | length' "$T/root2/images/index.json" 2>/dev/null || echo 0) -eq 0 ]]
}

@test "archive: save of an unknown image or bad flags fails with 125 and writes no file" {
  run v save -o "$T/no.tar" busybox no-such-image
  [[ $status -eq 125 && $output == *no-such-image* ]]
  [[ -z $(ls -A "$T" | grep -v '^root$\|^run$') ]]
  run v save --format zip busybox
  [[ $status -eq 125 && $output == *--format* ]]
  run v save
  [[ $status -eq 125 ]]
  run v load extra-arg
  [[ $status -eq 125 ]]
  for c in save load export; do
    run v "$c" --help
    [[ $status -eq 0 && $output == "usage: vessel"*"$c"* ]]
  done
}

# podman with a private store, vfs (no mounts), only image commands
pm() {
  CONTAINERS_CONF=$T/pm/containers.conf CONTAINERS_STORAGE_CONF=$T/pm/storage.conf \
    TMPDIR=$T/pm/tmp timeout 60 podman --root "$T/pm/root" --runroot "$T/pm/runroot" \
    --tmpdir "$T/pm/tmp" --storage-driver vfs --events-backend file "$@"
}

@test "archive: podman loads our archives, we load podman's" {
  clients_missing podman >/dev/null || skip "podman is not installed"
  mkdir -p "$T"/pm/{root,runroot,tmp}
  cat >"$T/pm/containers.conf" <<EOF
[engine]
events_logger = "file"
events_logfile_path = "$T/pm/events.log"
tmp_dir = "$T/pm/tmp"
static_dir = "$T/pm/root/libpod"
volume_path = "$T/pm/root/volumes"
image_copy_tmp_dir = "$T/pm/tmp"
lock_type = "file"
num_locks = 16
pull_policy = "never"
EOF
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$T/pm/root" "$T/pm/runroot" >"$T/pm/storage.conf"
  v save -o "$T/d.tar" busybox
  v save --format oci-archive -o "$T/o.tar" busybox
  run pm load -i "$T/d.tar"
  [[ $status -eq 0 && $output == *"Loaded image"*busybox:latest* ]]
  pm rmi -a -f >/dev/null
  run pm load -i "$T/o.tar"
  [[ $status -eq 0 && $output == *"Loaded image"*busybox:latest* ]]
  pm save -o "$T/pd.tar" localhost/busybox:latest
  pm save --format oci-archive -o "$T/po.tar" localhost/busybox:latest
  pm rmi -a -f >/dev/null
  run v2 load -i "$T/pd.tar"
  [[ $status -eq 0 && $output == "Loaded image: localhost/busybox:latest" ]]
  run v2 run --rm localhost/busybox cat /data/keep
  [[ $status -eq 0 && $output == keep ]]
  v2 rmi localhost/busybox
  run v2 load -i "$T/po.tar"
  [[ $status -eq 0 && $output == "Loaded image: localhost/busybox:latest" ]]
  run v2 run --rm localhost/busybox cat /data/keep
  [[ $status -eq 0 && $output == keep ]]
}

@test "archive: image prune removes untagged images no container uses" {
  old=$(v images -q)
  v run --name keeper busybox true
  v import "$SUITE_TMP/busybox.tar" other >/dev/null
  mkdir "$T/r2" && echo changed >"$T/r2/f" && tar -C "$T/r2" -cf "$T/r2.tar" .
  v import "$T/r2.tar" busybox >/dev/null
  run v image prune -f
  # the untagged one is the container's: nothing deleted, docker's last line
  [[ $status -eq 0 && $output == "Total reclaimed space: 0B" ]]
  v rm keeper
  run v image prune -f
  [[ $status -eq 0 && $output == *"deleted: sha256:$old"* ]]
  run v image prune -a <<<"n"
  [[ $status -eq 0 && $(v images -q | wc -l) -eq 2 ]]
  run v image prune -a -f
  [[ $status -eq 0 && -z $(v images -q) ]]
  [[ -z $(find "$T/root/images/blobs/sha256" "$T/root/layers" -mindepth 1) ]]
}

@test "archive: the suite left no mounts, temp files or processes behind" {
  run ! grep -q "$SUITE_TMP" /proc/self/mountinfo
  [[ -z $(find "$SUITE_TMP" -name '*.tmp-*') ]]
  run ! pgrep -f -- "$SUITE_TMP"
}
