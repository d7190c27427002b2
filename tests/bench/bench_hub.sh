#!/bin/bash
# Benchmark (never pass/fail, not run by ctest): hub scale, issues 14 and 16.
# Runs tests/bench/bench_hub (N committees connect at once to a real ayild
# and sync M entries each) --runs times and prints the median of each
# figure. Use a build without sanitizers (RelWithDebInfo) for numbers worth
# quoting.
#
#   tests/bench/bench_hub.sh BUILD_DIR [--committees N] [--entries M] [--runs R]
#                            [--restart] [--preload "N1 N2 ..."]
#
# --restart adds bench_hub's third phase: the hub restarts under all the
# committees, and the time until every one of them is back and synced.
# --preload "10000 100000" repeats the runs against a hub whose store
# already holds that many records (store growth) and prints the CPU per
# 1,000 entries at each level, with its ratio to the first non-zero level;
# every run prints the hub's store bytes per record after it.
set -euo pipefail
B=${1:?usage: bench_hub.sh BUILD_DIR [--committees N] [--entries M] [--runs R] [--restart] [--preload "N1 N2 ..."]}
shift
N=1000
M=100
RUNS=3
PRELOAD=0
EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
  --committees) N=$2; shift 2 ;;
  --entries) M=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --restart) EXTRA+=(--restart); shift ;;
  --preload) PRELOAD=${2//,/ }; shift 2 ;;
  *) echo "bench_hub: unknown argument $1" >&2; exit 2 ;;
  esac
done
results=()
for p in $PRELOAD; do
  for r in $(seq "$RUNS"); do
    out=$(nice -n 10 "$B/tests/bench/bench_hub" --bin "$B" --committees "$N" --entries "$M" --preload "$p" ${EXTRA[@]+"${EXTRA[@]}"}) || true
    echo "$out" | grep -v '^RESULT\|^RESTART\|^DISK' | sed "s/^/preload $p run $r: /" >&2
    results+=("$(echo "$out" | grep '^RESULT\|^RESTART\|^DISK' | tr '\n' ' ' || true)")
  done
done
python3 - "${results[@]}" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in r.split() if "=" in kv) for r in sys.argv[1:] if r.strip()]
rows = [r for r in rows if "committees" in r]
if not rows:
    sys.exit("bench_hub: no run finished")
keys = ["eps", "secs", "verify", "ratio", "cpu_per_1000", "eps_cpu", "verify_cpu", "ratio_cpu", "hwm_kb", "kb_per_conn", "storm_secs", "drops", "cuts", "complete", "disk_per_record", "restart_secs", "restart_down", "restart_drops", "restart_hs_timeouts", "restart_done"]
levels = []
for r in rows:
    if r.get("preload", "0") not in levels:
        levels.append(r.get("preload", "0"))
cpu = {}
for lv in levels:
    sel = [r for r in rows if r.get("preload", "0") == lv]
    print(f"median of {len(sel)} runs, {sel[0]['committees']} committees, store preloaded with {lv} records:")
    for k in keys:
        if any(k not in r for r in sel):
            continue
        vals = [float(r[k]) for r in sel]
        print(f"  {k:>19}: {statistics.median(vals):.4g}   (runs: {', '.join(f'{v:.4g}' for v in vals)})")
    cpu[lv] = statistics.median(float(r["cpu_per_1000"]) for r in sel)
base = next((lv for lv in levels if lv != "0"), None)
if base is not None and len(levels) > 1:
    print(f"CPU per 1,000 entries against the figure at {base} preloaded records:")
    for lv in levels:
        print(f"  preload {lv:>7}: {cpu[lv]:.4f} s, {cpu[lv] / cpu[base]:.3f} times")
PY
