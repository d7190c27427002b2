#!/bin/bash
# The main job, end to end on one machine: installs what it needs, builds,
# then runs a regional hub and committee nodes on 127.0.0.1, enters records
# at the committees, syncs them to the hub through the tests' link emulator
# shaped like a flaky 2G link, and prints the hub's report. apt's and the
# build's output go to logs in the build directory; on a failure, their end
# is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${AYIL_BUILD_DIR:-build}
mkdir -p "$BUILD"
scripts/deps.sh --demo --log "$BUILD/apt.log"
echo "Building ayil (log: $BUILD/build.log)"
if ! { cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
  cmake --build "$BUILD" -j"$(nproc)"; } >"$BUILD/build.log" 2>&1; then
  echo "demo: the build failed; the end of $BUILD/build.log:" >&2
  tail -n 30 "$BUILD/build.log" >&2
  exit 1
fi
exec tests/e2e/lib/demo.bash "$PWD/$BUILD"
