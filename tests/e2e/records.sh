#!/bin/bash
# A committee enters every kind of record; round trips, updates, deletes,
# privacy of the store files, log verification and bad input.
source "$(dirname "$0")/lib/common.bash"
H=$T/home
export AYIL_PASSPHRASE=test-passphrase-1
$AYIL --home "$H" init --role committee --name "Test Committee" --oblast talas \
  --recovery-kit "$T/kit.txt" >/dev/null 2>&1
check "home is 0700" test "$(stat -c %a "$H")" = 700
check "identity key is 0600" test "$(stat -c %a "$H/identity.key")" = 600
check "reader key is 0600" test "$(stat -c %a "$H/reader.key")" = 600
check "recovery secret is not on the node" bash -c "! grep -q recovery_sk $H/*"

# a linked record names an appeal of this committee
CASE=$(echo '{"date":"2026-03-01","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open"}' |
  $AYIL --home "$H" record add appeal)
expect_rc 2 "a referral to a case that does not exist is refused" bash -c \
  "echo '{\"case\":\"0123456789abcdef0123456789abcdef\",\"date\":\"2026-03-15\",\"service\":\"police\",\"status\":\"referred\"}' | $AYIL --home $H record add referral"
check "... naming the field" grep -q 'field "case": names no appeal or family of this committee' "$T/err"
expect_rc 2 "a date after today is refused" bash -c \
  "echo '{\"date\":\"2099-03-01\",\"source\":\"police\",\"violence\":[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\",\"status\":\"open\"}' | $AYIL --home $H record add appeal"
check "... naming the field" grep -q 'field "date": the date is after today' "$T/err"
declare -A INPUT=(
 [appeal]='{"date":"2026-03-14","source":"police","violence":["physical","economic"],"gbv_type":"physical_assault","survivor_sex":"female","survivor_age":"26-40","perpetrator_relation":"spouse","reviewed_with":["police","aksakal_court"],"consent_services":true,"consent_reporting":false,"status":"open","survivor_name":"Zarina Inventova","survivor_phone":"+996 555 000111","address":"7 Fictional Lane","perpetrator_name":"Bakyt Madeupov","narrative":"Invented narrative text"}'
 [referral]='{"case":"'$CASE'","date":"2026-03-15","service":"crisis_centre","status":"referred","notes":"Zarina Inventova referred"}'
 [protection_order]='{"case":"'$CASE'","date":"2026-03-16","days":15,"extended":false,"breached":false,"order_number":"PO-777"}'
 [correction]='{"case":"'$CASE'","date":"2026-04-01","outcome":"ongoing","notes":"Bakyt Madeupov attends"}'
 [family]='{"date":"2026-02-01","reason":["alcohol","unemployment"],"risk":"high","children":3,"status":"active","family_name":"Inventova family","address":"7 Fictional Lane","members":"four","notes":"none"}'
 [followup]='{"case":"'$CASE'","date":"2026-04-02","action":"home_visit","result":"done","notes":"visited"}'
 [session]='{"date":"2026-03-20","cases_reviewed":4,"members_present":7,"violence_related":true,"decisions":"refer Zarina Inventova"}'
 [prevention]='{"date":"2026-03-21","audience":"pupils_8_11","participants_female":40,"participants_male":35,"notes":"school 3"}'
 [training]='{"date":"2026-03-22","days":2,"participants_female":20,"participants_male":10,"groups":["police","school"],"notes":"two days"}'
 [aid]='{"case":"'$CASE'","date":"2026-03-23","kind":"money","amount_som":6500,"recipient_name":"Zarina Inventova","notes":"cash"}'
 [closure]='{"case":"'$CASE'","date":"2026-05-01","reason":"resolved"}'
)
declare -A ID
for k in "${!INPUT[@]}"; do
  id=$(echo "${INPUT[$k]}" | $AYIL --home "$H" record add "$k") && ok "add $k" || fail "add $k"
  ID[$k]=$id
  # show returns every field given, header and body alike
  $AYIL --home "$H" record show "$id" --json >"$T/show.json"
  if python3 - "$T/show.json" "${INPUT[$k]}" "$k" <<'PY'
import json, sys
shown = json.load(open(sys.argv[1])); given = json.loads(sys.argv[2]); kind = sys.argv[3]
merged = dict(shown["header"]); merged.update(shown["body"])
if kind == "aid": merged["kind"] = merged.pop("aid_kind")
for f, v in given.items():
    if isinstance(v, list): ok = sorted(merged.get(f, [])) == sorted(v)
    else: ok = merged.get(f) == v
    if not ok: sys.exit(f"field {f} differs")
assert shown["month"] == given["date"][:7]
PY
  then ok "show $k round-trips every field"; else fail "show $k"; fi
done
n=$($AYIL --home "$H" record list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "list shows all 11 kinds (and the case appeal)" test "$n" = 12
check "list --kind filters" test "$($AYIL --home "$H" record list --kind family --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1

# Privacy: no invented name in any store file or in output without passphrase.
$AYIL --home "$H" record list >"$T/list.txt"
$AYIL --home "$H" record list --json >>"$T/list.txt"
$AYIL --home "$H" report --format json --suppress-below 0 >>"$T/list.txt"
$AYIL --home "$H" status >>"$T/list.txt"
for name in "Zarina" "Inventova" "Madeupov" "Fictional Lane" "555 000111" "Invented narrative" "PO-777"; do
  check "'$name' not in store files" bash -c "! grep -a -q '$name' $H/ayil.db* 2>/dev/null"
  check "'$name' not in output without passphrase" bash -c "! grep -q '$name' $T/list.txt"
done
check "names are readable with the passphrase" bash -c "$AYIL --home $H record list --with-body | grep -q Zarina"

# Update: header-only update needs no passphrase; view and report follow
# (a committee's own report: its one scope is the committee).
report_val() { $AYIL --home "$H" report --format json --suppress-below 0 | python3 -c "import json,sys; d=json.load(sys.stdin); print([r['value'] for r in d['rows'] if r['scope']=='committee' and r['indicator']==sys.argv[1]][0])" "$1"; }
check "aid sum before update" test "$(report_val aid.money.som)" = 6500
echo '{"amount_som":9000}' | env -u AYIL_PASSPHRASE $AYIL --home "$H" record update "${ID[aid]}" >/dev/null \
  && ok "header-only update without passphrase" || fail "header-only update"
check "aid sum follows the update" test "$(report_val aid.money.som)" = 9000
echo '{"recipient_name":"Other Inventedname"}' | $AYIL --home "$H" record update "${ID[aid]}" >/dev/null
check "body update keeps other body fields" bash -c "$AYIL --home $H record show ${ID[aid]} --json | grep -q '\"notes\": \"cash\"'"
check "body update changed the name" bash -c "$AYIL --home $H record show ${ID[aid]} --json | grep -q 'Other Inventedname'"
expect_rc 2 "body update needs the passphrase" env -u AYIL_PASSPHRASE bash -c "echo '{\"notes\":\"x\"}' | $AYIL --home $H record update ${ID[aid]}"
check "appeals before delete (and the case appeal)" test "$(report_val appeals)" = 2
$AYIL --home "$H" record delete "${ID[appeal]}" >/dev/null
check "deleted record no longer counts" test "$(report_val appeals)" = 1
check "deleted record not listed" bash -c "! $AYIL --home $H record list | grep -q ${ID[appeal]}"
expect_rc 2 "show of a deleted record" $AYIL --home "$H" record show "${ID[appeal]}"
check "deleted body purged from the store" test "$(sqlite3 "$H/ayil.db" "SELECT count(*) FROM bodies WHERE hex(record)=upper('${ID[appeal]}')")" = 0

# Reindex gives the same view.
before=$(sqlite3 "$H/ayil.db" "SELECT hex(id),seq,deleted,hex((SELECT hash FROM log_entries e WHERE e.n = records.hn)) FROM records ORDER BY id" | sha256sum)
$AYIL --home "$H" reindex 2>/dev/null
after=$(sqlite3 "$H/ayil.db" "SELECT hex(id),seq,deleted,hex((SELECT hash FROM log_entries e WHERE e.n = records.hn)) FROM records ORDER BY id" | sha256sum)
check "reindex rebuilds an identical view" test "$before" = "$after"

# Bad input: exit 2, a clear error, and no change to the store.
SUM=$(store_sum "$H")
bad() { # bad "desc" 'expected stderr fragment' command...
  local d=$1 frag=$2; shift 2
  expect_rc 2 "$d" "$@"
  grep -q -- "$frag" "$T/err" && ok "$d: error names '$frag'" || fail "$d: error was: $(cat "$T/err")"
  test "$(store_sum "$H")" = "$SUM" && ok "$d: store unchanged" || fail "$d: store changed"
}
bad "unknown kind" "unknown record kind" bash -c "echo '{}' | $AYIL --home $H record add burglary"
bad "unknown field" 'unknown field (its name is not shown)' bash -c "echo '{\"date\":\"2026-01-01\",\"cases_reviewed\":1,\"violence_related\":true,\"colour\":\"red\"}' | $AYIL --home $H record add session"
bad "bad code" "allowed: survivor, family" bash -c "echo '{\"date\":\"2026-01-01\",\"source\":\"aliens\",\"violence\":[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"18-25\",\"status\":\"open\"}' | $AYIL --home $H record add appeal"
bad "missing required field" '"cases_reviewed"' bash -c "echo '{\"date\":\"2026-01-01\",\"violence_related\":true}' | $AYIL --home $H record add session"
bad "wrong type" '"cases_reviewed"' bash -c "echo '{\"date\":\"2026-01-01\",\"cases_reviewed\":\"four\",\"violence_related\":true}' | $AYIL --home $H record add session"
bad "malformed JSON" "not valid JSON" bash -c "echo '{\"date\": ' | $AYIL --home $H record add session"
head -c 10000000 /dev/zero | tr '\0' 'a' >"$T/big.json"
bad "10 MB input" "larger than" $AYIL --home "$H" record add session --json "$T/big.json"
bad "missing input file" "record input" $AYIL --home "$H" record add session --json "$T/nope.json"
bad "wrong passphrase" "wrong passphrase" env AYIL_PASSPHRASE=not-the-one $AYIL --home "$H" record show "${ID[session]}"
bad "bad record id" "record id must be 32 hex characters" $AYIL --home "$H" record show nothex
bad "unknown option" "unknown option" $AYIL --home "$H" record list --colour
# A byte-order mark (some Windows editors write one) is skipped, not refused.
printf '\xef\xbb\xbf{"date":"2026-01-02","cases_reviewed":2,"violence_related":false}' >"$T/bom.json"
check "JSON that starts with a byte-order mark is accepted" $AYIL --home "$H" record add session --json "$T/bom.json"
SUM=$(store_sum "$H")
# A text field over 16,384 bytes: the error names the field and the limit.
python3 -c 'import json; print(json.dumps({"date":"2026-01-03","cases_reviewed":1,"violence_related":True,"decisions":"a"*16385}))' >"$T/long.json"
bad "a text field over the limit" "longer than 16384 bytes" $AYIL --home "$H" record add session --json "$T/long.json"
check "no invented value leaks into errors" bash -c "! grep -rq 'Zarina\|aliens\|colour\|nothex' $T/err"
expect_rc 2 "missing home" $AYIL --home "$T/nohome" record list
grep -q "does not exist" "$T/err" && ok "missing home is named" || fail "missing home: $(cat "$T/err")"
echo x >"$T/afile"
expect_rc 2 "home that is a file" $AYIL --home "$T/afile" record list
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
  chmod 711 "$T"
  expect_rc 2 "unreadable home" setpriv --reuid=65534 --regid=65534 --clear-groups $AYIL --home "$H" record list
  grep -q "permission denied" "$T/err" && ok "unreadable home is named" || fail "unreadable home: $(cat "$T/err")"
fi

# Passphrase change, and recovery with the kit.
env AYIL_NEW_PASSPHRASE=second-passphrase $AYIL --home "$H" passwd 2>/dev/null && ok "passwd" || fail "passwd"
expect_rc 2 "old passphrase refused after passwd" $AYIL --home "$H" record show "${ID[session]}"
expect_rc 0 "new passphrase works" env AYIL_PASSPHRASE=second-passphrase $AYIL --home "$H" record show "${ID[session]}"
expect_rc 0 "recovery kit opens records" env -u AYIL_PASSPHRASE $AYIL --home "$H" record show "${ID[session]}" --recovery-kit "$T/kit.txt"
env -u AYIL_PASSPHRASE AYIL_NEW_PASSPHRASE=third-passphrase $AYIL --home "$H" passwd --recovery-kit "$T/kit.txt" 2>/dev/null && ok "passwd with the kit" || fail "passwd with the kit"
expect_rc 0 "passphrase reset by kit works" env AYIL_PASSPHRASE=third-passphrase $AYIL --home "$H" record show "${ID[session]}"

# log verify: a flipped byte and a removed entry are named.
expect_rc 0 "log verify on a good store" $AYIL --home "$H" log verify
for off in 5 40 100; do
  seq=3
  orig=$(sqlite3 "$H/ayil.db" "SELECT hex(packed) FROM entries WHERE seq=$seq")
  flipped=$(python3 -c "import sys; b=bytearray.fromhex(sys.argv[1]); b[int(sys.argv[2])]^=0x10; print(b.hex())" "$orig" "$off")
  sqlite3 "$H/ayil.db" "UPDATE entries SET packed=x'$flipped' WHERE seq=$seq"
  expect_rc 1 "log verify catches a flipped byte at offset $off of entry $seq" $AYIL --home "$H" log verify
  grep -q "seq $seq:" "$T/err" && ok "it names entry $seq" || fail "names: $(cat "$T/err")"
  sqlite3 "$H/ayil.db" "UPDATE entries SET packed=x'$orig' WHERE seq=$seq"
done
sqlite3 "$H/ayil.db" "DELETE FROM entries WHERE seq=5"
expect_rc 1 "log verify catches a removed entry" $AYIL --home "$H" log verify --json
grep -q '"seq": 6' "$T/out" && ok "it names where the chain breaks" || fail "removed: $(cat "$T/out")"
finish
