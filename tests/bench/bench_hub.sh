#!/bin/bash
# Benchmark (never pass/fail, not run by ctest): hub scale, issue 14. Runs
# tests/bench/bench_hub (N committees connect at once to a real ayild and
# sync M entries each) --runs times and prints the median of each figure.
# Use a build without sanitizers (RelWithDebInfo) for numbers worth quoting.
#
#   tests/bench/bench_hub.sh BUILD_DIR [--committees N] [--entries M] [--runs R]
#                            [--restart]
#
# --restart adds bench_hub's third phase: the hub restarts under all the
# committees, and the time until every one of them is back and synced.
set -euo pipefail
B=${1:?usage: bench_hub.sh BUILD_DIR [--committees N] [--entries M] [--runs R]}
shift
N=1000
M=100
RUNS=3
EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
  --committees) N=$2; shift 2 ;;
  --entries) M=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --restart) EXTRA+=(--restart); shift ;;
  *) echo "bench_hub: unknown argument $1" >&2; exit 2 ;;
  esac
done
results=()
for r in $(seq "$RUNS"); do
  out=$(nice -n 10 "$B/tests/bench/bench_hub" --bin "$B" --committees "$N" --entries "$M" ${EXTRA[@]+"${EXTRA[@]}"}) || true
  echo "$out" | grep -v '^RESULT\|^RESTART' | sed "s/^/run $r: /" >&2
  results+=("$(echo "$out" | grep '^RESULT\|^RESTART' | tr '\n' ' ' || true)")
done
python3 - "${results[@]}" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in r.split() if "=" in kv) for r in sys.argv[1:] if r.strip()]
if not rows:
    sys.exit("bench_hub: no run finished")
keys = ["eps", "secs", "verify", "ratio", "cpu_per_1000", "eps_cpu", "verify_cpu", "ratio_cpu", "hwm_kb", "kb_per_conn", "storm_secs", "drops", "cuts", "complete", "restart_secs", "restart_down", "restart_drops", "restart_hs_timeouts", "restart_done"]
print(f"median of {len(rows)} runs, {rows[0]['committees']} committees:")
for k in keys:
    if any(k not in r for r in rows):
        continue
    vals = [float(r[k]) for r in rows]
    print(f"  {k:>13}: {statistics.median(vals):.4g}   (runs: {', '.join(f'{v:.4g}' for v in vals)})")
PY
