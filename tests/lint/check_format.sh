#!/usr/bin/env bash
# Every C file of the tree is clang-format clean (.clang-format at the root).
set -euo pipefail
root=${1:-.}
cd "$root"
mapfile -t files < <(find include dataplane control tools tests bench -name '*.[ch]' -not -path '*/corpus/*' | sort)
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
