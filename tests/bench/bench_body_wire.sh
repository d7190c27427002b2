#!/bin/bash
# Wire bytes of one referral (never pass/fail, not run by ctest): a real hub
# and committee ayild on 127.0.0.1 with bench_sync_tap between them; the
# committee adds a referral whose note is 200 bytes of Russian with
# `ayil record add`, then `ayil sync --wait`; the tap sees every frame.
# Prints, per run: the entry's bytes and the sealed body's bytes in the
# committee's store, the wire bytes of the frames the committee sent in the
# sync after the add (all of them: ENTRIES and any other), and the bytes
# both ways of that connection, handshake included.
#
# usage: tests/bench/bench_body_wire.sh BUILD_DIR [--runs N]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [--runs N]" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
shift
RUNS=3
[ "${1:-}" = --runs ] && RUNS=${2:?}
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || { echo "bench_body_wire: bad --runs" >&2; exit 2; }
AYIL=$BUILD/ayil
AYILD=$BUILD/ayild
TAP=$BUILD/tests/bench/bench_sync_tap
for b in "$AYIL" "$AYILD" "$TAP"; do
  [ -x "$b" ] || { echo "bench_body_wire: $b missing" >&2; exit 2; }
done
W=$(mktemp -d /tmp/ayil-bench-bodywire.XXXXXX)
BENCH=bench_body_wire
# shellcheck source=tests/bench/lib.bash
. "$(dirname "$0")/lib.bash"
trap bench_cleanup EXIT
export AYIL_PASSPHRASE="bench passphrase, not for real use"
# A note of 204 bytes of Russian, invented (bench_body.c has the same).
NOTE="Направлена в кризисный центр «Сезим» в райцентре. Завтра её отвезёт сестра, младшие дети пока у бабушки с дедом."
printf 'note bytes: %s\n' "$(printf %s "$NOTE" | wc -c)"
printf '%-4s %7s %7s %9s %9s %9s\n' run entry body c2s_frames conn_c2s conn_s2c
for r in $(seq "$RUNS"); do
  d=$W/r$r
  mkdir -p "$d"
  hp=$(free_port)
  "$AYIL" --home "$d/hub" init --role hub --name "Bench hub" --listen 127.0.0.1:$hp >/dev/null 2>>"$d/setup.log"
  "$TAP" --listen 0 --connect "$hp" --log "$d/tap.log" --timeout 300 >"$d/tap.port" 2>"$d/tap.err" &
  PIDS+=($!)
  wait_for 10 "$d/tap.port" '^port=' || { echo "bench_body_wire: no tap port" >&2; exit 1; }
  tp=$(sed -n 's/^port=//p' "$d/tap.port" | head -1)
  code=$("$AYIL" --home "$d/hub" admit --name "Bench committee" --oblast osh --advertise 127.0.0.1:$tp 2>>"$d/setup.log")
  "$AYIL" --home "$d/c" init --role committee --invite "$code" --recovery-kit "$d/kit.txt" >/dev/null 2>>"$d/setup.log"
  "$AYIL" --home "$d/hub" admit --confirm "$("$AYIL" --home "$d/c" id --code)" >/dev/null 2>>"$d/setup.log"
  sed -i 's/^linger = .*/linger = 1/' "$d/c/ayil.conf"
  "$AYILD" --home "$d/hub" 2>"$d/hub.log" & hpid=$!; PIDS+=($hpid)
  wait_for 10 "$d/hub.log" 'hub listening' || { echo "bench_body_wire: hub did not start" >&2; exit 1; }
  "$AYILD" --home "$d/c" 2>"$d/c.log" & cpid=$!; PIDS+=($cpid)
  wait_for 30 "$d/c.log" 'synced; leaving' || { echo "bench_body_wire: admission failed" >&2; exit 1; }
  # The appeal the referral belongs to, synced first; then the referral.
  case=$(printf '{"date":"2026-03-10","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open"}' |
    "$AYIL" --home "$d/c" record add appeal)
  "$AYIL" --home "$d/c" sync --wait 60 >/dev/null 2>&1
  sleep 1.5 # the linger: the connection closes, the next one is the referral's
  before=$(grep -c ' open' "$d/tap.log" || true)
  printf '{"case":"%s","date":"2026-03-14","service":"crisis_centre","status":"referred","notes":"%s"}' "$case" "$NOTE" |
    "$AYIL" --home "$d/c" record add referral >/dev/null
  "$AYIL" --home "$d/c" sync --wait 60 >/dev/null 2>&1
  sleep 1.5
  # The referral's entry as stored (packed since schema step 11: its kind is
  # then an index, found through the records view).
  if [ "$(stored_col "$d/c/ayil.db")" = packed ]; then
    entry=$(sqlite3 "$d/c/ayil.db" "SELECT length(entry) FROM records WHERE kind = 'referral' ORDER BY created_n DESC LIMIT 1")
  else
    entry=$(sqlite3 "$d/c/ayil.db" "SELECT length(bytes) FROM entries WHERE instr(bytes, CAST('referral' AS BLOB)) > 0 ORDER BY n DESC LIMIT 1")
  fi
  body=$(sqlite3 "$d/c/ayil.db" "SELECT max(length(sealed)) FROM bodies") # the appeal's is a date
  # Connections opened after the appeal's: their c2s frames, and totals.
  awk -v skip="$before" '$3=="open"{n++} n>skip && $3=="c2s" && $4=="frame"{f+=$6}
    n>skip && $3=="close"{c+=$4; s+=$5}
    END{printf "%s %s %s\n", f+0, c+0, s+0}' "$d/tap.log" >"$d/res"
  read -r frames cc ss <"$d/res"
  printf '%-4s %7s %7s %9s %9s %9s\n' "$r" "$entry" "$body" "$frames" "$cc" "$ss"
  stop_pid $cpid
  stop_pid $hpid
done
# What no encoding of this referral can go under while its body is sealed
# and padded to its bucket and its entry carries a signature and a record
# id, in one transport frame: the issue's 260-byte target is below it.
printf 'floor: sealed body %s + signature 64 + record id 16 + one frame 19 = %s B\n' \
  "$body" "$((body + 64 + 16 + 19))"
