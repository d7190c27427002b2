#!/bin/bash
# The committee's web app in a real browser, end to end: a hub and a
# committee (real ayild processes) behind a flaky emulated 2G link, and
# ayil-web on the committee's Pi over HTTPS. Headless Chromium, driven by
# Selenium, in Kyrgyz at 360 px (lib/web_browser.py): a member logs in,
# enters an appeal (a bad date first: the error in Kyrgyz, the other fields
# kept), adds a referral and a follow-up from its case page, unlocks, finds
# the appeal by the survivor's invented name and opens it; the chair sees
# that opening in the audit. Then the records reach the hub and count in
# its report, and the invented name is in no file of the hub, of the Pi
# (the sealed store included) or of any log. Screenshots stay in the build
# directory (web-screenshots/).
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
PY=/usr/bin/python3
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! "$PY" -c 'import selenium' 2>/dev/null; then
  if [ -n "${AYIL_REQUIRE_CHROMIUM:-}" ]; then
    fail "chromium, chromium-driver and python3-selenium are required (AYIL_REQUIRE_CHROMIUM is set)"
    finish
  fi
  echo "# SKIP: needs chromium, chromium-driver and python3-selenium (scripts/deps.sh installs them)"
  exit 0
fi
START=$(date +%s)
export AYIL_PASSPHRASE="chair passphrase 1"
NAME="Aizada Inventedova"
SHOTS="$BIN/web-screenshots"
rm -rf "$SHOTS" && mkdir -p "$SHOTS"

phase "a hub, and a committee behind a flaky 2G link"
HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test regional hub" --listen "127.0.0.1:$HUBPORT" >"$T/hub.id" 2>>"$T/cli.err"
start_d hub
start_link c1 11
make_committee c1 "Ak-Bulak test committee" talas
C=${HOME_OF[c1]}
start_d c1
check "the committee is enrolled and in sync" timeout 200 "$AYIL" --home "$C" sync --wait 180
# From now on it would come back only after an hour: what reaches the hub
# soon comes because ayil-web told ayild over the control socket.
sed -i 's/^poll_interval = .*/poll_interval = 3600/' "$C/ayil.conf"
kill -HUP "${PID_OF[c1]}"
AYIL_NEW_PASSPHRASE="member passphrase 1" "$AYIL" --home "$C" member add "Nurlan Testov" --role member 2>>"$T/cli.err"
check "the committee has a chair and a member" test "$("$AYIL" --home "$C" member list | wc -l)" = 2

phase "ayil-web on the committee's Pi"
WPORT=$(free_port)
sed -i "s/^listen = 0.0.0.0:8443/listen = 127.0.0.1:$WPORT/" "$C/ayil.conf"
"$BIN/ayil-web" --home "$C" 2>"$T/web.log" &
WPID=$!
PIDS+=($WPID)
check "ayil-web serves HTTPS" wait_for 10 grep -q "serving the committee on https" "$T/web.log"

phase "a member's session in headless Chromium (Kyrgyz, 360 px)"
"$PY" "$SRC/tests/e2e/lib/web_browser.py" "https://127.0.0.1:$WPORT" "Nurlan Testov" "member passphrase 1" \
  chair "$AYIL_PASSPHRASE" "$NAME" "$SHOTS" >"$T/browser.out" 2>"$T/browser.err" || true
grep -E '^(ok|FAIL) - ' "$T/browser.out" || true
PASSED=$((PASSED + $(grep -c '^ok - ' "$T/browser.out" || true)))
FAILED=$((FAILED + $(grep -c '^FAIL - ' "$T/browser.out" || true)))
if ! grep -q '^APPEAL=' "$T/browser.out"; then
  fail "the browser session ran to its end"
  tail -n 5 "$T/browser.err" | sed 's/^/# /'
fi
rm -rf "$SHOTS"/.profile-*
check "the screenshots are kept ($SHOTS)" test "$(ls "$SHOTS"/*.png 2>/dev/null | wc -l)" -ge 7
echo "# screenshots: $SHOTS"

phase "the records reach the hub through the flaky link"
hub_has() { [ "$(hub_total appeals)" = 1 ] && [ "$(hub_total referrals)" = 1 ]; }
check "ayil-web told ayild: the records reach the hub without ayil sync (poll interval 1 h)" wait_for 300 hub_has
check "ayil sync --wait then says all is acknowledged" timeout 400 "$AYIL" --home "$C" sync --wait 380
check "the hub's report counts the appeal" test "$(hub_total appeals)" = 1
check "... and the referral" test "$(hub_total referrals)" = 1

phase "the invented name is nowhere but sealed"
check "not in any file of the hub" bash -c "! grep -rqaF '$NAME' '$HUB'"
check "not in any file of the Pi, the store included" bash -c "! grep -rqaF '$NAME' '$C'"
check "not in any log" bash -c "! grep -qaF '$NAME' '$T'/*.log"
check "not in the CLI's errors" bash -c "! grep -qaF '$NAME' '$T/cli.err'"
stop_d c1
stop_d hub
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null || true; forget "$WPID"
finish
