#!/usr/bin/env bash
# Installs every Debian package Raven needs to build, test and run the lab.
# The one list of dependencies: README, .ci/run and the lab all call this.
set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config g++ clang llvm clang-format
  libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev
  libsodium-dev libcpp-httplib-dev libssl-dev rapidjson-dev libabsl-dev
  libgtest-dev libgmock-dev libmnl-dev libyaml-cpp-dev
  # runtime and tests
  wireguard-go wireguard-tools iproute2 iputils-ping nftables conntrack tcpdump
  socat procps coreutils python3 python3-yaml openssl curl
  # the lab's CNI modes (scripts/lab.sh up --cni flannel|calico): the CNI plugins, bird
  containernetworking-plugins bird2
)
# kubectl for the lab and the kubectl tests: Debian's kubernetes-client only
# where none is installed (it conflicts with an upstream /usr/bin/kubectl).
if ! command -v kubectl >/dev/null; then packages+=(kubernetes-client); fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: run as root (apt-get install)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
