#!/bin/bash
# Benchmark (never pass/fail, not run by ctest): hub scale, issues 14 and 16.
# Runs tests/bench/bench_hub (N committees connect at once to a real ayild
# and sync M entries each) --runs times and prints the median of each
# figure. --preload "0 10000 100000" repeats that against a hub whose store
# already holds that many records (store growth) and prints the CPU per
# 1,000 entries at each, and its ratio to the figure at the first non-zero
# level; and the hub's store bytes per record after each run.
# Use a build without sanitizers (RelWithDebInfo) for numbers worth quoting.
#
#   tests/bench/bench_hub.sh BUILD_DIR [--committees N] [--entries M] [--runs R]
#                            [--preload "N1 N2 ..."]
set -euo pipefail
B=${1:?usage: bench_hub.sh BUILD_DIR [--committees N] [--entries M] [--runs R] [--preload "N1 N2 ..."]}
shift
N=1000
M=100
RUNS=3
PRELOAD=0
while [ $# -gt 0 ]; do
  case $1 in
  --committees) N=$2; shift 2 ;;
  --entries) M=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --preload) PRELOAD=${2//,/ }; shift 2 ;;
  *) echo "bench_hub: unknown argument $1" >&2; exit 2 ;;
  esac
done
results=()
for p in $PRELOAD; do
  for r in $(seq "$RUNS"); do
    out=$(nice -n 10 "$B/tests/bench/bench_hub" --bin "$B" --committees "$N" --entries "$M" --preload "$p") || true
    echo "$out" | grep -v '^RESULT \|^DISK ' | sed "s/^/preload $p run $r: /" >&2
    res=$(echo "$out" | grep '^RESULT ' || true)
    disk=$(echo "$out" | grep '^DISK ' || true)
    [ -n "$res" ] && results+=("$res ${disk#DISK }")
  done
done
python3 - "${results[@]}" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in r.split()[1:]) for r in sys.argv[1:] if r]
if not rows:
    sys.exit("bench_hub: no run finished")
keys = ["eps", "secs", "verify", "ratio", "cpu_per_1000", "eps_cpu", "verify_cpu", "ratio_cpu", "hwm_kb", "kb_per_conn", "storm_secs", "drops", "cuts", "complete", "disk_per_record"]
levels = []
for r in rows:
    if r.get("preload", "0") not in levels:
        levels.append(r.get("preload", "0"))
cpu = {}
for lv in levels:
    sel = [r for r in rows if r.get("preload", "0") == lv]
    print(f"median of {len(sel)} runs, {sel[0]['committees']} committees, store preloaded with {lv} records:")
    for k in keys:
        if k not in sel[0]:
            continue
        vals = [float(r[k]) for r in sel]
        print(f"  {k:>15}: {statistics.median(vals):.4g}   (runs: {', '.join(f'{v:.4g}' for v in vals)})")
    cpu[lv] = statistics.median(float(r["cpu_per_1000"]) for r in sel)
base = next((lv for lv in levels if lv != "0"), None)
if base is not None and len(levels) > 1:
    print(f"CPU per 1,000 entries against the figure at {base} preloaded records:")
    for lv in levels:
        print(f"  preload {lv:>7}: {cpu[lv]:.4f} s, {cpu[lv] / cpu[base]:.3f} times")
PY
