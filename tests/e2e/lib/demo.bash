#!/bin/bash
# The demo behind scripts/demo.sh: a regional hub and three committees on
# 127.0.0.1, each committee behind its own emulated 2G link (64 kbit/s,
# 300 ms each way, cut at random byte offsets), records entered (one case
# on a committee's web app, ayil-web, the rest with `ayil record add`) while
# the links keep breaking, `ayil sync --wait`, then the hub's report.
set -euo pipefail
BUILD=${1:?build dir}
AYIL=$BUILD/ayil
AYILD=$BUILD/ayild
EMU=$BUILD/tests/linkemu/ayil-linkemu
D=$(mktemp -d /tmp/ayil-demo.XXXXXX)
PIDS=()
stop() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || true; done
}
trap stop EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export AYIL_PASSPHRASE="demo passphrase, not for real use"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HUBPORT=$(free_port)

say "A regional hub for Osh oblast (home $D/hub)"
# The tools' own advice (certificates, where the recovery kit goes) is kept
# in $D/setup.log: the demo tells its story here.
hubid=$($AYIL --home "$D/hub" init --role hub --name "Osh regional hub" --listen 127.0.0.1:$HUBPORT 2>>"$D/setup.log")
echo "hub id: $hubid, listening on 127.0.0.1:$HUBPORT"
$AYILD --home "$D/hub" 2>"$D/hub.log" & PIDS+=($!)

declare -A OBLAST=([kara-suu]=osh [nookat]=osh [talas]=talas)
declare -A NAME=([kara-suu]="Kara-Suu committee" [nookat]="Nookat committee" [talas]="Talas town committee")
for c in kara-suu nookat talas; do
  # Each committee dials the hub through its own flaky 2G link.
  $EMU --listen 127.0.0.1:0 --connect 127.0.0.1:$HUBPORT --rate 64000 --delay 300 \
    --jitter 50 --cut-bytes 5000 --seed $RANDOM --stats "$D/link-$c.stats" >"$D/link-$c.port" 2>"$D/link-$c.log" & PIDS+=($!)
  for i in $(seq 50); do grep -q port= "$D/link-$c.port" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/port=//p' "$D/link-$c.port")
  say "Enrolling ${NAME[$c]} (${OBLAST[$c]}), link 64 kbit/s, 300 ms, cut every ~5 KB"
  code=$($AYIL --home "$D/hub" admit --name "${NAME[$c]}" --oblast "${OBLAST[$c]}" --advertise 127.0.0.1:$port 2>>"$D/setup.log")
  echo "hub: invite code ${code:0:40}... (the hub's sysadmin gives it to the committee's)"
  # On a Pi the recovery kit goes to a USB stick; the demo keeps it in $D.
  id=$($AYIL --home "$D/$c" init --role committee --invite "$code" --recovery-kit "$D/$c-recovery-kit.txt" 2>>"$D/setup.log")
  echo "committee: node $id created with the invite; recovery kit in $D/$c-recovery-kit.txt"
  ecode=$($AYIL --home "$D/$c" id --code)
  say "${NAME[$c]} reads its enrolment code $ecode to the hub operator by phone; the operator confirms it"
  $AYIL --home "$D/hub" admit --confirm "$ecode"
  sed -i 's/^linger = .*/linger = 3/' "$D/$c/ayil.conf"
  $AYILD --home "$D/$c" 2>"$D/$c.log" & PIDS+=($!)
done

say "A member of the Kara-Suu committee enters a case on the committee's web app (ayil-web, HTTPS)"
AYIL_NEW_PASSPHRASE="demo member password" $AYIL --home "$D/kara-suu" member add "Aigul Demo" --role member 2>>"$D/setup.log"
echo "member Aigul Demo added, with her own password"
WEBPORT=$(free_port)
sed -i "s/^listen = 0.0.0.0:8443/listen = 127.0.0.1:$WEBPORT/" "$D/kara-suu/ayil.conf"
$BUILD/ayil-web --home "$D/kara-suu" 2>"$D/kara-suu-web.log" & PIDS+=($!)
for i in $(seq 100); do grep -q serving "$D/kara-suu-web.log" 2>/dev/null && break; sleep 0.1; done
echo "ayil-web: https://127.0.0.1:$WEBPORT/  certificate SHA-256 $($AYIL --home "$D/kara-suu" web cert --show)"
python3 - "$(dirname "${BASH_SOURCE[0]}")" "$WEBPORT" <<'PY'
# What a member's browser sends: log in, an appeal, a referral from its case page.
import re, sys
sys.path.insert(0, sys.argv[1])
from webclient import Client
c = Client("127.0.0.1", int(sys.argv[2]))
c.cookies["lang"] = "ky"
assert c.login("Aigul Demo", "demo member password").status == 303, "log-in failed"
c.get("/new/appeal")
r = c.post("/new/appeal", [("date", "2026-05-03"), ("source", "neighbour"), ("violence", "physical"),
                          ("violence", "economic"), ("survivor_sex", "female"), ("survivor_age", "18-25"),
                          ("status", "open"), ("survivor_name", "Invented Person Web"),
                          ("narrative", "Invented narrative typed in the web app.")])
case = (r.header("location") or "")[3:]
assert re.fullmatch(r"[0-9a-f]{32}", case), "the appeal was not saved (%d)" % r.status
c.get("/new/referral?case=" + case)
r = c.post("/new/referral", {"case": case, "date": "2026-05-04", "service": "crisis_centre", "status": "referred"})
assert r.status == 303, "the referral was not saved (%d)" % r.status
page = c.get("/r/" + case).text
title = re.search(r"<h1>([^<]*)", page).group(1).strip()
print("entered through the web: an appeal (%s page: %s) and a referral from its case page" % (title, "/r/" + case[:8] + "..."))
PY

say "Committees enter records (invented names) while their links keep breaking"
n=0
for c in kara-suu nookat talas; do
  for m in 01 02 03 04 05 06; do
    for i in 1 2; do
      CASE=$($AYIL --home "$D/$c" record add appeal <<JSON
{"date":"2026-$m-1$i","source":"police","violence":["physical","psychological"],"survivor_sex":"female","survivor_age":"26-40","status":"open","survivor_name":"Invented Person $n","narrative":"$(head -c 600 /dev/zero | tr '\0' 'x')"}
JSON
      )
      n=$((n + 1))
    done
    $AYIL --home "$D/$c" record add referral >/dev/null <<JSON
{"case":"$CASE","date":"2026-$m-20","service":"crisis_centre","status":"referred"}
JSON
    $AYIL --home "$D/$c" record add training >/dev/null <<JSON
{"date":"2026-$m-21","days":$(( (10#$m % 2) + 1 )),"participants_female":12,"participants_male":7,"groups":["school"]}
JSON
  done
  $AYIL --home "$D/$c" record add session >/dev/null <<< '{"date":"2026-03-05","cases_reviewed":4,"violence_related":true}'
  $AYIL --home "$D/$c" record add aid >/dev/null <<< '{"date":"2026-04-05","kind":"money","amount_som":6500,"recipient_name":"Invented Recipient"}'
done
echo "$((n + 3 * 14)) records entered at 3 committees with ayil record add, and 2 on the web app"

say "ayil sync --wait at each committee"
start=$(date +%s)
unsynced=()
for c in kara-suu nookat talas; do
  if $AYIL --home "$D/$c" sync --wait 300 2>>"$D/setup.log"; then echo "${NAME[$c]}: synced"; else unsynced+=("$c"); fi
done
if [ ${#unsynced[@]} = 0 ]; then
  echo "all synced in $(( $(date +%s) - start )) s"
else
  echo "NOT SYNCED after $(( $(date +%s) - start )) s: ${unsynced[*]} (logs: $D/*.log); the report below misses their records"
fi

say "What the links did"
for c in kara-suu nookat talas; do
  printf '%-22s %s\n' "${NAME[$c]}" "$(tr '\n' ' ' < "$D/link-$c.stats" | sed 's/blackhole=.*//')"
done

say "ayil nodes (hub)"
$AYIL --home "$D/hub" nodes

say "ayil report --from 2026-01 --to 2026-06 (hub, headers only)"
$AYIL --home "$D/hub" report --from 2026-01 --to 2026-06 --format text

say "The hub holds no names: grep for an invented name in the hub's files"
if grep -a -r -q "Invented Person" "$D/hub"; then echo "FOUND (this is a bug)"; exit 1; else echo "not found: bodies are sealed to each committee's reader key"; fi
echo
echo "Demo files are in $D (logs: $D/*.log; what the tools advised: $D/setup.log)."
# A demo that did not sync must not look like one that did.
[ ${#unsynced[@]} = 0 ]
