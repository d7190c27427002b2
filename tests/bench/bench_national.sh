#!/bin/bash
# Benchmark (never pass/fail, not run by ctest): the national tier at scale
# (issue 12). REGIONS regional hubs (default 9, one per oblast) each hold
# COMMITTEES simulated committees (default 60) of RECORDS records each
# (default 2,000): 1.08 M signed entries with sealed bodies. A national hub
# and the regional hubs are real ayild processes on 127.0.0.1, joined as an
# operator joins them (`ayil admit --hub`, `ayil join`, `ayil admit
# --confirm`), with no link emulator between the hubs (a good link).
#
#   tests/bench/bench_national.sh BUILD_DIR [--regions N] [--committees N]
#       [--records N] [--runs N] [--latency-runs N] [--timeout S]
#
# Setup, before any clock: each regional hub's store is given its
# committees by bench_national preload (admitted through node.h and the
# registry, so that the regional hub signs each one's admit notice as
# ayild does; entries verified by the store as they are appended), two
# regions at a time. The homes are then copied, so that every run starts
# from the same stores.
#
# Each of --runs runs (default 3): the national hub's ayild starts, then
# every regional hub's; the regional hubs dial it and forward every
# committee log they hold. The clock stops when the national hub's store
# holds every committee entry (bench_national count, read each 0.5 s).
# Prints entries/s verified and committed at the national hub (wall and
# per CPU second of its ayild, /proc/PID/stat), its peak RSS (VmHWM), the
# regional hubs' peak RSS, and the national store's bytes per record
# after the run (database and WAL, after ayild stopped) scaled to a year of
# the whole country: 20,000 cases, at one record per case (a lower bound:
# a case's appeal) and at the records per appeal of year_gen.py's mix of
# kinds (bench_year.sh's busy committee year: referrals, follow-ups,
# sessions... per appeal), both at this bench's bytes per record (an
# appeal's body without narrative: records with long text weigh more).
#
# Latency (--latency-runs, default 3; the hubs of the last run started
# again, holding everything): a real committee home admitted at the first
# regional hub, whose ayild dials it through ayil-linkemu at 64 kbit/s and
# 300 ms one way (a 2G link); the hubs are linked directly. Each run waits
# until both links left (linger), writes one appeal with `ayil record add`
# and times until `ayil report --format json` at the national hub counts
# it (its "total" appeals; polled each 0.5 s, the report's own time
# included). The verify rate of one core is measured in the same run
# (bench_national verify), for the ratio.
set -euo pipefail
BENCH=bench_national
B=${1:?usage: bench_national.sh BUILD_DIR [--regions N] [--committees N] [--records N] [--runs N] [--latency-runs N] [--timeout S]}
shift
REGIONS=9
COMMITTEES=60
RECORDS=2000
RUNS=3
LRUNS=3
TIMEOUT=3600
while [ $# -gt 0 ]; do
  case $1 in
  --regions) REGIONS=$2; shift 2 ;;
  --committees) COMMITTEES=$2; shift 2 ;;
  --records) RECORDS=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  --latency-runs) LRUNS=$2; shift 2 ;;
  --timeout) TIMEOUT=$2; shift 2 ;;
  *) echo "$BENCH: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$REGIONS" -ge 1 ] && [ "$REGIONS" -le 9 ] || { echo "$BENCH: --regions is 1 to 9 (one per oblast)" >&2; exit 2; }
AYIL=$B/ayil
AYILD=$B/ayild
BN=$B/tests/bench/bench_national
EMU=$B/tests/linkemu/ayil-linkemu
for f in "$AYIL" "$AYILD" "$BN" "$EMU"; do
  [ -x "$f" ] || { echo "$BENCH: $f is missing (build the tests)" >&2; exit 2; }
done
W=$(mktemp -d /tmp/ayil-bench-national.XXXXXX)
# shellcheck source=lib.bash
. "$(dirname "$0")/lib.bash"
trap bench_cleanup EXIT
export AYIL_PASSPHRASE="bench passphrase, not for real use"
TCK=$(getconf CLK_TCK)
OBLASTS=(batken chui issyk_kul jalal_abad naryn osh talas bishkek osh_city)
TOTAL=$((REGIONS * COMMITTEES * RECORDS))
log() { echo "$BENCH: $*" >&2; }
cpu_s() { awk -v t="$TCK" '{sub(/^.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / t}' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM:/{print $2}' "/proc/$1/status"; }
store_bytes() { local s=0 f; for f in "$1/ayil.db" "$1/ayil.db-wal"; do [ -f "$f" ] && s=$((s + $(stat -c %s "$f"))); done; echo "$s"; }
count_n() { "$BN" count --home "$W/run/n" --ids "$W/ids.txt" 2>/dev/null | sed -n 's/^COUNT //p'; }

# ---- setup: homes, joins, preload (no clock) ----
t_setup=$(date +%s)
NP=$(free_port)
mkdir -p "$W/tpl"
"$AYIL" --home "$W/tpl/n" init --role hub --name "Bench national" --listen "127.0.0.1:$NP" >/dev/null 2>>"$W/setup.log"
RPORTS=()
for i in $(seq 0 $((REGIONS - 1))); do
  ob=${OBLASTS[$i]}
  RPORTS+=("$(free_port)")
  {
    "$AYIL" --home "$W/tpl/r$i" init --role hub --name "Bench hub $ob" --listen "127.0.0.1:${RPORTS[$i]}" >/dev/null &&
      code=$("$AYIL" --home "$W/tpl/n" admit --hub --name "Bench regional $ob" --oblast "$ob") &&
      "$AYIL" --home "$W/tpl/r$i" join "$code" >/dev/null &&
      "$AYIL" --home "$W/tpl/n" admit --confirm "$("$AYIL" --home "$W/tpl/r$i" id --code)" >/dev/null
  } 2>>"$W/setup.log" || { log "setup failed:"; tail -5 "$W/setup.log" >&2; exit 1; }
done
# The regional hubs' committees: two regions at a time (2 cores).
pre=()
for i in $(seq 0 $((REGIONS - 1))); do
  nice -n 5 "$BN" preload --home "$W/tpl/r$i" --committees "$COMMITTEES" --records "$RECORDS" \
    --oblast "${OBLASTS[$i]}" --ids "$W/ids.r$i" >"$W/pre.r$i" 2>&1 &
  pre+=($!)
  if [ ${#pre[@]} -ge 2 ]; then
    wait "${pre[0]}" || { log "preload failed:"; cat "$W"/pre.r* >&2; exit 1; }
    pre=("${pre[@]:1}")
  fi
done
for p in "${pre[@]:-}"; do [ -n "$p" ] && { wait "$p" || { log "preload failed:"; cat "$W"/pre.r* >&2; exit 1; }; }; done
cat "$W"/ids.r* >"$W/ids.txt"
t_setup=$(($(date +%s) - t_setup))
log "setup: $REGIONS regional hubs x $COMMITTEES committees x $RECORDS records = $TOTAL entries, preloaded in $t_setup s ($(grep -h PRELOAD "$W"/pre.r* | sed 's/.*secs=//' | awk '{s+=$1} END{printf "%.0f", s}') s of preload, two at a time)"
VERIFY=$("$BN" verify)
log "verify rate, one core, this run: $VERIFY"

# ---- the runs ----
# start_hubs fresh|again: from copies of the preloaded homes, or as they are.
start_hubs() {
  if [ "$1" = fresh ]; then
    rm -rf "$W/run"
    cp -a "$W/tpl" "$W/run"
  fi
  "$AYILD" --home "$W/run/n" 2>"$W/n.log" </dev/null >/dev/null &
  NPID=$!
  PIDS+=("$NPID")
  wait_for 20 "$W/n.log" 'hub listening' || { log "the national hub did not start"; KEEP=1; exit 1; }
  RPIDS=()
  for i in $(seq 0 $((REGIONS - 1))); do
    "$AYILD" --home "$W/run/r$i" 2>"$W/r$i.log" </dev/null >/dev/null &
    RPIDS+=($!)
    PIDS+=($!)
  done
}
stop_hubs() {
  local p
  for p in "${RPIDS[@]}" "$NPID"; do stop_pid "$p"; done
}
res_eps=() res_eps_cpu=() res_secs=() res_cpu=() res_hwm=() res_rhwm=() res_bpr=() res_done=()
for run in $(seq "$RUNS"); do
  start_hubs fresh
  t0=$(date +%s.%N)
  deadline=$(($(date +%s) + TIMEOUT))
  got=0
  while [ "$(date +%s)" -lt "$deadline" ]; do
    got=$(count_n)
    [ "${got:-0}" -ge "$TOTAL" ] && break
    sleep 0.5
  done
  t1=$(date +%s.%N)
  cpu=$(cpu_s "$NPID")
  hwm=$(hwm_kb "$NPID")
  rhwm=0
  for p in "${RPIDS[@]}"; do h=$(hwm_kb "$p"); [ "$h" -gt "$rhwm" ] && rhwm=$h; done
  secs=$(calc "$t1 - $t0")
  stop_hubs
  bytes=$(store_bytes "$W/run/n")
  eps=$(calc "${got:-0} / $secs")
  eps_cpu=$(calc "${got:-0} / ($cpu + 0.000001)")
  bpr=$(calc "$bytes / ${got:-1}")
  log "run $run: $got of $TOTAL entries at the national hub in $secs s: $eps entries/s, $eps_cpu per CPU second of its ayild ($cpu s); its peak RSS $((hwm / 1024)) MiB, a regional hub's at most $((rhwm / 1024)) MiB; its store $bytes bytes, $bpr per record"
  res_eps+=("$eps") res_eps_cpu+=("$eps_cpu") res_secs+=("$secs") res_cpu+=("$cpu")
  res_hwm+=("$hwm") res_rhwm+=("$rhwm") res_bpr+=("$bpr") res_done+=("$got")
done

# ---- latency: a committee behind a 2G link at the first regional hub ----
lat=()
if [ "$LRUNS" -ge 1 ]; then
  start_hubs again
  "$EMU" --listen 127.0.0.1:0 --connect "127.0.0.1:${RPORTS[0]}" --rate 64000 --delay 300 >"$W/emu.out" 2>"$W/emu.log" &
  PIDS+=($!)
  EP=$(port_of "$W/emu.out")
  {
    code=$("$AYIL" --home "$W/run/r0" admit --name "Bench committee 2G" --oblast "${OBLASTS[0]}" --advertise "127.0.0.1:$EP") &&
      "$AYIL" --home "$W/c" init --role committee --invite "$code" --recovery-kit "$W/kit.txt" >/dev/null &&
      "$AYIL" --home "$W/run/r0" admit --confirm "$("$AYIL" --home "$W/c" id --code)" >/dev/null
  } 2>>"$W/setup.log" || { log "committee setup failed:"; tail -5 "$W/setup.log" >&2; exit 1; }
  "$AYILD" --home "$W/c" 2>"$W/c.log" </dev/null >/dev/null &
  CPID=$!
  PIDS+=("$CPID")
  wait_for 120 "$W/c.log" 'synced; leaving' || { log "the 2G committee was not admitted, see $W/c.log"; KEEP=1; exit 1; }
  appeals() { "$AYIL" --home "$W/run/n" report --format json 2>/dev/null | python3 -c '
import json, sys
rows = json.load(sys.stdin)["rows"]
print(next(r["value"] for r in rows if r["scope"] == "total" and r["indicator"] == "appeals"))'; }
  tr0=$(date +%s.%N)
  base=$(appeals)
  t_report=$(calc "$(date +%s.%N) - $tr0")
  log "ayil report --format json at the national hub: $t_report s; it counts $base appeals"
  linger=$(sed -n 's/^linger *= *//p' "$W/c/ayil.conf" | head -1)
  for r in $(seq "$LRUNS"); do
    # Both links idle and left (the committee's and the regional hub's).
    sleep $((${linger:-10} + 3))
    t0=$(date +%s.%N)
    echo '{"date":"2026-03-14","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open","survivor_name":"Invented Fictionova"}' |
      "$AYIL" --home "$W/c" record add appeal >/dev/null 2>>"$W/setup.log"
    want=$((base + 1))
    deadline=$(($(date +%s) + 300))
    while [ "$(date +%s)" -lt "$deadline" ]; do
      v=$(appeals)
      [ "${v:-0}" -ge "$want" ] && break
      sleep 0.5
    done
    t1=$(date +%s.%N)
    if [ "${v:-0}" -ge "$want" ]; then
      lat+=("$(calc "$t1 - $t0")")
      log "latency run $r: $(calc "$t1 - $t0") s from \`record add\` at the committee to the national report"
    else
      log "latency run $r: not in the national report after 300 s"
    fi
    base=$v
  done
  stop_pid "$CPID"
  stop_hubs
fi

# ---- the table ----
# Records per case: all records over the appeals in year_gen.py's mix.
RPC=$(python3 - "$(dirname "$0")/year_gen.py" <<'PY'
import ast, re, sys
src = open(sys.argv[1], encoding="utf-8").read()
mix = dict(ast.literal_eval(re.search(r"^MIX = (\[.*?\])", src, re.S | re.M).group(1)))
print(f"{sum(mix.values()) / mix['appeal']:.2f}")
PY
) || RPC=n/a
vw=$(echo "$VERIFY" | sed -n 's/.*wall=\([0-9.]*\).*/\1/p')
vc=$(echo "$VERIFY" | sed -n 's/.*cpu=\([0-9.]*\).*/\1/p')
m_eps=$(median "${res_eps[@]}")
m_epc=$(median "${res_eps_cpu[@]}")
m_bpr=$(median "${res_bpr[@]}")
echo "national tier, $REGIONS regional hubs x $COMMITTEES committees x $RECORDS records = $TOTAL entries; medians of $RUNS runs (latency: of ${#lat[@]})"
printf '%-58s %s\n' \
  "entries at the national hub at the end (runs)" "${res_done[*]}" \
  "time until the national hub held every entry" "$(fmt "$(median "${res_secs[@]}")" '%.1f s')" \
  "entries verified and committed at the national hub" "$(fmt "$m_eps" '%.0f /s')" \
  "  per CPU second of its ayild" "$(fmt "$m_epc" '%.0f /s') ($(fmt "$(median "${res_cpu[@]}")" '%.1f') CPU s)" \
  "one core's verify rate, this run (wall; per CPU second)" "$(fmt "$vw" '%.0f /s'); $(fmt "$vc" '%.0f /s')" \
  "  ratio, entries/s over verify/s (wall; per CPU second)" "$(fmt "$(calc "$m_eps / $vw")" '%.3f'); $(fmt "$(calc "$m_epc / $vc")" '%.3f')" \
  "national hub peak RSS (VmHWM)" "$(fmt "$(calc "$(median "${res_hwm[@]}") / 1024")" '%.1f MiB')" \
  "a regional hub's peak RSS (the largest)" "$(fmt "$(calc "$(median "${res_rhwm[@]}") / 1024")" '%.1f MiB')" \
  "national store per record (db + WAL after the run)" "$(fmt "$m_bpr" '%.0f bytes')" \
  "national store per year, 20,000 cases at 1 record each" "$(fmt "$(calc "$m_bpr * 20000 / 1048576")" '%.1f MiB') (a lower bound)" \
  "  at year_gen.py's $RPC records per case" "$([ "$RPC" = n/a ] && echo n/a || fmt "$(calc "$m_bpr * 20000 * $RPC / 1048576")" '%.1f MiB')" \
  "committee entry -> national report, 2G below, good above" "$(fmt "$(median "${lat[@]:-}")" '%.1f s') (runs: ${lat[*]:-})" \
  "ayil report --format json at the national hub" "$(fmt "${t_report:-}" '%.2f s')"
