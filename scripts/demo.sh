#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs an instrumented program whose
# metrics are read back live from shared memory. Ctrl-C stops it cleanly.
# Usage: scripts/demo.sh [--duration SECONDS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
exec build/bin/brrt-example --segment demo "$@"
