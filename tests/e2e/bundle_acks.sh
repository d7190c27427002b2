#!/bin/bash
# Bundles carry acknowledgements back (issue 11): a committee with no link
# exports its entries, the hub imports them, the hub's bundle for the
# committee carries the hub's signed acknowledgement of the committee's log,
# and after importing it the committee counts those entries as acknowledged
# (0 unacked in `ayil status`) and its next export leaves them out. An
# acknowledgement signed by another key is ignored.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE=bundle-test-pass
HUB=$T/hub C=$T/c HUB2=$T/hub2
unacked() { $AYIL --home "$1" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print([p["unacked_out"] for p in d["peers"] if p["name"]=="hub"][0])'; }
add() {
  echo "{\"date\":\"2026-02-0$1\",\"source\":\"family\",\"violence\":[\"psychological\"],\"survivor_sex\":\"female\",\"survivor_age\":\"18-25\",\"status\":\"open\",\"survivor_name\":\"Invented Ackova $1\"}" |
    $AYIL --home "$C" record add appeal >/dev/null
}
$AYIL --home "$HUB" init --role hub --name "Test hub" --listen 127.0.0.1:1 >/dev/null 2>&1
code=$($AYIL --home "$HUB" admit --name "Offline committee" --oblast naryn 2>/dev/null)
$AYIL --home "$C" init --role committee --invite "$code" --recovery-kit "$T/kit.txt" >/dev/null 2>&1
$AYIL --home "$HUB" admit --confirm "$($AYIL --home "$C" id --code)" >/dev/null
CID=$($AYIL --home "$C" id)
for i in 1 2 3 4; do add $i; done

check "4 entries unacked at the committee" test "$(unacked "$C")" = 4

expect_rc 0 "committee exports" $AYIL --home "$C" bundle export "$T/c1.bundle" --json
N1=$(json_get '["entries"]' <"$T/out")
B1=$(json_get '["bytes"]' <"$T/out")
check "it holds the 4 entries" test "$N1" = 4
expect_rc 0 "hub imports it" $AYIL --home "$HUB" bundle import "$T/c1.bundle" --json
check "... 4 added" test "$(json_get '["added"]' <"$T/out")" = 4
expect_rc 0 "hub exports for the committee" $AYIL --home "$HUB" bundle export "$T/h1.bundle" --to "$CID" --json

# A stranger hub (another key) holding the same entries writes a bundle
# for the committee: its acknowledgement does not verify with the
# committee's hub id. (A copy of the hub's store under another identity.)
$AYIL --home "$HUB2" init --role hub --name "Other hub" --listen 127.0.0.1:1 >/dev/null 2>&1
cp "$HUB/ayil.db" "$HUB2/ayil.db"
rm -f "$HUB2/ayil.db-wal" "$HUB2/ayil.db-shm"
if $AYIL --home "$HUB2" bundle export "$T/forged.bundle" --to "$CID" >/dev/null 2>"$T/forge.err"; then
  expect_rc 0 "the committee imports the stranger's bundle" $AYIL --home "$C" bundle import "$T/forged.bundle" --json
  check "... takes no acknowledgement from it" test "$(json_get '["acks"]' <"$T/out")" = 0
  check "... says it ignored one" grep -q "not signed by this node's hub were ignored" "$T/err"
  check "... still 4 unacked" test "$(unacked "$C")" = 4
else
  fail "the stranger hub could not write its bundle: $(head -c 300 "$T/forge.err")"
fi

expect_rc 0 "the committee imports its hub's bundle" $AYIL --home "$C" bundle import "$T/h1.bundle" --json
check "... takes the hub's acknowledgement" test "$(json_get '["acks"]' <"$T/out")" = 1
check "... and says so" grep -q "the hub acknowledged what it holds" "$T/err"
check "registry peer_acks: the hub holds the committee's log up to 4" \
  test "$(sqlite3 "$C/ayil.db" "SELECT seq FROM peer_acks WHERE origin=(SELECT origin FROM entries ORDER BY n LIMIT 1)")" = 4
check "ayil status: 0 unacked" test "$(unacked "$C")" = 0
expect_rc 0 "the committee exports again" $AYIL --home "$C" bundle export "$T/c2.bundle" --json
N2=$(json_get '["entries"]' <"$T/out")
B2=$(json_get '["bytes"]' <"$T/out")
check "... without the acknowledged entries (0 entries)" test "$N2" = 0
check "... smaller ($B2 < $B1 bytes)" test "$B2" -lt "$B1"
add 5
expect_rc 0 "after a new record, the next export" $AYIL --home "$C" bundle export "$T/c3.bundle" --json
check "... carries only the new entry" test "$(json_get '["entries"]' <"$T/out")" = 1
expect_rc 0 "the hub imports it" $AYIL --home "$HUB" bundle import "$T/c3.bundle" --json
check "... adding it" test "$(json_get '["added"]' <"$T/out")" = 1
expect_rc 0 "the committee's log verifies" $AYIL --home "$C" log verify
expect_rc 0 "the hub's log verifies" $AYIL --home "$HUB" log verify
finish
