#!/usr/bin/env bash
# Installs every Debian package that vessel's build, tests and benchmarks need.
# Idempotent: safe to run on every CI run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

pkgs=(
  # build
  build-essential meson ninja-build pkg-config clang-format
  libjansson-dev libseccomp-dev libarchive-dev zlib1g-dev libzstd-dev
  # what the static vessel binary links through libarchive
  libacl1-dev liblz4-dev libbz2-dev liblzma-dev nettle-dev libxml2-dev libicu-dev
  # tests
  bats jq busybox-static iproute2 util-linux procps psmisc python3
  # vessel run --init binds its /usr/bin/tini-static into the container
  tini
  # real OCI clients driven by the integration tests
  podman containerd crun runc
  # benchmarks
  hyperfine time
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
