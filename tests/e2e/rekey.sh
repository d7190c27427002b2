#!/bin/bash
# ayil rekey: a new reader key pair. Records sealed before it still open;
# new ones are sealed to the new key only (the old kit cannot open them);
# the new kit restores every key on a replacement node; a kit path in the
# home, an existing kit file, a wrong passphrase and a short new passphrase
# are refused with reader.key unchanged.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE="rekey test passphrase one"
H=$T/c
USB=$T/usb
mkdir -p "$USB"
"$AYIL" --home "$H" init --role committee --name "Rekey test committee" --oblast osh \
  --recovery-kit "$USB/kit1.txt" >/dev/null 2>"$T/init.err" || { cat "$T/init.err"; exit 1; }
add() { # add NAME: an appeal with an invented survivor name; prints its id
  echo "{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\",\"status\":\"open\",\"survivor_name\":\"$1\"}" |
    "$AYIL" --home "$H" record add appeal
}
OLD=$(add "Inventa Beforova")
check "a record before the rekey" test -n "$OLD"
PK0=$(sed -n 's/^reader_pk=//p' "$H/reader.key")
SUM=$(sha256sum <"$H/reader.key")

expect_rc 2 "rekey: a new kit inside the home is refused" \
  env AYIL_NEW_PASSPHRASE="rekey test passphrase two" "$AYIL" --home "$H" rekey --new-kit "$H/kit2.txt"
check "... and says why" grep -q "must not be inside the node's home" "$T/err"
expect_rc 2 "rekey: an existing kit file is refused" \
  env AYIL_NEW_PASSPHRASE="rekey test passphrase two" "$AYIL" --home "$H" rekey --new-kit "$USB/kit1.txt"
expect_rc 2 "rekey: a wrong passphrase is refused" \
  env AYIL_PASSPHRASE="not the passphrase" AYIL_NEW_PASSPHRASE="rekey test passphrase two" \
  "$AYIL" --home "$H" rekey --new-kit "$USB/kit2.txt"
check "... with 'wrong passphrase'" grep -q "wrong passphrase" "$T/err"
expect_rc 2 "rekey: a new passphrase of 7 Cyrillic letters is refused" \
  env AYIL_NEW_PASSPHRASE="абвгдеж" "$AYIL" --home "$H" rekey --new-kit "$USB/kit2.txt"
check "reader.key unchanged and no kit written by the refusals" \
  bash -c "test '$(sha256sum <"$H/reader.key")' = '$SUM' && test ! -e '$USB/kit2.txt' && test ! -e '$H/kit2.txt'"

expect_rc 0 "rekey --new-kit on the stick, with a new passphrase" \
  env AYIL_NEW_PASSPHRASE="rekey test passphrase two" "$AYIL" --home "$H" rekey --new-kit "$USB/kit2.txt"
PK1=$(sed -n 's/^reader_pk=//p' "$H/reader.key")
check "a new reader public key" test -n "$PK1" -a "$PK1" != "$PK0"
check "the old key is kept, only sealed (a retired= line, no secret in clear)" \
  bash -c "grep -q '^retired=$PK0:' '$H/reader.key' && ! grep -q '^sk=\\|^secret=\\|^recovery_sk=' '$H/reader.key'"
export AYIL_PASSPHRASE="rekey test passphrase two"
NEW=$(add "Inventa Afterova")
check "a record after the rekey" test -n "$NEW"
expect_rc 0 "the old record still opens" "$AYIL" --home "$H" record show "$OLD" --json
check "... with its name" grep -q "Inventa Beforova" "$T/out"
expect_rc 0 "the new record opens" "$AYIL" --home "$H" record show "$NEW" --json
check "... with its name" grep -q "Inventa Afterova" "$T/out"
expect_rc 0 "record list with bodies opens both" "$AYIL" --home "$H" record list --with-body --json
check "... both names" bash -c "grep -q 'Inventa Beforova' '$T/out' && grep -q 'Inventa Afterova' '$T/out'"
expect_rc 2 "the old passphrase no longer opens" env AYIL_PASSPHRASE="rekey test passphrase one" \
  "$AYIL" --home "$H" record show "$NEW" --json
# The new body is sealed to the new key: restore a node from the OLD kit,
# copy the store, and the new record does not open there, the old one does.
R=$T/restored-old
cp -r "$H" "$T/copy" && rm -f "$T/copy/reader.key" "$T/copy/identity.key" "$T/copy/ayil.conf" "$T/copy/ayil.db"*
"$AYIL" --home "$R" init --role committee --name "Rekey test committee" --oblast osh \
  --recovery-kit "$USB/kit1.txt" >/dev/null 2>"$T/r.err" || fail "init from the old kit: $(cat "$T/r.err")"
cp "$H/ayil.db" "$R/ayil.db"
expect_rc 0 "old kit: the old record opens" "$AYIL" --home "$R" record show "$OLD" --json
expect_rc 1 "old kit: the record sealed after the rekey does not open" "$AYIL" --home "$R" record show "$NEW" --json
check "... 'does not open with this committee's reader key'" grep -q "does not open" "$T/err"
# The new kit restores every key.
R2=$T/restored-new
"$AYIL" --home "$R2" init --role committee --name "Rekey test committee" --oblast osh \
  --recovery-kit "$USB/kit2.txt" >/dev/null 2>"$T/r2.err" || fail "init from the new kit: $(cat "$T/r2.err")"
cp "$H/ayil.db" "$R2/ayil.db"
expect_rc 0 "new kit: the old record opens" "$AYIL" --home "$R2" record show "$OLD" --json
check "... with its name" grep -q "Inventa Beforova" "$T/out"
expect_rc 0 "new kit: the new record opens" "$AYIL" --home "$R2" record show "$NEW" --json
check "... with its name" grep -q "Inventa Afterova" "$T/out"
# A second rekey keeps both earlier keys; passwd keeps them too.
expect_rc 0 "a second rekey" env AYIL_NEW_PASSPHRASE="rekey test passphrase three" \
  "$AYIL" --home "$H" rekey --new-kit "$USB/kit3.txt"
check "two retired keys" test "$(grep -c '^retired=' "$H/reader.key")" = 2
export AYIL_PASSPHRASE="rekey test passphrase three"
expect_rc 0 "passwd after rekeys" env AYIL_NEW_PASSPHRASE="rekey test passphrase four" "$AYIL" --home "$H" passwd
check "passwd keeps the retired keys" test "$(grep -c '^retired=' "$H/reader.key")" = 2
export AYIL_PASSPHRASE="rekey test passphrase four"
expect_rc 0 "after both, the first record still opens" "$AYIL" --home "$H" record show "$OLD" --json
check "... with its name" grep -q "Inventa Beforova" "$T/out"
check "no name in any error output" bash -c "! grep -q -F -e Inventa '$T/err' '$T/init.err'"
finish
