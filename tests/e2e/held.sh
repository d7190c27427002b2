#!/bin/bash
# No body twice (issue 16), with real processes on 127.0.0.1: a status-only
# update (`ayil record update` flipping consent_reporting) keeps its
# record's body hash, and the body does not travel again: the connection
# that carries it costs a few hundred bytes, not the sealed body. A hub that
# lost the body takes the update anyway, says body_missing, and gets the
# body back by body repair on the next connection.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
START=$(date +%s)
export AYIL_PASSPHRASE="held test passphrase"
trap 'rc=$?; [ "$FAILED" = 0 ] && [ $rc = 0 ] || { for f in "$T"/*.log; do
  echo "# --- $(basename "$f")"; tail -n 15 "$f" | sed "s/^/#   /"; done; }; cleanup' EXIT

# bytes_at HOME: what this node's connections carried, both ways, in all.
bytes_at() { sq "$1/ayil.db" "SELECT ifnull(sum(sent + recv), 0) FROM peer_bytes"; }
# settle: (bounded) until every connection the hub saw has closed, and so
# has counted its bytes.
settle() {
  local i
  for i in $(seq 150); do
    [ "$(grep -c 'connection from a committee established' "$T/hub.log")" = \
      "$(grep -c 'connection from .* closed' "$T/hub.log")" ] && return 0
    sleep 0.1
  done
  return 1
}
# synced NAME: `ayil sync --wait` on a link with no connection open, then
# (bounded) until that connection closed; prints what it carried.
synced() {
  local b0 c0 i
  settle || return 1
  b0=$(bytes_at "$HUB")
  c0=$(grep -c 'connection from .* closed' "$T/hub.log")
  "$AYIL" --home "${HOME_OF[$1]}" sync --wait 60 >/dev/null 2>>"$T/cli.err" || return 1
  for i in $(seq 150); do
    [ "$(grep -c 'connection from .* closed' "$T/hub.log")" -gt "$c0" ] && break
    sleep 0.1
  done
  settle || return 1
  echo $(($(bytes_at "$HUB") - b0))
}
hub_body_of() { # hub_body_of RECORD: 1 if the hub holds the record's current body
  sq "$HUB/ayil.db" "SELECT count(*) FROM records r JOIN bodies b ON b.hash = r.body_hash WHERE lower(hex(r.id)) = '$1'"
}
not() { ! "$@"; }
has_alert() { sq "$HUB/ayil.db" "SELECT count(*) FROM alerts WHERE kind = '$1' AND cleared = 0" | grep -q '^[1-9]'; }

phase "a committee and its hub"
HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test regional hub" --listen "127.0.0.1:$HUBPORT" >"$T/hub.id" 2>>"$T/cli.err"
sed -i -e 's/^linger = .*/linger = 1/' "$HUB/ayil.conf"
start_d hub
LPORT[c1]=$HUBPORT
make_committee c1 "Ak-Tash test committee" osh
C1=${HOME_OF[c1]}
sed -i -e 's/^poll_interval = .*/poll_interval = 3600/' "$C1/ayil.conf"
start_d c1
synced c1 >/dev/null || true # the first connection spends the invite

phase "an appeal with a long narrative, then a status-only update"
json=$(printf '{"date":"2026-03-14","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open","consent_reporting":false,"survivor_name":"Aidana Fictionova","narrative":"%s"}' "$NARR")
ID=$(echo "$json" | "$AYIL" --home "$C1" record add appeal 2>>"$T/cli.err")
SEALED=$(sq "$C1/ayil.db" "SELECT max(length(sealed)) FROM bodies")
REC=$(synced c1) || REC=fail
NONE=$(synced c1) || NONE=fail
echo '{"consent_reporting":true}' >"$T/u.json"
expect_rc 0 "record update flips consent_reporting" "$AYIL" --home "$C1" record update "$ID" --file "$T/u.json"
check "the update kept the body hash" test "$(sq "$C1/ayil.db" "SELECT count(DISTINCT body_hash) FROM records")" = 1
UPD=$(synced c1) || UPD=fail
echo "# sealed body $SEALED B; connection bytes: record $REC, nothing new $NONE, status-only update $UPD"
check "the record's connection carried its body ($REC > $SEALED)" test "$REC" -gt "$SEALED"
check "the update's connection did not carry it again ($UPD - $NONE <= 300)" test $((UPD - NONE)) -le 300
check "the hub holds the updated record with its body" test "$(hub_body_of "$ID")" = 1
ORIG=$(sq "$C1/ayil.db" "SELECT hex(origin) FROM records LIMIT 1")
log_of() { sq "$1/ayil.db" "SELECT group_concat(h, ',') FROM (SELECT hex(hash) AS h FROM entries WHERE hex(origin) = '$ORIG' ORDER BY seq)"; }
check "the hub's copy of the log is the committee's, entry for entry" test "$(log_of "$HUB")" = "$(log_of "$C1")"
check "no body_missing at the hub" not has_alert body_missing

phase "a hub that lost the body: the update still lands, then the body is repaired"
stop_d hub
sq "$HUB/ayil.db" "DELETE FROM bodies"
start_d hub
echo '{"consent_reporting":false}' >"$T/u2.json"
expect_rc 0 "a second status-only update" "$AYIL" --home "$C1" record update "$ID" --file "$T/u2.json"
UPD2=$(synced c1) || UPD2=fail
check "it synced, its body held ($UPD2 - $NONE <= 300)" test $((UPD2 - NONE)) -le 300
check "the hub stored the entry without a body and says body_missing" has_alert body_missing
check "... and lacks the record's body" test "$(hub_body_of "$ID")" = 0
synced c1 >/dev/null || true
repaired() { [ "$(hub_body_of "$ID")" = 1 ]; }
check "the next connection repaired it (the hub holds the body)" wait_for 15 repaired
check "... and the alert is cleared" not has_alert body_missing
body_sound() {
  python3 - "$HUB/ayil.db" <<'PY'
import hashlib, sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT hash, sealed FROM bodies").fetchall()
sys.exit(0 if len(rows) == 1 and hashlib.blake2b(rows[0][1], digest_size=32).digest() == rows[0][0] else 1)
PY
}
check "the repaired body is sound (it hashes to its name)" body_sound
check "the hub's copy of the log is still the committee's" test "$(log_of "$HUB")" = "$(log_of "$C1")"

stop_d c1
stop_d hub
finish
