#!/bin/bash
# `ayil record add KIND` at a terminal asks field by field (nothing typed
# goes to argv or the shell's history): codes by number or code, lists by
# numbers with commas, y/n (да/нет, ооба/жок), dates; a malformed date is
# asked again at once, an impossible one again after the node refuses it;
# Ctrl-D cancels and writes nothing; --file FILE reads JSON from a file.
# Driven through a real pseudo-terminal (lib/pty_drive.py). Invented names.
source "$(dirname "$0")/lib/common.bash"
PY=/usr/bin/python3
DRIVE="$(dirname "$0")/lib/pty_drive.py"
H=$T/home
export AYIL_PASSPHRASE=prompt-test-passphrase
"$AYIL" --home "$H" init --role committee --name "Prompt Test Committee" --oblast talas \
  --recovery-kit "$T/kit.txt" >/dev/null 2>"$T/init.err" || { cat "$T/init.err"; exit 1; }

# appeal's fields in RECORDS.md order; the date twice more: malformed (asked
# again at once), then 2026-02-30, which the node refuses (asked again last).
printf '%s\n' 14.03.2026 2026-02-30 4 "1, 5" "" female 4 "" "" да n 1 \
  "Zarina Inventova" "" "" "" "Invented narrative" 2026-03-14 >"$T/ans"
rc=0
"$PY" "$DRIVE" "$T/tr" "$T/ans" -- "$AYIL" --home "$H" record add appeal || rc=$?
check "record add at a terminal exits 0 (exit $rc)" test "$rc" = 0
tr -d '\r' <"$T/tr" >"$T/tr.txt"
check "it asks each field (date, source, narrative)" \
  bash -c "grep -q '(date) - required' '$T/tr.txt' && grep -q '(source) - required' '$T/tr.txt' && grep -q '(narrative) - optional' '$T/tr.txt'"
check "codes are numbered" grep -q '^   4) police' "$T/tr.txt"
check "a malformed date is asked again at once" grep -q 'Type the date as YYYY-MM-DD' "$T/tr.txt"
check "the node's refusal names the field" grep -q 'field "date": must be a date' "$T/tr.txt"
check "the refused date is asked again" test "$(grep -c '(date) - required' "$T/tr.txt")" = 2
ID=$(grep -oE '^[0-9a-f]{32}$' "$T/tr.txt" | tail -1 || true)
check "the new record's id is printed" test -n "$ID"
"$AYIL" --home "$H" record show "$ID" --json >"$T/show.json"
if $PY - "$T/show.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = dict(r["header"]); f.update(r["body"])
want = {"date": "2026-03-14", "source": "police", "violence": ["physical", "neglect"],
        "survivor_sex": "female", "survivor_age": "26-40", "consent_services": True,
        "consent_reporting": False, "status": "open",
        "survivor_name": "Zarina Inventova", "narrative": "Invented narrative"}
bad = [k for k, v in want.items() if f.get(k) != v]
skipped = [k for k in ("gbv_type", "perpetrator_relation", "reviewed_with",
                       "survivor_phone", "address", "perpetrator_name") if k in f]
sys.exit(1 if bad or skipped or r["month"] != "2026-03" else 0)
PY
then ok "the record holds the answers; skipped fields are absent"; else
  fail "the record differs: $(cat "$T/show.json")"; fi
check "record list shows it" bash -c "'$AYIL' --home '$H' record list | grep -q '^$ID  appeal'"

# Ctrl-D cancels: exit 2, nothing written.
printf '%s\n' 2026-03-14 '<EOF>' >"$T/ans2"
rc=0
"$PY" "$DRIVE" "$T/tr2" "$T/ans2" -- "$AYIL" --home "$H" record add session || rc=$?
check "Ctrl-D cancels (exit $rc)" test "$rc" = 2
check "and says nothing was written" grep -q 'cancelled; nothing was written' "$T/tr2"
check "no session record was added" bash -c "! '$AYIL' --home '$H' record list --kind session | grep -q session"

# An unknown kind at a terminal is refused before any question.
printf '\n' >"$T/ans3"
rc=0
"$PY" "$DRIVE" "$T/tr3" "$T/ans3" -- "$AYIL" --home "$H" record add nosuchkind || rc=$?
check "an unknown kind at a terminal exits 2 (exit $rc)" test "$rc" = 2

# --file FILE: JSON from a file, as with stdin.
cat >"$T/session.json" <<'J'
{"date":"2026-03-20","cases_reviewed":4,"members_present":7,"violence_related":true,"decisions":"refer Zarina Inventova"}
J
expect_rc 0 "record add --file FILE" "$AYIL" --home "$H" record add session --file "$T/session.json"
check "--file prints the id" grep -qE '^[0-9a-f]{32}$' "$T/out"
# Without a terminal, JSON on stdin as before.
expect_rc 0 "record add with JSON on stdin" bash -c "'$AYIL' --home '$H' record add session < '$T/session.json'"
check "two session records" test "$("$AYIL" --home "$H" record list --kind session | wc -l)" = 2
finish
