#!/bin/bash
# A running hub refuses every kind of bad client, logs why, and keeps
# serving: a) an unknown node, b) a revoked node, c) a wrong network key (the
# hub answers nothing), d) a replayed handshake, e) a flipped byte in the
# encrypted stream, f) an entry with a bad signature, g) a forked log (a
# cloned node). Around and after each attack a legitimate committee syncs a
# new record, the hub's store grows by it and still verifies.
# The attacks come from tests/tools/ayil-evilpeer.
source "$(dirname "$0")/lib/common.bash"
EVIL="$BIN/tests/tools/ayil-evilpeer"
export AYIL_PASSPHRASE=test-passphrase-1
HUB=$T/hub A=$T/a B=$T/b B2=$T/b-clone C=$T/c
LOG=$T/hub.log

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
id_hex() { python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1]).hex().upper())' "$1"; }
# Waits (bounded) until `grep -E PATTERN` matches the hub log after line $2.
wait_log() {
  local i
  for i in $(seq 50); do
    tail -n +"$(($2 + 1))" "$LOG" | grep -q -E -- "$1" && return 0
    sleep 0.1
  done
  return 1
}
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; } # an id in a regex
log_lines() { wc -l <"$LOG"; }
hub_verify() { $AYIL --home "$HUB" log verify >/dev/null; }
hub_alive() { kill -0 "$HUBPID" 2>/dev/null; }
hub_entries() { sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM entries"; }
# The hub's copy of one log, as a checksum.
log_sum() { sqlite3 "$HUB/ayil.db" "SELECT seq||hex(packed) FROM entries WHERE hex(origin)='$1' ORDER BY seq" | sha256sum | cut -c1-16; }
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
enroll() { # enroll NAME HOME
  local code
  code=$($AYIL --home "$HUB" admit --name "$1" --oblast talas 2>/dev/null)
  $AYIL --home "$2" init --role committee --invite "$code" --recovery-kit "$2.kit" >/dev/null 2>&1
  $AYIL --home "$HUB" admit --confirm "$($AYIL --home "$2" id --code)" >/dev/null
  sed -i -e 's/^linger = .*/linger = 1/' -e 's/^dead_after = .*/dead_after = 5/' \
    -e 's/^backoff_max = .*/backoff_max = 2/' -e 's/^poll_interval = .*/poll_interval = 5/' "$2/ayil.conf"
}
# Brings a committee's log to the hub with its own daemon, then stops it.
sync_once() { # sync_once HOME
  start_daemon "$1" "$1.log"
  $AYIL --home "$1" sync --wait 30 >/dev/null 2>&1
  local rc=$?
  stop_pid "$DPID"
  return $rc
}

# While an attack runs, the legitimate committee A syncs a new record
# (during_start ... during_end); after it, it syncs another one.
during_start() {
  BEFORE=$(hub_entries)
  add_record "$A"
  $AYIL --home "$A" sync --wait 30 >"$T/during.out" 2>&1 &
  SYNCPID=$!
}
during_end() { # during_end LABEL
  local rc=0
  wait "$SYNCPID" || rc=$?
  check "$1: committee A synced through the attack (exit $rc)" test "$rc" = 0
  check "$1: hub daemon still running" hub_alive
  BEFORE2=$(hub_entries)
  add_record "$A"
  expect_rc 0 "$1: committee A syncs after the attack" $AYIL --home "$A" sync --wait 30
  check "$1: hub's entries grew $BEFORE -> $(hub_entries) (2 new)" test "$(hub_entries)" = $((BEFORE + 2))
  check "$1: ayil log verify on the hub passes" hub_verify
}
# evil EXPECTED_RC LABEL ARGS...: runs the attack tool, keeps its line in $T/evil.out
evil() {
  local want=$1 label=$2 rc=0
  shift 2
  "$EVIL" --timeout 15 "$@" >"$T/evil.out" 2>"$T/evil.err" || rc=$?
  if [ "$rc" = "$want" ]; then ok "$label (exit $rc): $(cat "$T/evil.out")"; else
    fail "$label: exit $rc, want $want: $(cat "$T/evil.out") $(head -c 300 "$T/evil.err")"; fi
}
evil_says() { grep -q -E -- "$1" "$T/evil.out"; }

# ---- a hub and its committees ----
PORT=$(free_port)
$AYIL --home "$HUB" init --role hub --name "Test hub" --listen 127.0.0.1:$PORT >/dev/null 2>&1
"$AYILD" --home "$HUB" 2>"$LOG" &
HUBPID=$!
PIDS+=("$HUBPID")
wait_log "hub listening" 0 || fail "hub did not start"

# A: the legitimate committee, its daemon runs throughout.
enroll "Committee A" "$A"
start_daemon "$A" "$T/a.log"
APID=$DPID
add_record "$A"
expect_rc 0 "committee A syncs its first record" $AYIL --home "$A" sync --wait 30
AID=$($AYIL --home "$A" id)

# B: admitted, synced by its daemon once; its home is cloned after its
# first record, which is how a node restored from an old backup forks.
enroll "Committee B" "$B"
add_record "$B"
cp -a "$B" "$B2"
add_record "$B"
add_record "$B"
check "committee B syncs three records" sync_once "$B"
BID=$($AYIL --home "$B" id)
BHEX=$(id_hex "$BID")
check "hub holds B's three entries" test "$(sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM entries WHERE hex(origin)='$BHEX'")" = 3

# C: admitted, synced once, to be revoked.
enroll "Committee C" "$C"
add_record "$C"
check "committee C syncs a record" sync_once "$C"
CID=$($AYIL --home "$C" id)

# The tool speaks the protocol right: an admitted node is accepted.
evil 1 "control: an admitted node (B) is accepted" --mode plain --home "$B"
check "control: hub log verifies" hub_verify

# ---- a) an unknown node: right network key, never admitted ----
n=$(log_lines)
during_start
evil 0 "a) unknown node refused" --mode unknown --home "$A"
check "a) it got only the server hello (64 B), no accept" evil_says "received=64 "
check "a) hub logs: refused unknown node" wait_log "warning: refused unknown node [A-Za-z0-9+/]{43}=" "$n"
check "a) hub logs the close" wait_log "closed: unknown node \(sent 64 B" "$n"
during_end "a) unknown"

# ---- b) a revoked node ----
expect_rc 0 "b) ayil revoke C" $AYIL --home "$HUB" revoke "$CID"
n=$(log_lines)
during_start
evil 0 "b) revoked node refused" --mode plain --home "$C"
check "b) it got only the server hello, no accept" evil_says "received=64 "
check "b) hub logs: refused revoked node" wait_log "refused revoked node $(re "$CID")" "$n"
check "b) hub logs the close" wait_log "from $(re "$CID") closed: node is revoked" "$n"
# Its own daemon fares no better.
start_daemon "$C" "$T/c.log"
CPID=$DPID
expect_rc 1 "b) the revoked node's daemon cannot sync" $AYIL --home "$C" sync --wait 4
stop_pid "$CPID"
check "b) ayil nodes shows C revoked" bash -c "$AYIL --home $HUB nodes --json | python3 -c '
import json,sys; d=json.load(sys.stdin)
n=[x for c in d[\"committees\"] for x in c[\"nodes\"] if x[\"id\"]==sys.argv[1]]
sys.exit(0 if n and n[0][\"state\"]==\"revoked\" else 1)' $CID"
during_end "b) revoked"

# ---- c) a wrong network key: the port answers nothing ----
n=$(log_lines)
during_start
evil 0 "c) wrong network key: closed without a byte" --mode wrongkey --home "$A"
check "c) exactly 0 bytes received" evil_says "received=0 "
check "c) the hub closed the connection" evil_says "hub_closed=1"
check "c) hub logs: authentication failed, sent 0 B" wait_log "from \? closed: authentication failed \(sent 0 B, received 48 B\)" "$n"
during_end "c) wrong key"

# ---- d) a replayed handshake ----
evil 1 "d) record a legitimate session of B" --mode replay-record --home "$B" --file "$T/session.bin"
check "d) recorded hello, auth and stream bytes" test "$(stat -c %s "$T/session.bin")" -gt 200
n=$(log_lines)
during_start
evil 0 "d) replayed session refused" --mode replay --home "$B" --file "$T/session.bin"
check "d) the replay got a fresh hello only (64 B)" evil_says "received=64 "
check "d) hub logs: auth does not open" wait_log "from \? closed: decryption or authentication failed \(sent 64 B" "$n"
during_end "d) replay"

# ---- e) a flipped byte in the encrypted stream ----
n=$(log_lines)
during_start
evil 0 "e) flipped byte ends the connection" --mode flip --home "$B"
check "e) nothing came back after the flipped frame" evil_says "after_flip_received=0"
check "e) hub logs: decryption failed on B's stream" wait_log "from $(re "$BID") closed: decryption or authentication failed" "$n"
during_end "e) flip"

# ---- f) an entry with a bad signature from an admitted node ----
# entry_refused LABEL MODE WHAT: evilpeer MODE sends B's next entry with one
# thing wrong; the hub must refuse it as a bad signature and keep B's log.
entry_refused() {
  n=$(log_lines)
  during_start
  evil 0 "$1) $3 refused" --mode "$2" --home "$B"
  check "$1) the hub acknowledged nothing" evil_says "acks=0"
  check "$1) hub logs: bad signature" wait_log "from $(re "$BID") closed: bad signature" "$n"
  check "$1) hub's copy of B's log unchanged" test "$(log_sum "$BHEX")" = "$BSUM"
  check "$1) hub still holds 3 entries of B" test "$(sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM entries WHERE hex(origin)='$BHEX'")" = 3
}
BSUM=$(log_sum "$BHEX")
entry_refused f badsig "entry with a bad signature"
during_end "f) bad signature"

# ---- f2) a back-reference that names another record (not ayil's sender) ----
# A correctly signed new entry whose record id goes as a back-reference to
# B's entry 3 (another record): rebuilt with that id it cannot verify.
entry_refused f2 badref "a back-reference to another record"
during_end "f2) bad back-reference"

# ---- g) a forked log: a clone of B with different entries ----
# The clone's seq 2 differs from the hub's; the clone is behind the hub
# (2 < 3), so only the hub can see the fork.
add_record "$B2"
n=$(log_lines)
during_start
evil 0 "g) clone behind the hub: fork refused" --mode fork --home "$B2"
check "g) the hub found the fork and sent its proof" evil_says "detected_by=hub"
check "g) hub logs: FORK of B's log at seq 2" wait_log "FORK: two different entries of log $(re "$BID") at seq 2" "$n"
check "g) hub's copy of B's log unchanged" test "$(log_sum "$BHEX")" = "$BSUM"
during_end "g) fork (hub detects)"
# Now the clone is ahead (4 > 3): the hub cannot compare, the clone's own
# sync finds the fork and must prove it to the hub.
add_record "$B2"
add_record "$B2"
n=$(log_lines)
during_start
evil 0 "g) clone ahead of the hub: fork refused" --mode fork --home "$B2"
check "g) the clone's own check found the fork" evil_says "detected_by=us"
check "g) hub logs the fork the clone proved" wait_log "FORK: two different entries of log $(re "$BID") at seq 3 .*detected by the peer" "$n"
check "g) hub's copy of B's log unchanged" test "$(log_sum "$BHEX")" = "$BSUM"
during_end "g) fork (clone detects)"
# A real daemon from the clone home gets nothing in either.
start_daemon "$B2" "$T/b-clone.log"
B2PID=$DPID
expect_rc 1 "g) the clone's daemon cannot sync" $AYIL --home "$B2" sync --wait 4
stop_pid "$B2PID"
check "g) hub's copy of B's log still unchanged" test "$(log_sum "$BHEX")" = "$BSUM"
$AYIL --home "$HUB" nodes --json >"$T/nodes.json"
check "g) ayil nodes --json: fork alert on B" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
a=[x for c in d["committees"] if c["name"]=="Committee B" for x in c["alerts"]]
sys.exit(0 if any(x["kind"]=="fork" for x in a) else 1)' "$T/nodes.json"
$AYIL --home "$HUB" status --json >"$T/status.json"
check "g) ayil status --json: fork alert" python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if any(x["kind"]=="fork" for x in d["alerts"]) else 1)' "$T/status.json"
check "g) ayil alerts lists the fork of B's log" bash -c "$AYIL --home $HUB alerts | grep '^fork' | grep -q -F '$BID'"
expect_rc 2 "g) alerts clear refuses an unknown kind" $AYIL --home "$HUB" alerts clear nonsense
expect_rc 0 "g) alerts clear fork" $AYIL --home "$HUB" alerts clear fork
check "g) ... and it is gone" bash -c "$AYIL --home $HUB alerts --json | python3 -c 'import json,sys; sys.exit(0 if not [a for a in json.load(sys.stdin) if a[\"kind\"]==\"fork\"] else 1)'"

# ---- after everything ----
during_start
during_end "after all attacks"
check "committee A's log at the hub matches A's own" test \
  "$(log_sum "$(id_hex "$AID")")" = "$(sqlite3 "$A/ayil.db" "SELECT seq||hex(packed) FROM entries WHERE hex(origin)='$(id_hex "$AID")' ORDER BY seq" | sha256sum | cut -c1-16)"
check "no invented name in the hub's log" bash -c "! grep -q 'Invented' $LOG"
check "no sanitizer report in the hub's log" bash -c "! grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error' $LOG"
kill -TERM "$HUBPID"
rc=0
timeout 15 tail --pid="$HUBPID" -f /dev/null || true
wait "$HUBPID" || rc=$?
check "hub stops cleanly on SIGTERM (exit $rc)" test "$rc" = 0
stop_pid "$APID"
finish
