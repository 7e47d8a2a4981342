#!/usr/bin/env bash
# Reserve 2 MB hugepages and mount hugetlbfs where the machine allows it. Never fails: podwall
# runs with --no-huge when there are none, and this says which.
set -u
want=${1:-512}
if [ "$(id -u)" -ne 0 ]; then
    echo "hugepages: not root, not reserving (podwall will use --no-huge)"
    exit 0
fi
cur=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$cur" -lt "$want" ]; then
    echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
fi
if ! grep -qs ' hugetlbfs ' /proc/mounts; then
    mkdir -p /dev/hugepages
    mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
fi
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if grep -qs ' hugetlbfs ' /proc/mounts && [ "${free:-0}" -gt 0 ]; then
    echo "hugepages: ${free} x 2 MB free on hugetlbfs"
else
    echo "hugepages: unavailable here (podwall will use --no-huge)"
fi
