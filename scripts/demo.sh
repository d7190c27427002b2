#!/bin/bash
# The main job, end to end on one machine: installs what it needs, builds,
# then runs a regional hub and committee nodes on 127.0.0.1, enters records
# at the committees, syncs them to the hub through the tests' link emulator
# shaped like a flaky 2G link, and prints the hub's report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD=${AYIL_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
exec tests/e2e/lib/demo.bash "$PWD/$BUILD"
