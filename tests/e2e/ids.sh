#!/bin/bash
# Ids a person can type (issue 11): wherever a command takes a record id or
# a node id, a unique prefix of at least 4 characters works, as git takes a
# commit's; an ambiguous prefix is refused (exit 2) naming the ids it
# starts; a shorter one is refused; a node may also be named by its
# committee's name. The prefixes resolve in node/ (node.h), not in cli/.
# All offline (enrolment by bundles). Invented names.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE="ids test passphrase"
HUB=$T/hub; A=$T/a; B=$T/b
$AYIL --home "$HUB" init --role hub --name "Ids test hub" --listen 127.0.0.1:1 >/dev/null 2>&1
enrol() { # enrol HOME NAME OBLAST
  local code
  code=$($AYIL --home "$HUB" admit --name "$2" --oblast "$3" 2>/dev/null)
  $AYIL --home "$1" init --role committee --invite "$code" --recovery-kit "$1.kit" >/dev/null 2>&1
  $AYIL --home "$HUB" admit --confirm "$($AYIL --home "$1" id --code)" >/dev/null
  $AYIL --home "$1" bundle export "$1.bundle" >/dev/null
  $AYIL --home "$HUB" bundle import "$1.bundle" >/dev/null 2>&1
}
enrol "$A" "Alpha Test Committee" naryn
enrol "$B" "Beta Test Committee" talas
AID=$($AYIL --home "$A" id); BID=$($AYIL --home "$B" id)
check "both committees are active at the hub" test "$($AYIL --home "$HUB" nodes --json | grep -c '"active"')" -ge 2

# ---- records ----
S='{"date":"2026-03-20","cases_reviewed":4,"members_present":7,"violence_related":true}'
R1=$(echo "$S" | $AYIL --home "$A" record add session)
R2=$(echo "$S" | $AYIL --home "$A" record add session)
P1=${R1:0:4}
expect_rc 0 "record show by a 4-character prefix" $AYIL --home "$A" record show "$P1" --json
check "... is that record" test "$(json_get '["id"]' <"$T/out")" = "$R1"
expect_rc 0 "record show by an upper-case prefix" $AYIL --home "$A" record show "$(tr a-f A-F <<<"${R1:0:10}")" --json
check "... is that record" test "$(json_get '["id"]' <"$T/out")" = "$R1"
expect_rc 0 "record show by the whole id" $AYIL --home "$A" record show "$R2" --json
check "... is that record" test "$(json_get '["id"]' <"$T/out")" = "$R2"
expect_rc 0 "record update by a prefix" bash -c "echo '{\"cases_reviewed\":9}' | $AYIL --home '$A' record update '${R2:0:6}'"
check "... prints the whole id" grep -qx "$R2" "$T/out"
check "... and changed that record" test "$($AYIL --home "$A" record show "$R2" --json | json_get '["header"]["cases_reviewed"]')" = 9
expect_rc 2 "a 3-character record id is too short" $AYIL --home "$A" record show "${R1:0:3}"
check "... says so" grep -q "the record id is too short: give at least 4 of its 32 hex characters" "$T/err"
check "... not echoing it" bash -c "! grep -q '${R1:0:3}' '$T/err'"
NOPE=$(python3 -c 'import sys; print("".join("0123456789abcdef"[(int(c,16)+1)%16] for c in sys.argv[1][:5]))' "$R1$R2")
while [ "${R2:0:5}" = "$NOPE" ]; do NOPE=${NOPE:0:4}$(( (${NOPE:4:1} + 1) % 10 )); done
expect_rc 2 "a prefix no record has" $AYIL --home "$A" record show "$NOPE"
check "... is not found" grep -q "no live record's id starts with the prefix given" "$T/err"
# Two records whose ids start alike: a copy of R1's row in the records
# view (not in the signed log; reindex rebuilds the view) under an id that
# shares R1's first 8 characters.
FAKE=$(python3 -c 'import sys; r=sys.argv[1]; print(r[:8]+"0123456789abcdef"[(int(r[8],16)+1)%16]+"0"*23)' "$R1")
sqlite3 "$A/ayil.db" "INSERT INTO record_rows(id, created_n, kind, month, hn, body_hash, deleted, owner) SELECT X'$FAKE', created_n + 1000, kind, month, hn, body_hash, 0, owner FROM record_rows WHERE id = X'$R1'"
expect_rc 2 "an ambiguous prefix is refused" $AYIL --home "$A" record show "${R1:0:6}"
check "... saying it is ambiguous" grep -q "the record id prefix is ambiguous: it matches " "$T/err"
check "... listing both ids" bash -c "grep -q '$R1' '$T/err' && grep -q '$FAKE' '$T/err'"
expect_rc 2 "--json: the ambiguity as a JSON error" $AYIL --json --home "$A" record delete "${R1:0:6}"
check "... code inval, exit 2" python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"]=="inval" and e["exit"]==2 and "ambiguous" in e["message"]' "$T/out"
expect_rc 0 "a longer prefix tells them apart" $AYIL --home "$A" record show "${R1:0:9}" --json
check "... is R1" test "$(json_get '["id"]' <"$T/out")" = "$R1"
$AYIL --home "$A" reindex >/dev/null 2>&1
expect_rc 0 "record delete by a prefix" $AYIL --home "$A" record delete "${R1:0:5}"
check "... prints the whole id" grep -qx "$R1" "$T/out"
expect_rc 2 "a deleted record's prefix is not found" $AYIL --home "$A" record show "${R1:0:5}"

# ---- nodes ----
expect_rc 0 "bundle export --to a committee's name" $AYIL --home "$HUB" bundle export "$T/tob.bundle" --to "Beta Test Committee" --json
check "... is for its node" test "$(json_get '["for"]' <"$T/out")" = "$BID"
expect_rc 0 "bundle export --to a node id prefix" $AYIL --home "$HUB" bundle export "$T/toa.bundle" --to "${AID:0:6}" --json
check "... is for that node" test "$(json_get '["for"]' <"$T/out")" = "$AID"
expect_rc 2 "a 3-character node id prefix is refused" $AYIL --home "$HUB" bundle export "$T/x.bundle" --to "${AID:0:3}"
check "... as too short" grep -q "a node id prefix needs at least 4 characters" "$T/err"
expect_rc 2 "a name no committee has" $AYIL --home "$HUB" revoke "Gamma Test Committee"
check "... is not found" grep -q "no committee has that name" "$T/err"
check "... and is not echoed" bash -c "! grep -q Gamma '$T/err' '$T/out'"
# the same name in two oblasts
$AYIL --home "$HUB" admit --name "Twin Test Committee" --oblast osh >/dev/null 2>&1
$AYIL --home "$HUB" admit --name "Twin Test Committee" --oblast batken >/dev/null 2>&1
expect_rc 2 "a name two committees have" $AYIL --home "$HUB" revoke "Twin Test Committee"
check "... names their oblasts" grep -q "2 committees have that name (in batken, osh)" "$T/err"
$AYIL --home "$HUB" admit --name "Delta Test Committee" --oblast chui >/dev/null 2>&1
expect_rc 2 "a committee whose invite was not used" $AYIL --home "$HUB" revoke "Delta Test Committee"
check "... has no node yet" grep -q "that committee has no node yet" "$T/err"
# an ambiguous node id prefix: a peer row whose id starts as A's (the
# first 6 characters are 36 bits, 4.5 bytes: copy 5 bytes)
AHEX=$(python3 -c "import base64,sys; print(base64.b64decode(sys.argv[1]).hex())" "$AID")
FAKEN=${AHEX:0:10}$(printf 'ab%.0s' $(seq 27))
sqlite3 "$HUB/ayil.db" "INSERT INTO peers(id) VALUES (X'$FAKEN')"
FAKEID=$(python3 -c "import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())" "$FAKEN")
expect_rc 2 "an ambiguous node id prefix is refused" $AYIL --home "$HUB" alerts clear revoked --node "${AID:0:6}"
check "... saying it is ambiguous" grep -q "the node id prefix is ambiguous" "$T/err"
check "... listing both ids" bash -c "grep -q -F '$AID' '$T/err' && grep -q -F '$FAKEID' '$T/err'"
expect_rc 0 "alerts clear --node by a longer prefix" $AYIL --home "$HUB" alerts clear revoked --node "${AID:0:12}"
sqlite3 "$HUB/ayil.db" "DELETE FROM peers WHERE id = X'$FAKEN'"
expect_rc 0 "admit --successor-of a committee's name" $AYIL --home "$HUB" admit --successor-of "Alpha Test Committee" --json
check "... is for the successor of its node" test "$(json_get '["successor_of"]' <"$T/out")" = "$AID"
expect_rc 0 "revoke by a node id prefix" $AYIL --home "$HUB" revoke "${BID:0:5}" --json
check "... revoked that node" test "$(json_get '["id"]' <"$T/out")" = "$BID"
check "... which is now revoked" test "$(json_get '["state"]' <"$T/out")" = revoked
expect_rc 0 "revoke by the committee's name (already revoked)" $AYIL --home "$HUB" revoke "Beta Test Committee"
check "... names the node by its whole id" grep -q -F "node $BID" "$T/out"
expect_rc 0 "on a committee, alerts clear --node by the hub's id prefix" $AYIL --home "$A" alerts clear refused_by_hub --node "$($AYIL --home "$HUB" id | head -c 6)"
finish
