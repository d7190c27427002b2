#!/bin/bash
# The hub's report as a spreadsheet, end to end: a hub, one committee that
# enters records and syncs over 127.0.0.1, and one admitted under a name
# that is a formula but never set up.
#  1. csv: a UTF-8 byte order mark, --csv-sep ';' (',' and tab; others
#     refused), labels in ky and ru beside the codes, the long and the wide
#     layout, every cell equal to the json report's, read back with
#     Python's csv module; the committees "=HYPERLINK(...)" and "@SUM(...)"
#     come out as text;
#  2. xlsx: a sheet per scope, read back with openpyxl (Debian's
#     python3-openpyxl, another reader than the writer): every number equal
#     to the json report's, the sheet names and labels in each language;
#  3. a committee's own report, in every format and language: headed with
#     its name, that committee only (no total, region or oblast);
#  4. committees not synced for the period (report.h): those never set up
#     in every period, the one that synced in a period after its last
#     contact; marked in every format and language, and no one else;
#  5. print: the HTML reports (the hub's in ru, a committee's own in ky)
#     printed to PDF by headless chromium: A4, no nearly empty page, nothing
#     past the right edge, every column header and row label on paper
#     (pdftotext); skipped, with a message, without chromium or poppler-utils
#     unless AYIL_REQUIRE_CHROMIUM is set.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
START=$(date +%s)
PY="$SRC/tests/e2e/lib/report_check.py"
SHEET="$SRC/tests/e2e/lib/report_sheet.py"
PODIR="$SRC/po/ayil"
OUT=${AYIL_E2E_KEEP:-$T/reports}
mkdir -p "$OUT"
export AYIL_PASSPHRASE="report sheet test passphrase"
trap 'rc=$?; [ -z "${AYIL_E2E_KEEP:-}" ] || cp -a "$T"/. "$AYIL_E2E_KEEP"/ 2>/dev/null; cleanup' EXIT
pycheck() { checklines "$@"; }

phase "0. a hub, a committee with records, a committee never set up"
HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test sheet hub" --listen "127.0.0.1:$HUBPORT" \
  >"$T/hub.id" 2>>"$T/cli.err"
start_d hub && ok "hub ayild started" || fail "hub ayild started"
HOME_OF[c1]=$T/c1
code=$("$AYIL" --home "$HUB" admit --name "Sary-Bulak test committee" --oblast naryn \
  --advertise "127.0.0.1:$HUBPORT" 2>>"$T/cli.err")
"$AYIL" --home "$T/c1" init --role committee --invite "$code" --recovery-kit "$T/kit-c1.txt" \
  >"$T/c1.id" 2>>"$T/cli.err"
"$AYIL" --home "$HUB" admit --confirm "$("$AYIL" --home "$T/c1" id --code)" >/dev/null 2>>"$T/cli.err"
fast_conf "$T/c1"
start_d c1 && ok "c1 started" || fail "c1 started"
# Names are one line of printable characters without quotes: a formula
# fits, with the separator in it.
# Two long names alike in their first 31 characters: two sheet names.
for EVIL in '=HYPERLINK(A1;B1) test committee' '@SUM(1,2) test committee' \
  'Kara-Suu village test committee number one' 'Kara-Suu village test committee number two'; do
  expect_rc 0 "hub: a committee named $EVIL is admitted" "$AYIL" --home "$HUB" admit --name "$EVIL" \
    --oblast talas --advertise "127.0.0.1:$HUBPORT"
done
if python3 "$PY" gen "$AYIL" "$T/c1" 303 "$T/records-c1.json" >"$T/gen.out" 2>&1; then
  ok "c1: $(cat "$T/gen.out")"
else
  fail "c1: entering records: $(tail -c 300 "$T/gen.out")"
fi
expect_rc 0 "c1: ayil sync --wait 60" "$AYIL" --home "$T/c1" sync --wait 60
R() { "$AYIL" --home "$HUB" report --from 2026-02 --to 2026-05 "$@"; }
R --format json --suppress-below 3 >"$OUT/report.json" 2>"$T/err" || fail "report --format json"

phase "1. csv for a spreadsheet"
for lang in en ru ky; do
  for layout in long wide; do
    for sep in ';' ',' tab; do
      f="$OUT/report-$lang-$layout-$([ "$sep" = ';' ] && echo semi || echo "$sep" | tr ',' c).csv"
      if R --format csv --suppress-below 3 --csv-sep "$sep" --lang $lang --layout $layout >"$f" 2>"$T/err"; then
        pycheck "csv $lang $layout sep '$sep'" python3 "$SHEET" csv "$OUT/report.json" "$f" "$sep" $lang $layout "$PODIR"
      else
        fail "report --format csv --csv-sep '$sep' --lang $lang --layout $layout: $(cat "$T/err")"
      fi
    done
  done
done
R --format csv --suppress-below 3 >"$T/default.csv"
R --format csv --suppress-below 3 --csv-sep , --layout long --lang en >"$T/explicit.csv"
check "csv: the default is --csv-sep , --layout long --lang en" cmp "$T/default.csv" "$T/explicit.csv"
expect_rc 2 "csv: --csv-sep '|' is refused" R --format csv --csv-sep '|'
check "  naming the separators allowed" grep -q -- "--csv-sep must be ',', ';' or tab" "$T/err"
expect_rc 2 "csv: --csv-sep ';;' is refused" R --format csv --csv-sep ';;'
expect_rc 2 "csv: --layout tall is refused" R --format csv --layout tall
check "  naming the layouts" grep -q -- "--layout must be long or wide" "$T/err"
expect_rc 2 "--csv-sep without --format csv is refused" R --format json --csv-sep ';'
expect_rc 2 "--layout without --format csv is refused" R --layout wide

phase "2. xlsx"
# Debian's python3 has python3-openpyxl (scripts/deps.sh); a python3 earlier
# on PATH may not.
XPY=python3
/usr/bin/python3 -c 'import openpyxl' 2>/dev/null && XPY=/usr/bin/python3
for lang in en ru ky; do
  f="$OUT/report-$lang.xlsx"
  if R --format xlsx --output "$f" --suppress-below 3 --lang $lang >"$T/out" 2>"$T/err"; then
    check "xlsx $lang: nothing on stdout" test ! -s "$T/out"
    pycheck "xlsx $lang" "$XPY" "$SHEET" xlsx "$OUT/report.json" "$f" $lang "$PODIR"
  else
    fail "report --format xlsx --lang $lang: $(cat "$T/err")"
  fi
done
ls "$OUT" | grep -q tmp- && fail "xlsx: a temporary file was left" || ok "xlsx: no temporary file left"
R --format xlsx --output "$OUT/again.xlsx" --suppress-below 3 --lang ru 2>/dev/null
R --format xlsx --output "$OUT/again.xlsx" --suppress-below 3 --lang ru 2>/dev/null &&
  pycheck "xlsx over an older file" "$XPY" "$SHEET" xlsx "$OUT/report.json" "$OUT/again.xlsx" ru "$PODIR"
expect_rc 2 "xlsx without --output is refused" R --format xlsx
check "  saying it needs --output" grep -q -- "--format xlsx needs --output FILE" "$T/err"
expect_rc 1 "xlsx into a missing directory fails" R --format xlsx --output "$T/nodir/r.xlsx"
check "  naming the file" grep -q -- "cannot write $T/nodir/r.xlsx" "$T/err"
check "  and leaving nothing" test ! -e "$T/nodir"
R --format json --suppress-below 3 --output "$OUT/out.json"
check "--output FILE for another format writes what stdout gets" cmp "$OUT/out.json" "$OUT/report.json"

phase "3. a committee's own report"
C() { "$AYIL" --home "$T/c1" report --from 2026-02 --to 2026-05 --suppress-below 3 "$@"; }
for lang in en ru ky; do
  mkdir -p "$OUT/own-$lang"
  for fmt in json csv text md html; do
    C --format $fmt --lang $lang >"$OUT/own-$lang/own.$fmt" 2>"$T/err" || fail "c1: report --format $fmt --lang $lang"
  done
  C --format xlsx --lang $lang --output "$OUT/own-$lang/own.xlsx" 2>"$T/err" || fail "c1: report --format xlsx"
  pycheck "c1 $lang" "$XPY" "$SHEET" own "Sary-Bulak test committee" "$OUT/report.json" $lang "$PODIR" "$OUT/own-$lang"
done
C --format json --oblast osh >"$T/own-osh.json"
check "c1: --oblast of another oblast gives no rows" python3 -c "
import json,sys; d=json.load(open('$T/own-osh.json')); sys.exit(0 if d['rows']==[] and d['committee'] else 1)"

phase "4. committees not synced for the period"
NEVER=('=HYPERLINK(A1;B1) test committee' '@SUM(1,2) test committee'
  'Kara-Suu village test committee number one' 'Kara-Suu village test committee number two')
C1="Sary-Bulak test committee"
# nosync_case DESCRIPTION "REPORT OPTIONS" MARKED...
nosync_case() {
  local d=$1 opts=$2 lang fmt
  shift 2
  for lang in en ru ky; do
    mkdir -p "$OUT/ns-$d-$lang"
    for fmt in json csv text md html; do
      # shellcheck disable=SC2086
      "$AYIL" --home "$HUB" report $opts --format $fmt --lang $lang >"$OUT/ns-$d-$lang/r.$fmt" 2>"$T/err" ||
        fail "report $opts --format $fmt"
    done
    # shellcheck disable=SC2086
    "$AYIL" --home "$HUB" report $opts --format xlsx --lang $lang --output "$OUT/ns-$d-$lang/r.xlsx" 2>"$T/err" ||
      fail "report $opts --format xlsx"
    pycheck "not synced, $d, $lang" "$XPY" "$SHEET" nosync $lang "$PODIR" "$OUT/ns-$d-$lang" "$@"
  done
}
# c1 sent records of 2026-02..05 and was heard from today: not marked.
nosync_case "2026-02..05" "--from 2026-02 --to 2026-05" "${NEVER[@]}"
# Without --to: marked only when never heard from.
nosync_case "no period" "" "${NEVER[@]}"
# A period after c1's last contact, with none of its records: marked.
nosync_case "2099" "--from 2099-01 --to 2099-02" "${NEVER[@]}" "$C1"
# A period ended before today with none of its records (c1's records are
# of 2025-12..2026-07): heard from since, so its zeros are zeros.
nosync_case "2020" "--from 2020-01 --to 2020-12" "${NEVER[@]}"
# A committee whose hub never saw its device but which the report names
# is marked; once it syncs it is not (c1 before and after its first word
# is checked above by its own periods).
# The hub's word from c1 without its sync contacts (as for a committee that
# only sends bundles): the time of the newest entry of its log (today) still
# says it was heard from after 2020, a year without its records.
cp -a "$HUB" "$T/hubcopy"
rm -f "$T/hubcopy/ayil.db-wal" "$T/hubcopy/ayil.db-shm"
sqlite3 "$HUB/ayil.db" ".backup '$T/hubcopy/ayil.db'"
sqlite3 "$T/hubcopy/ayil.db" "UPDATE peers SET last_contact = NULL"
for p in "2020-01 2020-12 0" "2099-01 2099-02 1"; do
  set -- $p
  "$AYIL" --home "$T/hubcopy" report --from "$1" --to "$2" --format json >"$T/nc.json" 2>"$T/err"
  check "no sync contact, entries of today: $C1 in $1..$2 marked: $3" python3 -c "
import json,sys; d=json.load(open('$T/nc.json'))
m=any(r.get('not_synced') for r in d['rows'] if r['name']=='$C1'); sys.exit(0 if m==bool($3) else 1)"
done
# The own report of a committee never marks it.
"$AYIL" --home "$T/c1" report --from 2099-01 --to 2099-02 --format json >"$T/own99.json"
check "c1's own report never marks it" bash -c "! grep -q not_synced '$T/own99.json'"

phase "5. print on A4"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ] || ! command -v pdftotext >/dev/null; then
  if [ -n "${AYIL_REQUIRE_CHROMIUM:-}" ]; then
    fail "chromium and pdftotext are required (AYIL_REQUIRE_CHROMIUM is set)"
  else
    echo "# SKIP: printing needs chromium and poppler-utils (scripts/deps.sh)"
  fi
else
  # print_case NAME HOME LANG MINLINES [REPORT OPTIONS...]
  print_case() {
    local n=$1 home=$2 lang=$3 min=$4
    shift 4
    "$AYIL" --home "$home" report "$@" --format html --lang "$lang" >"$OUT/$n.html"
    "$AYIL" --home "$home" report "$@" --format csv --lang "$lang" >"$OUT/$n.csv"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
      --user-data-dir="$T/chromium-$n" --no-pdf-header-footer --print-to-pdf="$OUT/$n.pdf" \
      "file://$OUT/$n.html" >"$T/chromium-$n.log" 2>&1 || true
    if [ -s "$OUT/$n.pdf" ] && pdftotext -bbox-layout "$OUT/$n.pdf" "$OUT/$n.bbox.html"; then
      pycheck "print $n" python3 "$SHEET" print "$OUT/$n.pdf" "$OUT/$n.bbox.html" "$OUT/$n.csv" "$min"
    else
      fail "print $n: chromium made no PDF: $(tail -c 300 "$T/chromium-$n.log")"
    fi
  }
  print_case hub-ru "$HUB" ru 10 --from 2026-02 --to 2026-05
  print_case hub-ky-all "$HUB" ky 10 --suppress-below 0
  print_case own-ky "$T/c1" ky 10
fi

echo "# took $(elapsed) s"
finish
