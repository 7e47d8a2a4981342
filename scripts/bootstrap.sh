#!/usr/bin/env bash
# Installs, idempotently, every Debian 12 package podwall needs to build, test and run, and
# any further packages named as arguments (scripts/bench-bootstrap.sh names the benchmarks').
# Run as root (or with sudo available). Safe to run again: apt-get skips what is installed.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config meson ninja-build clang clang-format
	dpdk dpdk-dev libdpdk-dev
	libcyaml-dev libyaml-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev libpcap-dev
	libclang-rt-14-dev
	python3 python3-scapy python3-yaml iproute2 ethtool iputils-ping netcat-openbsd curl tcpdump procps kmod openssl
	nodejs
	"$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "bootstrap: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "bootstrap: done"
