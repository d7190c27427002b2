#!/bin/bash
# The store's migrations to schema version 9 (logs by small ids, bodies in
# arrival order: node/store.c), 11 (entries packed) and 12 (no header
# kept twice), on a hub's and a committee's homes written
# by the release at version 7 (tests/e2e/fixtures/make_store_v7.sh): the
# logs, bodies, records, notices, alerts and quarantine come through it
# unchanged, and the commands print what that release printed. A migration
# step that fails half-way leaves the store as the step before left it.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE=migrate-test-pass
FX=$(dirname "$0")/fixtures/store_v7.tar.gz
tar -C "$T" -xzf "$FX"
sq() { sqlite3 "$@"; }
# Everything a store holds, through the columns version 7 had (version 9
# keeps `entries` and `bodies` as views with them; version 10 adds columns
# to peer_acks and committees, left out here). An entry by its position and
# hash: version 11 keeps it packed, and `log verify` (below) rebuilds every
# entry and checks that it hashes to what the store holds.
content() {
  sq "$1/ayil.db" "SELECT n||hex(origin)||seq||hex(hash) FROM entries ORDER BY n;
    SELECT hex(hash)||hex(record)||hex(sealed) FROM bodies ORDER BY hash;
    SELECT hex(id)||hex(origin)||seq||created_n||kind||ifnull(month,'')||ifnull(hex(body_hash),'')||deleted||ifnull(hex(owner),'') FROM records ORDER BY id;
    SELECT * FROM notices ORDER BY n; SELECT n, kind, hex(peer), hex(origin), seq, first, cleared, hex(record) FROM alerts ORDER BY n;
    SELECT hex(hash)||hex(record)||hex(sealed)||purged FROM quarantine ORDER BY hash;
    SELECT peer, origin, seq FROM peer_acks ORDER BY peer, origin; SELECT * FROM devices ORDER BY id;
    SELECT id, name, oblast, created FROM committees ORDER BY id;" | sha256sum | cut -c1-16
}
# Alerts, without the time each was last seen (log verify and doctor see
# the damaged body again, as version 7's did).
alerts_of() { python3 -c 'import json, sys; print([{k: v for k, v in a.items() if k != "last"} for a in json.load(open(sys.argv[1]))])' "$1"; }
# doctor's verdicts, without what depends on the machine or the hour.
doctor_of() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["ok"], d["failed"])
for c in d["checks"]:
    if c["check"] in ("home", "disk", "clock", "daemon"):
        continue
    print(c["check"], c["status"], c.get("detail", "") if c["check"] == "store" else "")
' "$1"
}

for h in hub c; do
  H=$T/$h
  check "$h: the fixture is a version 7 store" test "$(sq "$H/ayil.db" 'PRAGMA user_version')" = 7
  before=$(content "$H")
  # A migration step that fails half-way (here: a table in the way of the
  # last part of step 9, after the logs were converted) changes nothing:
  # the store stays at the step before it (8 adds two columns to bodies).
  cp "$H/ayil.db" "$T/$h-copy.db"
  sq "$H/ayil.db" "CREATE TABLE body_rows(x)"
  expect_rc 1 "$h: a migration that cannot finish is refused" $AYIL --home "$H" log verify
  check "$h: ... and the store stays at version 8" test "$(sq "$H/ayil.db" 'PRAGMA user_version')" = 8
  check "$h: ... with its tables as they were" test "$(sq "$H/ayil.db" "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE name IN ('entries','bodies','logs','log_entries') AND type='table' ORDER BY name)")" = "bodies,entries"
  sq "$H/ayil.db" "DROP TABLE body_rows"
  check "$h: ... holding what it held" test "$(content "$H")" = "$before"
  canon=$(sq "$H/ayil.db" "SELECT sum(length(bytes)) FROM entries")
  # The same for the step that packs the entries (11), which is code, not
  # only SQL: a table in its way, and the store stays at version 10.
  cp "$H/ayil.db" "$T/$h-copy10.db"
  sq "$H/ayil.db" "CREATE TABLE log_packed(x)"
  expect_rc 1 "$h: a packing step that cannot finish is refused" $AYIL --home "$H" log verify
  check "$h: ... and the store stays at version 10" test "$(sq "$H/ayil.db" 'PRAGMA user_version')" = 10
  check "$h: ... its entries as they were" test "$(sq "$H/ayil.db" "SELECT sum(length(bytes)) FROM log_entries")" = "$canon"
  sq "$H/ayil.db" "DROP TABLE log_packed"
  check "$h: ... holding what it held" test "$(content "$H")" = "$before"

  # The migration, on the first open by the current binary.
  $AYIL --home "$H" log verify --json >"$T/$h-verify.json" 2>&1 || true
  check "$h: migrated to version 12" test "$(sq "$H/ayil.db" 'PRAGMA user_version')" = 12
  check "$h: every entry is kept packed (version 11)" test "$(sq "$H/ayil.db" "SELECT count(*) FROM log_entries WHERE substr(packed, 1, 1) = x'9b'")" = 0
  # Version 12: a record keeps the arrival number of the entry that last
  # changed it (its header, origin and seq are that entry's: the content
  # check below reads them through it), no header or origin of its own.
  check "$h: every record names the entry that last changed it (version 12)" test "$(sq "$H/ayil.db" "SELECT count(*) FROM record_rows WHERE hn IS NULL OR hn NOT IN (SELECT n FROM log_entries)")" = 0
  check "$h: ... and keeps no header or origin of its own" test "$(sq "$H/ayil.db" "SELECT count(*) FROM pragma_table_info('record_rows') WHERE name IN ('header', 'origin', 'seq')")" = 0
  packed=$(sq "$H/ayil.db" "SELECT sum(length(packed)) FROM log_entries")
  check "$h: ... in under 0.6 of the bytes ($packed of $canon)" test $((packed * 10)) -lt $((canon * 6))
  check "$h: registry rows are committees, with no parent (version 10)" test "$(sq "$H/ayil.db" "SELECT count(*) FROM committees WHERE kind <> 'committee' OR parent IS NOT NULL")" = 0
  check "$h: logs are kept once, by small ids" test "$(sq "$H/ayil.db" 'SELECT count(*) FROM logs')" = 2
  check "$h: every entry, body, record, notice, alert, ack and quarantined body is as it was" test "$(content "$H")" = "$before"
  check "$h: log verify prints what version 7 printed" diff "$T/expect/$h/verify.json" "$T/$h-verify.json"
  ($AYIL --home "$H" doctor --offline --json || true) >"$T/$h-doctor.json" 2>/dev/null
  check "$h: doctor's verdicts are those of version 7" diff <(doctor_of "$T/expect/$h/doctor.json") <(doctor_of "$T/$h-doctor.json")
  ($AYIL --home "$H" alerts --json || true) >"$T/$h-alerts.json" 2>&1
  check "$h: alerts are as they were" diff <(alerts_of "$T/expect/$h/alerts.json") <(alerts_of "$T/$h-alerts.json")
  $AYIL --home "$H" report --format json --suppress-below 0 >"$T/$h-report.json"
  check "$h: the report is the same" diff "$T/expect/$h/report.json" "$T/$h-report.json"
  check "$h: integrity_check passes" test "$(sq "$H/ayil.db" 'PRAGMA integrity_check')" = ok
done

# A full disk during the conversion: the store is left as the last step
# that finished left it, holding what it held, and the error says what to
# do; with space, the next run finishes it. In a private mount namespace
# (root only), on a tmpfs 64 KB larger than the home: room for SQLite's
# shared-memory file, not for the conversion.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
  mkdir -p "$T/full"
  tar -C "$T/full" -xzf "$FX"
  rm -rf "$T/full/c" "$T/full/expect"
  before=$(content "$T/full/hub")
  kb=$(($(du -sk "$T/full/hub" | cut -f1) + 64))
  export AYIL
  unshare -m bash -c '
    m=$1/mnt; mkdir -p "$m"
    mount -t tmpfs -o size=$2k tmpfs "$m" || exit 1
    cp -a "$1/hub" "$m/hub"
    rc=0; "$AYIL" --home "$m/hub" log verify >/dev/null 2>"$1/err1" || rc=$?
    echo "$rc" >"$1/rc1"
    sqlite3 "$m/hub/ayil.db" "PRAGMA user_version" >"$1/v1"
    cp "$m/hub/ayil.db" "$1/after1.db"
    mount -o remount,size=8m "$m"
    rc=0; "$AYIL" --home "$m/hub" log verify >/dev/null 2>"$1/err2" || rc=$?
    echo "$rc" >"$1/rc2"
    cp -a "$m/hub" "$1/hub2"
  ' _ "$T/full" "$kb"
  check "full disk: the conversion is refused (exit 1)" test "$(cat "$T/full/rc1")" = 1
  check "... saying the disk is full, nothing was lost, and what to do" grep -q "disk full; nothing in it was lost.*free space and run the command again" "$T/full/err1"
  check "... the store is at a version before 12 ($(cat "$T/full/v1"))" test "$(cat "$T/full/v1")" -lt 12
  mkdir -p "$T/full/h1" && cp "$T/full/after1.db" "$T/full/h1/ayil.db"
  check "... holding what it held" test "$(content "$T/full/h1")" = "$before"
  check "with space, the next run converts it" test "$(cat "$T/full/rc2")/$(sq "$T/full/hub2/ayil.db" 'PRAGMA user_version')" = 0/12
  check "... holding what it held" test "$(content "$T/full/hub2")" = "$before"
else
  ok "full disk during the conversion: skipped (needs root and unshare)"
fi

# An entry damaged on disk before the migration so that it no longer
# decodes (its first byte flipped) cannot be packed: it is kept exactly as
# it was, the others are packed, and log verify names it after the
# migration as it did before. (A damaged entry that still decodes is
# packed, since its packed form rebuilds the same bytes: the store checks
# that, and verify fails its signature as before.)
mkdir -p "$T/dmg"
tar -C "$T/dmg" -xzf "$FX"
D=$T/dmg/hub
dseq=$(sq "$D/ayil.db" "SELECT seq FROM entries ORDER BY n LIMIT 1 OFFSET 2")
dorig=$(sq "$D/ayil.db" "SELECT hex(origin) FROM entries ORDER BY n LIMIT 1 OFFSET 2")
flipped=$(python3 -c "import sys; b=bytearray.fromhex(sys.argv[1]); b[0]^=0x01; print(b.hex())" "$(sq "$D/ayil.db" "SELECT hex(bytes) FROM entries ORDER BY n LIMIT 1 OFFSET 2")")
sq "$D/ayil.db" "UPDATE entries SET bytes=x'$flipped' WHERE seq=$dseq AND hex(origin)='$dorig'"
expect_rc 1 "dmg: log verify on the damaged store migrates it and names the entry" $AYIL --home "$D" log verify
grep -q "seq $dseq:" "$T/err" && ok "... entry $dseq" || fail "names: $(cat "$T/err")"
check "dmg: migrated to version 12" test "$(sq "$D/ayil.db" 'PRAGMA user_version')" = 12
check "dmg: the damaged entry is kept byte for byte" test "$(sq "$D/ayil.db" "SELECT lower(hex(packed)) FROM entries WHERE seq=$dseq AND hex(origin)='$dorig'")" = "$flipped"
check "dmg: ... the only one not packed" test "$(sq "$D/ayil.db" "SELECT count(*) FROM log_entries WHERE substr(packed, 1, 1) <> x'97'")" = 1

C=$T/c
$AYIL --home "$C" record list --json >"$T/list.json"
check "c: record list is the same" diff "$T/expect/c/list.json" "$T/list.json"
n=0
for f in "$T"/expect/c/show-*.json; do
  id=$(basename "$f" .json); id=${id#show-}
  ($AYIL --home "$C" record show "$id" --json || true) >"$T/show.json" 2>&1
  if diff -q "$f" "$T/show.json" >/dev/null; then n=$((n + 1)); else fail "c: record show $id differs"; fi
done
check "c: every record shows as it did (6, one of them damaged)" test "$n" = 6

# The migrated stores keep working: a new record, its sync to the hub by
# bundle, a delete that the hub quarantines, and log verify on both.
HUB=$T/hub
NEW=$(echo '{"date":"2026-04-01","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open","survivor_name":"Invented Gulnara"}' | $AYIL --home "$C" record add appeal)
$AYIL --home "$C" record show "$NEW" --json >"$T/new.json"
check "c: a new record after the migration shows its fields" grep -q 'Invented Gulnara' "$T/new.json"
$AYIL --home "$C" bundle export "$T/b.bundle" >/dev/null 2>&1
expect_rc 0 "hub: imports the migrated committee's new entry" $AYIL --home "$HUB" bundle import "$T/b.bundle" --json
$AYIL --home "$C" record delete "$NEW" >/dev/null
$AYIL --home "$C" bundle export "$T/b2.bundle" >/dev/null 2>&1
$AYIL --home "$HUB" bundle import "$T/b2.bundle" >/dev/null 2>&1
check "hub: the deleted record's body waits in quarantine" test "$(sq "$HUB/ayil.db" 'SELECT count(*) FROM quarantine')" = 4
expect_rc 0 "hub: log verify after the migration and new entries" $AYIL --home "$HUB" log verify
check "hub: 13 entries in 2 logs" test "$(sq "$HUB/ayil.db" 'SELECT count(*) FROM log_entries')/$(sq "$HUB/ayil.db" 'SELECT count(*) FROM logs')" = 13/2
finish
