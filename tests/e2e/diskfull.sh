#!/bin/bash
# A full disk: record add fails with a clear error and exit 1, nothing
# already stored is lost or changed, and the store verifies afterwards.
# Needs root to mount a small tmpfs; skips otherwise.
source "$(dirname "$0")/lib/common.bash"
if [ "$(id -u)" != 0 ] || ! mkdir -p "$T/small" || ! mount -t tmpfs -o size=600k tmpfs "$T/small" 2>/dev/null; then
  echo "SKIP: needs root and tmpfs to fill a disk"
  finish
  exit 0
fi
trap 'umount "$T/small" 2>/dev/null || true; cleanup' EXIT
H=$T/small/home
export AYIL_PASSPHRASE=disk-full-pass
$AYIL --home "$H" init --role committee --name "Full disk committee" --oblast batken \
  --recovery-kit "$T/kit.txt" >/dev/null 2>&1
# Random text: bodies are compressed before sealing, so a repeated letter
# would fill nothing.
body=$(head -c 9000 /dev/urandom | base64 -w0)
added=0 rc=0
for i in $(seq 200); do
  rc=0
  echo "{\"date\":\"2026-05-01\",\"source\":\"school\",\"violence\":[\"neglect\"],\"survivor_sex\":\"male\",\"survivor_age\":\"0-11\",\"status\":\"open\",\"narrative\":\"$body\"}" \
    | $AYIL --home "$H" record add appeal >/dev/null 2>"$T/err" || rc=$?
  [ "$rc" = 0 ] || break
  added=$((added + 1))
done
check "the disk filled up after some records ($added)" test "$added" -gt 0 -a "$rc" != 0
check "the failure exits 1" test "$rc" = 1
check "the error says the disk is full and nothing was written" grep -q "disk full; nothing was written" "$T/err"
check "... and names nothing identifying" bash -c "! grep -qF '${body:100:24}' $T/err"
n=$($AYIL --home "$H" record list --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "every record added before is still there ($n)" test "$n" = "$added"
expect_rc 0 "the log verifies on the full disk" $AYIL --home "$H" log verify
check "SQLite's integrity check passes" test "$(sqlite3 "$H/ayil.db" 'PRAGMA integrity_check')" = ok
rm -f "$T/small/filler" 2>/dev/null
mount -o remount,size=2m "$T/small"
echo '{"date":"2026-05-02","cases_reviewed":1,"violence_related":true}' | $AYIL --home "$H" record add session >/dev/null 2>"$T/err" \
  && ok "with space again, records are added" || fail "add after freeing space: $(cat "$T/err")"
finish
