#!/bin/bash
# Runs the libFuzzer targets for longer than CI does (tests/fuzz/README.md).
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     e.g. run.sh 600, run.sh 60 fuzz_web
#
# Builds every target with clang, libFuzzer, ASan and UBSan in build-fuzz/
# (AYIL_FUZZ_BUILD to change it), then runs each TARGET (default: all) for
# SECONDS on a copy of its seed corpus, tests/fuzz/corpus/TARGET, in
# build-fuzz/fuzz-run/TARGET/ (corpus/, log, and any crash-*, leak-*,
# timeout-*, oom-* input). AYIL_FUZZ_JOBS targets run at once (default 1:
# one after another; "all": every target at once). Prints one line per
# target -- executions, exec/s, corpus size at the start and at the end,
# findings -- and exits 1 if any target found anything (or did not run).
# Everything is bounded: each run by -max_total_time and timeout(1), each
# input by -timeout=10 s, memory by -rss_limit_mb. Run it under nice.
set -u
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [TARGET...]" >&2
  exit 2
fi
secs=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${AYIL_FUZZ_BUILD:-$root/build-fuzz}
jobs=${AYIL_FUZZ_JOBS:-1}
src=$root/tests/fuzz

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in "$src"/fuzz_*.c; do
    targets+=("$(basename "$f" .c)")
  done
fi
[ "$jobs" = all ] && jobs=${#targets[@]}

echo "building ${targets[*]} in $build" >&2
mkdir -p "$build"
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DAYIL_FUZZ=ON -DAYIL_SANITIZE=address,undefined >"$build/fuzz-cmake.log" 2>&1 ||
  { cat "$build/fuzz-cmake.log" >&2; exit 1; }
timeout 1800 cmake --build "$build" -j2 --target "${targets[@]}" \
  >"$build/fuzz-build.log" 2>&1 ||
  { tail -30 "$build/fuzz-build.log" >&2; exit 1; }

run_one() {
  local t=$1 dir=$build/fuzz-run/$1
  rm -rf "$dir"
  mkdir -p "$dir/corpus"
  [ -d "$src/corpus/$t" ] && cp "$src/corpus/$t"/* "$dir/corpus/" 2>/dev/null
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    timeout -k 10 $((secs + 120)) "$build/tests/fuzz/$t" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=1536 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$dir/" \
    "$dir/corpus" >"$dir/log" 2>&1
  echo $? >"$dir/rc"
}

start=$(date +%s)
running=0
for t in "${targets[@]}"; do
  if [ ! -x "$build/tests/fuzz/$t" ]; then
    echo "$t: no such target" >&2
    exit 2
  fi
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

fail=0
printf '%-16s %12s %8s %14s %8s\n' target executions exec/s corpus findings
for t in "${targets[@]}"; do
  dir=$build/fuzz-run/$t
  log=$dir/log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  seeds=$(ls "$src/corpus/$t" 2>/dev/null | wc -l)
  now=$(ls "$dir/corpus" | wc -l)
  finds=$(ls "$dir" | grep -cE '^(crash|leak|timeout|oom)-')
  rc=$(cat "$dir/rc" 2>/dev/null || echo 99)
  printf '%-16s %12s %8s %14s %8s\n' "$t" "${execs:-?}" "${rate:-?}" \
    "$seeds->$now" "$finds"
  if [ "$finds" -gt 0 ] || [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
    fail=1
    echo "  $t: exit $rc; see $log" >&2
  fi
done
echo "$(( $(date +%s) - start )) s" >&2
exit $fail
