#!/usr/bin/env bash
# Fast-path discipline (like DPDK's checkpatches.sh): no printf, allocation, locks, sleeps or
# logging in the per-packet files, and no control-side library in dataplane/.
set -uo pipefail
root=${1:-.}
cd "$root"
fail=0
fast=$(ls dataplane/worker*.c dataplane/parse*.c dataplane/fdb*.h dataplane/decide*.h dataplane/ct*.[ch] 2>/dev/null)
hits=$(grep -nE '\b(printf|fprintf|malloc|calloc|realloc|free|pthread_mutex_[a-z]+|rte_spinlock_[a-z]+|sleep|usleep|nanosleep|RTE_LOG|PW_DP_LOG|syslog)\(' $fast)
if [ -n "$hits" ]; then
    echo "forbidden calls in fast-path files:"
    echo "$hits"
    fail=1
fi
inc=$(grep -nE '#include [<"](curl|jansson|yaml|cyaml|control/)' dataplane/* include/podwall/* 2>/dev/null)
if [ -n "$inc" ]; then
    echo "dataplane/ or include/ depends on control-side code:"
    echo "$inc"
    fail=1
fi
vol=$(grep -nE '\bvolatile\b' dataplane/*.[ch] control/*.[ch] 2>/dev/null)
if [ -n "$vol" ]; then
    echo "volatile used for synchronisation (use __atomic acquire/release):"
    echo "$vol"
    fail=1
fi
[ $fail -eq 0 ] && echo "fast-path discipline: $(echo $fast | wc -w) files clean"
exit $fail
