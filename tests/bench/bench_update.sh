#!/bin/bash
# Status-only update benchmark (never pass/fail, not run by ctest): the real
# ayild hub and committee daemons on 127.0.0.1 with a bench_sync_tap between
# them that counts what each connection carries (TCP payload, both ways:
# handshake, frames, acknowledgements, everything).
#
# Each run, on its own pair (run in turn):
#   1. `ayil record add appeal` with a narrative of --narrative bytes
#      (invented words), then `ayil sync --wait`;
#   2. `ayil sync --wait` with nothing new: what a connection costs alone;
#   3. `ayil record update ID` flipping consent_reporting (26 bytes of
#      input, the record's body kept), then `ayil sync --wait`.
# It prints, as medians of --runs runs: the bytes of connection 1 (the
# record), 2 (nothing) and 3 (the update), and 3 minus 2: what the update
# itself cost on the wire.
#
# usage: tests/bench/bench_update.sh BUILD_DIR [--runs N] [--narrative BYTES]
#            [--keep]
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--runs N] [--narrative BYTES] [--keep]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "bench_update: no build dir $1" >&2; exit 2; }
shift
RUNS=3
NARR_BYTES=2000
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
  --runs) RUNS=${2:?}; shift 2 ;;
  --narrative) NARR_BYTES=${2:?}; shift 2 ;;
  --keep) KEEP=1; shift ;;
  *) usage ;;
  esac
done
for v in "$RUNS" "$NARR_BYTES"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[ "$NARR_BYTES" -le 16000 ] || usage

AYIL=$BUILD/ayil
AYILD=$BUILD/ayild
TAP=$BUILD/tests/bench/bench_sync_tap
for b in "$AYIL" "$AYILD" "$TAP"; do
  [ -x "$b" ] || { echo "bench_update: $b is missing (build the tree first)" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "bench_update: needs python3" >&2; exit 2; }

W=$(mktemp -d /tmp/ayil-bench-update.XXXXXX)
BENCH=bench_update
# shellcheck source=tests/bench/lib.bash
. "$(dirname "$0")/lib.bash"
trap bench_cleanup EXIT
export AYIL_PASSPHRASE="bench passphrase, not for real use"

closes() { grep -c ' close ' "$1" 2>/dev/null || true; }
opens() { grep -c ' open$' "$1" 2>/dev/null || true; }
# settle TAPLOG: bounded wait until every connection the tap saw is closed.
settle() {
  for _ in $(seq 300); do
    [ "$(opens "$1")" = "$(closes "$1")" ] && return 0
    sleep 0.1
  done
  echo "bench_update: a connection did not close" >&2
  exit 1
}
# step TAPLOG CMD...: runs CMD (which syncs), waits for its connection to
# close, prints the bytes the last connection carried both ways.
step() {
  local log=$1 before
  shift
  settle "$log"
  before=$(closes "$log")
  "$@" >/dev/null 2>>"$W/cli.err" || { echo "bench_update: '$*' failed:" >&2; tail -3 "$W/cli.err" >&2; exit 1; }
  for _ in $(seq 300); do
    [ "$(closes "$log")" -gt "$before" ] && break
    sleep 0.1
  done
  settle "$log"
  awk '$3=="close"{b=$4+$5} END{print b+0}' "$log"
}

NARR=$(python3 - "$NARR_BYTES" <<'PY'
import random, sys
random.seed(7)
words = ("invented narrative about the Fictionova family neighbour called police "
         "aksakal court school teacher noticed bruises mother said husband "
         "returned from Moscow drinking argued money children stayed with "
         "grandmother committee visited twice").split()
out = []
n = int(sys.argv[1])
while len(" ".join(out)) < n:
    out.append(random.choice(words))
print(" ".join(out)[:n])
PY
)

echo "bench_update: $RUNS runs, narrative of $NARR_BYTES bytes, in $W" >&2
REC=() NONE=() UPD=() DELTA=()
for r in $(seq "$RUNS"); do
  d=$W/run$r
  mkdir -p "$d"
  hp=$(free_port)
  "$AYIL" --home "$d/hub" init --role hub --name "Bench hub" --listen 127.0.0.1:$hp >/dev/null 2>>"$W/cli.err"
  "$TAP" --listen 0 --connect "$hp" --log "$d/tap.log" --timeout 600 >"$d/tap.port" 2>"$d/tap.err" &
  PIDS+=($!)
  tp=$(port_of "$d/tap.port")
  code=$("$AYIL" --home "$d/hub" admit --name "Bench committee" --oblast osh --advertise 127.0.0.1:$tp 2>>"$W/cli.err")
  "$AYIL" --home "$d/c" init --role committee --invite "$code" --recovery-kit "$d/kit.txt" >/dev/null 2>>"$W/cli.err"
  "$AYIL" --home "$d/hub" admit --confirm "$("$AYIL" --home "$d/c" id --code)" >/dev/null 2>>"$W/cli.err"
  sed -i -e 's/^linger = .*/linger = 1/' -e 's/^poll_interval = .*/poll_interval = 3600/' "$d/c/ayil.conf"
  "$AYILD" --home "$d/hub" 2>"$d/hub.log" &
  PIDS+=($!); hpid=$!
  wait_for 10 "$d/hub.log" 'hub listening' || { echo "bench_update: hub did not start" >&2; exit 1; }
  "$AYILD" --home "$d/c" 2>"$d/c.log" &
  PIDS+=($!); cpid=$!
  # The first connection spends the invite.
  wait_for 30 "$d/c.log" 'synced; leaving' || { echo "bench_update: admission failed, see $d/c.log" >&2; KEEP=1; exit 1; }
  settle "$d/tap.log"
  json=$(printf '{"date":"2026-03-14","source":"police","violence":["physical","economic"],"survivor_sex":"female","survivor_age":"26-40","status":"open","consent_reporting":false,"narrative":"%s"}' "$NARR")
  id=$(echo "$json" | "$AYIL" --home "$d/c" record add appeal 2>>"$W/cli.err")
  REC+=("$(step "$d/tap.log" "$AYIL" --home "$d/c" sync --wait 60)")
  NONE+=("$(step "$d/tap.log" "$AYIL" --home "$d/c" sync --wait 60)")
  echo '{"consent_reporting":true}' >"$d/u.json"
  "$AYIL" --home "$d/c" record update "$id" --file "$d/u.json" >/dev/null 2>>"$W/cli.err"
  UPD+=("$(step "$d/tap.log" "$AYIL" --home "$d/c" sync --wait 60)")
  DELTA+=($((UPD[r - 1] - NONE[r - 1])))
  # The hub holds the update with the record's body.
  [ "$(sqlite3 "$d/hub/ayil.db" "SELECT count(*) FROM records r JOIN bodies b ON b.hash=r.body_hash WHERE r.seq=2")" = 1 ] ||
    { echo "bench_update: run $r: the hub lacks the updated record's body" >&2; KEEP=1; exit 1; }
  stop_pid "$cpid"
  stop_pid "$hpid"
done
BODY=$(sqlite3 "$W/run1/c/ayil.db" "SELECT max(length(sealed)) FROM bodies")
echo "ayil status-only update benchmark: real ayild hub + committee on 127.0.0.1, bytes both ways per connection (TCP payload)"
echo "sealed body of the record: $BODY bytes; narrative $NARR_BYTES bytes; medians of $RUNS runs (all runs in brackets)"
printf '%-58s %8s   [%s]\n' "connection carrying the new record (bytes)" "$(median "${REC[@]}")" "${REC[*]}"
printf '%-58s %8s   [%s]\n' "connection with nothing new (bytes)" "$(median "${NONE[@]}")" "${NONE[*]}"
printf '%-58s %8s   [%s]\n' "connection carrying the status-only update (bytes)" "$(median "${UPD[@]}")" "${UPD[*]}"
printf '%-58s %8s   [%s]\n' "the update itself: update minus nothing new (bytes)" "$(median "${DELTA[@]}")" "${DELTA[*]}"
