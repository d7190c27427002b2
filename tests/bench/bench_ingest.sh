#!/bin/bash
# Benchmark (never pass/fail, not run by ctest): the hub's CPU time to take
# in a committee's backlog. A committee writes N records (default 2,500)
# before its daemon starts; both real daemons run on 127.0.0.1 with no link
# emulator, so the hub is CPU-bound; when `ayil sync --wait` says the hub
# acknowledged everything, the hub's user+system CPU time is read from
# /proc. Prints the median of --runs runs (default 3) and per-entry figures.
#
#   tests/bench/bench_ingest.sh BUILD_DIR [--records N] [--runs R]
set -euo pipefail
B=${1:?usage: bench_ingest.sh BUILD_DIR [--records N] [--runs R]}
shift
N=2500
RUNS=3
while [ $# -gt 0 ]; do
  case $1 in
  --records) N=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  *) echo "bench_ingest: unknown argument $1" >&2; exit 2 ;;
  esac
done
export AYIL_PASSPHRASE="bench passphrase, not for real use"
TCK=$(getconf CLK_TCK)
one_run() {
  local T HP CP port code i ticks
  T=$(mktemp -d /tmp/ayil-bench-ingest.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$B/ayil" --home "$T/hub" init --role hub --name "Bench hub" --listen "127.0.0.1:$port" >/dev/null 2>&1
  code=$("$B/ayil" --home "$T/hub" admit --name "Bench committee" --oblast osh 2>/dev/null)
  "$B/ayil" --home "$T/c" init --role committee --invite "$code" --recovery-kit "$T/kit" >/dev/null 2>&1
  "$B/ayil" --home "$T/hub" admit --confirm "$("$B/ayil" --home "$T/c" id --code)" >/dev/null
  sed -i 's/^linger = .*/linger = 1/' "$T/c/ayil.conf"
  python3 - "$B/ayil" "$T/c" "$N" <<'PY'
import subprocess, sys
ayil, home, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rec = b'{"date":"2026-03-14","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open","survivor_name":"Invented Name"}'
for _ in range(n):
    subprocess.run([ayil, "--home", home, "record", "add", "appeal"], input=rec,
                   stdout=subprocess.DEVNULL, check=True)
PY
  "$B/ayild" --home "$T/hub" 2>"$T/hub.log" &
  HP=$!
  "$B/ayild" --home "$T/c" 2>"$T/c.log" &
  CP=$!
  for i in $(seq 100); do [ -S "$T/c/ayild.sock" ] && break; sleep 0.1; done
  if "$B/ayil" --home "$T/c" sync --wait 300 >/dev/null 2>&1; then
    ticks=$(awk '{print $14 + $15}' "/proc/$HP/stat")
    echo "$ticks"
  else
    echo "bench_ingest: the committee did not sync; logs in $T" >&2
    echo -1
  fi
  kill "$CP" "$HP" 2>/dev/null || true
  wait "$CP" "$HP" 2>/dev/null || true
  [ "${ticks:-}" = "" ] || rm -rf "$T"
}
vals=()
for r in $(seq "$RUNS"); do vals+=("$(one_run)"); done
python3 - "$TCK" "$N" "${vals[@]}" <<'PY'
import statistics, sys
tck, n = int(sys.argv[1]), int(sys.argv[2])
s = [int(v) / tck for v in sys.argv[3:] if int(v) >= 0]
if not s:
    sys.exit("bench_ingest: no run synced")
m = statistics.median(s)
print(f"hub CPU to take in {n} entries: median {m:.2f} s of {len(s)} runs {s}")
print(f"per entry: {m / n * 1e6:.0f} us (includes the handshake and the records view)")
PY
