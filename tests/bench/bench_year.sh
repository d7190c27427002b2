#!/bin/bash
# A realistic year (issue 16), a benchmark: never pass/fail, not run by ctest.
#
# tests/bench/year_gen.py writes a committee's year with a fixed seed: --records
# records of all 11 kinds of RECORDS.md (the mix is MIX in year_gen.py), Kyrgyz
# and Russian text of realistic length (notes median ~400 bytes, narratives
# ~900, about 2% of appeals a case history of 4-11 KB), dates across 2026,
# updates (most of them a status or a flag only, some a longer text, a family
# removed) and deletes (records entered by mistake). It is entered as members
# would, with `ayil record add/update/delete`, JSON on standard input, into a
# committee store before its daemon starts (the backlog). Then, for each run,
# the real daemons on 127.0.0.1:
#
#   committee ayild -> bench_sync_tap -> ayil-linkemu -> hub ayild
#
# at 64 kbit/s, 300 ms one way, once clean and once cut every --cut-bytes
# (U[N/2, 3N/2] per connection), all runs in parallel, each on its own link.
# On the clean runs, after the backlog, the bench enters samples one at a time
# on the live link (5 records of each kind; status-only updates on appeals
# with a narrative of ~900 B, of 1.5-2 KB and with a case history; referrals
# with a 200-byte Russian note) and reads the emulator's byte counters around each, then one
# day's records (6) after the link went idle.
#
# It prints:
#   - wire bytes per record by kind and per status-only update: each sample's
#     bytes both ways over the link (the entry, its frame, the ACK), alone on
#     the connection, so the attribution needs no decoding of the stream;
#   - wire bytes over the JSON entered, for the year's backlog;
#   - beside that, `zstd -19` on each record's JSON alone (each add's and
#     update's JSON as entered), with the dictionary and without;
#   - disk per record on the committee (the Pi) and on the hub: the store
#     files (ayil.db + ayil.db-wal after a checkpoint) after the run;
#   - the time for the year's backlog (connect -> last acknowledgement, clean
#     and cut) and for one day's records (first add -> last acknowledgement).
#
# Only the CLI, the daemons and the link emulator are used (and sqlite3 for a
# WAL checkpoint before the disk figure), so it runs on any version of the
# store and of the sync protocol.
#
# usage: tests/bench/bench_year.sh BUILD_DIR [--records N] [--runs R] [--seed S]
#            [--cut-bytes N] [--dict FILE] [--keep]
# The dictionary is --dict FILE, else a zstd dictionary file in proto/dict/,
# else a stand-in trained with `zstd --train` on a year generated with another
# seed (the same phrase material, so it flatters zstd a little).
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--records N] [--runs R] [--seed S] [--cut-bytes N] [--dict FILE] [--keep]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "bench_year: no build dir $1" >&2; exit 2; }
shift
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
RECORDS=2000
RUNS=3
SEED=2022
CUT_BYTES=100000
DICT=""
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
  --records) RECORDS=${2:?}; shift 2 ;;
  --runs) RUNS=${2:?}; shift 2 ;;
  --seed) SEED=${2:?}; shift 2 ;;
  --cut-bytes) CUT_BYTES=${2:?}; shift 2 ;;
  --dict) DICT=${2:?}; shift 2 ;;
  --keep) KEEP=1; shift ;;
  *) usage ;;
  esac
done
for v in "$RECORDS" "$RUNS" "$CUT_BYTES"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[[ $SEED =~ ^[0-9]+$ ]] || usage
[ -z "$DICT" ] || [ -f "$DICT" ] || { echo "bench_year: no dictionary $DICT" >&2; exit 2; }

AYIL=$BUILD/ayil
AYILD=$BUILD/ayild
EMU=$BUILD/tests/linkemu/ayil-linkemu
TAP=$BUILD/tests/bench/bench_sync_tap
GEN=$HERE/year_gen.py
for b in "$AYIL" "$AYILD" "$EMU" "$TAP"; do
  [ -x "$b" ] || { echo "bench_year: $b is missing (build the tree first)" >&2; exit 2; }
done
for t in sqlite3 python3 awk zstd; do
  command -v $t >/dev/null || { echo "bench_year: needs $t" >&2; exit 2; }
done
if ! grep -q -E '^CMAKE_BUILD_TYPE:STRING=(Release|RelWithDebInfo)' "$BUILD/CMakeCache.txt" 2>/dev/null ||
  grep -q -i 'fsanitize' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "bench_year: warning: $BUILD is not a plain Release build; times will be off" >&2
fi

RATE=64000 # bits/s each way
DELAY=300  # ms one way
LINGER=30  # s: the link stays up between the samples
DEADLINE=$((SECONDS + 2400))

W=$(mktemp -d /tmp/ayil-bench-year.XXXXXX)
BENCH=bench_year
# shellcheck source=tests/bench/lib.bash
. "$(dirname "$0")/lib.bash"
trap bench_cleanup EXIT
export AYIL_PASSPHRASE="bench passphrase, not for real use"

note() { echo "bench_year: $* (at $((SECONDS - T0)) s)" >&2; }
now_ms() { python3 -c 'import time; print("%.3f" % (time.clock_gettime(time.CLOCK_MONOTONIC) * 1000))'; }
# unacked HOME: entries of the committee's log not yet acknowledged by the hub.
unacked() {
  "$AYIL" --home "$1" status --json 2>/dev/null |
    python3 -c 'import json,sys; print(sum(p.get("unacked_out") or 0 for p in json.load(sys.stdin)["peers"]))' 2>/dev/null || echo x
}
# wait_acked HOME SECONDS: bounded wait until the hub acknowledged everything.
wait_acked() {
  local end=$((SECONDS + $2))
  while [ $SECONDS -lt $end ]; do
    [ "$(unacked "$1")" = 0 ] && return 0
    sleep 0.2
  done
  return 1
}
# link_bytes DIR: both directions the link carried, from its stats (rewritten
# every second).
link_bytes() { awk -F= '$1=="bytes_c2s"||$1=="bytes_s2c"{s+=$2} END{print s+0}' "$1/link.stats"; }
stat_of() { sed -n "s/^$2=//p" "$1/link.stats" 2>/dev/null | tail -1; }
# store_bytes HOME: the store files after a checkpoint (the daemon is stopped).
store_bytes() {
  local f s=0
  if [ -s "$1/ayil.db-wal" ]; then sqlite3 "$1/ayil.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null; fi
  for f in "$1"/ayil.db "$1"/ayil.db-wal; do [ -f "$f" ] && s=$((s + $(stat -c %s "$f"))); done
  echo $s
}

# ---- the year, entered once into a committee store -----------------------
T0=$SECONDS
note "generating the year ($RECORDS records, seed $SEED) in $W"
python3 "$GEN" plan --records "$RECORDS" --seed "$SEED" --out "$W/plan.jsonl"
bench_template naryn
EMPTY_C=$(store_bytes "$W/tpl/c")
EMPTY_H=$(store_bytes "$W/tpl/hub")
sed -i "s/^linger = .*/linger = $LINGER/" "$W/tpl/c/ayil.conf"
t=$SECONDS
python3 "$GEN" enter --ayil "$AYIL" --home "$W/tpl/c" --plan "$W/plan.jsonl" --phase backlog \
  --ids "$W/ids.json" --json-dir "$W/json" --log "$W/ops.log"
ENTER_S=$((SECONDS - t))
note "backlog entered in $ENTER_S s"
# The floor no encoding of the backlog can go under while bodies are sealed
# and padded to their buckets and each entry carries its signature and
# each record its id: the sealed bodies as stored, 64 B per entry of the
# committee's log, 16 B per record (the store's views, any schema).
{
  echo "sealed=$(sqlite3 "$W/tpl/c/ayil.db" 'SELECT coalesce(sum(length(sealed)), 0) FROM bodies')"
  echo "entries=$(sqlite3 "$W/tpl/c/ayil.db" 'SELECT coalesce(max(c), 0) FROM (SELECT count(*) AS c FROM entries GROUP BY origin)')"
  echo "records=$(sqlite3 "$W/tpl/c/ayil.db" 'SELECT count(*) FROM records')"
} >"$W/floor.result"

# ---- zstd on each record's JSON alone --------------------------------------
if [ -z "$DICT" ]; then
  # A zstd dictionary starts with the magic 37 A4 30 EC.
  for f in "$SRC"/proto/dict/*; do
    [ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 37a430ec ] && { DICT=$f; break; }
  done
fi
DICT_NOTE="$DICT"
if [ -z "$DICT" ]; then
  python3 "$GEN" corpus --records "$RECORDS" --seed $((SEED + 1000)) --dir "$W/corpus"
  zstd -q --train "$W"/corpus/*.json --maxdict=32768 -o "$W/stand-in.dict"
  DICT=$W/stand-in.dict
  DICT_NOTE="stand-in: zstd --train --maxdict=32768 on a year with seed $((SEED + 1000)) (no proto/dict yet)"
fi
mkdir -p "$W/zd" "$W/zn"
zstd -q -19 -D "$DICT" --output-dir-flat "$W/zd" "$W"/json/*.json
zstd -q -19 --output-dir-flat "$W/zn" "$W"/json/*.json
note "zstd done"

# ---- one pair behind its own link --------------------------------------
start_pair() { # start_pair NAME [linkemu options...]
  local name=$1 d=$W/$1 hp th lp tc
  shift
  cp -a "$W/tpl" "$d"
  hp=$(free_port)
  $TAP --listen 0 --connect "$hp" --log "$d/tapH.log" --timeout 3000 >"$d/tapH.port" 2>"$d/tapH.err" &
  echo $! >"$d/pid.tapH"; PIDS+=($!)
  th=$(port_of "$d/tapH.port")
  $EMU --listen 127.0.0.1:0 --connect 127.0.0.1:$th --rate $RATE --delay $DELAY "$@" \
    --stats "$d/link.stats" >"$d/link.port" 2>"$d/link.log" &
  echo $! >"$d/pid.emu"; PIDS+=($!)
  lp=$(port_of "$d/link.port")
  $TAP --listen 0 --connect "$lp" --log "$d/tapC.log" --timeout 3000 >"$d/tapC.port" 2>"$d/tapC.err" &
  echo $! >"$d/pid.tapC"; PIDS+=($!)
  tc=$(port_of "$d/tapC.port")
  sed -i -e "s/^address = .*/address = 127.0.0.1:$hp/" -e "s/^advertise = .*/advertise = 127.0.0.1:$hp/" "$d/hub/ayil.conf"
  sed -i -e "s/^address = .*/address = 127.0.0.1:$tc/" "$d/c/ayil.conf"
  $AYILD --home "$d/hub" 2>"$d/hub.log" &
  echo $! >"$d/pid.hub"; PIDS+=($!)
  wait_for 10 "$d/hub.log" 'hub listening' || { echo "bench_year: hub of $name did not start" >&2; exit 1; }
  $AYILD --home "$d/c" 2>"$d/c.log" &
  echo $! >"$d/pid.c"; PIDS+=($!)
}
stop_pair() {
  local d=$W/$1 k
  for k in c hub tapC emu tapH; do stop_pid "$(cat "$d/pid.$k")"; done
}
# last_s2c DIR: time (ms) of the last hub->committee frame the tap passed.
last_s2c() { awk '$3=="s2c" && $4=="frame" {t=$1} END{if(t=="")t=0; print t}' "$1/tapC.log"; }
first_open() { awk '$3=="open" {print $1; exit}' "$1/tapC.log"; }

# The clean runs' second part: samples on the live link, then one day.
samples_and_day() { # samples_and_day NAME (in the background)
  local d=$W/$1 n i b0 b1 t0 t1 opens
  n=$(grep -c '"phase": "sample"' "$W/plan.jsonl")
  for i in $(seq 0 $((n - 1))); do
    sleep 1.2 # the stats file has caught up with the previous sample
    b0=$(link_bytes "$d")
    python3 "$GEN" enter --ayil "$AYIL" --home "$d/c" --plan "$W/plan.jsonl" --phase sample --only "$i" \
      --ids "$W/ids.json" --log "$d/sample.ops" || return 1
    wait_acked "$d/c" 60 || { echo "timeout" >>"$d/sample.bytes"; continue; }
    sleep 1.3
    b1=$(link_bytes "$d")
    echo "$i $((b1 - b0)) $(grep -c ' open' "$d/tapC.log")" >>"$d/sample.bytes"
  done
  # One day: the link has gone idle (linger), the day's records come in a row.
  for _ in $(seq $((LINGER + 20))); do
    opens=$(grep -c ' open$' "$d/tapC.log" || true)
    [ "$(grep -c ' close ' "$d/tapC.log" || true)" -ge "$opens" ] && break
    sleep 1
  done
  sleep 1.2
  b0=$(link_bytes "$d")
  t0=$(now_ms)
  python3 "$GEN" enter --ayil "$AYIL" --home "$d/c" --plan "$W/plan.jsonl" --phase day \
    --ids "$W/ids.json" --log "$d/day.ops" || return 1
  wait_acked "$d/c" 120 || { echo "day timeout" >"$d/day.result"; return 1; }
  sleep 1.3
  b1=$(link_bytes "$d")
  t1=$(last_s2c "$d")
  echo "day_ms=$(calc "$t1 - $t0")" >"$d/day.result"
  echo "day_bytes=$((b1 - b0))" >>"$d/day.result"
  echo "day_json=$(awk '{s+=$6} END{print s+0}' "$d/day.ops")" >>"$d/day.result"
  echo "day_conns=$(($(grep -c ' open$' "$d/tapC.log") - opens))" >>"$d/day.result"
}

PAIRS=()
for r in $(seq "$RUNS"); do
  start_pair "clean$r"
  PAIRS+=("clean$r")
  start_pair "cut$r" --cut-bytes "$CUT_BYTES" --seed "$r"
  PAIRS+=("cut$r")
done
note "${#PAIRS[@]} pairs running ($RUNS clean, $RUNS cut every ~$CUT_BYTES B); bounded at $((DEADLINE - SECONDS)) s"

declare -A STATE # "" syncing, samples (clean, background), done
declare -A SPID
left=${#PAIRS[@]}
last_note=$SECONDS
while [ "$left" -gt 0 ] && [ $SECONDS -lt $DEADLINE ]; do
  for p in "${PAIRS[@]}"; do
    d=$W/$p
    case ${STATE[$p]:-} in
    "")
      grep -q ' open$' "$d/tapC.log" 2>/dev/null || continue
      [ "$(unacked "$d/c")" = 0 ] || continue
      sleep 1.3
      {
        echo "t0=$(first_open "$d")"
        echo "tend=$(last_s2c "$d")"
        echo "bytes=$(link_bytes "$d")"
        echo "cuts=$(stat_of "$d" cuts)"
        echo "conns=$(grep -c ' open$' "$d/tapC.log")"
      } >"$d/backlog.result"
      note "$p: backlog synced"
      if [[ $p == clean* ]]; then
        samples_and_day "$p" >"$d/samples.log" 2>&1 &
        SPID[$p]=$!
        STATE[$p]=samples
      else
        stop_pair "$p"
        STATE[$p]=done
        left=$((left - 1))
      fi
      ;;
    samples)
      kill -0 "${SPID[$p]}" 2>/dev/null && continue
      wait "${SPID[$p]}" || note "$p: samples or day failed, see $d/samples.log"
      stop_pair "$p"
      echo "disk_c=$(store_bytes "$d/c")" >"$d/disk.result"
      echo "disk_h=$(store_bytes "$d/hub")" >>"$d/disk.result"
      note "$p: samples and day done"
      STATE[$p]=done
      left=$((left - 1))
      ;;
    esac
  done
  if [ $((SECONDS - last_note)) -ge 60 ]; then
    last_note=$SECONDS
    note "$left pair(s) still running"
  fi
  sleep 1
done
for p in "${PAIRS[@]}"; do
  if [ "${STATE[$p]:-}" != done ]; then
    note "$p did not finish within the time bound; its figures are left out"
    [ -n "${SPID[$p]:-}" ] && kill "${SPID[$p]}" 2>/dev/null || true
    stop_pair "$p"
    rm -f "$W/$p/disk.result" "$W/$p/day.result"
  fi
done

# ---- analysis -------------------------------------------------------------
python3 - "$W" "$RUNS" "$RECORDS" "$SEED" "$CUT_BYTES" "$EMPTY_C" "$EMPTY_H" "$RATE" "$DELAY" "$DICT_NOTE" \
  "$(nproc) CPU(s), $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(uname -sr)" \
  "$BUILD ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null))" "$ENTER_S" <<'EOF'
import collections, json, os, statistics, sys
W, RUNS, RECORDS, SEED, CUT, EMPTY_C, EMPTY_H, RATE, DELAY, DICT, MACHINE, BUILD, ENTER_S = sys.argv[1:]
RUNS, EMPTY_C, EMPTY_H, RATE = int(RUNS), int(EMPTY_C), int(EMPTY_H), int(RATE)

def kv(path):
    try:
        return {k: v for k, v in (l.strip().split("=", 1) for l in open(path) if "=" in l)}
    except OSError:
        return None

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None

def f(v, spec):
    return "n/a" if v is None else format(v, spec)

def runs(v, spec):
    return "[" + " ".join(f(x, spec) for x in v) + "]"

# The backlog as entered: one line per operation (phase index op kind label bytes).
ops = [l.split() for l in open(os.path.join(W, "ops.log"))]
size = lambda d, name: os.path.getsize(os.path.join(W, d, name))
json_total = zd_total = zn_total = 0
by_kind = collections.defaultdict(lambda: [0, 0, 0, 0])  # adds, json, zstd+dict, zstd
upd = collections.Counter()
upd_json = collections.Counter()
upd_zd = collections.Counter()
for ph, i, op, kind, label, n in ops:
    n = int(n)
    if op == "delete":
        upd["delete"] += 1
        continue
    name = f"{ph}-{int(i):05d}.json"
    zd, zn = size("zd", name + ".zst"), size("zn", name + ".zst")
    json_total += n; zd_total += zd; zn_total += zn
    if op == "add":
        k = by_kind[kind]
        k[0] += 1; k[1] += n; k[2] += zd; k[3] += zn
    else:
        upd[label] += 1; upd_json[label] += n; upd_zd[label] += zd
adds = sum(k[0] for k in by_kind.values())

# Per-run results.
clean = [kv(os.path.join(W, f"clean{r}", "backlog.result")) for r in range(1, RUNS + 1)]
cut = [kv(os.path.join(W, f"cut{r}", "backlog.result")) for r in range(1, RUNS + 1)]
clean = [c for c in clean if c]
cut = [c for c in cut if c]
dur = lambda c: (float(c["tend"]) - float(c["t0"])) / 1000
c_dur = [dur(c) for c in clean]; c_bytes = [int(c["bytes"]) for c in clean]
x_dur = [dur(c) for c in cut]; x_bytes = [int(c["bytes"]) for c in cut]
x_cuts = [int(c["cuts"] or 0) for c in cut]
c_ratio = [b / json_total for b in c_bytes]
x_ratio = [b / json_total for b in x_bytes]
c_zd = [b / zd_total for b in c_bytes]

# Samples: one at a time on the live link.
plan = [json.loads(l) for l in open(os.path.join(W, "plan.jsonl"))]
samples = [o for o in plan if o["phase"] == "sample"]
s_bytes = collections.defaultdict(list)
s_json = collections.defaultdict(list)
s_reconn = 0
for r in range(1, RUNS + 1):
    d = os.path.join(W, f"clean{r}")
    try:
        sop = {int(l.split()[1]): int(l.split()[5]) for l in open(os.path.join(d, "sample.ops"))}
        lines = [l.split() for l in open(os.path.join(d, "sample.bytes")) if not l.startswith("timeout")]
    except OSError:
        continue
    prev_conns = None
    for i, b, conns in lines:
        i, b, conns = int(i), int(b), int(conns)
        if prev_conns is not None and conns != prev_conns:
            s_reconn += 1  # a new connection (handshake) inside this sample
        prev_conns = conns
        o = samples[i]
        key = o["label"] if o["op"] == "update" or o["label"] != o["kind"] else o["kind"]
        s_bytes[key].append(b)
        s_json[key].append(sop.get(i, 0))

disk = [kv(os.path.join(W, f"clean{r}", "disk.result")) for r in range(1, RUNS + 1)]
disk = [x for x in disk if x]
day = [kv(os.path.join(W, f"clean{r}", "day.result")) for r in range(1, RUNS + 1)]
day = [x for x in day if x and "day_ms" in x]
# Records and JSON in the committee's store at the end of a clean run.
n_sample_adds = sum(1 for o in samples if o["op"] == "add")
n_day = sum(1 for o in plan if o["phase"] == "day")
store_recs = adds + n_sample_adds + n_day
def entered_json(r):
    t = json_total
    for name in ("sample.ops", "day.ops"):
        try:
            t += sum(int(l.split()[5]) for l in open(os.path.join(W, f"clean{r}", name)))
        except OSError:
            pass
    return t
disk_c = [int(x["disk_c"]) for x in disk]
disk_h = [int(x["disk_h"]) for x in disk]
ej = med([entered_json(r) for r in range(1, RUNS + 1)])

print()
print(f"ayil realistic-year benchmark: ayild hub + committee over ayil-linkemu, {RATE // 1000} kbit/s, {DELAY} ms one way")
print(f"machine: {MACHINE}")
print(f"build: {BUILD}")
n_upd = sum(v for k, v in upd.items() if k != "delete")
print(f"year: seed {SEED}, {adds} records added, {n_upd} updates ({upd['status-only']} status-only, "
      f"{upd['body']} text, {upd['removed']} family removed), {upd['delete']} deletes; "
      f"{json_total} B of JSON entered ({json_total / adds:.0f} B per record); entered in {ENTER_S} s")
print(f"dictionary: {DICT}")
print(f"runs: {len(clean)} clean, {len(cut)} cut (--cut-bytes {CUT}, seeds 1..{RUNS}), in parallel; medians, runs in []")
print()
row = lambda a, b, c, d: print(f"{a:<56} {b:>10}   {c:<8} {d}")
row("figure", "median", "target", "runs")
row("backlog: wire bytes (both ways), clean", f(med(c_bytes), ".0f"), "", runs(c_bytes, ".0f"))
row("backlog: wire bytes / JSON entered, clean", f(med(c_ratio), ".3f"), "<= 0.5", runs(c_ratio, ".3f"))
row("backlog: wire bytes / JSON entered, cut", f(med(x_ratio), ".3f"), "", runs(x_ratio, ".3f"))
row("zstd -19 + dictionary, each JSON alone / JSON entered", f(zd_total / json_total, ".3f"), "", "")
row("zstd -19, no dictionary, each JSON alone / JSON entered", f(zn_total / json_total, ".3f"), "", "")
row("backlog: wire bytes / zstd -19 + dictionary", f(med(c_zd), ".2f"), "<= 1.6", runs(c_zd, ".2f"))
fl = kv(os.path.join(W, "floor.result")) or {}
if fl:
    fb = int(fl["sealed"]) + 64 * int(fl["entries"]) + 16 * int(fl["records"])
    row("floor: sealed bodies + 64 B/entry + 16 B/record, the backlog (B)", f(fb, ".0f"), "", "")
    row("  floor / JSON entered", f(fb / json_total, ".3f"), "", "")
    row("  floor / zstd -19 + dictionary", f(fb / zd_total, ".2f"), "", "")
row("backlog: wire bytes per operation (add/update/delete)", f(med(c_bytes) / len(ops) if c_bytes else None, ".0f"), "", "")
row("backlog time, clean (s), connect -> last ack", f(med(c_dur), ".1f"), "", runs(c_dur, ".1f"))
row("backlog time, cut (s)", f(med(x_dur), ".1f"), "", runs(x_dur, ".1f"))
row("  cuts per cut run", f(med(x_cuts), ".0f"), "", runs(x_cuts, ".0f"))
row("  goodput, JSON entered / time / link rate, clean", f(json_total * 8 / med(c_dur) / RATE if c_dur else None, ".3f"), "", "")
row("one day's records (s), first add -> last ack", f(med([float(x["day_ms"]) / 1000 for x in day]), ".1f"), "",
    runs([float(x["day_ms"]) / 1000 for x in day], ".1f"))
row("  its wire bytes / its JSON", f(med([int(x["day_bytes"]) / int(x["day_json"]) for x in day]), ".3f"), "",
    runs([int(x["day_bytes"]) / int(x["day_json"]) for x in day], ".3f"))
row("  connections it took", f(med([int(x["day_conns"]) for x in day]), ".0f"), "", "")
row(f"disk per record, committee (Pi), {store_recs} records (B)", f(med([b / store_recs for b in disk_c]), ".0f"), "",
    runs([b / store_recs for b in disk_c], ".0f"))
row(f"disk per record, hub (B)", f(med([b / store_recs for b in disk_h]), ".0f"), "", runs([b / store_recs for b in disk_h], ".0f"))
row("disk / JSON entered, committee", f(med([b / ej for b in disk_c]), ".2f"), "<= 1.0", runs([b / ej for b in disk_c], ".2f"))
row("disk / JSON entered, hub", f(med([b / ej for b in disk_h]), ".2f"), "<= 1.0", runs([b / ej for b in disk_h], ".2f"))
row("  the same less the empty store, committee", f(med([(b - EMPTY_C) / ej for b in disk_c]), ".2f"), "", "")
row("  the same less the empty store, hub", f(med([(b - EMPTY_H) / ej for b in disk_h]), ".2f"), "", "")
print()
print("per kind: backlog adds; JSON and zstd -19 of each add's JSON alone, B per record (backlog);")
print("wire B per record entered alone on the live link (both ways: entry, frame, ACK), median over the samples")
print("(5 of each kind, 3 of each update) and the runs, and the samples' JSON (s.JSON)")
print(f"{'kind':<42} {'adds':>5} {'JSON':>6} {'zstd+D':>7} {'zstd':>6} {'wire':>7} {'s.JSON':>7} {'wire/JSON':>9}  target")
targets = {"referral, 200-byte Russian note": "<= 260", "status-only update, narrative 1.5-2 KB": "<= 300",
           "status-only update, case history >= 4 KB": "<= 300"}
for kind in sorted(by_kind) + [k for k in s_bytes if k not in by_kind]:
    a, j, zd, zn = by_kind.get(kind, [0, 0, 0, 0])
    wb, sj = med(s_bytes.get(kind, [])), med(s_json.get(kind, []))
    print(f"{kind:<42} {a:>5} {f(j / a if a else None, '.0f'):>6} {f(zd / a if a else None, '.0f'):>7} "
          f"{f(zn / a if a else None, '.0f'):>6} {f(wb, '.0f'):>7} {f(sj, '.0f'):>7} "
          f"{f(wb / sj if wb is not None and sj else None, '.2f'):>9}  {targets.get(kind, '')}")
for label in ("status-only", "body", "removed"):
    if upd[label]:
        print(f"{'backlog updates: ' + label:<42} {upd[label]:>5} {upd_json[label] / upd[label]:>6.0f} "
              f"{upd_zd[label] / upd[label]:>7.0f}")
print()
print(f"samples with a reconnect inside (left in): {s_reconn}")
print("wire bytes are what ayil-linkemu carried (TCP payload, both ways, from its stats); a real link adds TCP/IP headers.")
print("JSON entered: the bytes of each add's and update's JSON as piped to `ayil record` (compact, UTF-8); deletes enter none.")
print("zstd: `zstd -19 [-D dict]` on each add's and update's JSON file alone, whole frame (header, checksum) counted.")
print(f"disk: ayil.db + ayil.db-wal after a checkpoint, daemons stopped, at the end of a clean run (backlog, samples, day); "
      f"empty stores: committee {EMPTY_C} B, hub {EMPTY_H} B.")
EOF
echo "total time: $((SECONDS - T0)) s"
