#!/usr/bin/env bash
# Installs, idempotently, what the benchmarks need beyond scripts/bootstrap.sh: gnuplot for
# the harness's plots and Open vSwitch with DPDK, the peer the harness compares against. The
# harness runs its own ovs-vswitchd (the DPDK build,
# /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk) in a private directory, not the system one.
# Run as root (or with sudo available).
set -euo pipefail

exec "$(dirname "$0")/bootstrap.sh" gnuplot-nox openvswitch-switch-dpdk
