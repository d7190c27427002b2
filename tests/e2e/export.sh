#!/bin/bash
# The report for the ministry's statistics systems, end to end: a hub, two
# committees in both macro-regions that enter records and sync over
# 127.0.0.1, and one admitted but never set up (and not in the mapping).
#  1. --format dhis2 with the mapping example of deploy/ (every indicator)
#     and the two committees added: a DHIS2 dataValueSets document of the
#     expected shape (python3's json), whose values are exactly the json
#     report's unsuppressed mapped cells, with no suppressed cell among
#     them, the period 2026Q1, and one stderr line each for the cells left
#     unmapped and suppressed, counted; exact with --suppress-below 0; a
#     committee's own report gives its org unit only;
#  2. --format adx: valid against deploy/adx.xsd (xmllint --schema), the
#     same values; a mangled copy fails validation; a range of months
#     DHIS2 has no period for is still an ISO 8601 start/duration;
#  3. refusals: a malformed mapping gives exit 2 naming its file and line
#     (unknown key, syntax, an id given twice, a long line), no --mapping,
#     --mapping for another format, adx without a data set, a period DHIS2
#     lacks; nothing mapped, or only suppressed cells, gives exit 1 and
#     writes nothing;
#  4. no name of a committee or person in any export or message.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
START=$(date +%s)
PY="$SRC/tests/e2e/lib/report_check.py"
CK="$SRC/tests/e2e/lib/export_check.py"
XSD="$SRC/deploy/adx.xsd"
EXAMPLE="$SRC/deploy/report-mapping.example"
export AYIL_PASSPHRASE="export test passphrase"
trap 'rc=$?; [ -z "${AYIL_E2E_KEEP:-}" ] || cp -a "$T"/. "$AYIL_E2E_KEEP"/ 2>/dev/null; cleanup' EXIT
pycheck() { local d=$1; shift; checklines "$d" python3 "$CK" "$@"; }
if ! command -v xmllint >/dev/null; then
  echo "export: xmllint is missing (Debian's libxml2-utils; scripts/deps.sh --test)" >&2
  exit 1
fi

phase "0. a hub, two committees with records, one never set up"
HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test export hub" --listen "127.0.0.1:$HUBPORT" \
  >"$T/hub.id" 2>>"$T/cli.err"
start_d hub && ok "hub ayild started" || fail "hub ayild started"
declare -A CNAME=([c1]="Ak-Bulak test committee" [c2]="Kara-Suu test committee")
declare -A COBL=([c1]=chui [c2]=osh)
seed=500
for c in c1 c2; do
  HOME_OF[$c]=$T/$c
  code=$("$AYIL" --home "$HUB" admit --name "${CNAME[$c]}" --oblast "${COBL[$c]}" \
    --advertise "127.0.0.1:$HUBPORT" 2>>"$T/cli.err")
  "$AYIL" --home "$T/$c" init --role committee --invite "$code" --recovery-kit "$T/kit-$c.txt" \
    >"$T/$c.id" 2>>"$T/cli.err"
  "$AYIL" --home "$HUB" admit --confirm "$("$AYIL" --home "$T/$c" id --code)" >/dev/null 2>>"$T/cli.err"
  fast_conf "$T/$c"
  start_d "$c" && ok "$c started" || fail "$c started"
  seed=$((seed + 7))
  if python3 "$PY" gen "$AYIL" "$T/$c" "$seed" "$T/records-$c.json" >"$T/gen.out" 2>&1; then
    ok "$c: $(cat "$T/gen.out")"
  else
    fail "$c: entering records: $(tail -c 300 "$T/gen.out")"
  fi
  expect_rc 0 "$c: ayil sync --wait 60" "$AYIL" --home "$T/$c" sync --wait 60
done
LONE="Jany-Jol test committee"
expect_rc 0 "hub: a committee admitted but never set up (talas)" "$AYIL" --home "$HUB" admit \
  --name "$LONE" --oblast talas --advertise "127.0.0.1:$HUBPORT"
cat >"$T/committees.json" <<EOF
[{"name": "${CNAME[c1]}", "oblast": "chui"}, {"name": "${CNAME[c2]}", "oblast": "osh"},
 {"name": "$LONE", "oblast": "talas"}]
EOF
# The mapping example as shipped, with the two committees added (the
# third is left out on purpose).
MAP=$T/mapping.ini
cp "$EXAMPLE" "$MAP"
printf 'committee.chui.%s = aylOUCom001\ncommittee.osh.%s = aylOUCom002\n' \
  "${CNAME[c1]}" "${CNAME[c2]}" >>"$MAP"
R() { "$AYIL" --home "$HUB" report --from 2026-01 --to 2026-03 "$@"; }
R --format json >"$T/report.json" 2>"$T/err" || fail "report --format json"
R --format json --suppress-below 0 >"$T/report0.json" 2>"$T/err" || fail "report --format json --suppress-below 0"
nsup=$(python3 -c 'import json,sys; print(sum(1 for r in json.load(open(sys.argv[1]))["rows"] if r.get("suppressed")))' "$T/report.json")
check "the json report (default suppression) has suppressed cells ($nsup)" test "$nsup" -gt 0

phase "1. DHIS2 dataValueSets"
expect_rc 0 "hub: report --format dhis2 --mapping" R --format dhis2 --mapping "$MAP"
cp "$T/out" "$T/dhis2.json"
cp "$T/err" "$T/dhis2.err"
pycheck "hub" dhis2 "$MAP" "$T/report.json" "$T/dhis2.json" 2026Q1 "$T/committees.json"
pycheck "hub" counts "$MAP" "$T/report.json" "$T/dhis2.err" "$T/committees.json"
check "dhis2: stderr has only those two lines" test "$(wc -l <"$T/dhis2.err")" = 2
expect_rc 0 "hub: report --format dhis2 --suppress-below 0" R --format dhis2 --mapping "$MAP" --suppress-below 0
cp "$T/out" "$T/dhis2-0.json"
pycheck "exact" dhis2 "$MAP" "$T/report0.json" "$T/dhis2-0.json" 2026Q1 "$T/committees.json"
check "dhis2, exact: no suppressed line on stderr" bash -c "! grep -q suppressed '$T/err'"
check "dhis2, exact: more values than with suppression" test \
  "$(grep -c dataElement "$T/dhis2-0.json")" -gt "$(grep -c dataElement "$T/dhis2.json")"
# One month and a year are DHIS2 periods too.
expect_rc 0 "hub: dhis2 for one month" "$AYIL" --home "$HUB" report --from 2026-02 --to 2026-02 \
  --format dhis2 --mapping "$MAP"
check "dhis2: one month is period 202602" bash -c "grep -q '\"period\":\"202602\"' '$T/out'"
expect_rc 0 "hub: dhis2 for a year, to --output" "$AYIL" --home "$HUB" report --from 2026-01 --to 2026-12 \
  --format dhis2 --mapping "$MAP" --output "$T/year.json"
check "dhis2: a year is period 2026" bash -c "grep -q '\"period\":\"2026\"' '$T/year.json'"
# A committee's own report: its own org unit only.
"$AYIL" --home "$T/c1" report --from 2026-01 --to 2026-03 --format json >"$T/own.json" 2>/dev/null ||
  fail "c1: its own json report"
expect_rc 0 "c1: its own report --format dhis2" "$AYIL" --home "$T/c1" report --from 2026-01 --to 2026-03 \
  --format dhis2 --mapping "$MAP"
cp "$T/out" "$T/own-dhis2.json"
pycheck "own report" dhis2 "$MAP" "$T/own.json" "$T/own-dhis2.json" 2026Q1 own "$T/committees.json"

phase "2. IHE ADX"
expect_rc 0 "hub: report --format adx --mapping" R --format adx --mapping "$MAP"
cp "$T/out" "$T/report.adx.xml"
if xmllint --noout --schema "$XSD" "$T/report.adx.xml" 2>"$T/xmllint.err"; then
  ok "adx: valid against deploy/adx.xsd"
else
  fail "adx: not valid: $(head -c 300 "$T/xmllint.err")"
fi
pycheck "hub" adx "$MAP" "$T/report.json" "$T/report.adx.xml" 2026-01-01/P3M "$T/committees.json"
pycheck "hub, adx" counts "$MAP" "$T/report.json" "$T/err" "$T/committees.json"
# The validation can fail: each mangled copy is refused.
n=0
for mangle in 's/ value="/ valu="/' 's/ dataSet="[^"]*"//' 's|period="2026-01-01/P3M"|period="2026Q1"|' \
  's/ value="\([0-9]*\)"/ value="x\1"/' 's|<dataValue |<datavalue |'; do
  n=$((n + 1))
  sed "0,/dataValue dataElement/{$mangle}" "$T/report.adx.xml" >"$T/broken-$n.xml"
  if cmp -s "$T/report.adx.xml" "$T/broken-$n.xml"; then
    fail "adx: mangle $n ($mangle) changed nothing"
  elif xmllint --noout --schema "$XSD" "$T/broken-$n.xml" 2>/dev/null; then
    fail "adx: mangled ($mangle) but valid"
  else
    ok "adx: mangled ($mangle): refused by the schema"
  fi
done
expect_rc 0 "hub: adx for Feb..May (no DHIS2 period)" "$AYIL" --home "$HUB" report --from 2026-02 \
  --to 2026-05 --format adx --mapping "$MAP"
check "adx: Feb..May is 2026-02-01/P4M and valid" bash -c \
  "grep -q 'period=\"2026-02-01/P4M\"' '$T/out' && xmllint --noout --schema '$XSD' '$T/out' 2>/dev/null"

phase "3. refusals"
# bad_map NAME LINE DESCRIPTION: the mapping $T/NAME.ini is refused with
# exit 2, naming the file and line LINE.
bad_map() {
  expect_rc 2 "mapping: $3" R --format dhis2 --mapping "$T/$1.ini"
  check "mapping: $3: names $1.ini line $2" grep -q "mapping $T/$1.ini: line $2: " "$T/err"
  check "mapping: $3: nothing on stdout" test ! -s "$T/out"
}
{ cp "$MAP" "$T/typo.ini"; sed -i 's/^sessions.violence_related =/sessions.violence_relatd =/' "$T/typo.ini"; }
bad_map typo "$(grep -n '^sessions.violence_relatd' "$T/typo.ini" | cut -d: -f1)" "a misspelt indicator"
printf '[dataset]\nid = aylDataSet1\n[org_units]\ntotal = aylOUKG0001\noblast.chui aylOUObl002\n' >"$T/syntax.ini"
bad_map syntax 5 "a line without ="
printf '[org_units]\ntotal = aylOUKG0001\n\n; the same org unit again\noblast.chui = aylOUKG0001\n' >"$T/dupid.ini"
bad_map dupid 5 "one org unit given to two places"
printf '[data_elements]\nappeals = aylDE000001\nappeals = aylDE000002\n' >"$T/dupkey.ini"
bad_map dupkey 3 "a key given twice"
printf '[org_units]\ntotal = ayl OU\n' >"$T/value.ini"
bad_map value 2 "an id with a space"
printf '[org_units]\noblast.atlantis = aylOU1\n' >"$T/oblast.ini"
bad_map oblast 2 "an unknown oblast"
printf '[orgunits]\ntotal = aylOU1\n' >"$T/section.ini"
bad_map section 2 "an unknown section"
{ printf '[org_units]\ntotal = aylOU1\n'; printf 'committee.chui.%0220d = aylOU2\n' 7; } >"$T/long.ini"
bad_map long 3 "a line over 199 bytes"
# 199 bytes is the longest line: accepted (a committee not in the report).
cp "$MAP" "$T/long199.ini"
python3 -c 'import sys; k="committee.chui."; v=" = aylOUlong1"; print(k + "N" * (199 - len(k) - len(v)) + v)' >>"$T/long199.ini"
check "mapping: the 199-byte line is 199 bytes" test "$(tail -n 1 "$T/long199.ini" | tr -d '\n' | wc -c)" = 199
expect_rc 0 "mapping: a line of 199 bytes is read" R --format dhis2 --mapping "$T/long199.ini"
expect_rc 2 "mapping: a missing file" R --format dhis2 --mapping "$T/none.ini"
check "mapping: a missing file is named" grep -q "cannot read mapping $T/none.ini" "$T/err"
expect_rc 2 "dhis2 without --mapping" R --format dhis2
check "dhis2 without --mapping: says so" grep -q -- "--format dhis2 needs --mapping FILE" "$T/err"
expect_rc 2 "--mapping for --format json" R --format json --mapping "$MAP"
grep -v '^id = ' "$MAP" >"$T/noset.ini"
expect_rc 2 "adx with a mapping without [dataset] id" R --format adx --mapping "$T/noset.ini"
check "adx without a data set: says so" grep -q "needs \[dataset\] id" "$T/err"
expect_rc 0 "dhis2 with a mapping without [dataset] id" R --format dhis2 --mapping "$T/noset.ini"
check "dhis2 without a data set: no dataSet member" bash -c "! grep -q dataSet '$T/out'"
expect_rc 2 "dhis2 for Feb..May (no DHIS2 period)" "$AYIL" --home "$HUB" report --from 2026-02 --to 2026-05 \
  --format dhis2 --mapping "$MAP"
check "dhis2 for Feb..May: says which periods DHIS2 knows" grep -q "a calendar quarter" "$T/err"
expect_rc 2 "dhis2 without --to" "$AYIL" --home "$HUB" report --from 2026-01 --format dhis2 --mapping "$MAP"
# Nothing mapped: data elements but no org unit.
sed '/^\[org_units\]/,$d' "$MAP" >"$T/noplace.ini"
expect_rc 1 "nothing mapped: exit 1" R --format dhis2 --mapping "$T/noplace.ini" --output "$T/nothing.json"
check "nothing mapped: says so" grep -q "nothing exported: no cell of the report has both" "$T/err"
check "nothing mapped: no file written" test ! -e "$T/nothing.json"
check "nothing mapped: no temporary file left" bash -c "! ls '$T' | grep -q 'nothing.json.tmp'"
expect_rc 1 "nothing mapped (adx, stdout): exit 1" R --format adx --mapping "$T/noplace.ini"
check "nothing mapped (adx): nothing on stdout" test ! -s "$T/out"
pycheck "one suppressed cell" suppressed_only "$MAP" "$T/report.json" "$T/suponly.ini" "$T/committees.json"
expect_rc 1 "only a suppressed cell mapped: exit 1" R --format dhis2 --mapping "$T/suponly.ini"
check "only a suppressed cell mapped: says so, nothing on stdout" bash -c \
  "grep -q 'every cell mapped in .* is suppressed' '$T/err' && test ! -s '$T/out'"

phase "4. no identifying data"
for f in "$T/dhis2.json" "$T/dhis2-0.json" "$T/report.adx.xml" "$T/dhis2.err" "$T/own-dhis2.json"; do
  check "$(basename "$f"): no committee or person name" bash -c \
    "! grep -q -e 'Testova' -e 'Ak-Bulak' -e 'Kara-Suu' -e 'Jany-Jol' '$f'"
done
echo "# export: $(elapsed) s"
finish
