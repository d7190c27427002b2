#!/bin/bash
# The hub's report, end to end, over real sync on 127.0.0.1:
#  1. three committees in two oblasts of both macro-regions enter a known,
#     varied set of records of every kind (with updates and deletes, across
#     months inside and outside the period), and ayild ships them to the hub;
#  2. the hub's `report --format json` equals, row for row, the indicators
#     computed here from the inputs with RECORDS.md's definitions; csv and md
#     carry the same numbers; every language has all its labels;
#  3. --suppress-below 3, 4, 5 and 10: an independent audit (exact linear
#     algebra and integer bounds) finds no hidden cell a reader could work
#     out, in the report, and in it and each oblast's (--oblast) together;
#  4. the HTML report in headless chromium: no console error, no request,
#     the expected figures, a screenshot and an A4 PDF (skipped, with a
#     message, when chromium is not installed and AYIL_REQUIRE_CHROMIUM is
#     not set);
#  5. `ayil nodes` shows each committee's sync health.
# AYIL_E2E_KEEP=DIR keeps the homes, reports and screenshot there.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
START=$(date +%s)
PY="$SRC/tests/e2e/lib/report_check.py"
OUT=${AYIL_E2E_KEEP:-$T/reports}
mkdir -p "$OUT"
export AYIL_PASSPHRASE="report test passphrase"
FROM=2026-02
TO=2026-05
dump_logs() {
  local f
  for f in "$T"/*.log; do
    [ -e "$f" ] || continue
    echo "# --- $(basename "$f") (last 10 lines)"
    tail -n 10 "$f" | sed 's/^/#   /'
  done
}
trap 'rc=$?; [ "$FAILED" = 0 ] && [ $rc = 0 ] || dump_logs
  [ -z "${AYIL_E2E_KEEP:-}" ] || cp -a "$T"/. "$AYIL_E2E_KEEP"/ 2>/dev/null; cleanup' EXIT
# pycheck DESCRIPTION args...: runs a report_check.py check, counting its
# ok/FAIL lines.
pycheck() { local d=$1; shift; checklines "$d" python3 "$PY" "$@"; }

phase "1. a hub and three committees, records entered while ayild syncs"
HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test report hub" --listen "127.0.0.1:$HUBPORT" \
  >"$T/hub.id" 2>>"$T/cli.err"
start_d hub && ok "hub ayild started" || fail "hub ayild started"
COMMITTEES=(c1 c2 c3)
declare -A CNAME=([c1]="Ak-Bulak test committee" [c2]="Kara-Jygach test committee" [c3]="Kyzyl-Kiya test committee")
declare -A COBL=([c1]=chui [c2]=chui [c3]=osh)
for c in "${COMMITTEES[@]}"; do
  HOME_OF[$c]=$T/$c
  code=$("$AYIL" --home "$HUB" admit --name "${CNAME[$c]}" --oblast "${COBL[$c]}" \
    --advertise "127.0.0.1:$HUBPORT" 2>>"$T/cli.err")
  "$AYIL" --home "${HOME_OF[$c]}" init --role committee --invite "$code" \
    --recovery-kit "$T/kit-$c.txt" >"$T/$c.id" 2>>"$T/cli.err"
  "$AYIL" --home "$HUB" admit --confirm "$("$AYIL" --home "${HOME_OF[$c]}" id --code)" >/dev/null 2>>"$T/cli.err"
  fast_conf "${HOME_OF[$c]}"
  start_d "$c" && ok "$c (${COBL[$c]}): created from an invite, ayild started" || fail "$c: start"
done
# Each committee enters its records in parallel with the others.
GENS=()
seed=0
for c in "${COMMITTEES[@]}"; do
  seed=$((seed + 101))
  python3 "$PY" gen "$AYIL" "${HOME_OF[$c]}" "$seed" "$T/records-$c.json" >"$T/gen-$c.out" 2>&1 &
  GENS+=($!)
  PIDS+=($!)
done
for i in "${!GENS[@]}"; do
  c=${COMMITTEES[$i]}
  if wait "${GENS[$i]}"; then ok "$c: $(cat "$T/gen-$c.out")"; else fail "$c: entering records: $(tail -c 300 "$T/gen-$c.out")"; fi
  forget "${GENS[$i]}"
done
for c in "${COMMITTEES[@]}"; do
  expect_rc 0 "$c: ayil sync --wait 60" "$AYIL" --home "${HOME_OF[$c]}" sync --wait 60
done
for c in "${COMMITTEES[@]}"; do
  n=$(count_origin "${HOME_OF[$c]}" "$(hex_of "$c")")
  check "$c: the hub holds all $n entries of its log" test "$(count_origin "$HUB" "$(hex_of "$c")")" = "$n"
done
check "no invented name reached the hub's files" bash -c "! grep -a -r -q 'Testova' '$HUB'"

phase "2. the report equals an independent computation"
python3 - "$T" "${COMMITTEES[@]}" >"$T/committees.json" <<PY
import json, sys
t = sys.argv[1]
names = {"c1": "${CNAME[c1]}", "c2": "${CNAME[c2]}", "c3": "${CNAME[c3]}"}
obl = {"c1": "${COBL[c1]}", "c2": "${COBL[c2]}", "c3": "${COBL[c3]}"}
print(json.dumps([{"name": names[c], "oblast": obl[c], "records": "%s/records-%s.json" % (t, c)} for c in sys.argv[2:]]))
PY
python3 "$PY" expect "$FROM" "$TO" "$T/committees.json" >"$OUT/expected.json"
R() { "$AYIL" --home "$HUB" report --from "$FROM" --to "$TO" "$@"; }
# Exact counts must be asked for: the default hides cells below 5.
expect_rc 0 "hub: report --format json --suppress-below 0" R --format json --suppress-below 0
cp "$T/out" "$OUT/report.json"
pycheck "json" compare "$OUT/expected.json" "$OUT/report.json"
check "no header was skipped as malformed" test ! -s "$T/err"
# The committee's own report agrees with the hub's rows for it.
for c in c1 c3; do
  "$AYIL" --home "${HOME_OF[$c]}" report --from "$FROM" --to "$TO" --format json --suppress-below 0 >"$T/own-$c.json"
  check "$c: its own report equals the hub's rows for it" python3 - "$T/own-$c.json" "$OUT/report.json" "${CNAME[$c]}" <<'PY'
import json, sys
own = json.load(open(sys.argv[1])); hub = json.load(open(sys.argv[2])); name = sys.argv[3]
a = {r["indicator"]: r["value"] for r in own["rows"] if r["scope"] == "committee"}
b = {r["indicator"]: r["value"] for r in hub["rows"] if r["scope"] == "committee" and r["name"] == name}
sys.exit(0 if a == b and a else 1)
PY
done
expect_rc 0 "hub: report --format csv" R --format csv --suppress-below 0
cp "$T/out" "$OUT/report.csv"
pycheck "csv" csv "$OUT/report.json" "$OUT/report.csv"
expect_rc 0 "hub: report --format md" R --format md --suppress-below 0
cp "$T/out" "$OUT/report.md"
pycheck "md" md "$OUT/report.json" "$OUT/report.md"
for lang in en ru ky; do
  for fmt in text md html; do
    R --format $fmt --lang $lang --suppress-below 3 >"$OUT/report-$lang.$fmt" 2>"$T/err" ||
      fail "report --format $fmt --lang $lang"
  done
  pycheck "--lang $lang" labels $lang "$OUT/report-$lang.text" "$OUT/report-$lang.md" "$OUT/report-$lang.html"
done
expect_rc 2 "report --lang fr is refused" R --lang fr
expect_rc 2 "report --from after --to is refused" "$AYIL" --home "$HUB" report --from 2026-05 --to 2026-02

phase "3. small cells"
# Every threshold, 3 included: at 3 two committees with 1 male survivor each
# under an oblast of 2 are all small, and "<3" on all three would pin both
# committees to 1; the report must show the oblast as "x" instead.
for nb in 3 4 5 10; do
  R --format json --suppress-below $nb >"$OUT/report-s$nb.json" 2>"$T/err" || fail "report --suppress-below $nb"
  pycheck "--suppress-below $nb" audit "$OUT/report.json" "$OUT/report-s$nb.json" $nb "$T/committees.json"
done
# Across the hierarchy: a hub of one oblast (a regional hub; here --oblast,
# which holds the same records and gives the same cells) shows its
# committees and oblast as the hub of both oblasts does, and a reader of
# all the reports together pins no hidden cell.
for o in chui osh; do
  R --format json --suppress-below 0 --oblast $o >"$OUT/report-$o.json" 2>"$T/err" || fail "report --oblast $o"
done
for nb in 3 4 5 10; do
  SET=()
  for o in chui osh; do
    R --format json --suppress-below $nb --oblast $o >"$OUT/report-$o-s$nb.json" 2>"$T/err" ||
      fail "report --oblast $o --suppress-below $nb"
    SET+=("$o" "$OUT/report-$o.json" "$OUT/report-$o-s$nb.json")
  done
  pycheck "--suppress-below $nb, all oblasts and each" audit-set $nb "$T/committees.json" \
    "$OUT/report.json" "$OUT/report-s$nb.json" "${SET[@]}"
done
R --format csv --suppress-below 5 >"$OUT/report-s5.csv"
# Without the option a report is suppressed at 5, in every format, at the
# hub and at a committee: the same cells as --suppress-below 5.
R --format json >"$OUT/report-default.json"
check "hub: the default report is --suppress-below 5" cmp "$OUT/report-s5.json" "$OUT/report-default.json"
R --format csv >"$OUT/report-default.csv"
check "hub: the default csv is --suppress-below 5" cmp "$OUT/report-s5.csv" "$OUT/report-default.csv"
"$AYIL" --home "${HOME_OF[c1]}" report --from "$FROM" --to "$TO" --format json >"$T/own-default.json"
"$AYIL" --home "${HOME_OF[c1]}" report --from "$FROM" --to "$TO" --format json --suppress-below 5 >"$T/own-s5.json"
check "c1: its default report is --suppress-below 5" cmp "$T/own-s5.json" "$T/own-default.json"
check "c1: its default report says suppress_below 5 and hides a cell" python3 -c "
import json,sys; d=json.load(open('$T/own-default.json'))
sys.exit(0 if d['suppress_below']==5 and any(r.get('suppressed') for r in d['rows']) else 1)"
pycheck "csv --suppress-below 5" csv "$OUT/report-s5.json" "$OUT/report-s5.csv"

phase "4. the HTML report in a real browser"
# unsuppressed: this phase checks rendering; phase 3 audits suppression
R --format html --suppress-below 0 >"$OUT/report.html"
check "html: one file, no script, no link, no address" bash -c "! grep -Eqi '<script|<link|https?:|://|src=' '$OUT/report.html'"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  if [ -n "${AYIL_REQUIRE_CHROMIUM:-}" ]; then
    fail "chromium is required (AYIL_REQUIRE_CHROMIUM is set) but not installed"
  else
    echo "# SKIP: the browser check needs chromium (apt-get install chromium); set AYIL_REQUIRE_CHROMIUM=1 to fail instead"
  fi
else
  # The figures a reader must see: total appeals, referrals, money aid and
  # training participants, in the page's own grouping (1,234).
  mapfile -t WANT < <(python3 - "$OUT/expected.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
tot = {r["indicator"]: r["value"] for r in rows if r["scope"] == "total"}
for i in ("appeals", "referrals", "aid.money.som", "training.participants", "prevention.participants"):
    print("{:,}".format(tot[i]))
print("Appeals by type of violence"); print("Referrals by service"); print("Trainings by oblast")
print("Ak-Bulak test committee"); print("Osh oblast")
PY
)
  pycheck "chromium" browser "$CHROMIUM" "$OUT/report.html" "$OUT" "${WANT[@]}"
  if [ -s "$OUT/report-screenshot.png" ]; then
    cp "$OUT/report-screenshot.png" "$BIN/report-screenshot.png" 2>/dev/null &&
      echo "# screenshot: $OUT/report-screenshot.png (copied to $BIN/report-screenshot.png)"
  fi
fi

phase "5. sync health: ayil nodes"
expect_rc 0 "hub: ayil nodes --json" "$AYIL" --home "$HUB" nodes --json
cp "$T/out" "$OUT/nodes.json"
check "nodes: three committees, active, in touch, holding their entries" python3 - "$OUT/nodes.json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
rows = d if isinstance(d, list) else d.get("committees", [])
names = {r.get("name"): r for r in rows}
want = {"${CNAME[c1]}", "${CNAME[c2]}", "${CNAME[c3]}"}
assert want <= set(names), names.keys()
for n in want:
    r = names[n]
    s = json.dumps(r)
    assert r.get("state") == "active", (n, r.get("state"))
    assert "last_contact" in s
PY
expect_rc 0 "hub: ayil nodes (text)" "$AYIL" --home "$HUB" nodes
check "nodes text names every committee" bash -c "grep -q 'Ak-Bulak' '$T/out' && grep -q 'Kyzyl-Kiya' '$T/out'"
expect_rc 0 "hub: ayil nodes --html" "$AYIL" --home "$HUB" nodes --html "$OUT/nodes.html"
check "nodes --html is a page naming the committees" grep -q "Kara-Jygach" "$OUT/nodes.html"
echo "# reports are in $OUT (kept only with AYIL_E2E_KEEP); took $(elapsed) s"
finish
