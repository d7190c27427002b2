#!/bin/bash
# The CLI side of enrollment and sync health, without a real daemon: admit,
# init --invite, join, revoke, nodes, status, sync, and report on a hub.
# A small fake ayild (python) answers the control socket where needed.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE=test-passphrase-1
HUB=$T/hub
C1=$T/c1
C2=$T/c2

$AYIL --home "$HUB" init --role hub --name "Test Hub" --listen 127.0.0.1:17400 \
  >"$T/hubid" 2>/dev/null
HUBID=$(cat "$T/hubid")
check "hub created" test -n "$HUBID"

# ---- admit ----
CODE1=$($AYIL --home "$HUB" admit --name "Alpha Committee" --oblast talas 2>/dev/null) \
  && ok "admit a first committee" || fail "admit a first committee"
$AYIL --home "$HUB" admit --name "Beta Committee" --oblast osh --expires 3 --json \
  >"$T/admit2.json" 2>/dev/null && ok "admit a second committee (--json)" \
  || fail "admit a second committee"
CODE2=$(json_get '["code"]' <"$T/admit2.json")
check "invite codes are ayil2- codes" bash -c "[[ '$CODE1' == ayil2-* && '$CODE2' == ayil2-* ]]"
check "admit --json names the committee" test "$(json_get '["oblast"]' <"$T/admit2.json")" = osh
check "invite does not expire before 3 days" test "$(json_get '["expires"]' <"$T/admit2.json")" -gt "$(( $(date +%s) + 2 * 86400 ))"
expect_rc 2 "admit with an unknown oblast" $AYIL --home "$HUB" admit --name "Gamma" --oblast atlantis
check "... names the option" grep -q -- "--oblast" "$T/err"
expect_rc 2 "admit without --name" $AYIL --home "$HUB" admit --oblast talas
expect_rc 2 "admit of a committee already registered" $AYIL --home "$HUB" admit --name "Alpha Committee" --oblast talas
expect_rc 2 "admit with a bad --expires" $AYIL --home "$HUB" admit --name "Gamma" --oblast naryn --expires 0
expect_rc 2 "admit with a bad --advertise" $AYIL --home "$HUB" admit --name "Gamma" --oblast naryn --advertise nowhere
UNKNOWN=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')
expect_rc 2 "admit --successor-of an unknown node" $AYIL --home "$HUB" admit --successor-of "$UNKNOWN"
check "... says it is not registered" grep -q "not registered" "$T/err"
expect_rc 2 "admit --successor-of garbage" $AYIL --home "$HUB" admit --successor-of not-an-id
expect_rc 2 "admit --successor-of with --name" $AYIL --home "$HUB" admit --successor-of "$UNKNOWN" --name X
check "no committee was added by the refused admits" test "$(sqlite3 "$HUB/ayil.db" 'SELECT count(*) FROM committees')" = 2

# ---- init --invite ----
$AYIL --home "$C1" init --role committee --invite "$CODE1" --recovery-kit "$T/kit1.txt" \
  >/dev/null 2>"$T/err" && ok "init a committee with an invite" \
  || fail "init with an invite: $(cat "$T/err")"
check "name comes from the invite" grep -q "^name = Alpha Committee$" "$C1/ayil.conf"
check "init shows the enrolment code to read out" grep -q "enrolment code [0-9]\{4\}-[0-9]\{4\}-[0-9]\{4\}" "$T/err"
expect_rc 0 "the hub's operator confirms C1's code" $AYIL --home "$HUB" admit --confirm "$($AYIL --home "$C1" id --code)"
expect_rc 2 "a malformed confirmation code is refused" $AYIL --home "$HUB" admit --confirm "12-34"
check "... naming what a code is" grep -q "12 digits" "$T/err"
check "oblast comes from the invite" grep -q "^oblast = talas$" "$C1/ayil.conf"
check "config has the hub's address" grep -q "^address = 127.0.0.1:17400$" "$C1/ayil.conf"
check "config has the hub's id" grep -qF "id = $HUBID" "$C1/ayil.conf"
check "network key is 0600" test "$(stat -c %a "$C1/network.key")" = 600
check "network key is the hub's" test "$(grep '^key=' "$C1/network.key")" = "$(grep '^key=' "$HUB/network.key")"
check "the token waits in the store for ayild" test -n "$(sqlite3 "$C1/ayil.db" "SELECT value FROM meta WHERE key='invite_token'")"
check "the token is not in the config" bash -c "! grep -qi token $C1/ayil.conf"

# Bad codes: exit 2, nothing created.
python3 - "$CODE2" "$T" <<'PY'
import base64, hashlib, struct, sys
code, t = sys.argv[1], sys.argv[2]
full = bytearray(base64.urlsafe_b64decode(code[6:] + "=" * (-len(code[6:]) % 4)))
raw = full[:-4]                   # the last 4 bytes are a BLAKE2b check
assert bytes(full[-4:]) == hashlib.blake2b(bytes(raw), digest_size=4).digest()
enc = lambda b: "ayil2-" + base64.urlsafe_b64encode(bytes(b) + hashlib.blake2b(bytes(b), digest_size=4).digest()).decode().rstrip("=")
# hub id, network key, token, then the expiry day (be16) at 80
typo = bytearray(full); typo[40] ^= 0x01  # one mistyped character, check not fixed
open(t + "/typo.code", "w").write("ayil2-" + base64.urlsafe_b64encode(bytes(typo)).decode().rstrip("="))
old = bytearray(raw); old[80:82] = struct.pack(">H", 11574)  # 2001-09-09
open(t + "/expired.code", "w").write(enc(old))
bad = bytearray(raw); bad[82] = 0  # the name's length: the fields no longer fit
open(t + "/tampered.code", "w").write(enc(bad))
open(t + "/truncated.code", "w").write(code[:-12])
PY
n=0
for kind in expired tampered truncated typo garbage version; do
  case $kind in
    garbage) code="hello-this-is-not-an-invite" ;;
    version) code="ayil9-${CODE2#ayil2-}" ;;
    *) code=$(cat "$T/$kind.code") ;;
  esac
  n=$((n + 1))
  expect_rc 2 "init with a $kind invite" $AYIL --home "$T/bad$n" init --role committee \
    --invite "$code" --recovery-kit "$T/badkit$n.txt"
  if [ $kind = expired ]; then
    check "... says it expired" grep -q "expired on" "$T/err"
  else
    check "... says it is malformed" grep -q "invite code is malformed" "$T/err"
  fi
  check "... created no home" test ! -e "$T/bad$n"
  check "... created no kit" test ! -e "$T/badkit$n.txt"
done
expect_rc 2 "init with an invite of another oblast" $AYIL --home "$T/bad9" init --role committee \
  --invite "$CODE2" --oblast naryn --recovery-kit "$T/badkit9.txt"
check "... created no home" test ! -e "$T/bad9"
expect_rc 2 "init of a hub with an invite" $AYIL --home "$T/bad10" init --role hub --name H \
  --listen 127.0.0.1:17401 --invite "$CODE2"
check "... created no home" test ! -e "$T/bad10"

# ---- join ----
$AYIL --home "$C2" init --role committee --name "Beta Committee" --oblast osh \
  --recovery-kit "$T/kit2.txt" >/dev/null 2>&1
check "a committee without a hub has no network key" test ! -e "$C2/network.key"
expect_rc 2 "join with a malformed code" $AYIL --home "$C2" join "ayil1-AAAA"
check "... wrote no network key" test ! -e "$C2/network.key"
expect_rc 2 "join with an expired code" $AYIL --home "$C2" join "$(cat "$T/expired.code")"
expect_rc 0 "join" $AYIL --home "$C2" join "$CODE2"
expect_rc 0 "the hub's operator confirms C2's code" $AYIL --home "$HUB" admit --confirm "$($AYIL --home "$C2" id --code)"
check "join wrote the hub into the config" grep -q "^address = 127.0.0.1:17400$" "$C2/ayil.conf"
check "join wrote the network key" test "$(grep '^key=' "$C2/network.key")" = "$(grep '^key=' "$HUB/network.key")"
check "join stored the token" test -n "$(sqlite3 "$C2/ayil.db" "SELECT value FROM meta WHERE key='invite_token'")"
expect_rc 2 "join a second time" $AYIL --home "$C2" join "$CODE2"
check "... says it has a hub" grep -q "already has a hub" "$T/err"
expect_rc 2 "join on a node enrolled by init" $AYIL --home "$C1" join "$CODE2"
expect_rc 2 "join on a hub" $AYIL --home "$HUB" join "$CODE2"
expect_rc 2 "join without a code" $AYIL --home "$C2" join

# ---- hub-only commands refused on a committee ----
expect_rc 2 "admit on a committee" $AYIL --home "$C1" admit --name X --oblast talas
expect_rc 2 "revoke on a committee" $AYIL --home "$C1" revoke "$UNKNOWN"
expect_rc 2 "nodes on a committee" $AYIL --home "$C1" nodes

# ---- revoke ----
expect_rc 2 "revoke an unknown node" $AYIL --home "$HUB" revoke "$UNKNOWN"
check "... says it is not registered" grep -q "not registered" "$T/err"
expect_rc 2 "revoke garbage" $AYIL --home "$HUB" revoke not-an-id
expect_rc 2 "revoke without an id" $AYIL --home "$HUB" revoke

# ---- nodes ----
expect_rc 0 "nodes --json" $AYIL --home "$HUB" nodes --json
cp "$T/out" "$T/nodes.json"
check "nodes lists both committees, invited" python3 - "$T/nodes.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
got = {(c["name"], c["oblast"], c["state"]) for c in d["committees"]}
assert got == {("Alpha Committee", "talas", "invited"), ("Beta Committee", "osh", "invited")}, got
for c in d["committees"]:
    assert c["last_contact"] is None and c["entries_held"] == 0
    assert [n["state"] for n in c["nodes"]] == ["invited"] and c["nodes"][0]["id"] is None
    assert any(a["kind"] == "never_connected" for a in c["alerts"])
    assert len(c["bytes_7d"]) == 7 and c["bytes_today"] == {"sent": 0, "recv": 0}
PY
expect_rc 0 "nodes (text)" $AYIL --home "$HUB" nodes
check "text has a header and both rows" bash -c "grep -q '^COMMITTEE' $T/out && grep -q '^Alpha Committee' $T/out && grep -q '^Beta Committee' $T/out"
check "text says never" grep -q "never" "$T/out"
expect_rc 0 "nodes --html" $AYIL --home "$HUB" nodes --html "$T/nodes.html"
check "html written" grep -q "Alpha Committee" "$T/nodes.html"
check "html has no script" bash -c "! grep -qi '<script' $T/nodes.html"
check "html has no external link" bash -c "! grep -qi 'http' $T/nodes.html"
check "nothing on stdout with --html alone" test ! -s "$T/out"
# The page as an operator sees it: a 1,200-pixel screen, and on paper.
CHROMIUM=$(command -v chromium || true)
if [ -z "$CHROMIUM" ] || ! command -v pdftotext >/dev/null || [ ! -x /usr/bin/chromedriver ]; then
  echo "# SKIP: the nodes page's width and print checks need chromium, chromium-driver and poppler-utils (scripts/deps.sh)"
else
  NP="$(dirname "$0")/lib/nodes_print.py"
  if /usr/bin/python3 "$NP" width "$T/nodes.html" >"$T/np.out" 2>&1; then ok "$(tail -1 "$T/np.out" | sed 's/^ok - //')"; else fail "$(grep FAIL "$T/np.out" | head -3) $(tail -c 300 "$T/np.out")"; fi
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$T/chromium-nodes" --no-pdf-header-footer --print-to-pdf="$T/nodes.pdf" \
    "file://$T/nodes.html" >"$T/chromium.log" 2>&1 || true
  if [ -s "$T/nodes.pdf" ] && pdftotext -bbox-layout "$T/nodes.pdf" "$T/nodes.bbox.html"; then
    /usr/bin/python3 "$NP" print "$T/nodes.pdf" "$T/nodes.bbox.html" "Alpha Committee" "Beta Committee" >"$T/np.out" 2>&1 || true
    while read -r line; do
      case "$line" in "ok - "*) ok "nodes page printed: ${line#ok - }" ;; "FAIL - "*) fail "nodes page printed: ${line#FAIL - }" ;; esac
    done <"$T/np.out"
  else
    fail "nodes page: chromium made no PDF: $(tail -c 300 "$T/chromium.log")"
  fi
fi
expect_rc 2 "nodes --silent-days garbage" $AYIL --home "$HUB" nodes --silent-days x
expect_rc 1 "nodes --html to an unwritable place" $AYIL --home "$HUB" nodes --html "$T/no/such/dir/n.html"

# ---- status without a daemon ----
expect_rc 0 "status --json on the hub" $AYIL --home "$HUB" status --json
check "hub: daemon not running" test "$(json_get '["daemon"]["running"]' <"$T/out")" = False
check "hub: no peers yet" test "$(json_get '["peers"]' <"$T/out")" = "[]"
expect_rc 0 "status --json on a committee" $AYIL --home "$C1" status --json
cp "$T/out" "$T/status1.json"
check "committee: daemon not running" test "$(json_get '["daemon"]["running"]' <"$T/status1.json")" = False
check "committee: the peer is its hub" test "$(json_get '["peers"][0]["id"]' <"$T/status1.json")" = "$HUBID"
check "committee: enrollment pending" test "$(json_get '["enrollment_pending"]' <"$T/status1.json")" = True
check "committee: entries in unknown without a daemon" test "$(json_get '["peers"][0]["unacked_in"]' <"$T/status1.json")" = unknown
check "committee: nothing out yet" test "$(json_get '["peers"][0]["unacked_out"]' <"$T/status1.json")" = 0
echo '{"date":"2026-03-21","audience":"parents","participants_female":4,"participants_male":3}' \
  | $AYIL --home "$C1" record add prevention >/dev/null
check "committee: a new record is not acknowledged out" \
  test "$($AYIL --home "$C1" status --json | json_get '["peers"][0]["unacked_out"]')" = 1
expect_rc 0 "status (text)" $AYIL --home "$C1" status
check "text says the daemon is not running" grep -q "not running" "$T/out"

# ---- sync ----
expect_rc 1 "sync without a daemon" $AYIL --home "$C1" sync
check "... says ayild is not running" grep -q "ayild is not running (socket $C1/ayild.sock)" "$T/err"
expect_rc 1 "sync --wait without a daemon" $AYIL --home "$C1" sync --wait 1
expect_rc 2 "sync --wait garbage" $AYIL --home "$C1" sync --wait soon

# A fake ayild on the control socket: MODE synced|pending|mute.
fake_daemon() {
  python3 - "$1/ayild.sock" "$2" <<'PY' &
import json, os, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(path); s.listen(8)
s.settimeout(30)
try:
    while True:
        c, _ = s.accept()
        buf = b""
        while b"\n" not in buf:
            d = c.recv(4096)
            if not d: break
            buf += d
        req = json.loads(buf.split(b"\n")[0])
        if mode == "mute":
            time.sleep(8); c.close(); continue
        if req["cmd"] == "sync": rep = {"ok": True}
        else:
            rep = {"ok": True, "role": "committee", "pid": 4242, "uptime_s": 5,
                   "synced": mode == "synced",
                   "peers": [{"id": "hubid", "name": "hub", "connected": True, "state": "syncing",
                              "unacked_out": 0 if mode == "synced" else 3, "unacked_in": 0,
                              "bytes_sent": 10, "bytes_recv": 20, "since_progress_ms": 5}]}
        c.sendall((json.dumps(rep) + "\n").encode()); c.close()
except socket.timeout:
    pass
finally:
    os.unlink(path)
PY
  PIDS+=($!)
  for _ in $(seq 50); do [ -S "$1/ayild.sock" ] && break; sleep 0.1; done
}
stop_fake() { kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null || true; rm -f "$1/ayild.sock"; }

fake_daemon "$C1" synced
expect_rc 0 "sync with a daemon" $AYIL --home "$C1" sync
expect_rc 0 "sync --wait when synced" $AYIL --home "$C1" sync --wait 5
expect_rc 0 "status --json with a daemon" $AYIL --home "$C1" status --json
check "status: daemon running, pid" test "$(json_get '["daemon"]["pid"]' <"$T/out")" = 4242
stop_fake "$C1"
fake_daemon "$C1" pending
start=$(date +%s)
expect_rc 1 "sync --wait 1 when not synced" $AYIL --home "$C1" sync --wait 1
check "... names what is outstanding" grep -q "not synced after 1 s: peer hub (hubid) is syncing, 3 entries not acknowledged out" "$T/err"
check "... within the time" test $(( $(date +%s) - start )) -le 3
stop_fake "$C1"
fake_daemon "$C1" mute
start=$(date +%s)
expect_rc 1 "sync with a daemon that never answers" $AYIL --home "$C1" sync
check "... gives up within the bound" test $(( $(date +%s) - start )) -le 7
expect_rc 0 "status with a daemon that never answers" $AYIL --home "$C1" status --json
check "... says it did not answer" test "$(json_get '["daemon"]["error"]' <"$T/out")" = "timed out"
stop_fake "$C1"

# ---- report on the hub ----
expect_rc 0 "report on the hub" $AYIL --home "$HUB" report --format json
check "both committees appear with zeros" python3 - "$T/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["rows"] if r["scope"] == "committee"]
assert {r["name"] for r in rows} == {"Alpha Committee", "Beta Committee"}, {r["name"] for r in rows}
assert all(r["value"] == 0 for r in rows)
assert all(r["value"] == 0 for r in d["rows"] if r["scope"] == "total")
PY

# ---- help ----
for cmd in admit revoke nodes join sync status; do
  check "help $cmd" bash -c "$AYIL help $cmd | grep -q 'usage: ayil $cmd'"
done
finish
