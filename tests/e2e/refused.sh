#!/bin/bash
# A node the hub refuses says so (issue 11, sysadmins):
#  - `ayil doctor` on a committee whose hub is given by name (localhost)
#    resolves it and reports `ok sync`; once the hub revokes the node, it
#    prints no `ok sync` but a FAIL that says what is wrong and what to do,
#    and exits 1;
#  - `ayil sync --wait` on the refused node says in words that the hub
#    refuses it (not a timeout);
#  - `ayil alerts` prints no "(null)" and no "seq 0";
#  - the hub's log names the peer of every closed connection ("from ?" never
#    appears for an authenticated peer);
#  - a replaced node is "replaced", not "revoked": in the hub's log, its
#    alerts, `ayil nodes`; the active committee shows no revoked alert.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE=test-passphrase-1
HUB=$T/hub A=$T/a B=$T/b B2=$T/b2
LOG=$T/hub.log

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_daemon() { # start_daemon HOME LOGFILE; sets DPID, waits for its socket
  local i
  "$AYILD" --home "$1" 2>>"$2" &
  DPID=$!
  PIDS+=("$DPID")
  for i in $(seq 50); do [ -S "$1/ayild.sock" ] && return 0; sleep 0.1; done
  return 1
}
stop_pid() {
  kill "$1" 2>/dev/null || true
  timeout 10 tail --pid="$1" -f /dev/null 2>/dev/null || true
}
NREC=0
add_record() {
  NREC=$((NREC + 1))
  echo '{"date":"2026-03-'$(printf %02d $((NREC % 28 + 1)))'","cases_reviewed":'$NREC',"violence_related":true,"decisions":"Invented Decision Person"}' |
    $AYIL --home "$1" record add session >/dev/null
}
enroll() { # enroll NAME HOME [ADMIT ARGS...]
  local name=$1 home=$2 code
  shift 2
  code=$($AYIL --home "$HUB" admit "$@" 2>/dev/null)
  $AYIL --home "$home" init --role committee --invite "$code" --recovery-kit "$T/kit-$name" >/dev/null 2>&1
  $AYIL --home "$HUB" admit --confirm "$($AYIL --home "$home" id --code)" >/dev/null
  sed -i -e 's/^linger = .*/linger = 1/' -e 's/^dead_after = .*/dead_after = 5/' \
    -e 's/^backoff_max = .*/backoff_max = 1/' -e 's/^poll_interval = .*/poll_interval = 1/' "$home/ayil.conf"
}
wait_for() { # wait_for SECONDS command...
  local i
  for i in $(seq $(($1 * 5))); do "${@:2}" && return 0; sleep 0.2; done
  return 1
}
has_alert() { $AYIL --home "$1" alerts --json | python3 -c 'import json,sys; sys.exit(0 if any(a["kind"]==sys.argv[1] for a in json.load(sys.stdin)) else 1)' "$2"; }

PORT=$(free_port)
$AYIL --home "$HUB" init --role hub --name "Test hub" --listen 127.0.0.1:$PORT >/dev/null 2>&1
"$AYILD" --home "$HUB" 2>"$LOG" &
PIDS+=($!)
for i in $(seq 50); do grep -q "hub listening" "$LOG" && break; sleep 0.1; done

# ---- A: its hub given by name; doctor resolves it ----
enroll a "$A" --name "Committee A" --oblast talas --advertise "localhost:$PORT"
check "A's config names the hub localhost:$PORT" grep -q "^address = localhost:$PORT" "$A/ayil.conf"
start_daemon "$A" "$T/a.log"
APID=$DPID
add_record "$A"
expect_rc 0 "A syncs a record" $AYIL --home "$A" sync --wait 30
AID=$($AYIL --home "$A" id)
expect_rc 0 "doctor on A passes" $AYIL --home "$A" doctor --quick
cp "$T/out" "$T/doctor-ok.out"
check "doctor resolved the name: the hub line shows the address it reached" \
  grep -q -E "ok +hub +localhost:$PORT \((127\.0\.0\.1|::1)\) answers" "$T/doctor-ok.out"
check "doctor says ok sync" grep -q -E "ok +sync " "$T/doctor-ok.out"

# ---- the hub revokes A ----
stop_pid "$APID"
expect_rc 0 "the hub revokes A" $AYIL --home "$HUB" revoke "$AID"
add_record "$A"
start_daemon "$A" "$T/a.log"
APID=$DPID
expect_rc 1 "A: sync --wait fails" $AYIL --home "$A" sync --wait 60
check "... saying in words that the hub refuses the node" grep -q "the hub refuses this node" "$T/err"
check "... not a timeout" bash -c "! grep -q 'not synced after' $T/err"
check "A holds a refused_by_hub alert" has_alert "$A" refused_by_hub
expect_rc 0 "ayil alerts on A" $AYIL --home "$A" alerts
check "... names the kind" grep -q "^refused_by_hub" "$T/out"
check "... prints no (null)" bash -c "! grep -q '(null)' $T/out"
check "... prints no seq 0" bash -c "! grep -q 'seq 0' $T/out"
expect_rc 1 "doctor on the refused A exits 1" $AYIL --home "$A" doctor --quick
cp "$T/out" "$T/doctor-refused.out"
check "... prints no ok sync" bash -c "! grep -q -E 'ok +sync' $T/doctor-refused.out"
check "... says the hub refuses the node" grep -q -E "FAIL +sync +the hub refuses this node" "$T/doctor-refused.out"
check "... and what to do" grep -q "fix: Give the hub's sysadmin this node's id" "$T/doctor-refused.out"
expect_rc 1 "doctor --offline still reads the alert" $AYIL --home "$A" doctor --quick --offline
expect_rc 1 "doctor --json: ok false" $AYIL --home "$A" doctor --quick --json
check "... with a failed sync check" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if not d["ok"] and any(c["check"] == "sync" and c["status"] == "fail" for c in d["checks"]) else 1)' "$T/out"
expect_rc 0 "ayil alerts on the hub" $AYIL --home "$HUB" alerts
check "... the hub's alerts print no (null)" bash -c "! grep -q '(null)' $T/out"
stop_pid "$APID"

# ---- B is replaced by B2 ----
enroll b "$B" --name "Committee B" --oblast talas --advertise "127.0.0.1:$PORT"
start_daemon "$B" "$T/b.log"
BPID=$DPID
add_record "$B"
expect_rc 0 "B syncs a record" $AYIL --home "$B" sync --wait 30
BID=$($AYIL --home "$B" id)
stop_pid "$BPID"
code=$($AYIL --home "$HUB" admit --successor-of "$BID" --advertise "127.0.0.1:$PORT" 2>/dev/null)
$AYIL --home "$B2" init --role committee --invite "$code" --recovery-kit "$T/kit-b" >/dev/null 2>&1
$AYIL --home "$HUB" admit --confirm "$($AYIL --home "$B2" id --code)" >/dev/null
sed -i -e 's/^linger = .*/linger = 1/' "$B2/ayil.conf"
start_daemon "$B2" "$T/b2.log"
B2PID=$DPID
expect_rc 0 "the successor B2 syncs" $AYIL --home "$B2" sync --wait 60
stop_pid "$B2PID"
# The old Pi comes back.
start_daemon "$B" "$T/b.log"
BPID=$DPID
add_record "$B"
expect_rc 1 "old B: sync --wait fails" $AYIL --home "$B" sync --wait 60
check "... saying the hub refuses the node" grep -q "the hub refuses this node" "$T/err"
stop_pid "$BPID"
expect_rc 1 "doctor on old B exits 1" $AYIL --home "$B" doctor --quick --offline
check "... FAIL sync, no ok sync" bash -c "grep -q -E 'FAIL +sync' $T/out && ! grep -q -E 'ok +sync' $T/out"
check "the hub logs: refused replaced node" grep -q "refused replaced node $BID" "$LOG"
check "... and closes it as replaced" grep -q "connection from $BID closed: node was replaced" "$LOG"
check "... never 'revoked' for it" bash -c "! grep -F '$BID' $LOG | grep -q revoked"
check "... never 'refused revoked node' for it" bash -c "! grep -q 'refused revoked node $BID' $LOG"
expect_rc 0 "ayil alerts on the hub" $AYIL --home "$HUB" alerts --json
check "the hub's alert for old B is 'replaced'" python3 -c '
import json, sys
a = [x for x in json.load(open(sys.argv[1])) if x.get("peer") == sys.argv[2]]
sys.exit(0 if a and all(x["kind"] == "replaced" for x in a) else 1)' "$T/out" "$BID"
expect_rc 0 "ayil nodes --json" $AYIL --home "$HUB" nodes --json
check "ayil nodes: old B is replaced, committee B active without a revoked alert" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["committees"] if c["name"] == "Committee B"][0]
old = [n for n in c["nodes"] if n["id"] == sys.argv[2]][0]
ok = old["state"] == "replaced" and c["state"] == "active" and \
    not any(a["kind"] == "revoked" for a in c["alerts"])
sys.exit(0 if ok else 1)' "$T/out" "$BID"
expect_rc 0 "ayil nodes (text)" $AYIL --home "$HUB" nodes
check "... committee B's row shows no revoked" bash -c "! grep 'Committee B' $T/out | grep -q revoked"

# ---- the hub's log names every authenticated peer ----
# A peer is known once its authentication arrived (hello and auth: 345 B
# here, as the refused connections above show); before that "?" is right
# (doctor's TCP probes send nothing, a connection may be cut mid-hello).
authed_unnamed() {
  grep 'connection from ? closed' "$LOG" | sed -n 's/.*received \([0-9]*\) B).*/\1/p' |
    awk '$1 >= 300 { bad = 1; print "# authenticated peer logged as ?: received " $1 " B" } END { exit bad ? 0 : 1 }'
}
check "the hub's log names every authenticated peer (no 'connection from ? closed' after its auth)" \
  bash -c "$(declare -f authed_unnamed); LOG=$LOG; ! authed_unnamed"
grep 'connection from ? closed' "$LOG" | sed 's/^/# hub: /' | head -n 5
check "... and names A in a closed connection" grep -q "connection from $AID closed" "$LOG"
finish
