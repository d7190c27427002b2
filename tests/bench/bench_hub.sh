#!/bin/bash
# Benchmark (never pass/fail, not run by ctest): hub scale, issue 14. Runs
# tests/bench/bench_hub (N committees connect at once to a real ayild and
# sync M entries each) --runs times and prints the median of each figure.
# Use a build without sanitizers (RelWithDebInfo) for numbers worth quoting.
#
#   tests/bench/bench_hub.sh BUILD_DIR [--committees N] [--entries M] [--runs R]
set -euo pipefail
B=${1:?usage: bench_hub.sh BUILD_DIR [--committees N] [--entries M] [--runs R]}
shift
N=1000
M=100
RUNS=3
while [ $# -gt 0 ]; do
  case $1 in
  --committees) N=$2; shift 2 ;;
  --entries) M=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  *) echo "bench_hub: unknown argument $1" >&2; exit 2 ;;
  esac
done
results=()
for r in $(seq "$RUNS"); do
  out=$(nice -n 10 "$B/tests/bench/bench_hub" --bin "$B" --committees "$N" --entries "$M") || true
  echo "$out" | grep -v '^RESULT' | sed "s/^/run $r: /" >&2
  results+=("$(echo "$out" | grep '^RESULT' || true)")
done
python3 - "${results[@]}" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in r.split()[1:]) for r in sys.argv[1:] if r]
if not rows:
    sys.exit("bench_hub: no run finished")
keys = ["eps", "secs", "verify", "ratio", "cpu_per_1000", "eps_cpu", "verify_cpu", "ratio_cpu", "hwm_kb", "kb_per_conn", "storm_secs", "drops", "cuts", "complete"]
print(f"median of {len(rows)} runs, {rows[0]['committees']} committees:")
for k in keys:
    if k not in rows[0]:
        continue
    vals = [float(r[k]) for r in rows]
    print(f"  {k:>13}: {statistics.median(vals):.4g}   (runs: {', '.join(f'{v:.4g}' for v in vals)})")
PY
