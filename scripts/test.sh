#!/bin/bash
# Builds ayil with warnings as errors and ASan+UBSan, checks format and
# architecture rules, and runs every test under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${AYIL_BUILD_DIR:-build-test}
mkdir -p "$BUILD"
scripts/deps.sh --test --log "$BUILD/apt.log"
scripts/check.sh
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DAYIL_WERROR=ON \
  -DAYIL_SANITIZE=address,undefined >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$BUILD" --output-on-failure -j2 "$@"
