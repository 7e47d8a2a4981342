#!/usr/bin/env bash
# Every header compiles on its own (DPDK's chkincs).
set -euo pipefail
root=${1:-.}
cc=${2:-cc}
cd "$root"
flags="-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -I. $(pkg-config --cflags libdpdk jansson libcyaml yaml-0.1)"
n=0
for h in $(find include dataplane control tools -name '*.h' | sort); do
    if ! echo "#include \"$h\"" | $cc $flags -x c -fsyntax-only - ; then
        echo "header does not compile alone: $h"
        exit 1
    fi
    n=$((n + 1))
done
echo "headers-alone: $n headers compile alone"
