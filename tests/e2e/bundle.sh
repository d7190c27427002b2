#!/bin/bash
# Bundles: a committee whose link never comes up syncs with its hub by
# files. Enrollment, idempotent import, damage, wrong recipient, purged
# bodies, and a replacement node getting its history back -- all offline.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE=bundle-test-pass
HUB=$T/hub; C=$T/c
$AYIL --home "$HUB" init --role hub --name "Test hub" --listen 127.0.0.1:1 >/dev/null 2>&1
code=$($AYIL --home "$HUB" admit --name "Offline committee" --oblast naryn 2>/dev/null)
$AYIL --home "$C" init --role committee --invite "$code" --recovery-kit "$T/kit.txt" >/dev/null 2>&1
$AYIL --home "$HUB" admit --confirm "$($AYIL --home "$C" id --code)" >/dev/null # read out by phone
CID=$($AYIL --home "$C" id)
for i in 1 2 3 4 5; do
  echo "{\"date\":\"2026-02-0$i\",\"source\":\"family\",\"violence\":[\"psychological\"],\"survivor_sex\":\"female\",\"survivor_age\":\"18-25\",\"status\":\"open\",\"survivor_name\":\"Nurgul Bundlova $i\"}" \
    | $AYIL --home "$C" record add appeal >"$T/id$i"
done
$AYIL --home "$C" record delete "$(cat "$T/id2")" >/dev/null

expect_rc 0 "committee exports a bundle" $AYIL --home "$C" bundle export "$T/b1.bundle" --json
check "it holds the 6 entries" test "$(json_get '["entries"]' <"$T/out")" = 6
check "no invented name in the bundle file" bash -c "! grep -a -q Bundlova $T/b1.bundle"
expect_rc 2 "export refuses to overwrite" $AYIL --home "$C" bundle export "$T/b1.bundle"
expect_rc 0 "hub imports it (never saw the node online)" $AYIL --home "$HUB" bundle import "$T/b1.bundle" --json
check "6 entries added" test "$(json_get '["added"]' <"$T/out")" = 6
check "the invite admitted the node" bash -c "$AYIL --home $HUB nodes --json | grep -q '\"active\"'"
CHEX=$(python3 -c "import base64,sys; print(base64.b64decode(sys.argv[1]).hex().upper())" "$CID")
check "hub holds the committee's log" test "$(sqlite3 "$HUB/ayil.db" "select count(*) from entries where hex(origin)='$CHEX'")" = 6
check "the admission is a signed notice in the hub's log" test "$(sqlite3 "$HUB/ayil.db" "select count(*) from entries where hex(origin)!='$CHEX'")" = 1
check "the deleted record's body is not at the hub" test "$(sqlite3 "$HUB/ayil.db" 'select count(*) from bodies')" = 4
check "hub report counts 4 appeals" bash -c "$AYIL --home $HUB report --format json --suppress-below 0 | python3 -c \"import json,sys; d=json.load(sys.stdin); assert [r['value'] for r in d['rows'] if r['scope']=='total' and r['indicator']=='appeals']==[4]\""
expect_rc 0 "hub log verifies" $AYIL --home "$HUB" log verify
SUM=$(store_sum "$HUB")
expect_rc 0 "importing the same bundle again" $AYIL --home "$HUB" bundle import "$T/b1.bundle" --json
check "... adds nothing" test "$(json_get '["added"]' <"$T/out")" = 0
check "... finds all 6 held" test "$(json_get '["held"]' <"$T/out")" = 6
check "... changes nothing" test "$(store_sum "$HUB")" = "$SUM"

# Damage: one flipped byte, a truncated file, a file for another node.
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[len(b)//2]^=1; open(sys.argv[2],'wb').write(b)" "$T/b1.bundle" "$T/flip.bundle"
head -c 300 "$T/b1.bundle" >"$T/trunc.bundle"
echo "{\"date\":\"2026-03-01\",\"cases_reviewed\":1,\"violence_related\":true}" | $AYIL --home "$C" record add session >/dev/null
$AYIL --home "$C" bundle export "$T/b2.bundle" >/dev/null
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[len(b)-30]^=1; open(sys.argv[2],'wb').write(b)" "$T/b2.bundle" "$T/flip2.bundle"
expect_rc 2 "a flipped byte is refused" $AYIL --home "$HUB" bundle import "$T/flip.bundle"
check "... with a clear error" grep -q "damaged or not a bundle" "$T/err"
expect_rc 2 "a truncated bundle is refused" $AYIL --home "$HUB" bundle import "$T/trunc.bundle"
expect_rc 2 "damage in the new entry" $AYIL --home "$HUB" bundle import "$T/flip2.bundle"
check "the store is unchanged by damaged bundles" test "$(store_sum "$HUB")" = "$SUM"
$AYIL --home "$T/hub2" init --role hub --name "Other hub" --listen 127.0.0.1:1 >/dev/null 2>&1
expect_rc 2 "a bundle for another node" $AYIL --home "$T/hub2" bundle import "$T/b2.bundle"
check "... says so" grep -q "sealed to another node" "$T/err"
expect_rc 2 "a missing file" $AYIL --home "$HUB" bundle import "$T/nope.bundle"
expect_rc 0 "the good second bundle imports" $AYIL --home "$HUB" bundle import "$T/b2.bundle" --json
check "... adding only the new entry" test "$(json_get '["added"]' <"$T/out")" = 1

# The Pi dies; its replacement never gets a link either.
mv "$C" "$T/dead"
code=$($AYIL --home "$HUB" admit --successor-of "$CID" 2>/dev/null)
$AYIL --home "$T/new" init --role committee --invite "$code" --recovery-kit "$T/kit.txt" >/dev/null 2>&1
NEWID=$($AYIL --home "$T/new" id)
$AYIL --home "$T/new" bundle export "$T/hello.bundle" >/dev/null
# Before the operator confirms the replacement's code, its bundle admits
# nothing and the old node stays active (a stolen code locks no one out).
expect_rc 0 "hub takes the replacement's bundle, but does not admit it yet" $AYIL --home "$HUB" bundle import "$T/hello.bundle"
check "... it says the enrolment awaits confirmation" grep -q "presented a valid invite" "$T/err"
check "... the old node is still active" test "$(sqlite3 "$HUB/ayil.db" "SELECT state FROM devices WHERE id=(SELECT id FROM devices ORDER BY admitted LIMIT 1)")" = active
expect_rc 0 "the operator confirms the code the committee reads out" $AYIL --home "$HUB" admit --confirm "$($AYIL --home "$T/new" id --code)"
check "... and the replacement is admitted" grep -q "^admitted node $NEWID" "$T/out"
expect_rc 0 "hub imports the replacement's bundle again" $AYIL --home "$HUB" bundle import "$T/hello.bundle"
expect_rc 0 "hub writes the history for it" $AYIL --home "$HUB" bundle export "$T/history.bundle" --to "$NEWID" --json
expect_rc 0 "the replacement imports its history" $AYIL --home "$T/new" bundle import "$T/history.bundle" --json
check "... the 7 entries of its predecessor and the hub's 2 notices" test "$(json_get '["added"]' <"$T/out")" = 9
check "old records are listed" test "$($AYIL --home "$T/new" record list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 5
check "an old body opens with the restored reader key" bash -c "$AYIL --home $T/new record show $(cat "$T/id1") | grep -q 'Nurgul Bundlova 1'"
expect_rc 0 "the replacement's log verifies" $AYIL --home "$T/new" log verify
echo "{\"date\":\"2026-01-09\",\"cases_reviewed\":2,\"violence_related\":true}" | $AYIL --home "$T/dead" record add session >/dev/null
$AYIL --home "$T/dead" bundle export "$T/zombie.bundle" --all >/dev/null
expect_rc 1 "entries the dead node wrote after it was replaced are refused" $AYIL --home "$HUB" bundle import "$T/zombie.bundle"
check "... and named" grep -q "node was replaced" "$T/err"
finish
