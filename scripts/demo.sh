#!/usr/bin/env bash
# podwall's main job, from a fresh Debian 12 machine (as root): install, build, then run
# three pods (network namespaces) with podwall as their switch and show traffic between them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
scripts/hugepages.sh 512
if [ -f build/build.ninja ]; then :; else meson setup build >/dev/null; fi
meson compile -C build >/dev/null
exec /usr/bin/python3 scripts/demo.py
