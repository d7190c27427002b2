#!/bin/bash
# What each committee pulls of its hub's notice log (never pass/fail, not
# run by ctest): a real ayild hub and N real committee daemons on
# 127.0.0.1. All N committees are admitted first (N admit notices in the
# hub's log), then every committee daemon starts at once, syncs and
# leaves; then every committee syncs once more (the next day). Per
# committee it reads from the committee's own store: the hub's
# entries it holds, their bytes, and the bytes its connections received
# (peer_bytes, message bytes both ways as ayild counts them).
#
# Each committee needs only the notice that admitted it (PROTOCOL.md,
# "Sparse logs"); before sparse logs each pulled all N.
#
# usage: tests/bench/bench_notices.sh BUILD_DIR [--before OLD_BUILD_DIR]
#            [--committees N] [--runs R] [--keep]
# With --before, each run does both builds in turn (old first) and prints
# the ratios.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--before OLD_BUILD_DIR] [--committees N] [--runs R] [--keep]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
NEW=$(cd "$1" 2>/dev/null && pwd) || { echo "bench_notices: no build dir $1" >&2; exit 2; }
shift
OLD=""
N=30
RUNS=3
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
  --before) OLD=$(cd "${2:?}" && pwd); shift 2 ;;
  --committees) N=${2:?}; shift 2 ;;
  --runs) RUNS=${2:?}; shift 2 ;;
  --keep) KEEP=1; shift ;;
  *) usage ;;
  esac
done
for v in "$N" "$RUNS"; do [[ $v =~ ^[1-9][0-9]*$ ]] || usage; done
[ "$N" -le 200 ] || usage
for b in "$NEW" ${OLD:+"$OLD"}; do
  for x in ayil ayild; do
    [ -x "$b/$x" ] || { echo "bench_notices: $b/$x is missing" >&2; exit 2; }
  done
done
command -v sqlite3 >/dev/null || { echo "bench_notices: needs sqlite3" >&2; exit 2; }

W=$(mktemp -d /tmp/ayil-bench-notices.XXXXXX)
BENCH=bench_notices
# shellcheck source=tests/bench/lib.bash
. "$(dirname "$0")/lib.bash"
trap bench_cleanup EXIT
export AYIL_PASSPHRASE="bench passphrase, not for real use"
sq() { sqlite3 -cmd ".timeout 5000" "$@"; }
b64hex() { python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1]).hex().upper())' "$1"; }

synced_twice() { # FILE: bounded wait for a second "synced; leaving"
  for _ in $(seq 1200); do
    [ "$(grep -c 'synced; leaving' "$1" 2>/dev/null || true)" -ge 2 ] && return 0
    sleep 0.1
  done
  return 1
}

# one_run BUILD DIR: prints "entries bytes recv" medians over the N
# committees, then the totals.
one_run() {
  local bin=$1 d=$2 hp hpid c code i hubhex pids=() left
  local AYIL=$bin/ayil AYILD=$bin/ayild
  mkdir -p "$d"
  hp=$(free_port)
  "$AYIL" --home "$d/hub" init --role hub --name "Bench hub" --listen "127.0.0.1:$hp" >"$d/hub.id" 2>>"$d/setup.log"
  hubhex=$(b64hex "$(cat "$d/hub.id")")
  for i in $(seq "$N"); do
    c=$d/c$i
    code=$("$AYIL" --home "$d/hub" admit --name "Bench committee $i" --oblast osh --advertise "127.0.0.1:$hp" 2>>"$d/setup.log")
    "$AYIL" --home "$c" init --role committee --invite "$code" --recovery-kit "$d/kit$i.txt" >/dev/null 2>>"$d/setup.log"
    "$AYIL" --home "$d/hub" admit --confirm "$("$AYIL" --home "$c" id --code)" >/dev/null 2>>"$d/setup.log"
    sed -i 's/^linger = .*/linger = 1/' "$c/ayil.conf"
  done
  "$AYILD" --home "$d/hub" 2>"$d/hub.log" &
  hpid=$!
  PIDS+=("$hpid")
  wait_for 10 "$d/hub.log" 'hub listening' || { echo "$BENCH: hub did not start" >&2; exit 1; }
  for i in $(seq "$N"); do
    "$AYILD" --home "$d/c$i" 2>"$d/c$i.log" &
    pids+=($!)
    PIDS+=($!)
  done
  for i in $(seq "$N"); do
    wait_for 120 "$d/c$i.log" 'synced; leaving' || { echo "$BENCH: c$i did not sync, see $d/c$i.log" >&2; KEEP=1; exit 1; }
  done
  for p in "${pids[@]}"; do stop_pid "$p"; done
  # Each admission writes its notice when the committee first connects,
  # so the first round saw part of them: a second round, as the next
  # day's sync, takes whatever it still lacks.
  pids=()
  for i in $(seq "$N"); do
    "$AYILD" --home "$d/c$i" 2>>"$d/c$i.log" &
    pids+=($!)
    PIDS+=($!)
  done
  for i in $(seq "$N"); do
    synced_twice "$d/c$i.log" || { echo "$BENCH: c$i did not sync again, see $d/c$i.log" >&2; KEEP=1; exit 1; }
  done
  for p in "${pids[@]}"; do stop_pid "$p"; done
  stop_pid "$hpid"
  : >"$d/per"
  for i in $(seq "$N"); do
    sq "$d/c$i/ayil.db" "SELECT (SELECT count(*) FROM entries WHERE origin=X'$hubhex'), (SELECT ifnull(sum(length($(stored_col "$d/c$i/ayil.db"))),0) FROM entries WHERE origin=X'$hubhex'), (SELECT ifnull(sum(recv),0) FROM peer_bytes)" | tr '|' ' ' >>"$d/per"
  done
  left=$(awk '{e+=$1; b+=$2; r+=$3} END {print e, b, r}' "$d/per")
  echo "$(median "$(cut -d' ' -f1 "$d/per")") $(median "$(cut -d' ' -f2 "$d/per")") $(median "$(cut -d' ' -f3 "$d/per")") $left"
}

printf '%s: %d committees admitted, all synced at once, twice; per committee (median of the %d)\n' "$BENCH" "$N" "$N"
printf '%-6s %-4s %10s %10s %12s | %12s %12s %12s\n' build run entries bytes recv_bytes all_entries all_bytes all_recv
declare -a NE NB NR OE OB OR_
for r in $(seq "$RUNS"); do
  if [ -n "$OLD" ]; then
    read -r e b rv te tb tr <<<"$(one_run "$OLD" "$W/old$r")"
    printf '%-6s %-4s %10s %10s %12s | %12s %12s %12s\n' before "$r" "$e" "$b" "$rv" "$te" "$tb" "$tr"
    OE+=("$e"); OB+=("$b"); OR_+=("$rv")
  fi
  read -r e b rv te tb tr <<<"$(one_run "$NEW" "$W/new$r")"
  printf '%-6s %-4s %10s %10s %12s | %12s %12s %12s\n' after "$r" "$e" "$b" "$rv" "$te" "$tb" "$tr"
  NE+=("$e"); NB+=("$b"); NR+=("$rv")
done
me=$(median "${NE[@]}"); mb=$(median "${NB[@]}"); mr=$(median "${NR[@]}")
printf 'median per committee, after: %s hub entries, %s bytes of them, %s bytes received\n' "$me" "$mb" "$mr"
if [ -n "$OLD" ]; then
  oe=$(median "${OE[@]}"); ob=$(median "${OB[@]}"); orr=$(median "${OR_[@]}")
  printf 'median per committee, before: %s hub entries, %s bytes of them, %s bytes received\n' "$oe" "$ob" "$orr"
  printf 'ratio after/before: entries %s, their bytes %s, bytes received %s\n' \
    "$(fmt "$(calc "$me / $oe")" %.3f)" "$(fmt "$(calc "$mb / $ob")" %.3f)" "$(fmt "$(calc "$mr / $orr")" %.3f)"
fi
