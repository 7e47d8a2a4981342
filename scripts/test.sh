#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): install what is missing,
# then build twice and run every test in both builds:
#   build/       warnings as errors; integration tests use hugepages where reserved
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer; integration tests use --no-huge
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
scripts/hugepages.sh 512

setup() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@"
    fi
}

setup build -Dwerror=true
meson compile -C build
meson test -C build --print-errorlogs --num-processes 2

setup build-asan -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined
meson compile -C build-asan
PW_TEST_HUGEPAGES=off \
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --num-processes 2

echo "podwall: all tests passed in build/ and build-asan/"
