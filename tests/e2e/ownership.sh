#!/bin/bash
# Who may change a record (issue 9, ownership), attacked with entries that
# ayil itself never writes (tests/tools/ayil-forge):
#  a) a stranger who knows only committee A's public id sends A a bundle
#     that plants a record and deletes a real one that never reached the hub;
#  b) committee B's admitted device signs a DELETE of A's record and syncs it
#     to the hub;
#  c) a compromised hub signs a DELETE of A's record into its own log, and
#     A's daemon pulls it.
# Each is refused, raises a not_owner alert naming the origin and the
# record, nothing already stored changes, and A keeps syncing.
source "$(dirname "$0")/lib/common.bash"
FORGE="$BIN/tests/tools/ayil-forge"
export AYIL_PASSPHRASE=test-passphrase-1
HUB=$T/hub A=$T/a B=$T/b
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
add_record() { # add_record HOME: prints the new record's id
  NREC=$((NREC + 1))
  echo '{"date":"2026-03-'$(printf %02d $((NREC % 28 + 1)))'","cases_reviewed":'$NREC',"violence_related":true,"decisions":"Invented Decision Person"}' |
    $AYIL --home "$1" record add session
}
enroll() { # enroll NAME HOME
  local code
  code=$($AYIL --home "$HUB" admit --name "$1" --oblast talas 2>/dev/null)
  $AYIL --home "$2" init --role committee --invite "$code" --recovery-kit "$2.kit" >/dev/null 2>&1
  $AYIL --home "$HUB" admit --confirm "$($AYIL --home "$2" id --code)" >/dev/null
  sed -i -e 's/^linger = .*/linger = 1/' -e 's/^dead_after = .*/dead_after = 5/' \
    -e 's/^backoff_max = .*/backoff_max = 2/' -e 's/^poll_interval = .*/poll_interval = 5/' "$2/ayil.conf"
}
live() { # live HOME RECID: 1 if the record is live there
  sqlite3 "$1/ayil.db" "SELECT count(*) FROM records WHERE hex(id)=upper('$2') AND deleted=0 AND body_hash IS NOT NULL AND body_hash IN (SELECT hash FROM bodies)"
}
alert_for() { # alert_for HOME ORIGIN_ID RECID: the not_owner alert names both
  $AYIL --home "$1" alerts --json | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin) if x["kind"] == "not_owner"]
sys.exit(0 if any(x["origin"] == sys.argv[1] and x["record"] == sys.argv[2] for x in a) else 1)' "$2" "$3"
}

PORT=$(free_port)
$AYIL --home "$HUB" init --role hub --name "Test hub" --listen 127.0.0.1:$PORT >/dev/null 2>&1
"$AYILD" --home "$HUB" 2>"$LOG" &
HUBPID=$!
PIDS+=("$HUBPID")
for i in $(seq 50); do grep -q "hub listening" "$LOG" && break; sleep 0.1; done

enroll "Committee A" "$A"
enroll "Committee B" "$B"
start_daemon "$A" "$T/a.log"
APID=$DPID
R1=$(add_record "$A")
expect_rc 0 "A syncs its first record" $AYIL --home "$A" sync --wait 30
AID=$($AYIL --home "$A" id)
start_daemon "$B" "$T/b.log"
BPID=$DPID
add_record "$B" >/dev/null
expect_rc 0 "B syncs its first record" $AYIL --home "$B" sync --wait 30
BID=$($AYIL --home "$B" id)
HUBID=$($AYIL --home "$HUB" id)

# ---- a) a stranger's bundle ----
stop_pid "$APID"
R2=$(add_record "$A") # never reaches the hub before the attack
ASUM=$(store_sum "$A")
NA=$($AYIL --home "$A" record list --json | json_get '.__len__()')
expect_rc 0 "a) the stranger writes a bundle knowing only A's id" "$FORGE" bundle --to "$AID" --delete "$R2" --out "$T/forged.bundle"
expect_rc 1 "a) A's bundle import refuses it" $AYIL --home "$A" bundle import "$T/forged.bundle"
check "a) the error says the entries were refused" grep -q "refused 2 entries" "$T/err"
check "a) A's store is unchanged" test "$(store_sum "$A")" = "$ASUM"
check "a) the record that never reached the hub is still live with its body" test "$(live "$A" "$R2")" = 1
check "a) no planted record in A's list" test "$($AYIL --home "$A" record list --json | json_get '.__len__()')" = "$NA"
start_daemon "$A" "$T/a.log"
APID=$DPID
expect_rc 0 "a) A still syncs afterwards" $AYIL --home "$A" sync --wait 30
check "a) the hub has A's second record" test "$(live "$HUB" "$R2")" = 1

# ---- b) B's device deletes A's record at the hub ----
HUBSUM_A=$(sqlite3 "$HUB/ayil.db" "SELECT hex(id)||deleted||hex(body_hash) FROM records WHERE hex(origin)=(SELECT hex(origin) FROM records WHERE hex(id)=upper('$R1'))" | sha256sum)
stop_pid "$BPID"
expect_rc 0 "b) B's device signs a DELETE of A's record" "$FORGE" raw --home "$B" --delete "$R1"
start_daemon "$B" "$T/b.log"
BPID=$DPID
$AYIL --home "$B" sync --wait 15 >/dev/null 2>&1 || true
check "b) the hub logs the refusal" grep -q "refused entry 2 of log $BID: it changes record $R1" "$LOG"
check "b) the hub raises not_owner naming B and the record" alert_for "$HUB" "$BID" "$R1"
check "b) A's record is still live at the hub, with its body" test "$(live "$HUB" "$R1")" = 1
check "b) A's records at the hub are unchanged" test "$(sqlite3 "$HUB/ayil.db" "SELECT hex(id)||deleted||hex(body_hash) FROM records WHERE hex(origin)=(SELECT hex(origin) FROM records WHERE hex(id)=upper('$R1'))" | sha256sum)" = "$HUBSUM_A"
check "b) the hub daemon is still running" kill -0 "$HUBPID"
R3=$(add_record "$A")
expect_rc 0 "b) A still syncs" $AYIL --home "$A" sync --wait 30
check "b) A's new record reached the hub" test "$(live "$HUB" "$R3")" = 1

# ---- c) a compromised hub deletes A's record in its own log ----
stop_pid "$HUBPID"
expect_rc 0 "c) the hub signs a DELETE of A's record into its own log" "$FORGE" raw --home "$HUB" --delete "$R1"
"$AYILD" --home "$HUB" 2>>"$LOG" &
HUBPID=$!
PIDS+=("$HUBPID")
sleep 1
$AYIL --home "$A" sync --wait 15 >/dev/null 2>&1 || true
for i in $(seq 100); do alert_for "$A" "$HUBID" "$R1" && break; sleep 0.2; done
check "c) A raises not_owner naming the hub and the record" alert_for "$A" "$HUBID" "$R1"
check "c) A's only copy is still live with its body" test "$(live "$A" "$R1")" = 1
check "c) A's daemon logs the refusal" grep -q "refused entry [0-9]* of log $HUBID: it changes record $R1" "$T/a.log"
check "c) A's daemon is still running" kill -0 "$APID"
R4=$(add_record "$A")
expect_rc 0 "c) A still sends its records up (the hub's log is no longer wanted)" $AYIL --home "$A" sync --wait 30
check "c) A's new record reached the hub" test "$(live "$HUB" "$R4")" = 1
# ---- d) headers are checked on receipt: committee C's device sends a
# header with an identifying field in clear ----
C=$T/c
enroll "Committee C" "$C"
add_record "$C" >/dev/null
start_daemon "$C" "$T/c.log"
CPID=$DPID
expect_rc 0 "d) C syncs its first record" $AYIL --home "$C" sync --wait 30
stop_pid "$CPID"
CID=$($AYIL --home "$C" id)
expect_rc 0 "d) C's device signs a put whose header names a survivor" "$FORGE" badheader --home "$C"
start_daemon "$C" "$T/c.log"
$AYIL --home "$C" sync --wait 15 >/dev/null 2>&1 || true
for i in $(seq 50); do grep -q "identifying field survivor_name" "$LOG" && break; sleep 0.2; done
check "d) the hub refuses it, naming the field" grep -q "refused entry 2 of log $CID: identifying field survivor_name in a appeal header" "$LOG"
check "d) the hub stored no header with the name" test "$(sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM entries WHERE instr(packed, CAST('Invented Zarina' AS BLOB)) > 0")" = 0
check "d) the hub raises bad_header" bash -c "$AYIL --home '$HUB' alerts --json | grep -q bad_header"
check "d) the name is in no log and no alert" bash -c "! grep -a -q 'Invented Zarina' '$T'/*.log && ! $AYIL --home '$HUB' alerts --json | grep -q Zarina"
R5=$(add_record "$A")
expect_rc 0 "d) A still syncs" $AYIL --home "$A" sync --wait 30
check "d) A's new record reached the hub" test "$(live "$HUB" "$R5")" = 1
# ---- e) a stolen Pi's key deletes a burst of records; the operator rolls
# back what it signed after the theft ----
E=$T/e
ENAME="Committee E"
enroll "Committee E" "$E"
for i in $(seq 22); do add_record "$E" >>"$T/e-ids"; done
start_daemon "$E" "$T/e.log"
EPID=$DPID
expect_rc 0 "e) E syncs 22 records" $AYIL --home "$E" sync --wait 60
EID=$($AYIL --home "$E" id)
EHEX=$(python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1]).hex().upper())' "$EID")
CUT=$(sqlite3 "$HUB/ayil.db" "SELECT max(seq) FROM entries WHERE hex(origin)='$EHEX'")
check "e) the hub holds E's 22 entries" test "$CUT" = 22
HUBSUM_E=$(sqlite3 "$HUB/ayil.db" "SELECT hex(id)||deleted||ifnull(hex(body_hash),'') FROM records ORDER BY id" | sha256sum)
# The thief, with the Pi (its key and its store):
while read -r rid; do $AYIL --home "$E" record delete "$rid" >/dev/null; done <"$T/e-ids"
expect_rc 0 "e) the stolen node's deletes reach the hub" $AYIL --home "$E" sync --wait 60
check "e) the hub purged them (22 records deleted)" test "$(sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM records WHERE deleted=1")" -ge 22
check "e) the hub raises delete_burst" bash -c "$AYIL --home '$HUB' alerts --json | grep -q delete_burst"
check "e) the purged bodies wait in quarantine" test "$(sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM quarantine")" -ge 22
stop_pid "$EPID"
expect_rc 0 "e) the operator revokes the stolen node and rolls back after seq $CUT" $AYIL --home "$HUB" revoke "$EID" --after "$CUT"
check "e) ... which says 22 entries were rolled back" grep -q "22 entries it signed after that were rolled back" "$T/out"
check "e) every record at the hub is as before the theft, bodies included" test "$($AYIL --home "$HUB" log verify >/dev/null && sqlite3 "$HUB/ayil.db" "SELECT hex(id)||deleted||ifnull(hex(body_hash),'') FROM records ORDER BY id" | sha256sum)" = "$HUBSUM_E"
check "e) the bodies are back out of quarantine" test "$(sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM records r WHERE r.deleted=0 AND r.body_hash IS NOT NULL AND r.body_hash NOT IN (SELECT hash FROM bodies)")" = 0
check "e) ayil nodes shows the rollback" bash -c "$AYIL --home '$HUB' nodes --json | grep -q '\"rolled_back\": 22'"
expect_rc 0 "e) the hub's report --json" $AYIL --home "$HUB" report --format json
check "e) the hub's report names the committee and its 22 rolled-back entries" python3 -c "
import json,sys; d=json.load(open('$T/out'))
sys.exit(0 if [(r['name'], r['entries']) for r in d['rolled_back']] == [('$ENAME', 22)] else 1)"
for lang in en ru ky; do
  expect_rc 0 "e) the hub's report --lang $lang" $AYIL --home "$HUB" report --lang $lang
  check "e) ... says, in $lang, that 22 entries of $ENAME were rolled back" bash -c "grep '$ENAME' '$T/out' | grep -q 22"
done
expect_rc 0 "A: ayil log verify" $AYIL --home "$A" log verify
check "the hub ended sessions by the FINAL exchange (a committee's final frame answered)" grep -q "connection from .* closed: peer left" "$LOG"
check "a committee saw the hub's final frame back" grep -q "closed: synced; leaving until new data" "$T/a.log"
check "no invented name in any daemon log" bash -c "! grep -a -q 'Invented Decision Person' '$T'/*.log"
finish
