#!/bin/bash
# Benchmark (figures, never pass/fail; not run by ctest): a hub under hostile
# load, with real processes on 127.0.0.1 (use a Release build).
#
#   tests/bench/bench_hostile.sh BUILD_DIR [--records N] [--runs R] [--no-per-conn]
#
# Each run makes a fresh hub and committee; the committee writes N records
# (default 300) before its daemon starts, and the time from its start until
# `ayil sync --wait` reports everything acknowledged is measured twice: on a
# quiet hub, and while ayil-swarm holds 2,000 silent connections from 250
# addresses, 100 that drip a byte every 2 s and 100 that send garbage. It
# prints the medians and their ratio, the hub's peak resident memory under
# the flood and after the time-outs, and the memory per pending stranger
# and per idle authenticated connection (as the hub accounts it, and as
# resident memory).
set -euo pipefail
B=${1:?usage: bench_hostile.sh BUILD_DIR [--records N] [--runs R]}
B=$(cd "$B" && pwd)
shift
N=300
RUNS=3
PER_CONN=1
while [ $# -gt 0 ]; do
  case $1 in
  --no-per-conn) PER_CONN=0; shift ;; # a build without the connection figures
  --records) N=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  *) echo "bench_hostile: unknown argument $1" >&2; exit 2 ;;
  esac
done
export AYIL_PASSPHRASE="bench passphrase, not for real use"
SWARM="$B/tests/tools/ayil-swarm"
ulimit -n 8192 2>/dev/null || ulimit -n 4096
T=$(mktemp -d /tmp/ayil-bench-hostile.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
conn_field() { "$B/ayil" --home "$1" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["connections"][sys.argv[1]])' "$2"; }
wait_sock() { local i; for i in $(seq 100); do [ -S "$1/ayild.sock" ] && return 0; sleep 0.1; done; return 1; }

# setup DIR: a hub and a committee with N records, not running.
setup() {
  local D=$1 code
  mkdir -p "$D"
  PORT=$(free_port)
  "$B/ayil" --home "$D/hub" init --role hub --name "Bench hub" --listen "127.0.0.1:$PORT" >/dev/null 2>&1
  code=$("$B/ayil" --home "$D/hub" admit --name "Bench committee" --oblast osh 2>/dev/null)
  "$B/ayil" --home "$D/c" init --role committee --invite "$code" --recovery-kit "$D/kit" >/dev/null 2>&1
  "$B/ayil" --home "$D/hub" admit --confirm "$("$B/ayil" --home "$D/c" id --code)" >/dev/null
  sed -i 's/^linger = .*/linger = 600/' "$D/c/ayil.conf"
  python3 - "$B/ayil" "$D/c" "$N" <<'PY'
import subprocess, sys
ayil, home, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rec = b'{"date":"2026-03-14","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open","survivor_name":"Invented Name"}'
for _ in range(n):
    subprocess.run([ayil, "--home", home, "record", "add", "appeal"], input=rec,
                   stdout=subprocess.DEVNULL, check=True)
PY
}

# one_run DIR hostile(0|1): prints "SYNC_MS PEAK_KB AFTER_KB BASE_KB".
one_run() {
  local D=$1 hostile=$2 HP CP t0 t1 base peak after s1 s2 s3 i
  "$B/ayild" --home "$D/hub" 2>"$D/hub.log" &
  HP=$!
  PIDS+=($HP)
  wait_sock "$D/hub"
  sleep 0.5
  base=$(kb "$HP" VmRSS)
  if [ "$hostile" = 1 ]; then
    "$SWARM" --hub "127.0.0.1:$PORT" --from 127.0.0.2 --spread 250 --mode silent --count 2000 --seconds 40 >"$D/s1.out" 2>/dev/null &
    s1=$!
    "$SWARM" --hub "127.0.0.1:$PORT" --from 127.0.2.2 --spread 50 --mode drip --count 100 --every 2000 --seconds 40 >"$D/s2.out" 2>/dev/null &
    s2=$!
    "$SWARM" --hub "127.0.0.1:$PORT" --from 127.0.3.2 --spread 50 --mode garbage --count 100 --every 500 --seconds 40 >"$D/s3.out" 2>/dev/null &
    s3=$!
    PIDS+=($s1 $s2 $s3)
    sleep 2
  fi
  t0=$(date +%s%N)
  "$B/ayild" --home "$D/c" 2>"$D/c.log" &
  CP=$!
  PIDS+=($CP)
  wait_sock "$D/c"
  "$B/ayil" --home "$D/c" sync --wait 300 >/dev/null 2>&1 || echo "bench_hostile: no sync in $D" >&2
  t1=$(date +%s%N)
  peak=$(kb "$HP" VmHWM)
  if [ "$hostile" = 1 ]; then
    wait "$s1" "$s2" "$s3" 2>/dev/null || true
    for i in $(seq 60); do [ "$(conn_field "$D/hub" unauthenticated)" = 0 ] && break; sleep 0.5; done
    sleep 1 # the next tick gives the flood's memory back (guard_trim)
  fi
  after=$(kb "$HP" VmRSS)
  kill "$CP" "$HP" 2>/dev/null || true
  wait "$CP" "$HP" 2>/dev/null || true
  echo "$(((t1 - t0) / 1000000)) $peak $after $base"
}

# Memory per pending stranger and per idle authenticated connection.
per_conn() {
  local D=$T/mem HP CP base mem1 rss1 open
  setup "$D"
  "$B/ayild" --home "$D/hub" 2>"$D/hub.log" &
  HP=$!
  PIDS+=($HP)
  wait_sock "$D/hub"
  "$B/ayild" --home "$D/c" 2>"$D/c.log" &
  CP=$!
  PIDS+=($CP)
  wait_sock "$D/c"
  "$B/ayil" --home "$D/c" sync --wait 300 >/dev/null 2>&1
  sleep 1
  open=$(conn_field "$D/hub" open)
  echo "idle authenticated connections: $open, accounted $(( $(conn_field "$D/hub" memory_bytes) / (open > 0 ? open : 1) )) B each (conn_t + session)"
  base=$(kb "$HP" VmRSS)
  # 250 strangers, one per address: under every cap, held until the hello
  # time-out.
  "$SWARM" --hub "127.0.0.1:$PORT" --from 127.0.4.2 --spread 250 --mode silent --count 250 --seconds 6 >/dev/null 2>&1 &
  SW=$!
  PIDS+=($SW)
  sleep 3
  mem1=$(conn_field "$D/hub" memory_bytes)
  open=$(conn_field "$D/hub" unauthenticated)
  rss1=$(kb "$HP" VmRSS)
  echo "pending strangers held: $open; accounted $(( (mem1) / (open > 0 ? open : 1) )) B each; resident +$(( (rss1 - base) * 1024 / (open > 0 ? open : 1) )) B each"
  wait "$SW" 2>/dev/null || true
  kill "$CP" "$HP" 2>/dev/null || true
  wait "$CP" "$HP" 2>/dev/null || true
}

echo "bench_hostile: $N records, $RUNS runs each, $(nproc) cores"
quiet=() hostile=()
for r in $(seq "$RUNS"); do
  setup "$T/q$r"
  quiet+=("$(one_run "$T/q$r" 0)")
  setup "$T/h$r"
  hostile+=("$(one_run "$T/h$r" 1)")
done
[ "$PER_CONN" = 0 ] || per_conn
python3 - "$N" "${#quiet[@]}" "${quiet[@]}" "${hostile[@]}" <<'PY'
import statistics, sys
n, k = int(sys.argv[1]), int(sys.argv[2])
rows = [list(map(int, a.split())) for a in sys.argv[3:]]
q, h = rows[:k], rows[k:]
mq = statistics.median(r[0] for r in q)
mh = statistics.median(r[0] for r in h)
print(f"sync of {n} records, quiet hub: median {mq} ms {[r[0] for r in q]}")
print(f"sync of {n} records, hostile hub: median {mh} ms {[r[0] for r in h]}")
print(f"ratio hostile/quiet: {mh / mq:.2f} (target at most 2)")
print(f"hub RSS under the flood: baseline median {statistics.median(r[3] for r in h) / 1024:.1f} MB, "
      f"peak median {statistics.median(r[1] for r in h) / 1024:.1f} MB (target under 64 MB), "
      f"after the time-outs {statistics.median(r[2] for r in h) / 1024:.1f} MB")
print(f"hub peak RSS, quiet: median {statistics.median(r[1] for r in q) / 1024:.1f} MB")
PY
