# Builds a minimal busybox root filesystem and packs it as image tarballs.
# Sourced by integration suites; needs busybox-static (/bin/busybox), tar,
# sha256sum and jq. Functions return non-zero on failure and print nothing
# on success.

ROOTFS_BUSYBOX=${ROOTFS_BUSYBOX:-/bin/busybox}

# rootfs_busybox DIR: populate DIR (created if missing) with a busybox root
# filesystem: /bin/busybox plus one symlink per applet, /etc/passwd and
# /etc/group (root and nobody), and the empty mount points an OCI runtime
# expects (/proc, /sys, /dev, /tmp, ...).
rootfs_busybox() {
  local dir=$1 applet
  [[ -n $dir ]] || { echo "rootfs_busybox: no directory given" >&2; return 1; }
  [[ -x $ROOTFS_BUSYBOX ]] || { echo "rootfs_busybox: $ROOTFS_BUSYBOX missing" >&2; return 1; }
  mkdir -p "$dir"/{bin,sbin,etc,root,home,proc,sys,dev,tmp,run,var/tmp,usr/bin,usr/sbin} || return 1
  chmod 1777 "$dir/tmp" "$dir/var/tmp"
  chmod 0700 "$dir/root"
  cp "$ROOTFS_BUSYBOX" "$dir/bin/busybox" || return 1
  chmod 0755 "$dir/bin/busybox"
  for applet in $("$ROOTFS_BUSYBOX" --list); do
    [[ $applet == busybox || $applet == *'/'* ]] && continue
    ln -sf busybox "$dir/bin/$applet" || return 1
  done
  cat >"$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$dir/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
  : >"$dir/etc/hosts"
  : >"$dir/etc/resolv.conf"
  echo vessel >"$dir/etc/hostname"
}

# rootfs_tar DIR TARBALL: a reproducible, uncompressed tar of DIR's content
# (owned by root, entries sorted, fixed mtime), as `podman import` and image
# layers want it.
rootfs_tar() {
  local dir=$1 tarball=$2
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -C "$dir" -cf "$tarball" . || return 1
}

# rootfs_oci_archive DIR ARCHIVE NAME [CMD...]: write ARCHIVE, an oci-archive
# (tar of an OCI image layout) holding one single-layer image of DIR, named
# NAME (e.g. docker.io/library/busybox:latest) through the
# io.containerd.image.name and org.opencontainers.image.ref.name annotations.
# CMD defaults to sh.
rootfs_oci_archive() {
  local dir=$1 archive=$2 name=$3
  shift 3
  local cmd_json arch work layer_digest layer_size config_digest config_size \
    manifest_digest manifest_size tag
  (($#)) || set -- sh
  cmd_json=$(jq -cn '$ARGS.positional' --args "$@") || return 1
  case $(uname -m) in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  tag=${name##*:}
  [[ $tag == "$name" || $tag == */* ]] && tag=latest

  work=$(mktemp -d "${TMPDIR:-/tmp}/oci-layout.XXXXXX") || return 1
  (
    set -e
    mkdir -p "$work/blobs/sha256"
    rootfs_tar "$dir" "$work/layer.tar"
    layer_digest=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
    layer_size=$(stat -c %s "$work/layer.tar")
    mv "$work/layer.tar" "$work/blobs/sha256/$layer_digest"

    jq -cn --arg arch "$arch" --arg diff "sha256:$layer_digest" --argjson cmd "$cmd_json" '{
      architecture: $arch, os: "linux", created: "1970-01-01T00:00:00Z",
      config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
               Cmd: $cmd, WorkingDir: "/"},
      rootfs: {type: "layers", diff_ids: [$diff]},
      history: [{created: "1970-01-01T00:00:00Z", created_by: "rootfs_oci_archive"}]
    }' >"$work/config.json"
    config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
    config_size=$(stat -c %s "$work/config.json")
    mv "$work/config.json" "$work/blobs/sha256/$config_digest"

    jq -cn --arg cd "sha256:$config_digest" --argjson cs "$config_size" \
      --arg ld "sha256:$layer_digest" --argjson ls "$layer_size" '{
      schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]
    }' >"$work/manifest.json"
    manifest_digest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
    manifest_size=$(stat -c %s "$work/manifest.json")
    mv "$work/manifest.json" "$work/blobs/sha256/$manifest_digest"

    jq -cn --arg md "sha256:$manifest_digest" --argjson ms "$manifest_size" \
      --arg name "$name" --arg tag "$tag" '{
      schemaVersion: 2,
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
                   digest: $md, size: $ms,
                   annotations: {"io.containerd.image.name": $name,
                                 "org.opencontainers.image.ref.name": $tag}}]
    }' >"$work/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
      -C "$work" -cf "$archive" oci-layout index.json blobs
  )
  local rc=$?
  rm -rf "$work"
  return $rc
}
