# Helpers for tests/e2e/sync.sh: daemons, link emulators, committees and
# records on 127.0.0.1. Sourced after common.bash, not run.
EMU="$BIN/tests/linkemu/ayil-linkemu"
declare -A HOME_OF PID_OF LPORT LPID
# Bodies are compressed, each alone (PROTOCOL.md "Body packing"): the
# narrative ends in random base64, so that a record still costs about 2 KB
# on the link (a sealed body of 2,096 bytes), the emulated links still cut
# connections mid-stream, and a body sent twice still shows (held.sh).
NARR="Invented narrative about the Fictionova family. $(head -c 1100 /dev/urandom | base64 -w0)"
FIRSTS=(Aidana Bermet Cholpon Dinara Elnura Gulnara)

sq() { sqlite3 -cmd ".timeout 5000" "$@"; }
b64hex() { python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1]).hex().upper())' "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
elapsed() { echo $(($(date +%s) - START)); }
phase() { echo "# $* (at $(elapsed) s)"; }

# forget PID: it was reaped; never signal that number again.
forget() {
  local i
  for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$1" ] && unset "PIDS[$i]"; done
  return 0
}
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# start_d NAME: runs ayild for HOME_OF[NAME], logging to $T/NAME.log, and
# waits (at most 20 s) until it has bound its control socket.
start_d() {
  local n=$1 i
  "$AYILD" --home "${HOME_OF[$n]}" 2>>"$T/$n.log" &
  PID_OF[$n]=$!
  PIDS+=($!)
  for i in $(seq 200); do
    grep -q "ayild\[${PID_OF[$n]}\] notice: ayild .* started" "$T/$n.log" 2>/dev/null && return 0
    gone "${PID_OF[$n]}" && break
    sleep 0.1
  done
  echo "# ayild $n did not start; log tail:"
  tail -n 5 "$T/$n.log" | sed 's/^/#   /'
  return 1
}
# stop_d NAME [SIGNAL]: signals the daemon, waits at most 15 s, reaps it and
# sets STOP_RC to its exit status (137 after KILL).
stop_d() {
  local n=$1 sig=${2:-TERM} p=${PID_OF[$1]} i
  STOP_RC=0
  [ -n "$p" ] || return 0
  kill -"$sig" "$p" 2>/dev/null || true
  for i in $(seq 150); do gone "$p" && break; sleep 0.1; done
  if ! gone "$p"; then
    echo "# ayild $n ignored SIG$sig for 15 s; killing it"
    kill -KILL "$p" 2>/dev/null || true
  fi
  { wait "$p"; } 2>/dev/null || STOP_RC=$?
  forget "$p"
  PID_OF[$n]=""
}

# start_link NAME SEED [PORT [RATE [CUT [OPTION...]]]]: an emulated link for
# NAME, to 127.0.0.1:PORT (default: the hub at $HUBPORT), RATE bits/s
# (256000), cut every CUT bytes or so (8000), more ayil-linkemu options
# after; its port in LPORT[NAME].
start_link() {
  local n=$1 i
  "$EMU" --listen 127.0.0.1:0 --connect "127.0.0.1:${3:-$HUBPORT}" --rate "${4:-256000}" --delay 50 \
    --cut-bytes "${5:-8000}" --seed "$2" --stats "$T/link-$n.stats" "${@:6}" >"$T/link-$n.port" 2>"$T/link-$n.log" &
  LPID[$n]=$!
  PIDS+=($!)
  for i in $(seq 100); do grep -q port= "$T/link-$n.port" 2>/dev/null && break; sleep 0.1; done
  LPORT[$n]=$(sed -n 's/port=//p' "$T/link-$n.port")
  [ -n "${LPORT[$n]}" ]
}
# seed_random: SEED from AYIL_TEST_SEED, else the clock; $RANDOM follows
# it, so that AYIL_TEST_SEED=N repeats a run's random choices.
seed_random() {
  START=$(date +%s)
  SEED=${AYIL_TEST_SEED:-$(($(date +%s%N) % 100000))}
  RANDOM=$SEED
  echo "# seed $SEED (AYIL_TEST_SEED=$SEED repeats it)"
}
# dump_logs [LINES]: the last lines of every log in $T, for a failed run.
dump_logs() {
  local f
  for f in "$T"/*.log; do
    echo "# --- $(basename "$f") (last ${1:-15} lines)"
    tail -n "${1:-15}" "$f" | sed 's/^/#   /'
  done
}
# On failure, the logs say why; AYIL_E2E_KEEP=DIR keeps the homes and logs
# there; then common.bash's cleanup.
trap_dump_logs() {
  trap 'rc=$?; [ "$FAILED" = 0 ] && [ $rc = 0 ] || dump_logs
    [ -z "${AYIL_E2E_KEEP:-}" ] || cp -a "$T" "$AYIL_E2E_KEEP"; cleanup' EXIT
}
stat_of() { sed -n "s/^$2=//p" "$T/link-$1.stats"; }

# Fast sync settings for tests.
fast_conf() {
  sed -i -e 's/^linger = .*/linger = 1/' -e 's/^dead_after = .*/dead_after = 5/' \
    -e 's/^backoff_max = .*/backoff_max = 2/' -e 's/^poll_interval = .*/poll_interval = 5/' "$1/ayil.conf"
}

# make_committee NAME "Display name" OBLAST: admitted at the hub, created
# with the invite, dialing the hub through its own link.
make_committee() {
  local n=$1 code
  HOME_OF[$n]=$T/$n
  code=$("$AYIL" --home "$HUB" admit --name "$2" --oblast "$3" --advertise "127.0.0.1:${LPORT[$n]}" 2>>"$T/cli.err")
  "$AYIL" --home "${HOME_OF[$n]}" init --role committee --invite "$code" \
    --recovery-kit "$T/kit-$n.txt" >"$T/$n.id" 2>>"$T/cli.err"
  "$AYIL" --home "$HUB" admit --confirm "$("$AYIL" --home "${HOME_OF[$n]}" id --code)" >/dev/null 2>>"$T/cli.err"
  fast_conf "${HOME_OF[$n]}"
}
id_of() { cat "$T/$1.id"; }
hex_of() { b64hex "$(id_of "$1")"; }

# add_appeal NAME TAG [FILE]: one appeal with an invented name; appends
# "ID NAME" to $T/added-NAME (or FILE) when `record add` succeeded.
add_appeal() {
  local n=$1 who="${FIRSTS[RANDOM % 6]} Fictionova-$2" id json
  json=$(printf '{"date":"2026-%02d-%02d","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open","survivor_name":"%s","narrative":"%s"}' \
    $((RANDOM % 6 + 1)) $((RANDOM % 28 + 1)) "$who" "$NARR")
  id=$(echo "$json" | timeout 30 "$AYIL" --home "${HOME_OF[$n]}" record add appeal 2>>"$T/cli.err") || return 1
  echo "$id $who" >>"${3:-$T/added-$n}"
}
# adder NAME COUNT TAG SEED MAXSLEEP_TENTHS: adds COUNT appeals, pausing
# up to MAXSLEEP tenths of a second between them. Run in the background.
adder() {
  local i t
  RANDOM=$4
  for i in $(seq "$2"); do
    add_appeal "$1" "$3-$i" || echo "$3-$i" >>"$T/addfail-$1"
    t=$((RANDOM % ($5 + 1)))
    sleep "$((t / 10)).$((t % 10))"
  done
}
added() { if [ -f "$T/added-$1" ]; then wc -l <"$T/added-$1"; else echo 0; fi; }

count_origin() { sq "$1/ayil.db" "SELECT count(*) FROM entries WHERE origin=X'$2'"; }
log_sum() { sq "$1/ayil.db" "SELECT seq||':'||hex(packed) FROM entries WHERE origin=X'$2' ORDER BY seq" | sha256sum | cut -c1-16; }
# acked NAME: the last entry of its own log that the committee recorded as
# acknowledged by the hub.
acked() { sq "${HOME_OF[$1]}/ayil.db" "SELECT ifnull(max(seq),0) FROM peer_acks WHERE origin=X'$(hex_of "$1")'"; }

# same_logs NAME: every log the committee holds is at the hub, the same
# entries byte for byte, and its own log has one entry per added record.
# The hub's own log it takes sparse: what it holds of it is the hub's.
log_lines() { sq "$1/ayil.db" "SELECT seq||':'||hex(packed) FROM entries WHERE origin=X'$2' ORDER BY seq"; }
same_logs() {
  local n=$1 h=${HOME_OF[$1]} o bad=0 hubhex
  hubhex=$(b64hex "$(sq "$HUB/ayil.db" "SELECT value FROM meta WHERE key='node_id'")")
  for o in $(sq "$h/ayil.db" "SELECT DISTINCT hex(origin) FROM entries"); do
    if [ "$o" = "$hubhex" ]; then
      if [ -n "$(comm -23 <(log_lines "$h" "$o" | sort) <(log_lines "$HUB" "$o" | sort))" ]; then
        echo "# the hub's log: $n holds entries the hub does not"
        bad=1
      fi
      continue
    fi
    if [ "$(log_sum "$h" "$o")" != "$(log_sum "$HUB" "$o")" ]; then
      echo "# log ${o:0:12}...: $(count_origin "$h" "$o") entries at $n, $(count_origin "$HUB" "$o") at the hub, contents differ"
      bad=1
    fi
  done
  return $bad
}

hub_total() { # hub_total INDICATOR
  "$AYIL" --home "$HUB" report --format json --suppress-below 0 | python3 -c "import json,sys; d=json.load(sys.stdin); print([r['value'] for r in d['rows'] if r['scope']=='total' and r['indicator']==sys.argv[1]][0])" "$1"
}
connected() { "$AYIL" --home "${HOME_OF[$1]}" status --json 2>/dev/null | grep -q '"connected": true'; }
# wait_for SECONDS command...: polls every 0.2 s.
wait_for() {
  local s=$1 i
  shift
  for i in $(seq $((s * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}
# node_state ID: the state `ayil nodes --json` shows at the hub for a node.
node_state() {
  "$AYIL" --home "$HUB" nodes --json | python3 -c '
import json, sys
for c in json.load(sys.stdin)["committees"]:
    for n in c["nodes"]:
        if n["id"] == sys.argv[1]:
            print(n["state"])' "$1"
}
# has_alert NAME KIND: `ayil status --json` at NAME shows an alert of KIND.
has_alert() {
  "$AYIL" --home "${HOME_OF[$1]}" status --json 2>/dev/null |
    python3 -c 'import json,sys; sys.exit(0 if any(a.get("kind")==sys.argv[1] for a in json.load(sys.stdin)["alerts"]) else 1)' "$2"
}
no_alert() { ! has_alert "$@"; }
