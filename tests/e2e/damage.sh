#!/bin/bash
# A damaged store (issue 14, part 5), with real processes on 127.0.0.1:
#  1. one flipped bit in an unsynced sealed body is one bad record, not a
#     dead link: the entries around it reach the hub, `record show` names
#     the damage (not the reader key), `log verify`, `doctor` and `status`
#     report it;
#  2. a body the hub already holds comes back and repairs the store;
#  3. flipped bytes in the SQLite file: `log verify` and `doctor` fail,
#     and a command that writes refuses the store; a flipped byte in a
#     committed frame of the write-ahead log (which SQLite would drop with
#     every later commit, without a word) is refused the same way.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
START=$(date +%s)
export AYIL_PASSPHRASE="damage test passphrase"
trap_dump_logs

# flip_body DB SEQ: flips one bit of the sealed body of the record that
# entry SEQ of the node's own log put, in place (python3's sqlite3).
flip_body() {
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
own = db.execute("SELECT value FROM meta WHERE key='node_id'").fetchone()
(h, sealed) = db.execute(
    "SELECT b.hash, b.sealed FROM bodies b JOIN records r ON r.body_hash=b.hash"
    " WHERE r.seq=? ORDER BY r.created_n LIMIT 1", (int(sys.argv[2]),)).fetchone()
s = bytearray(sealed)
s[100] ^= 0x04
db.execute("UPDATE bodies SET sealed=? WHERE hash=?", (bytes(s), h))
db.commit()
PY
}
body_ok() { # body_ok DB SEQ: the body of entry SEQ's record hashes right
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys, hashlib
db = sqlite3.connect(sys.argv[1])
r = db.execute("SELECT b.hash, b.sealed FROM bodies b JOIN records r ON r.body_hash=b.hash"
               " WHERE r.seq=? LIMIT 1", (int(sys.argv[2]),)).fetchone()
sys.exit(0 if r and hashlib.blake2b(r[1], digest_size=32).digest() == r[0] else 1)
PY
}
has_body() { # has_body DB HASHHEX
  [ "$(sq "$1" "SELECT count(*) FROM bodies WHERE hash=X'$2'")" = 1 ]
}
not() { ! "$@"; }
hash_of_seq() { sq "$1" "SELECT hex(body_hash) FROM records WHERE seq=$2 ORDER BY created_n LIMIT 1"; }
rec_of_seq() { sq "$1" "SELECT lower(hex(id)) FROM records WHERE seq=$2 ORDER BY created_n LIMIT 1"; }

# ---------------------------------------------------------------------------
phase "1. a flipped bit in an unsynced body"
HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test regional hub" --listen "127.0.0.1:$HUBPORT" >"$T/hub.id" 2>>"$T/cli.err"
sed -i -e 's/^linger = .*/linger = 1/' "$HUB/ayil.conf"
start_d hub
LPORT[c1]=$HUBPORT
make_committee c1 "Ak-Tash test committee" osh
C1=${HOME_OF[c1]}
for i in 1 2 3; do add_appeal c1 "a$i"; done
start_d c1
expect_rc 0 "c1: the first 3 records sync" "$AYIL" --home "$C1" sync --wait 60
stop_d c1
for i in 4 5 6 7; do add_appeal c1 "b$i"; done
flip_body "$C1/ayil.db" 5
H5=$(hash_of_seq "$C1/ayil.db" 5)
R5=$(rec_of_seq "$C1/ayil.db" 5)
check "the body of entry 5 no longer matches its hash" not body_ok "$C1/ayil.db" 5

expect_rc 1 "c1: log verify fails on the damaged body" "$AYIL" --home "$C1" log verify
check "log verify names entry 5's body by a record id prefix" grep -Eq "damaged body: origin .* seq 5 \(record [0-9a-f]{8}\.\.\.\): body does not match its hash" "$T/err"
expect_rc 1 "c1: record show of the damaged record fails" "$AYIL" --home "$C1" record show "$R5"
check "record show names the damage" grep -q "body does not match its hash" "$T/err"
check "record show does not blame the reader key" not grep -q "reader key" "$T/err"

start_d c1
expect_rc 0 "c1: sync completes around the damaged body" "$AYIL" --home "$C1" sync --wait 30
HEX=$(hex_of c1)
check "the hub holds all 7 entries" test "$(count_origin "$HUB" "$HEX")" = 7
check "the hub's copy is byte-identical" same_logs c1
check "the hub holds no body for entry 5" not has_body "$HUB/ayil.db" "$H5"
check "the hub holds the bodies of entries 4, 6 and 7" test "$(sq "$HUB/ayil.db" "SELECT count(*) FROM bodies")" = 6
check "c1: status shows a body_damaged alert" has_alert c1 body_damaged
expect_rc 0 "hub: log verify (a body not held is not damage)" "$AYIL" --home "$HUB" log verify
check "hub: status shows a body_missing alert" has_alert hub body_missing
expect_rc 1 "c1: doctor fails on the damaged body" "$AYIL" --home "$C1" doctor
check "doctor names the damaged body" grep -q "body" "$T/out" "$T/err"
stop_d c1

# ---------------------------------------------------------------------------
phase "2. a body the hub holds comes back"
flip_body "$C1/ayil.db" 2
H2=$(hash_of_seq "$C1/ayil.db" 2)
expect_rc 1 "c1: log verify sees entry 2's body damaged" "$AYIL" --home "$C1" log verify
start_d c1
"$AYIL" --home "$C1" sync --wait 30 >/dev/null 2>&1 || true
check "c1: the body of entry 2 was repaired from the hub" wait_for 30 body_ok "$C1/ayil.db" 2
check "c1: its daemon asked only for bodies the hub could hold (the link stayed up)" \
  not grep -q "closed: .*peer violated" "$T/c1.log" "$T/hub.log"
stop_d c1
check "c1: entry 2's body is the hub's, byte for byte" test \
  "$(sq "$C1/ayil.db" "SELECT hex(sealed) FROM bodies WHERE hash=X'$H2'")" = \
  "$(sq "$HUB/ayil.db" "SELECT hex(sealed) FROM bodies WHERE hash=X'$H2'")"
R2=$(rec_of_seq "$C1/ayil.db" 2)
expect_rc 0 "c1: record show of the repaired record" "$AYIL" --home "$C1" record show "$R2"

# ---------------------------------------------------------------------------
phase "3. damage in the SQLite file"
cp "$C1/ayil.db" "$T/good.db"
python3 - "$C1/ayil.db" <<'PY'
import sys
p = sys.argv[1]
with open(p, "r+b") as f:
    data = bytearray(f.read())
    page = 4096
    # Flip the first bytes of every page past the first two (a b-tree
    # page's type and cell counts), never the file header.
    for off in range(2 * page, len(data), page):
        for i in range(8):
            data[off + i] ^= 0xff
    f.seek(0)
    f.write(data)
PY
BEFORE=$(cat "$C1"/ayil.db* | sha256sum)
cp "$C1/ayil.db" "$T/bad.db"
expect_rc 1 "c1: log verify fails on a damaged file" "$AYIL" --home "$C1" log verify
check "log verify says the store is damaged" grep -qi "store .*damaged\|integrity" "$T/err"
expect_rc 1 "c1: doctor fails on a damaged file" "$AYIL" --home "$C1" doctor
check "doctor says the store fails quick_check" grep -q "ayil.db is damaged: it fails SQLite's quick_check" "$T/out"
expect_rc 1 "c1: record add refuses a damaged store" bash -c \
  "echo '{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\",\"status\":\"open\"}' | '$AYIL' --home '$C1' record add appeal"
check "record add names the quick_check" grep -q "is damaged: it fails SQLite's quick_check; nothing was written" "$T/err"
check "the refused commands changed no byte of the store" test "$(cat "$C1"/ayil.db* | sha256sum)" = "$BEFORE"
cp "$T/good.db" "$C1/ayil.db"
rm -f "$C1/ayil.db-wal" "$C1/ayil.db-shm"
expect_rc 1 "c1: the copy from before opens again; log verify still names entry 5" "$AYIL" --home "$C1" log verify
check "only entry 5's body is damaged (no one ever held it)" grep -q "1 of 7 bodies are damaged; the chains verify (8 entries)" "$T/err"

phase "3b. a damaged frame in the write-ahead log"
# Another process holds the store open, so the two records' commits stay in
# the write-ahead log; it is killed, as by a power cut, before any
# checkpoint.
python3 -c 'import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM entries").fetchone(); time.sleep(60)' "$C1/ayil.db" &
HOLDER=$!
PIDS+=($HOLDER)
sleep 0.5
for i in 1 2; do
  echo '{"date":"2026-03-15","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open"}' |
    "$AYIL" --home "$C1" record add appeal >/dev/null 2>>"$T/cli.err"
done
kill -KILL "$HOLDER"
wait "$HOLDER" 2>/dev/null || true
forget "$HOLDER"
check "the commits are in the write-ahead log" test "$(stat -c %s "$C1/ayil.db-wal")" -gt 8192
cp "$C1/ayil.db" "$T/wal.db"
cp "$C1/ayil.db" "$T/walbad.db"
cp "$C1/ayil.db-wal" "$T/wal.db-wal"
cp "$C1/ayil.db-wal" "$T/good.wal"
# One byte inside the first frame's page.
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(32 + 24 + 300); b = f.read(1); f.seek(32 + 24 + 300); f.write(bytes([b[0] ^ 0x10]))' "$C1/ayil.db-wal"
cp "$C1/ayil.db-wal" "$T/bad.db-wal"
count() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM entries").fetchone()[0])' "$1"; }
# (Counting checkpoints a copy: each copy is counted once.)
GOOD_N=$(count "$T/wal.db")
cp "$T/bad.db-wal" "$T/walbad.db-wal"
BAD_N=$(count "$T/walbad.db")
echo "# SQLite alone: $GOOD_N entries with the sound log, $BAD_N with the damaged one"
check "SQLite alone would drop the two commits without a word" test "$BAD_N" -lt "$GOOD_N"
BEFORE=$(cat "$C1"/ayil.db "$C1"/ayil.db-wal | sha256sum)
expect_rc 1 "c1: log verify fails on a damaged write-ahead log" "$AYIL" --home "$C1" log verify
check "log verify names the write-ahead log" grep -q "write-ahead log has a damaged frame" "$T/err"
expect_rc 1 "c1: doctor fails on it" "$AYIL" --home "$C1" doctor
check "doctor names the write-ahead log" grep -q "write-ahead log has a damaged frame" "$T/out"
expect_rc 1 "c1: record add refuses it" bash -c \
  "echo '{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\",\"status\":\"open\"}' | '$AYIL' --home '$C1' record add appeal"
check "the refused commands changed no byte of the store or its log" test "$(cat "$C1"/ayil.db "$C1"/ayil.db-wal | sha256sum)" = "$BEFORE"
cp "$T/good.wal" "$C1/ayil.db-wal"
check "with the sound log back, the two records are there" "$AYIL" --home "$C1" record list
check "... all $GOOD_N entries" test "$(count "$C1/ayil.db")" = "$GOOD_N"
# Frames a checkpoint already copied into the database: SQLite stopping
# before them loses nothing, and the store is not refused.
python3 -c 'import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM entries").fetchone(); time.sleep(60)' "$C1/ayil.db" &
HOLDER=$!
PIDS+=($HOLDER)
sleep 0.5
echo '{"date":"2026-03-16","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open"}' |
  "$AYIL" --home "$C1" record add appeal >/dev/null 2>>"$T/cli.err"
python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())' "$C1/ayil.db" >"$T/ckpt"
kill -KILL "$HOLDER"
wait "$HOLDER" 2>/dev/null || true
forget "$HOLDER"
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(32 + 24 + 300); b = f.read(1); f.seek(32 + 24 + 300); f.write(bytes([b[0] ^ 0x10]))' "$C1/ayil.db-wal"
"$AYIL" --home "$C1" log verify >"$T/out" 2>"$T/err" || true
check "a damaged frame already checkpointed ($(cat "$T/ckpt")) is no reason to refuse the store" eval '! grep -q "write-ahead" "$T/err"'
check "... and the record is there" test "$(count "$C1/ayil.db")" = "$((GOOD_N + 1))"

# ---------------------------------------------------------------------------
phase "4. the node recovers its log from the hub, as a successor"
# The store is damaged for good: every command refuses it. The documented
# recovery (deploy/README.md, "Recovering a damaged store"; ayil(1)) keeps
# it aside and makes a successor on the same Pi with the committee's
# recovery kit: its own history comes back from the hub.
OLD=$(id_of c1)
OLDHEX=$(hex_of c1)
cp "$T/bad.db" "$C1/ayil.db"
rm -f "$C1/ayil.db-wal" "$C1/ayil.db-shm"
expect_rc 1 "c1: the damaged store is refused" "$AYIL" --home "$C1" record list
mv "$C1" "$T/c1.damaged"
code=$("$AYIL" --home "$HUB" admit --successor-of "$OLD" --advertise "127.0.0.1:$HUBPORT" 2>>"$T/cli.err") &&
  ok "hub: admit --successor-of the damaged node" || fail "admit --successor-of"
expect_rc 0 "init the successor with the invite and the committee's recovery kit" \
  "$AYIL" --home "$T/c1new" init --role committee --invite "$code" --recovery-kit "$T/kit-c1.txt"
cp "$T/out" "$T/c1new.id"
HOME_OF[c1new]=$T/c1new
fast_conf "$T/c1new"
expect_rc 0 "hub: the operator confirms the successor's code" \
  "$AYIL" --home "$HUB" admit --confirm "$("$AYIL" --home "$T/c1new" id --code)"
start_d c1new
"$AYIL" --home "$T/c1new" sync --wait 60 >/dev/null 2>&1 || true
back() { [ "$(count_origin "$T/c1new" "$OLDHEX")" = "$(count_origin "$HUB" "$OLDHEX")" ]; }
check "c1new: the damaged node's log came back from the hub" wait_for 60 back
check "... byte for byte" test "$(log_sum "$T/c1new" "$OLDHEX")" = "$(log_sum "$HUB" "$OLDHEX")"
n=$("$AYIL" --home "$T/c1new" record list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "c1new lists the 7 records ($n)" test "$n" = 7
expect_rc 0 "c1new: record show of a record synced before the damage" "$AYIL" --home "$T/c1new" record show "$R2"
expect_rc 0 "c1new: log verify" "$AYIL" --home "$T/c1new" log verify
check "c1new: status shows entry 5's body missing (no one held it)" has_alert c1new body_missing
expect_rc 1 "c1new: record show of that record fails, not an empty body" "$AYIL" --home "$T/c1new" record show "$R5"
check "... and says the body is missing" grep -q "body is missing on this node" "$T/err"
stop_d c1new

stop_d hub
finish
