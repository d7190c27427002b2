#!/bin/bash
# Invites a person can carry (issue 11):
#  - `ayil admit --qr` draws the code in UTF-8 half blocks, --qr-png and
#    --qr-svg write it as new 0600 files; each decodes back (zbarimg, from
#    Debian's zbar-tools) to exactly the code;
#  - a mistyped code says which part is wrong (not an invite, version, bad
#    base64 character, truncated, too long, checksum), creating nothing;
#  - a hub that would advertise 0.0.0.0 or :: is warned (init and admit).
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE=test-passphrase-1
HUB=$T/hub
QRG="python3 $SRC/tests/e2e/lib/qr_grid.py"
command -v zbarimg >/dev/null || { fail "zbarimg is missing (scripts/deps.sh installs zbar-tools)"; finish; exit 1; }
decode() { zbarimg -q --raw "$1" 2>/dev/null | head -n 1; }

# ---- warnings for an address no committee can dial ----
expect_rc 0 "hub init listening on 0.0.0.0" $AYIL --home "$HUB" init --role hub --name "Test hub" --listen 0.0.0.0:17440
check "... warns that invites would give 0.0.0.0" grep -q "warning: invites would give the address 0.0.0.0:17440, which no committee can dial" "$T/err"
expect_rc 0 "admit without --advertise" $AYIL --home "$HUB" admit --name "Committee Zero" --oblast talas
check "... warns about 0.0.0.0" grep -q "warning: the invite gives the address 0.0.0.0:17440" "$T/err"
expect_rc 0 "admit --advertise [::]:17440" $AYIL --home "$HUB" admit --name "Committee Six" --oblast talas --advertise "[::]:17440"
check "... warns about ::" grep -q "warning: the invite gives the address \[::\]:17440" "$T/err"
expect_rc 0 "hub init on [::] also warns" $AYIL --home "$T/hub6" init --role hub --name "Hub six" --listen "[::]:17441"
check "... about ::" grep -q "warning: invites would give the address \[::\]:17441" "$T/err"
expect_rc 0 "admit with a real address" $AYIL --home "$HUB" admit --name "Committee Real" --oblast talas --advertise hub.invented.example:7440
check "... does not warn" bash -c "! grep -q warning $T/err"

# ---- QR codes ----
expect_rc 0 "admit --qr --qr-png --qr-svg" $AYIL --home "$HUB" admit --name "Committee QR" --oblast naryn \
  --advertise 127.0.0.1:17440 --qr --qr-png "$T/invite.png" --qr-svg "$T/invite.svg"
cp "$T/out" "$T/qr.out"
CODE=$(head -n 1 "$T/qr.out")
check "the code comes first, alone on its line" bash -c "[[ '$CODE' == ayil*-* ]]"
echo "# invite code length: ${#CODE} characters"
check "the terminal QR code is half blocks" grep -q $'\u2580' "$T/qr.out"
$QRG text "$T/qr.out" "$T/text.pgm"
check "the terminal QR code decodes to the code" test "$(decode "$T/text.pgm")" = "$CODE"
check "the PNG decodes to the code" test "$(decode "$T/invite.png")" = "$CODE"
check "the PNG is a PNG" bash -c "head -c 8 $T/invite.png | od -An -tx1 | grep -q '89 50 4e 47'"
$QRG svg "$T/invite.svg" "$T/svg.pgm"
check "the SVG decodes to the code" test "$(decode "$T/svg.pgm")" = "$CODE"
check "the PNG and SVG are mode 0600 (the code is a secret)" test "$(stat -c %a "$T/invite.png")$(stat -c %a "$T/invite.svg")" = 600600
N=$(sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM committees")
expect_rc 2 "admit --qr-png over an existing file is refused" $AYIL --home "$HUB" admit --name "Committee Again" --oblast naryn --qr-png "$T/invite.png"
check "... before any invite is made" test "$(sqlite3 "$HUB/ayil.db" "SELECT count(*) FROM committees")" = "$N"
expect_rc 0 "admit --json --qr keeps stdout JSON" $AYIL --home "$HUB" admit --name "Committee Json" --oblast naryn --advertise 127.0.0.1:17440 --json --qr
check "... stdout parses as JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out"
$QRG text "$T/err" "$T/json.pgm"
check "... the QR code on stderr decodes to the JSON's code" test "$(decode "$T/json.pgm")" = "$(json_get '["code"]' <"$T/out")"
# The code joins a committee read back from the picture.
expect_rc 0 "init with the code read from the PNG" $AYIL --home "$T/c" init --role committee \
  --invite "$(decode "$T/invite.png")" --recovery-kit "$T/kit"
check "... its config has the hub's address" grep -q "^address = 127.0.0.1:17440$" "$T/c/ayil.conf"

# ---- what the code carries: version 2 is shorter; version 1 still reads ----
python3 - "$CODE" >"$T/v1.code" <<'PY'
import base64, hashlib, struct, sys
code = sys.argv[1]
assert code.startswith("ayil2-")
b = base64.urlsafe_b64decode(code[6:] + "=" * (-len(code[6:]) % 4))
body, check = b[:-4], b[-4:]
assert hashlib.blake2b(body, digest_size=4).digest() == check
hub, netkey, token, day = body[:32], body[32:64], body[64:80], struct.unpack(">H", body[80:82])[0]
n, fields = 82, []
for _ in range(3):
    l = body[n]; fields.append(body[n + 1:n + 1 + l]); n += 1 + l
assert n == len(body)
name, oblast, addr = fields
s = lambda v: bytes([0xa0 | len(v)]) + v if len(v) < 32 else b"\xd9" + bytes([len(v)]) + v
bn = lambda v: b"\xc4" + bytes([len(v)]) + v
m = b"\x98\x01" + s(addr) + bn(hub) + bn(netkey) + bn(token) + s(name) + s(oblast) + b"\xce" + struct.pack(">I", day * 86400)
print("ayil1-" + base64.urlsafe_b64encode(m + hashlib.blake2b(m, digest_size=4).digest()).decode().rstrip("="))
PY
V1=$(cat "$T/v1.code")
echo "# the same invite: version 1 ${#V1} characters, version 2 ${#CODE}"
check "version 2 is shorter than version 1 (${#CODE} < ${#V1})" test "${#CODE}" -lt "${#V1}"
expect_rc 0 "a version 1 code (made before) is still read" $AYIL --home "$T/cv1" init --role committee --invite "$V1" --recovery-kit "$T/kitv1"
check "... with the same hub address and name" bash -c "grep -q '^address = 127.0.0.1:17440$' $T/cv1/ayil.conf && grep -q '^name = Committee QR$' $T/cv1/ayil.conf"
check "... and the same hub id" test "$(grep '^id = ' "$T/cv1/ayil.conf")" = "$(grep '^id = ' "$T/c/ayil.conf")"

# ---- a mistyped code says which part is wrong ----
P=${CODE%%-*}-
B=${CODE#*-}
flip() { local ch=${B:$1:1}; if [ "$ch" = A ]; then ch=B; else ch=A; fi; echo "$P${B:0:$1}$ch${B:$(($1 + 1))}"; }
n=0
bad() { # bad LABEL CODE PATTERN
  n=$((n + 1))
  expect_rc 2 "init with $1" $AYIL --home "$T/bad$n" init --role committee --invite "$2" --recovery-kit "$T/badkit$n"
  check "... says: $3" grep -q -- "$3" "$T/err"
  check "... creates nothing" test ! -e "$T/bad$n" -a ! -e "$T/badkit$n"
}
bad "something else" "hello-world" "does not start with ayil"
bad "another version" "ayil9-$B" "unsupported version"
bad "a mistyped character in a version 1 code" "${V1:0:60}$([ "${V1:60:1}" = A ] && echo B || echo A)${V1:61}" "checksum mismatch"
bad "a version 1 code cut off" "${V1:0:$((${#V1} - 9))}" "truncated"
bad "a character outside base64" "$P${B:0:30}*${B:31}" "character 31 after the prefix ('\*') is not one of A-Z a-z 0-9 - _ (bad base64)"
bad "the end cut off" "${CODE:0:$((${#CODE} - 12))}" "truncated, characters are missing"
bad "the last character lost" "${CODE:0:$((${#CODE} - 1))}" "truncated"
bad "characters added" "${CODE}AAAA" "characters too many at the end"
bad "a mistyped character (middle)" "$(flip 60)" "checksum mismatch, a character is mistyped"
bad "a mistyped character (near the start)" "$(flip 3)" "checksum mismatch"
finish
