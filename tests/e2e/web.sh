#!/bin/bash
# ayil-web as a committee member and an attacker on the LAN would use it,
# with real processes over HTTPS on 127.0.0.1 (the checks are in
# lib/web_check.py): security headers and cookie flags, CSRF, no body
# without a session or before unlock, the audit, hostile input, every field
# of every kind through its form, idle expiry, members (a removed member
# cannot log in and their key slot is gone), login throttling, and the
# refusals of a bad config. Invented names only.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
WEB="$BIN/ayil-web"
PY=/usr/bin/python3 # Debian's, with nothing else needed
H=$T/c
export AYIL_PASSPHRASE=chair-pass-1
mkdir -p "$T/usb"
"$AYIL" --home "$H" init --role committee --name "Web test committee" --oblast talas \
  --recovery-kit "$T/usb/kit.txt" >/dev/null 2>"$T/init.err"
check "init makes the web certificate and prints its fingerprint" grep -q "web certificate SHA-256 [0-9A-F:]\{95\}" "$T/init.err"
check "the certificate's key is private" test "$(stat -c %a "$H/web.key")" = 600
FPR=$(sed -n 's/.*web certificate SHA-256 \([0-9A-F:]*\).*/\1/p' "$T/init.err" | head -1)
check "ayil web cert --show prints the same fingerprint" test "$("$AYIL" --home "$H" web cert --show)" = "$FPR"
check "ayil status shows it" bash -c "'$AYIL' --home '$H' status | grep -q '$FPR'"
AYIL_NEW_PASSPHRASE=member-pass-1 "$AYIL" --home "$H" member add "Nurlan Testov" --role member 2>/dev/null
AYIL_NEW_PASSPHRASE=leaver-pass-1 "$AYIL" --home "$H" member add "Leaving Member" --role member 2>/dev/null
check "three members: the first chair and two members" test "$("$AYIL" --home "$H" member list | wc -l)" = 3

PORT=$(free_port)
sed -i -e "s/^listen = 0.0.0.0:8443/listen = 127.0.0.1:$PORT/" -e 's/^idle_timeout = .*/idle_timeout = 6/' "$H/ayil.conf"
start_web() {
  TZ=Asia/Bishkek "$WEB" --home "$H" 2>>"$T/web.log" &
  WPID=$!
  PIDS+=($WPID)
  for _ in $(seq 100); do grep -q "serving" "$T/web.log" && return 0; sleep 0.1; done
  sed 's/^/# /' "$T/web.log"
  return 1
}
check "ayil-web starts on HTTPS" start_web
SERVED=$(echo | timeout 10 openssl s_client -connect 127.0.0.1:$PORT 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//')
check "it serves the certificate whose fingerprint ayil status shows" test "$SERVED" = "$FPR"
wc() { TZ=Asia/Bishkek "$PY" "$SRC/tests/e2e/lib/web_check.py" "$PORT" "$AYIL" "$H" "$AYIL_PASSPHRASE" "Nurlan Testov" member-pass-1 "$1"; }
for step in headers csrf body hostile roundtrip "expire:6"; do
  out=$(wc "$step" 2>&1) || true
  echo "$out" | grep -E '^(ok|FAIL) - ' | sed "s/^ok - /ok - $step: /; s/^FAIL - /FAIL - $step: /" || true
  PASSED=$((PASSED + $(echo "$out" | grep -c '^ok - ' || true)))
  FAILED=$((FAILED + $(echo "$out" | grep -c '^FAIL - ' || true)))
  echo "$out" | grep -vE '^(ok|FAIL) - |^RID=' | head -5 | sed 's/^/# /' || true
done
check "ayil-web still runs after all that" kill -0 "$WPID"

# a removed member: no log-in, no key slot
"$PY" - "$SRC/tests/e2e/lib" "$PORT" <<'PY' >"$T/leaver" 2>&1 || true
import sys; sys.path.insert(0, sys.argv[1])
from webclient import Client
c = Client("127.0.0.1", int(sys.argv[2])); c.cookies["lang"] = "en"
print("before", c.login("Leaving Member", "leaver-pass-1").status)
PY
NAME64=$(printf 'Leaving Member' | base64)
check "the member's key slot is in reader.key" grep -q "^member=$NAME64:" "$H/reader.key"
"$AYIL" --home "$H" member remove "Leaving Member" 2>/dev/null
check "after ayil member remove the key slot is gone" bash -c "! grep -q '$NAME64' '$H/reader.key'"
"$PY" - "$SRC/tests/e2e/lib" "$PORT" <<'PY' >>"$T/leaver" 2>&1 || true
import sys; sys.path.insert(0, sys.argv[1])
from webclient import Client
c = Client("127.0.0.1", int(sys.argv[2])); c.cookies["lang"] = "en"
r = c.login("Leaving Member", "leaver-pass-1")
print("after", r.status, "Wrong name or password" in r.text)
PY
check "the member logged in before removal" grep -q "^before 303" "$T/leaver"
check "a removed member cannot log in (401, the same words as a wrong password)" grep -q "^after 401 True" "$T/leaver"
check "the old password does not open the reader key either" bash -c \
  "! AYIL_MEMBER='Leaving Member' AYIL_PASSPHRASE=leaver-pass-1 '$AYIL' --home '$H' record list --with-body >/dev/null 2>&1"

out=$(wc throttle 2>&1) || true
echo "$out" | grep -E '^(ok|FAIL) - ' || true
PASSED=$((PASSED + $(echo "$out" | grep -c '^ok - ' || true)))
FAILED=$((FAILED + $(echo "$out" | grep -c '^FAIL - ' || true)))
check "the failed log-ins are logged with the address, not the name or password" bash -c \
  "grep -q 'failed log-in from 127.0.0.1' '$T/web.log' && ! grep -qE 'Nurlan|Leaving|wrong-password' '$T/web.log'"
check "no survivor name in the server's log" bash -c "! grep -q Inventedova '$T/web.log'"
check "no survivor name outside the sealed store" bash -c "! grep -rqa Inventedova '$H' --exclude='ayil.db*'"
check "no survivor name in the store in clear either" bash -c "! grep -rqa Inventedova '$H'"

kill "$WPID"; wait "$WPID" 2>/dev/null || true; forget "$WPID"
# refusals of the config
sed -i -e "s/^tls = on/tls = off/" -e "s/^listen = .*/listen = 0.0.0.0:$PORT/" "$H/ayil.conf"
expect_rc 2 "plain HTTP off loopback is refused" "$WEB" --home "$H"
check "... saying why" grep -q "tls = off is allowed only on a loopback address" "$T/err"
sed -i -e "s/^tls = off/tls = on/" -e "s/^cert = .*/cert = missing.crt/" "$H/ayil.conf"
expect_rc 1 "a missing certificate is refused" "$WEB" --home "$H"
check "... naming the fix" grep -q "ayil web cert" "$T/err"
expect_rc 0 "ayil-web --version" "$WEB" --version
expect_rc 2 "an unknown option" "$WEB" --frobnicate
finish
