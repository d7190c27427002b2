#!/bin/bash
# Sync benchmark (never pass/fail, not run by ctest): the real ayild hub and
# committee daemons on 127.0.0.1, each committee behind its own ayil-linkemu
# 2G link (64 kbit/s, 300 ms each way, no jitter), measured with two
# bench_sync_tap forwarders that log when each handshake message and each
# transport frame passes, one at each end of the link:
#
#   committee ayild -> tapC -> ayil-linkemu -> tapH -> hub ayild
#
# It prints, with the median of --runs runs where it can:
#   - goodput of a backlog (--records appeals, each with a narrative of
#     1 KiB of Kyrgyz or Russian text from tests/bench/year_gen.py, all
#     written before the committee's daemon starts), from the committee's
#     TCP connect to the arrival of the hub's last acknowledgement at the
#     committee, as text bytes entered / time / link rate (issue 16: at
#     least 1.1 clean, 0.9 with a cut every 100 KB), and as sealed body
#     bytes and total link bytes the same way;
#   - wire bytes per record beyond the body, with where they go;
#   - round trips from connect to the first entry at the hub;
#   - bytes re-sent per cut (the backlog with --cut-bytes vs without);
#   - bytes an idle committee spends per poll cycle, and per day at the
#     default poll_interval (3600 s);
#   - resident memory (VmRSS peak sampled, VmHWM) of both daemons.
# All runs go in parallel (each has its own link), so the whole thing takes
# about as long as one backlog: ~3-4 minutes for 1,000 records.
#
# usage: tests/bench/bench_sync.sh BUILD_DIR [--records N] [--runs N]
#            [--cut-bytes N] [--idle-cycles N] [--keep]
# BUILD_DIR should be a Release build without sanitizers:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--records N] [--runs N] [--cut-bytes N] [--idle-cycles N] [--keep]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "bench_sync: no build dir $1" >&2; exit 2; }
shift
RECORDS=1000
RUNS=3
CUT_BYTES=800000
IDLE_CYCLES=5
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
  --records) RECORDS=${2:?}; shift 2 ;;
  --runs) RUNS=${2:?}; shift 2 ;;
  --cut-bytes) CUT_BYTES=${2:?}; shift 2 ;;
  --idle-cycles) IDLE_CYCLES=${2:?}; shift 2 ;;
  --keep) KEEP=1; shift ;;
  *) usage ;;
  esac
done
for v in "$RECORDS" "$RUNS" "$CUT_BYTES" "$IDLE_CYCLES"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || usage
done

AYIL=$BUILD/ayil
AYILD=$BUILD/ayild
EMU=$BUILD/tests/linkemu/ayil-linkemu
TAP=$BUILD/tests/bench/bench_sync_tap
for b in "$AYIL" "$AYILD" "$EMU" "$TAP"; do
  [ -x "$b" ] || { echo "bench_sync: $b is missing (build the tree first)" >&2; exit 2; }
done
for t in sqlite3 python3 awk; do
  command -v $t >/dev/null || { echo "bench_sync: needs $t" >&2; exit 2; }
done
if grep -q -i -E 'fsanitize|-O0' "$BUILD/CMakeCache.txt" 2>/dev/null ||
  ! grep -q -E '^CMAKE_BUILD_TYPE:STRING=(Release|RelWithDebInfo)' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "bench_sync: warning: $BUILD is not a plain Release build; memory figures will be off" >&2
fi

RATE=64000        # bits/s each way
DELAY=300         # ms one way
RTT=$((2 * DELAY)) # ms
POLL_IDLE=2       # s, the idle committee's poll_interval
POLL_DEFAULT=3600 # s, the shipped default
TEXT_BYTES_EACH=1024 # UTF-8 bytes of each record's narrative
HERE=$(cd "$(dirname "$0")" && pwd)
DEADLINE=$((SECONDS + 540))

W=$(mktemp -d /tmp/ayil-bench-sync.XXXXXX)
BENCH=bench_sync
# shellcheck source=tests/bench/lib.bash
. "$(dirname "$0")/lib.bash"
trap bench_cleanup EXIT
export AYIL_PASSPHRASE="bench passphrase, not for real use"

# wait_for SECONDS FILE REGEX: bounded wait for a line in a file.
# port_of FILE: the port=NNNN a tool printed first.

# ---- a template: an admitted hub + committee pair, nothing synced -------
echo "bench_sync: preparing ($RECORDS records with 1 KiB narratives) in $W" >&2
T0=$SECONDS
bench_template osh

# narratives N SEED: N JSON appeals, one a line, each with a narrative of
# TEXT_BYTES_EACH bytes of invented Kyrgyz or Russian text (alternately),
# written by the realistic year's generator: real text, so what the wire
# saves by compressing bodies is what a committee's text would save.
narratives() {
  python3 - "$1" "$2" "$TEXT_BYTES_EACH" "$HERE" <<'PY'
import json, random, sys
n, seed, size, here = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, here)
import year_gen
r = random.Random(seed)
for i in range(n):
    lang = "ky" if i % 2 else "ru"
    print(json.dumps({"date": "2026-03-14", "source": "police",
                      "violence": ["physical", "economic"], "survivor_sex": "female",
                      "survivor_age": "26-40", "status": "open",
                      "narrative": year_gen.text(r, lang, size)}, ensure_ascii=False))
PY
}
add_records() { # add_records HOME FILE
  local line
  while IFS= read -r line; do
    printf '%s' "$line" | $AYIL --home "$1" record add appeal >/dev/null
  done <"$2"
}
text_bytes() { # text_bytes FILE: the narratives' UTF-8 bytes
  python3 -c 'import json,sys; print(sum(len(json.loads(l)["narrative"].encode()) for l in open(sys.argv[1])))' "$1"
}
cp -a "$W/tpl" "$W/tpl-idle"
narratives 5 1 >"$W/idle.jsonl"
add_records "$W/tpl-idle/c" "$W/idle.jsonl"
cp -a "$W/tpl" "$W/tpl-backlog"
narratives "$RECORDS" 2 >"$W/backlog.jsonl"
add_records "$W/tpl-backlog/c" "$W/backlog.jsonl"
TEXT_BYTES=$(text_bytes "$W/backlog.jsonl")
BODY_BYTES=$(sqlite3 "$W/tpl-backlog/c/ayil.db" "SELECT sum(length(sealed)) FROM bodies")
ENTRY_AVG=$(sqlite3 "$W/tpl-backlog/c/ayil.db" "SELECT avg(length($(stored_col "$W/tpl-backlog/c/ayil.db"))) FROM entries")
BODY_AVG=$(sqlite3 "$W/tpl-backlog/c/ayil.db" "SELECT avg(length(sealed)) FROM bodies")
echo "bench_sync: prepared in $((SECONDS - T0)) s" >&2

# ---- one pair behind its own link --------------------------------------
# start_pair NAME TEMPLATE LINGER POLL [linkemu options...]
start_pair() {
  local name=$1 tpl=$2 linger=$3 poll=$4 d=$W/$1 hp th lp tc
  shift 4
  cp -a "$W/$tpl" "$d"
  hp=$(free_port)
  $TAP --listen 0 --connect "$hp" --log "$d/tapH.log" --timeout 900 >"$d/tapH.port" 2>"$d/tapH.err" &
  echo $! >"$d/pid.tapH"; PIDS+=($!)
  th=$(port_of "$d/tapH.port")
  $EMU --listen 127.0.0.1:0 --connect 127.0.0.1:$th --rate $RATE --delay $DELAY "$@" \
    --stats "$d/link.stats" >"$d/link.port" 2>"$d/link.log" &
  echo $! >"$d/pid.emu"; PIDS+=($!)
  lp=$(port_of "$d/link.port")
  $TAP --listen 0 --connect "$lp" --log "$d/tapC.log" --timeout 900 >"$d/tapC.port" 2>"$d/tapC.err" &
  echo $! >"$d/pid.tapC"; PIDS+=($!)
  tc=$(port_of "$d/tapC.port")
  sed -i -e "s/^address = .*/address = 127.0.0.1:$hp/" -e "s/^advertise = .*/advertise = 127.0.0.1:$hp/" "$d/hub/ayil.conf"
  sed -i -e "s/^address = .*/address = 127.0.0.1:$tc/" -e "s/^linger = .*/linger = $linger/" \
    -e "s/^poll_interval = .*/poll_interval = $poll/" "$d/c/ayil.conf"
  $AYILD --home "$d/hub" 2>"$d/hub.log" &
  echo $! >"$d/pid.hub"; PIDS+=($!)
  wait_for 10 "$d/hub.log" 'hub listening' || { echo "bench_sync: hub of $name did not start" >&2; exit 1; }
  $AYILD --home "$d/c" 2>"$d/c.log" &
  echo $! >"$d/pid.c"; PIDS+=($!)
}
stop_pair() {
  local d=$W/$1 k
  for k in c hub tapC emu tapH; do stop_pid "$(cat "$d/pid.$k")"; done
}
mem_kb() { # mem_kb PID FIELD
  awk -v f="$2:" '$1==f{print $2}' "/proc/$1/status" 2>/dev/null || true
}

# ---- phase: every run at once -------------------------------------------
PAIRS=()
for r in $(seq "$RUNS"); do
  start_pair "full$r" tpl-backlog 2 "$POLL_DEFAULT"
  PAIRS+=("full$r")
done
for r in $(seq "$RUNS"); do
  start_pair "cut$r" tpl-backlog 2 "$POLL_DEFAULT" --cut-bytes "$CUT_BYTES" --seed "$r"
  PAIRS+=("cut$r")
done
start_pair idle tpl-idle 10 "$POLL_IDLE"
PAIRS+=(idle)
echo "bench_sync: ${#PAIRS[@]} pairs running (${RUNS} backlog, ${RUNS} backlog with cuts, 1 idle); bounded at $((DEADLINE - SECONDS)) s" >&2

declare -A FINISHED RSS_C RSS_H
left=${#PAIRS[@]}
last_note=$SECONDS
while [ "$left" -gt 0 ] && [ $SECONDS -lt $DEADLINE ]; do
  for p in "${PAIRS[@]}"; do
    [ -z "${FINISHED[$p]:-}" ] || continue
    d=$W/$p
    # VmRSS sampled during the sync (the peak of the samples is kept).
    for k in c hub; do
      v=$(mem_kb "$(cat "$d/pid.$k")" VmRSS)
      [ -n "$v" ] || continue
      if [ $k = c ]; then [ "$v" -gt "${RSS_C[$p]:-0}" ] && RSS_C[$p]=$v
      else [ "$v" -gt "${RSS_H[$p]:-0}" ] && RSS_H[$p]=$v; fi
    done
    finished=0
    if [ "$p" = idle ]; then
      [ "$(grep -c ' close ' "$d/tapC.log" 2>/dev/null || true)" -gt "$IDLE_CYCLES" ] && finished=1
    else
      grep -q 'synced; leaving' "$d/c.log" 2>/dev/null && finished=1
    fi
    if [ $finished = 1 ]; then
      echo "$(mem_kb "$(cat "$d/pid.c")" VmHWM) $(mem_kb "$(cat "$d/pid.hub")" VmHWM)" >"$d/hwm"
      echo "${RSS_C[$p]:-} ${RSS_H[$p]:-}" >"$d/rss"
      sleep 0.5 # the final frame and the close cross the link (300 ms)
      stop_pair "$p"
      FINISHED[$p]=1
      left=$((left - 1))
      echo "bench_sync: $p done at $((SECONDS - T0)) s" >&2
    fi
  done
  if [ $((SECONDS - last_note)) -ge 30 ]; then
    last_note=$SECONDS
    echo "bench_sync: $left pair(s) still running at $((SECONDS - T0)) s" >&2
  fi
  sleep 1
done
for p in "${PAIRS[@]}"; do
  if [ -z "${FINISHED[$p]:-}" ]; then
    echo "bench_sync: $p did not finish within the time bound; its figures are left out" >&2
    stop_pair "$p"
  fi
done

# ---- analysis -------------------------------------------------------------
stat_of() { sed -n "s/^$2=//p" "$W/$1/link.stats" 2>/dev/null | tail -1; }

# analyze NAME: key=value lines from the taps of one backlog run.
analyze() {
  local d=$W/$1
  awk -v rtt=$RTT -v side=C '
    $3=="open" && !t0 {t0=$1}
    $3=="c2s" && $4=="frame" && $5>=100 && !tfirst {tfirst=$7}
    $3=="c2s" && $4 ~ /^hs/ {hs+=$6; hsc+=$6; if(!tfirst) flights++}
    $3=="s2c" && $4 ~ /^hs/ {hs+=$6; if(!tfirst) flights++}
    $3=="c2s" && $4=="frame" {cf++; cp+=$5; if($5>=100){ef++; ep+=$5}}
    $3=="s2c" && $4=="frame" {sf++; sp+=$5; if($5>0) tend=$1}
    $3=="close" {c2s+=$4; s2c+=$5; conns++}
    END {
      printf "t0=%.3f\ntfirst_sent=%.3f\ntend=%.3f\nflights=%d\nhs_bytes=%d\nhs_c2s=%d\n", t0, tfirst, tend, flights, hs, hsc
      printf "c2s_frames=%d\nc2s_payload=%d\nentries_frames=%d\nentries_payload=%d\n", cf, cp, ef, ep
      printf "s2c_frames=%d\ns2c_payload=%d\nsent_c2s=%d\nsent_s2c=%d\nconns=%d\n", sf, sp, c2s, s2c, conns
    }' "$d/tapC.log"
  awk '$3=="c2s" && $4=="frame" && $5>=100 {print "tfirst_hub=" $7; exit}' "$d/tapH.log"
  echo "bytes_c2s=$(stat_of "$1" bytes_c2s)"
  echo "bytes_s2c=$(stat_of "$1" bytes_s2c)"
  echo "cuts=$(stat_of "$1" cuts)"
  read -r hc hh <"$d/hwm" || true
  read -r rc rh <"$d/rss" || true
  echo "hwm_c=$hc"; echo "hwm_h=$hh"; echo "rss_c=$rc"; echo "rss_h=$rh"
}
get() { sed -n "s/^$2=//p" "$W/$1/result" | head -1; }

declare -a G_TEXT G_BODY G_STORED G_LINK FIRST_S WPR RTTS FLIGHTS HWMC HWMH RSSC RSSH DUR SENT DELIV HSB ENCO FRMO ACKO
for r in $(seq "$RUNS"); do
  p=full$r
  [ -n "${FINISHED[$p]:-}" ] || continue
  analyze "$p" >"$W/$p/result"
  t0=$(get $p t0); tend=$(get $p tend); bc=$(get $p bytes_c2s); bs=$(get $p bytes_s2c)
  dur=$(calc "($tend - $t0) / 1000")
  DUR+=("$dur")
  G_TEXT+=("$(calc "$TEXT_BYTES * 8 / $dur / $RATE")")
  G_BODY+=("$(calc "$BODY_BYTES * 8 / $dur / $RATE")")
  G_STORED+=("$(calc "($BODY_BYTES + $ENTRY_AVG * $RECORDS) * 8 / $dur / $RATE")")
  G_LINK+=("$(calc "$bc * 8 / $dur / $RATE")")
  FIRST_S+=("$(calc "($(get $p tfirst_hub) - $t0) / 1000")")
  WPR+=("$(calc "($bc + $bs - $BODY_BYTES) / $RECORDS")")
  RTTS+=("$(calc "($(get $p tfirst_hub) - $t0) / $RTT")")
  FLIGHTS+=("$(get $p flights)")
  HSB+=("$(get $p hs_bytes)")
  ENCO+=("$(calc "($(get $p entries_payload) - $BODY_BYTES) / $RECORDS")")
  FRMO+=("$(calc "19 * $(get $p c2s_frames) / $RECORDS")")
  ACKO+=("$(calc "($(get $p s2c_payload) + 19 * $(get $p s2c_frames)) / $RECORDS")")
  SENT+=("$(get $p sent_c2s)")
  DELIV+=("$bc")
  HWMC+=("$(get $p hwm_c)"); HWMH+=("$(get $p hwm_h)")
  RSSC+=("$(get $p rss_c)"); RSSH+=("$(get $p rss_h)")
done
SENT_FULL=$(median "${SENT[@]:-}")
HSC_FULL=$(awk '$3=="c2s" && $4 ~ /^hs/ {b+=$6} END{print b+0}' "$W/full1/tapC.log" 2>/dev/null || echo 0)
DELIV_FULL=$(median "${DELIV[@]:-}")
DUR_FULL=$(median "${DUR[@]:-}")

CUT_N=() CUT_HS=() CUT_SENT=() CUT_DELIV=() CUT_TIME=() CUT_CONNS=() G_TEXT_CUT=()
for r in $(seq "$RUNS"); do
  p=cut$r
  [ -n "${FINISHED[$p]:-}" ] || continue
  analyze "$p" >"$W/$p/result"
  G_TEXT_CUT+=("$(calc "$TEXT_BYTES * 8 / (($(get $p tend) - $(get $p t0)) / 1000) / $RATE")")
  n=$(get $p cuts)
  [ -n "$n" ] && [ "$n" -gt 0 ] || continue
  CUT_N+=("$n")
  CUT_CONNS+=("$(get $p conns)")
  CUT_SENT+=("$(calc "($(get $p sent_c2s) - $SENT_FULL) / $n")")
  CUT_HS+=("$(calc "($(get $p hs_c2s) - $HSC_FULL) / $n")")
  CUT_DELIV+=("$(calc "($(get $p bytes_c2s) - $DELIV_FULL) / $n")")
  CUT_TIME+=("$(calc "(($(get $p tend) - $(get $p t0)) / 1000 - $DUR_FULL) / $n")")
done

# The idle committee: bytes of each connection after the first (which
# synced its 5 records), both directions, as the committee-side tap saw them.
IDLE_CYCLE=n/a; IDLE_N=0; IDLE_PERIOD=n/a; IDLE_DETAIL=""
if [ -f "$W/idle/tapC.log" ]; then
  # Connections the stop cut short (reset) are left out.
  mapfile -t IDLE_B < <(awk '$3=="reset" {r[$2]=1} $3=="close" && $2>1 && !r[$2] {print $4+$5}' "$W/idle/tapC.log")
  IDLE_N=${#IDLE_B[@]}
  IDLE_CYCLE=$(median "${IDLE_B[@]:-}")
  IDLE_PERIOD=$(awk '$3=="open"{t[++n]=$1} END{if(n>2)printf "%.1f", (t[n]-t[2])/(n-2)/1000; else print "n/a"}' "$W/idle/tapC.log")
  IDLE_DETAIL=$(awk '$3=="close" && $2==2 {c=$4; s=$5} $2==2 && $4 ~ /^hs/ {h[$4]=$6} $2==2 && $4=="frame" {f[$3]++; fb[$3]+=$6}
    END{printf "hs1 %d + hs2 %d + hs3 %d + hs4 %d, frames c2s %d (%d B) s2c %d (%d B); %d B up, %d B down",
      h["hs1"], h["hs2"], h["hs3"], h["hs4"], f["c2s"], fb["c2s"], f["s2c"], fb["s2c"], c, s}' "$W/idle/tapC.log")
fi

# ---- report ---------------------------------------------------------------
M=$(median "${WPR[@]:-}")
echo
echo "ayil sync benchmark: ayild hub + committee over ayil-linkemu, $((RATE / 1000)) kbit/s, ${DELAY} ms one way (RTT ${RTT} ms), no jitter"
echo "machine: $(nproc) CPU(s), $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(uname -sr)"
echo "build: $BUILD ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null))"
echo "backlog: $RECORDS records; narrative text $TEXT_BYTES B in all; sealed body $(fmt "$BODY_AVG" %.0f) B each ($BODY_BYTES B in all); log entry $(fmt "$ENTRY_AVG" %.0f) B each as stored"
echo "runs: ${#DUR[@]} backlog, ${#CUT_N[@]} backlog with cuts (--cut-bytes $CUT_BYTES, seeds 1..$RUNS), all in parallel; medians, per-run values in []"
echo
printf '%-52s %10s   %-8s %s\n' "figure" "median" "target" "runs"
row() { printf '%-52s %10s   %-8s [%s]\n' "$1" "$2" "$3" "$4"; }
row "backlog time, connect -> last ack (s)" "$(fmt "$DUR_FULL" %.1f)" "" "$(printf '%s ' "${DUR[@]:-}")"
row "goodput, text bytes entered / time / link rate" "$(fmt "$(median "${G_TEXT[@]:-}")" %.3f)" ">= 1.1" "$(printf '%s ' "${G_TEXT[@]:-}")"
row "  the same with a cut every $CUT_BYTES B" "$(fmt "$(median "${G_TEXT_CUT[@]:-}")" %.3f)" ">= 0.9" "$(printf '%s ' "${G_TEXT_CUT[@]:-}")"
row "goodput, sealed body bytes / time / link rate" "$(fmt "$(median "${G_BODY[@]:-}")" %.3f)" "" "$(printf '%s ' "${G_BODY[@]:-}")"
row "  the same with stored bytes (log entry + body)" "$(fmt "$(median "${G_STORED[@]:-}")" %.3f)" "" "$(printf '%s ' "${G_STORED[@]:-}")"
row "link use up, all c2s bytes / time / link rate" "$(fmt "$(median "${G_LINK[@]:-}")" %.3f)" "" "$(printf '%s ' "${G_LINK[@]:-}")"
row "wire bytes per record beyond the body (both ways)" "$(fmt "$M" %.1f)" "<= 150" "$(printf '%s ' "${WPR[@]:-}")"
row "  of which: record encoding in ENTRIES" "$(fmt "$(median "${ENCO[@]:-}")" %.1f)" "" "$(printf '%s ' "${ENCO[@]:-}")"
row "  of which: frame overhead up (19 B per frame)" "$(fmt "$(median "${FRMO[@]:-}")" %.1f)" "" "$(printf '%s ' "${FRMO[@]:-}")"
row "  of which: ACK frames down" "$(fmt "$(median "${ACKO[@]:-}")" %.1f)" "" "$(printf '%s ' "${ACKO[@]:-}")"
row "  of which: handshake (B per connection, both ways)" "$(median "${HSB[@]:-}")" "" "$(printf '%s ' "${HSB[@]:-}")"
row "handshake flights before the first ENTRIES frame" "$(median "${FLIGHTS[@]:-}")" "" "$(printf '%s ' "${FLIGHTS[@]:-}")"
row "connect -> first entry byte at the hub (s)" "$(fmt "$(median "${FIRST_S[@]:-}")" %.3f)" "" "$(printf '%s ' "${FIRST_S[@]:-}")"
row "connect -> first entry byte at the hub (RTTs)" "$(fmt "$(median "${RTTS[@]:-}")" %.2f)" "" "$(printf '%s ' "${RTTS[@]:-}")"
row "cuts per cut run" "$(median "${CUT_N[@]:-}")" "" "$(printf '%s ' "${CUT_N[@]:-}")"
row "bytes re-sent per cut, committee wrote (B)" "$(fmt "$(median "${CUT_SENT[@]:-}")" %.0f)" "<= 16384" "$(printf '%s ' "${CUT_SENT[@]:-}")"
row "  of which: the new connection's handshake (B)" "$(fmt "$(median "${CUT_HS[@]:-}")" %.0f)" "" "$(printf '%s ' "${CUT_HS[@]:-}")"
row "bytes re-sent per cut, reached the hub (B)" "$(fmt "$(median "${CUT_DELIV[@]:-}")" %.0f)" "<= 16384" "$(printf '%s ' "${CUT_DELIV[@]:-}")"
row "time lost per cut (s)" "$(fmt "$(median "${CUT_TIME[@]:-}")" %.1f)" "" "$(printf '%s ' "${CUT_TIME[@]:-}")"
row "idle poll cycle, bytes both ways ($IDLE_N cycles)" "$IDLE_CYCLE" "" "$(printf '%s ' "${IDLE_B[@]:-}")"
row "idle bytes/day at poll_interval=$POLL_DEFAULT s" "$(fmt "$(calc "86400 / $POLL_DEFAULT * ${IDLE_CYCLE/n\/a/0}")" %.0f)" "" "= 86400/$POLL_DEFAULT x cycle"
row "committee ayild VmHWM (KiB)" "$(median "${HWMC[@]:-}")" "" "$(printf '%s ' "${HWMC[@]:-}")"
row "committee ayild VmRSS, peak of 1 s samples (KiB)" "$(median "${RSSC[@]:-}")" "" "$(printf '%s ' "${RSSC[@]:-}")"
row "hub ayild VmHWM (KiB)" "$(median "${HWMH[@]:-}")" "" "$(printf '%s ' "${HWMH[@]:-}")"
row "hub ayild VmRSS, peak of 1 s samples (KiB)" "$(median "${RSSH[@]:-}")" "" "$(printf '%s ' "${RSSH[@]:-}")"
echo
echo "idle cycle (connection 2): $IDLE_DETAIL; measured with poll_interval=$POLL_IDLE s, linger 10 s: one cycle every $IDLE_PERIOD s"
echo "text goodput counts the narratives' UTF-8 bytes as entered (the rest of each record's JSON, some 150 B, is left out); sealed body goodput counts only sealed body bytes; the stored form (entry as the store keeps it, packed since schema step 11, + body); 'link use up' counts every committee->hub byte the link carried."
echo "wire bytes are what ayil-linkemu carried (TCP payload, both ways); a real link adds TCP/IP headers."
echo "re-sent per cut = (committee->hub bytes of a cut run - median of the uncut runs) / cuts. 'committee wrote' counts what was lost in flight (in the link's queue) at the cut; 'reached the hub' only the cut-off partial frame and the new handshake."
echo "round trips: the committee streams right behind its auth message (hs3, 1 RTT after connect) from the head the hub last acknowledged; the first entry byte then needs 0.5 RTT more to reach the hub. On a first connection (nothing acknowledged yet) it starts from seq 1."
echo "total time: $((SECONDS - T0)) s"
