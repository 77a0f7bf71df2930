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
  # vessel-monitor-idle, the monitor's idle loop, is built against musl
  musl-tools
  # tests
  bats jq busybox-static iproute2 util-linux procps psmisc python3
  # vessel run --init binds its /usr/bin/tini-static into the container
  tini
  # real OCI clients driven by the integration tests (docker.io: dockerd)
  podman containerd crun runc docker.io
  # benchmarks
  hyperfine time
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -qq
  # no package may start a service here (docker.io would start a dockerd
  # with a bridge and iptables rules): the tests start private daemons
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=1
  fi
  rc=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  ((own_policy)) && rm -f "$policy"
  ((rc == 0)) || exit "$rc"
fi
