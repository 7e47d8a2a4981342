#!/usr/bin/env bash
# Installs, idempotently, what the benchmarks need beyond scripts/bootstrap.sh: gnuplot for
# the harness's plots and Open vSwitch with DPDK, the peer the harness compares against.
# Run as root (or with sudo available).
set -euo pipefail

"$(dirname "$0")/bootstrap.sh"

PACKAGES=(gnuplot-nox openvswitch-switch-dpdk)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "bench-bootstrap: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "bench-bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The harness runs its own ovs-vswitchd (the DPDK build,
# /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk) in a private directory, not the system one.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "bench-bootstrap: done"
