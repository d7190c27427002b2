#!/bin/bash
# Chaos: a hub and several committees as processes on 127.0.0.1, each
# committee behind its own ayil-linkemu (random cuts, delay, jitter, black
# holes, downs), for --minutes M. Meanwhile records are added, updated and
# deleted; daemons are killed with -9 and restarted; one committee's disk
# fills up and is freed; one committee's Pi is replaced by a successor.
# Then it checks: no acknowledged entry is lost; every log converges byte for
# byte; every chain verifies and PRAGMA integrity_check passes everywhere; the
# hub's report equals one computed from the committees' own records.
# Not part of the default CI run. See tests/chaos/README.md.
#
# usage: tests/chaos/run.sh [--seed S] [--minutes M] [--build DIR]
#        [--committees N] [--converge-max SECONDS] [--keep] [--no-tmpfs]
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SEED=1
MINUTES=10
BUILD=$SRC/build-test
NCOM=5
CONVERGE_MAX=600
KEEP=0
NOTMPFS=0
while [ $# -gt 0 ]; do
  case $1 in
  --seed) SEED=$2; shift 2 ;;
  --minutes) MINUTES=$2; shift 2 ;;
  --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
  --committees) NCOM=$2; shift 2 ;;
  --converge-max) CONVERGE_MAX=$2; shift 2 ;;
  --keep) KEEP=1; shift ;;
  --no-tmpfs) NOTMPFS=1; shift ;;
  -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
  *) echo "chaos: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$SEED$MINUTES$NCOM$CONVERGE_MAX" in *[!0-9]*) echo "chaos: numbers only" >&2; exit 2 ;; esac
[ "$NCOM" -ge 5 ] && [ "$NCOM" -le 9 ] || { echo "chaos: --committees 5..9" >&2; exit 2; }
BIN=$BUILD
AYIL=$BIN/ayil
AYILD=$BIN/ayild
PY=$SRC/tests/chaos/chaos.py
RC=$SRC/tests/e2e/lib/report_check.py
[ -x "$AYIL" ] && [ -x "$AYILD" ] && [ -x "$BIN/tests/linkemu/ayil-linkemu" ] ||
  { echo "chaos: build $BUILD first (ayil, ayild, ayil-linkemu)" >&2; exit 2; }
T=$(mktemp -d /tmp/ayil-chaos.XXXXXX)
PIDS=()
FAILED=0
PASSED=0
MNT=""
OLDHEX=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export AYIL_PASSPHRASE="chaos test passphrase"
source "$SRC/tests/e2e/lib/sync_lib.bash"
set +e

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() {
  local d=$1
  shift
  if "$@"; then ok "$d"; else fail "$d"; fi
}
now() { date +%s; }
cleanup() {
  local p
  exec 2>>"$T/shell.err" # bash reports each killed job
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null; done
  if [ -n "$MNT" ]; then
    if [ "$FAILED" != 0 ] || [ "$KEEP" = 1 ]; then cp -a "$MNT/home" "$T/c5-home-copy" 2>/dev/null; fi
    umount "$MNT" 2>/dev/null
  fi
  if [ "$FAILED" = 0 ] && [ "$KEEP" = 0 ] && [ "${DONE:-0}" = 1 ]; then
    rm -rf "$T"
  else
    echo "# chaos: kept $T for inspection"
  fi
}
trap cleanup EXIT
trap 'echo "# chaos: interrupted"; exit 130' INT TERM

RANDOM=$SEED
START=$(now)
echo "# chaos seed $SEED, $MINUTES min, $NCOM committees, build $BUILD, dir $T"

# ---------------------------------------------------------------- setup
OBL=(chui talas osh batken naryn jalal_abad issyk_kul bishkek osh_city)
TOWNS=(Ak-Say Bel-Tam Kok-Jar Kara-Suu Tash-Bulak Jany-Jol Orto-Say Kum-Bel Sary-Tash)
COMS=()
for i in $(seq "$NCOM"); do COMS+=("c$i"); done
HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Chaos test hub" --listen "127.0.0.1:$HUBPORT" >"$T/hub.id" 2>>"$T/cli.err"
HUBHEX=$(b64hex "$(cat "$T/hub.id")")

# The committee whose disk fills: its home on a small tmpfs when this runs as
# root and may mount (128 MB: ayil status warns below 100 MB free), else a
# file-size limit (ulimit -f, SIGXFSZ ignored) on its daemon and CLI while
# "full".
FULLC=c5
FULLMODE=ulimit
FSIZE=""
if [ "$NOTMPFS" = 0 ] && [ "$(id -u)" = 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=128m,mode=0700 tmpfs "$T/small" 2>/dev/null; then
  MNT=$T/small
  FULLMODE=tmpfs
fi

# wrap NAME: the command prefix for a process of NAME (a file-size limit
# while NAME's disk is "full" in ulimit mode).
wrap() {
  if [ "$1" = "$FULLC" ] && [ -n "$FSIZE" ]; then
    echo "bash -c 'trap \"\" XFSZ; ulimit -f $FSIZE; exec \"\$@\"' --"
  fi
}
# ay NAME ARGS...: the CLI at NAME's home, bounded in time.
ay() {
  local n=$1
  shift
  # shellcheck disable=SC2046
  eval timeout 60 $(wrap "$n") '"$AYIL"' --home '"${HOME_OF[$n]}"' '"$@"'
}
# start_d NAME (replaces sync_lib's): runs ayild, waits for "started".
start_d() {
  local n=$1 i
  eval $(wrap "$n") '"$AYILD"' --home '"${HOME_OF[$n]}"' 2>>"$T/$n.log" '&'
  PID_OF[$n]=$!
  PIDS+=($!)
  for i in $(seq 200); do
    grep -q "ayild\[${PID_OF[$n]}\] notice: ayild .* started" "$T/$n.log" 2>/dev/null && return 0
    gone "${PID_OF[$n]}" && break
    sleep 0.1
  done
  { wait "${PID_OF[$n]}"; } 2>/dev/null
  forget "${PID_OF[$n]}"
  PID_OF[$n]=""
  echo "# ayild $n did not start: $(tail -n 1 "$T/$n.log")"
  return 1
}
# link NAME SEED: an emulated rural link to the hub for NAME.
start_link() {
  local n=$1 i cut=$((4000 + RANDOM % 60000)) delay=$((20 + RANDOM % 200))
  "$EMU" --listen 127.0.0.1:0 --connect "127.0.0.1:$HUBPORT" --rate $((64000 + RANDOM % 4 * 64000)) \
    --delay "$delay" --jitter $((RANDOM % 100)) --cut-bytes "$cut" --cut-ms $((5000 + RANDOM % 30000)) \
    --seed "$2" --stats "$T/link-$n.stats" >"$T/link-$n.port" 2>"$T/link-$n.log" &
  LPID[$n]=$!
  PIDS+=($!)
  for i in $(seq 100); do grep -q port= "$T/link-$n.port" 2>/dev/null && break; sleep 0.1; done
  LPORT[$n]=$(sed -n 's/port=//p' "$T/link-$n.port")
  [ -n "${LPORT[$n]}" ]
}

start_d hub || { fail "hub ayild starts"; exit 1; }
declare -A CNAME COBL LIVE CASES OWNHEX OPSF BASEF
for i in $(seq "$NCOM"); do
  c=c$i
  CNAME[$c]="${TOWNS[$((i - 1))]} chaos committee"
  COBL[$c]=${OBL[$((i - 1))]}
  start_link "$c" $((SEED * 31 + i)) || { fail "link $c starts"; exit 1; }
  if [ "$c" = "$FULLC" ] && [ -n "$MNT" ]; then
    HOME_OF[$c]=$MNT/home
    code=$("$AYIL" --home "$HUB" admit --name "${CNAME[$c]}" --oblast "${COBL[$c]}" --advertise "127.0.0.1:${LPORT[$c]}" 2>>"$T/cli.err")
    "$AYIL" --home "${HOME_OF[$c]}" init --role committee --invite "$code" --recovery-kit "$T/kit-$c.txt" >"$T/$c.id" 2>>"$T/cli.err"
    "$AYIL" --home "$HUB" admit --confirm "$("$AYIL" --home "${HOME_OF[$c]}" id --code)" >/dev/null 2>>"$T/cli.err"
    fast_conf "${HOME_OF[$c]}"
  else
    make_committee "$c" "${CNAME[$c]}" "${COBL[$c]}"
  fi
  [ -s "$T/$c.id" ] || { fail "$c is created from an invite"; exit 1; }
  OWNHEX[$c]=$(hex_of "$c")
  OPSF[$c]=$T/ops-$c
  BASEF[$c]=-
  : >"${OPSF[$c]}"
  start_d "$c" || { fail "$c ayild starts"; exit 1; }
done
ok "hub and ${#COMS[@]} committees up, each behind its own link (disk-full mode: $FULLMODE)"

# ---------------------------------------------------------------- chaos
FULLODD=0 FULLALERT=none
OPS=0 ADDS=0 UPDS=0 DELS=0 OPFAIL=0 FULLFAIL=0 KILLS=0 HUBKILLS=0 BLACK=0 DOWNS=0 LOST=0
DEAD=()
declare -A FAULT_END FAULT_KIND
LAST_FAULT=$(now)
FULL=0
REPLACED=0
DEADLINE=$((START + MINUTES * 60))
FILL_AT=$((START + MINUTES * 60 * 25 / 100))
FREE_AT=$((START + MINUTES * 60 * 45 / 100))
REPLACE_AT=$((START + MINUTES * 60 * 60 / 100))
NEXT_ACK=0
KINDS=(appeal appeal appeal family referral referral protection_order followup session prevention training aid closure)
LINKED=" referral protection_order followup aid closure "

# pick "WORDS": one of the words, into PICKED (no subshell, so that the
# seeded $RANDOM sequence is the parent's).
pick() {
  local a=($1)
  PICKED=x
  [ ${#a[@]} = 0 ] || PICKED=${a[RANDOM % ${#a[@]}]}
}
# record_op C: one add, update or delete at committee C, in its model.
record_op() {
  local c=$1 r=$((RANDOM % 100)) kind id js rc=0 item s=$RANDOM full=0
  [ "$c" = "$FULLC" ] && [ "$FULL" = 1 ] && full=1
  local lv=${LIVE[$c]:-}
  if [ $r -lt 55 ] || [ -z "${lv// /}" ]; then
    kind=${KINDS[RANDOM % ${#KINDS[@]}]}
    local cs=${CASES[$c]:-}
    case $LINKED in *" $kind "*) [ -n "${cs// /}" ] || kind=appeal ;; esac
    pick "${CASES[$c]:-x}"
    js=$(python3 "$PY" new "$kind" "$s" "$PICKED")
    id=$(echo "$js" | ay "$c" record add "$kind" 2>>"$T/cli-$c.err") || rc=$?
    if [ $rc = 0 ]; then
      echo "add $id $kind $js" >>"${OPSF[$c]}"
      LIVE[$c]="${LIVE[$c]:-} $id:$kind"
      case $kind in appeal | family) CASES[$c]="${CASES[$c]:-} $id" ;; esac
      ADDS=$((ADDS + 1))
    fi
  elif [ $r -lt 88 ]; then
    pick "${LIVE[$c]}"
    item=$PICKED
    id=${item%%:*} kind=${item#*:}
    js=$(python3 "$PY" change "$kind" "$s")
    echo "$js" | ay "$c" record update "$id" >/dev/null 2>>"$T/cli-$c.err" || rc=$?
    if [ $rc = 0 ]; then echo "update $id $js" >>"${OPSF[$c]}"; UPDS=$((UPDS + 1)); fi
  else
    pick "${LIVE[$c]}"
    item=$PICKED
    id=${item%%:*}
    ay "$c" record delete "$id" >/dev/null 2>>"$T/cli-$c.err" || rc=$?
    if [ $rc = 0 ]; then
      echo "delete $id" >>"${OPSF[$c]}"
      LIVE[$c]=$(echo " ${LIVE[$c]} " | sed "s/ $item / /")
      CASES[$c]=$(echo " ${CASES[$c]:-} " | sed "s/ $id / /")
      DELS=$((DELS + 1))
    fi
  fi
  OPS=$((OPS + 1))
  if [ $rc != 0 ]; then
    if [ $full = 1 ]; then
      FULLFAIL=$((FULLFAIL + 1))
      # On a real full disk (tmpfs) the error says so, and nothing else.
      if [ "$FULLMODE" = tmpfs ] && ! tail -n 1 "$T/cli-$c.err" | grep -q "disk full; nothing was written"; then
        FULLODD=$((FULLODD + 1))
        echo "# $(($(now) - START)) s: on the full disk, $c's CLI said: $(tail -n 1 "$T/cli-$c.err")"
      fi
    else
      OPFAIL=$((OPFAIL + 1))
      echo "# $(($(now) - START)) s: a record operation at $c failed (exit $rc): $(tail -n 1 "$T/cli-$c.err")"
    fi
  fi
}
is_dead() { case " ${DEAD[*]:-} " in *" $1 "*) return 0 ;; esac; return 1; }
# sample_acks: what each committee recorded as acknowledged by the hub.
sample_acks() {
  local c
  for c in "${COMS[@]}"; do
    python3 "$PY" ack "$c" "${HOME_OF[$c]}" "${OWNHEX[$c]}" >>"$T/acks" 2>>"$T/py.err"
  done
}
kill_one() {
  local v c a h
  case $((RANDOM % 4)) in 0) v=hub ;; *) v=${COMS[RANDOM % ${#COMS[@]}]} ;; esac
  [ -n "${PID_OF[$v]:-}" ] || return 0
  stop_d "$v" KILL 2>>"$T/shell.err"
  KILLS=$((KILLS + 1))
  if [ "$v" = hub ]; then
    HUBKILLS=$((HUBKILLS + 1))
    # With the hub down its store is still: what a committee saw
    # acknowledged must be in it.
    for c in "${COMS[@]}"; do
      a=$(acked "$c")
      h=$(count_origin "$HUB" "${OWNHEX[$c]}")
      if [ "${a:-0}" -gt "${h:-0}" ]; then
        echo "# hub kill $HUBKILLS: $c saw seq $a acknowledged, the hub holds $h"
        LOST=$((LOST + 1))
      fi
    done
  fi
  local t=$((RANDOM % 30))
  sleep "$((t / 10)).$((t % 10))"
  start_d "$v" || DEAD+=("$v")
  LAST_FAULT=$(now)
}
link_fault() {
  local c=${COMS[RANDOM % ${#COMS[@]}]} d=$((2 + RANDOM % 20))
  [ -z "${FAULT_END[$c]:-}" ] || return 0
  if [ $((RANDOM % 2)) = 0 ]; then
    kill -USR1 "${LPID[$c]}"
    FAULT_KIND[$c]=USR1
    BLACK=$((BLACK + 1))
  else
    kill -USR2 "${LPID[$c]}"
    FAULT_KIND[$c]=USR2
    DOWNS=$((DOWNS + 1))
  fi
  FAULT_END[$c]=$(($(now) + d))
}
# end_faults [all]: ends the link faults that are due (or all of them).
end_faults() {
  local c t=$(now)
  for c in "${!FAULT_END[@]}"; do
    if [ "${1:-}" = all ] || [ "${FAULT_END[$c]}" -le "$t" ]; then
      kill -"${FAULT_KIND[$c]}" "${LPID[$c]}"
      unset "FAULT_END[$c]" "FAULT_KIND[$c]"
      LAST_FAULT=$t
    fi
  done
}
fill_disk() {
  FULL=1
  echo "# $(($(now) - START)) s: $FULLC's disk fills ($FULLMODE)"
  if [ "$FULLMODE" = tmpfs ]; then
    dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
    dd if=/dev/zero of="$MNT/filler2" bs=512 2>/dev/null
    has_alert "$FULLC" disk_full && FULLALERT=yes || FULLALERT=no
  else
    FSIZE=$(($(du -k --apparent-size "${HOME_OF[$FULLC]}/ayil.db" | cut -f1) + 1))
    stop_d "$FULLC" KILL 2>>"$T/shell.err"
    start_d "$FULLC" || DEAD+=("$FULLC")
  fi
}
free_disk() {
  FULL=0
  echo "# $(($(now) - START)) s: $FULLC's disk is freed"
  if [ "$FULLMODE" = tmpfs ]; then
    rm -f "$MNT/filler" "$MNT/filler2"
  else
    FSIZE=""
    stop_d "$FULLC" KILL 2>>"$T/shell.err"
    start_d "$FULLC" || DEAD+=("$FULLC")
  fi
  LAST_FAULT=$(now)
}
# replace_pi: c4's Pi dies; a successor with a new key takes over.
replace_pi() {
  local c=c4 old code i
  old=$(id_of $c)
  echo "# $(($(now) - START)) s: $c's Pi dies and is replaced"
  stop_d "$c" KILL 2>>"$T/shell.err"
  KILLS=$((KILLS + 1))
  [ -n "${PID_OF[hub]:-}" ] || start_d hub
  HOME_OF[c4old]=${HOME_OF[$c]}
  OLDHEX=${OWNHEX[$c]}
  code=$(ay hub admit --successor-of "$old" --advertise "127.0.0.1:${LPORT[$c]}" 2>>"$T/cli.err") ||
    { fail "admit --successor-of $c's dead node"; return 1; }
  HOME_OF[$c]=$T/c4new
  "$AYIL" --home "$T/c4new" init --role committee --invite "$code" --recovery-kit "$T/kit-$c.txt" >"$T/c4new.id" 2>>"$T/cli.err" ||
    { fail "init $c's successor"; return 1; }
  cp "$T/c4new.id" "$T/$c.id"
  fast_conf "$T/c4new"
  OWNHEX[$c]=$(hex_of "$c")
  start_d "$c" || DEAD+=("$c")
  presented() { grep -F "$(id_of c4)" "$T/hub.log" | grep -q "presented a valid invite"; }
  # The link may be black or down: the successor retries until it is not.
  [ -n "${FAULT_END[$c]:-}" ] && FAULT_END[$c]=0 && end_faults
  wait_for 120 presented || { fail "the hub hears $c's successor present its invite"; return 1; }
  ay hub admit --confirm "$(ay "$c" id --code)" >/dev/null 2>>"$T/cli.err" ||
    { fail "admit --confirm $c's successor"; return 1; }
  # It pulls the committee's history, then carries on from there.
  for i in $(seq 10); do ay "$c" sync --wait 30 >/dev/null 2>&1 && break; done
  ay "$c" record list --with-body --json >"$T/c4-base-list.json" 2>>"$T/cli.err"
  python3 "$PY" records "$T/c4-base-list.json" "$T/c4-base.json"
  BASEF[$c]=$T/c4-base.json
  OPSF[$c]=$T/ops-c4new
  : >"${OPSF[$c]}"
  LIVE[$c]=$(python3 -c 'import json,sys; print(" ".join(r["id"]+":"+r["kind"] for r in json.load(open(sys.argv[1]))["records"]))' "$T/c4-base.json")
  CASES[$c]=$(python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(open(sys.argv[1]))["records"] if r["kind"] in ("appeal","family")))' "$T/c4-base.json")
  ok "$c's successor was admitted and pulled $(echo "${LIVE[$c]}" | wc -w) records of its history"
  REPLACED=1
  LAST_FAULT=$(now)
}

echo "# chaos phase until $(date -d @$DEADLINE +%T)"
STEPS=0
while [ "$(now)" -lt "$DEADLINE" ] && [ $STEPS -lt 100000 ]; do
  STEPS=$((STEPS + 1))
  t=$((RANDOM % 5))
  sleep "0.$t"
  end_faults
  tn=$(now)
  if [ "$tn" -ge "$NEXT_ACK" ]; then sample_acks; NEXT_ACK=$((tn + 3)); fi
  if [ $FULL = 0 ] && [ "$tn" -ge "$FILL_AT" ] && [ "$tn" -lt "$FREE_AT" ]; then fill_disk; fi
  if [ $FULL = 1 ] && [ "$tn" -ge "$FREE_AT" ]; then free_disk; fi
  if [ $REPLACED = 0 ] && [ "$tn" -ge "$REPLACE_AT" ]; then replace_pi || break; fi
  # A daemon that would not start (a full disk?) gets another try.
  if [ ${#DEAD[@]} -gt 0 ]; then
    d=("${DEAD[@]}")
    DEAD=()
    for v in "${d[@]}"; do start_d "$v" || DEAD+=("$v"); done
  fi
  r=$((RANDOM % 100))
  if [ $r -lt 80 ]; then
    record_op "${COMS[RANDOM % ${#COMS[@]}]}"
  elif [ $r -lt 86 ]; then
    kill_one
  elif [ $r -lt 94 ]; then
    link_fault
  else
    c=${COMS[RANDOM % ${#COMS[@]}]}
    ay "$c" sync >/dev/null 2>&1
  fi
done
[ $FULL = 1 ] && free_disk
end_faults all
for v in "${DEAD[@]:-}"; do [ -n "$v" ] && { start_d "$v" || fail "$v's ayild restarts after the chaos"; }; done
for v in hub "${COMS[@]}"; do [ -n "${PID_OF[$v]:-}" ] || start_d "$v" || fail "$v's ayild runs at the end"; done
LAST_FAULT=$(now)
sample_acks
echo "# chaos phase over after $(($(now) - START)) s: $OPS operations, $KILLS kills"
check "no record operation failed outside the full disk ($OPFAIL failed)" test "$OPFAIL" = 0
check "the full disk refused some operations ($FULLFAIL), and none after it was freed" test "$FULLFAIL" -gt 0
check "every acknowledgement seen at a hub kill was durable ($HUBKILLS hub kills)" test "$LOST" = 0
check "$FULLC's disk filled, was freed, and c4's Pi was replaced" test $REPLACED = 1
if [ "$FULLMODE" = tmpfs ]; then
  check "every refusal on the full disk said \"disk full; nothing was written\" ($FULLODD did not)" test "$FULLODD" = 0
  check "ayil status at $FULLC showed a disk_full alert while its disk was full ($FULLALERT)" test "$FULLALERT" = yes
  check "... and none once it was freed" no_alert "$FULLC" disk_full
fi

# ---------------------------------------------------------------- convergence
# converged: every log a node holds equals the hub's copy, except the hub's
# own notice log, which a committee holds sparse: the entries it holds of it
# are the hub's (same positions, same entry hashes). Each committee holds
# its own log, its predecessor's, and the hub's (when it has one).
converged() {
  local n o rest
  python3 "$PY" logs "$HUB" >"$T/logs-hub" 2>>"$T/py.err" || return 1
  for n in "${COMS[@]}"; do
    python3 "$PY" logs "${HOME_OF[$n]}" >"$T/logs-$n" 2>>"$T/py.err" || return 1
    while read -r o rest; do
      [ "$o" = "$HUBHEX" ] || grep -qx "$o $rest" "$T/logs-hub" || return 1
    done <"$T/logs-$n"
    [ "$(grep -c "^${OWNHEX[$n]} " "$T/logs-$n")" = "$(grep -c "^${OWNHEX[$n]} " "$T/logs-hub")" ] || return 1
    if grep -q "^$HUBHEX " "$T/logs-hub"; then
      python3 "$PY" subset "$HUB" "${HOME_OF[$n]}" "$HUBHEX" 2>>"$T/py.err" || return 1
    fi
  done
  grep -q "^$OLDHEX " "$T/logs-c4" || return 1
}
T0=$(now)
CONV=-1
for i in $(seq 100000); do
  if converged; then CONV=$(($(now) - LAST_FAULT)); break; fi
  [ "$(now)" -lt $((T0 + CONVERGE_MAX)) ] || break
  for c in "${COMS[@]}"; do ay "$c" sync >/dev/null 2>&1; done
  sleep 2
done
check "every log converged, byte for byte, within ${CONVERGE_MAX} s (after ${CONV} s)" test "$CONV" -ge 0
for c in "${COMS[@]}"; do
  a=$(acked "$c")
  n=$(count_origin "${HOME_OF[$c]}" "${OWNHEX[$c]}")
  check "$c: the hub acknowledged all $n entries of its log ($a)" test "$a" = "$n"
done

# ---------------------------------------------------------------- final checks
python3 "$PY" ackcheck "$T/acks" "$HUB" | tee "$T/ackcheck.out" | grep -v '^ok\|^FAIL' 
grep -q '^ok - ' "$T/ackcheck.out" && ok "$(sed -n 's/^ok - //p' "$T/ackcheck.out")" || fail "$(sed -n 's/^FAIL - //p' "$T/ackcheck.out")"
python3 "$PY" prefix "$HUB" "${HOME_OF[c4old]}" "$OLDHEX" >"$T/prefix.out"
grep -q '^ok - ' "$T/prefix.out" && ok "c4's dead Pi: $(sed -n 's/^ok - //p' "$T/prefix.out")" || fail "c4's dead Pi: $(sed -n 's/^FAIL - //p' "$T/prefix.out")"
for n in hub "${COMS[@]}" c4old; do
  ay "$n" log verify >"$T/verify-$n.out" 2>&1 && ok "$n: ayil log verify" || fail "$n: ayil log verify: $(tail -n 1 "$T/verify-$n.out")"
  r=$(python3 "$PY" integrity "${HOME_OF[$n]}/ayil.db" 2>&1)
  check "$n: PRAGMA integrity_check says $r" test "$r" = ok
done
# Each committee's records equal what its CLI acknowledged; the hub's report
# equals one computed from the committees' own records.
echo "[" >"$T/committees.json"
sep=""
for c in "${COMS[@]}"; do
  ay "$c" record list --with-body --json >"$T/list-$c.json" 2>>"$T/cli.err"
  python3 "$PY" model "${BASEF[$c]}" "${OPSF[$c]}" "$T/list-$c.json" >"$T/model-$c.out"
  grep -q '^ok - ' "$T/model-$c.out" && ok "$c: $(sed -n 's/^ok - //p' "$T/model-$c.out")" || fail "$c: $(sed -n 's/^FAIL - //p' "$T/model-$c.out")"
  python3 "$PY" records "$T/list-$c.json" "$T/records-$c.json"
  printf '%s{"name": "%s", "oblast": "%s", "records": "%s"}\n' "$sep" "${CNAME[$c]}" "${COBL[$c]}" "$T/records-$c.json" >>"$T/committees.json"
  sep=","
done
echo "]" >>"$T/committees.json"
rrc=0
python3 "$RC" expect 2025-01 2027-12 "$T/committees.json" >"$T/expected.json" 2>"$T/compare.out" &&
  ay hub report --from 2025-01 --to 2027-12 --format json --suppress-below 0 >"$T/report.json" 2>>"$T/compare.out" &&
  python3 "$RC" compare "$T/expected.json" "$T/report.json" >>"$T/compare.out" 2>&1 || rrc=$?
if [ $rrc != 0 ] || grep -q '^FAIL' "$T/compare.out" || ! grep -q '^ok - ' "$T/compare.out"; then
  fail "the hub's report: $(grep -v '^ok' "$T/compare.out" | tail -n 3 | tr '\n' ' ')"
else
  ok "the hub's report equals the one computed from the committees' own records ($(sed -n 's/^ok - every value/every value/p' "$T/compare.out"); $(grep -c '^ok' "$T/compare.out") checks)"
fi
check "no invented name reached the hub's files" bash -c "! grep -a -r -q Chaosova '$HUB'"
for n in hub "${COMS[@]}"; do
  stop_d "$n" TERM
  check "$n: ayild stops cleanly on SIGTERM (exit $STOP_RC)" test "$STOP_RC" = 0
done
BYTES=0 CUTS=0
for c in "${COMS[@]}"; do
  kill -TERM "${LPID[$c]}"
  { wait "${LPID[$c]}"; } 2>/dev/null
  forget "${LPID[$c]}"
  BYTES=$((BYTES + $(stat_of "$c" bytes_c2s) + $(stat_of "$c" bytes_s2c)))
  CUTS=$((CUTS + $(stat_of "$c" cuts) + $(stat_of "$c" down_resets)))
done
check "no sanitizer report in any log" bash -c "! grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$T'/*.log '$T'/*.err"
DONE=1
RESULT=PASS
[ "$FAILED" = 0 ] || RESULT=FAIL
echo "$PASSED passed, $FAILED failed"
echo "chaos seed=$SEED minutes=$MINUTES committees=$NCOM: operations=$OPS (add $ADDS, update $UPDS, delete $DELS, refused on the full disk $FULLFAIL)" \
  "kills=$KILLS (hub $HUBKILLS) cuts=$CUTS blackholes=$BLACK downs=$DOWNS bytes=$BYTES converge=${CONV}s total=$(($(now) - START))s $RESULT"
[ "$FAILED" = 0 ]
