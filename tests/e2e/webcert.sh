#!/bin/bash
# The web app's certificate: `ayil init` makes it and prints its SHA-256
# fingerprint; `ayil web cert --show` and `ayil status` (text and --json)
# show the same one, which is the SHA-256 of the certificate's DER as
# computed here independently (python, and certtool/openssl when
# installed); `ayil web cert` refuses to replace it without --force, makes
# a new one with it, installs a sysadmin's own pair and refuses a key that
# is not the certificate's; a hub gets one too.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE="webcert test passphrase"
H=$T/c
HUB=$T/hub

# sha256 of the first certificate's DER in a PEM file, as AB:CD:...
der_fpr() {
  python3 - "$1" <<'EOF'
import base64, hashlib, re, sys
pem = open(sys.argv[1]).read()
b64 = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S).group(1)
h = hashlib.sha256(base64.b64decode("".join(b64.split()))).hexdigest().upper()
print(":".join(h[i:i + 2] for i in range(0, 64, 2)))
EOF
}
mode() { stat -c %a "$1"; }
FPR_RE='[0-9A-F]{2}(:[0-9A-F]{2}){31}'

expect_rc 0 "init makes a committee" \
  "$AYIL" --home "$H" init --role committee --name "Webcert test committee" \
  --oblast naryn --recovery-kit "$T/kit"
INIT_FPR=$(grep -oE "web certificate SHA-256 $FPR_RE" "$T/err" | grep -oE "$FPR_RE" || true)
check "init prints the fingerprint" test -n "$INIT_FPR"
check "init tells the member to check it once in the browser" \
  grep -q "check once that it shows this fingerprint" "$T/err"
check "the key is 0600" test "$(mode "$H/web.key")" = 600
check "the certificate is 0644" test "$(mode "$H/web.crt")" = 644
check "the key file holds a private key" grep -q "PRIVATE KEY" "$H/web.key"
DER=$(der_fpr "$H/web.crt")
check "init's fingerprint is the SHA-256 of the DER" test "$INIT_FPR" = "$DER"

expect_rc 0 "web cert --show" "$AYIL" --home "$H" web cert --show
check "--show prints the same fingerprint" test "$(cat "$T/out")" = "$DER"
expect_rc 0 "web cert --show --json" "$AYIL" --home "$H" web cert --show --json
check "--show --json has it" \
  test "$(json_get "['certificate_sha256']" <"$T/out")" = "$DER"
if command -v certtool >/dev/null; then
  C=$(certtool -i --infile "$H/web.crt" | awk '/sha256:/ {getline; print; exit}' | tr -d ' \n' | tr a-f A-F | sed 's/../&:/g; s/:$//')
  check "certtool computes the same fingerprint" test "$C" = "$DER"
fi
if command -v openssl >/dev/null; then
  O=$(openssl x509 -in "$H/web.crt" -noout -fingerprint -sha256 | sed 's/.*=//')
  check "openssl computes the same fingerprint" test "$O" = "$DER"
  check "the key is ECDSA P-256" sh -c "openssl x509 -in '$H/web.crt' -noout -text | grep -q 'NIST CURVE: P-256'"
  check "the SAN names 127.0.0.1" sh -c "openssl x509 -in '$H/web.crt' -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1'"
  check "the key belongs to the certificate" test \
    "$(openssl x509 -in "$H/web.crt" -noout -pubkey)" = "$(openssl pkey -in "$H/web.key" -pubout)"
fi

expect_rc 0 "status" "$AYIL" --home "$H" status
check "status shows the web line with the fingerprint" \
  grep -qE "^web +https://[^ ]+:8443/  certificate SHA-256 $DER\$" "$T/out"
expect_rc 0 "status --json" "$AYIL" --home "$H" status --json
cp "$T/out" "$T/status.json"
check "status --json: the fingerprint" \
  test "$(json_get "['web']['certificate_sha256']" <"$T/status.json")" = "$DER"
check "status --json: https on 127.0.0.1 among the URLs" \
  test "$(json_get "['web']['urls'].count('https://127.0.0.1:8443/')" <"$T/status.json")" = 1
check "status --json: the listen address" \
  test "$(json_get "['web']['listen']" <"$T/status.json")" = "0.0.0.0:8443"

# Never replaced by accident.
cp "$H/web.key" "$T/key.before"
expect_rc 2 "web cert refuses to overwrite without --force" "$AYIL" --home "$H" web cert
check "  and says --force" grep -q -- "--force" "$T/err"
check "  and leaves the key" cmp -s "$H/web.key" "$T/key.before"
check "  and the certificate" test "$(der_fpr "$H/web.crt")" = "$DER"
expect_rc 2 "--force and --show together are refused" "$AYIL" --home "$H" web cert --force --show
expect_rc 2 "--cert without --key is refused" "$AYIL" --home "$H" web cert --cert "$H/web.crt"
expect_rc 2 "web without cert is a usage error" "$AYIL" --home "$H" web
expect_rc 0 "web cert --force makes a new one" "$AYIL" --home "$H" web cert --force
NEW=$(cat "$T/out")
check "  a new fingerprint" test -n "$NEW" -a "$NEW" != "$DER"
check "  which is the new file's" test "$NEW" = "$(der_fpr "$H/web.crt")"
check "  with a new key (0600)" sh -c "! cmp -s '$H/web.key' '$T/key.before' && test \$(stat -c %a '$H/web.key') = 600"
expect_rc 0 "status after --force" "$AYIL" --home "$H" status
check "status shows the new fingerprint" grep -q "certificate SHA-256 $NEW" "$T/out"

# A hub gets one too; a web app on one address names only it.
expect_rc 0 "init makes a hub" "$AYIL" --home "$HUB" init --role hub \
  --name "Webcert test hub" --listen 127.0.0.1:1
HUBF=$(grep -oE "web certificate SHA-256 $FPR_RE" "$T/err" | grep -oE "$FPR_RE" || true)
check "the hub's init prints its fingerprint" test "$HUBF" = "$(der_fpr "$HUB/web.crt")"
check "a hub's web app listens on loopback only" grep -qx "listen = 127.0.0.1:8443" "$HUB/ayil.conf"
sed -i 's/^listen = 127.0.0.1:8443$/listen = 127.0.0.1:9443/' "$HUB/ayil.conf"
expect_rc 0 "web cert --force on another port" "$AYIL" --home "$HUB" web cert --force
if command -v openssl >/dev/null; then
  check "  the SAN is that address only" sh -c \
    "openssl x509 -in '$HUB/web.crt' -noout -ext subjectAltName | tail -n +2 | tr -d ' ' | grep -qx 'IPAddress:127.0.0.1'"
fi
expect_rc 0 "hub status --json" "$AYIL" --home "$HUB" status --json
check "  one URL, the listen address" \
  test "$(json_get "['web']['urls']" <"$T/out")" = "['https://127.0.0.1:9443/']"

# A sysadmin's own certificate: the hub's pair installed on the committee.
expect_rc 0 "web cert --cert --key installs one's own" \
  "$AYIL" --home "$H" web cert --cert "$HUB/web.crt" --key "$HUB/web.key"
OWN=$(der_fpr "$HUB/web.crt")
check "  it prints its fingerprint" test "$(cat "$T/out")" = "$OWN"
check "  the installed certificate is that one" cmp -s "$H/web.crt" "$HUB/web.crt"
check "  the key is 0600" test "$(mode "$H/web.key")" = 600
expect_rc 0 "--show after installing" "$AYIL" --home "$H" web cert --show
check "  shows the own certificate's fingerprint" test "$(cat "$T/out")" = "$OWN"
expect_rc 0 "web cert --force on the hub" "$AYIL" --home "$HUB" web cert --force
expect_rc 2 "a key that is not the certificate's is refused" \
  "$AYIL" --home "$H" web cert --cert "$HUB/web.crt" --key "$H/web.key"
check "  it says so" grep -q "does not belong" "$T/err"
check "  and leaves the installed one" test "$(der_fpr "$H/web.crt")" = "$OWN"
echo "not a certificate" >"$T/bad.crt"
expect_rc 2 "a file that is not PEM is refused" \
  "$AYIL" --home "$H" web cert --cert "$T/bad.crt" --key "$H/web.key"

# A config pointing at a certificate elsewhere (absolute path).
cp "$HUB/web.crt" "$T/elsewhere.crt"
sed -i "s|^cert = web.crt\$|cert = $T/elsewhere.crt|" "$H/ayil.conf"
expect_rc 0 "--show reads a certificate named by an absolute path" "$AYIL" --home "$H" web cert --show
check "  its fingerprint" test "$(cat "$T/out")" = "$(der_fpr "$T/elsewhere.crt")"
rm "$T/elsewhere.crt"
expect_rc 1 "--show without a certificate fails" "$AYIL" --home "$H" web cert --show
check "  and says how to make one" grep -q "ayil web cert" "$T/err"
expect_rc 0 "status without a certificate still works" "$AYIL" --home "$H" status
check "  and says there is none" grep -qE "^web .*no certificate yet" "$T/out"

# Plain HTTP on loopback: no fingerprint to check.
sed -i 's/^tls = on$/tls = off/; s/^listen = 0.0.0.0:8443$/listen = 127.0.0.1:8080/' "$H/ayil.conf"
expect_rc 0 "status with tls off" "$AYIL" --home "$H" status
check "  shows plain HTTP on 127.0.0.1" grep -qE "^web +http://127.0.0.1:8080/  plain HTTP" "$T/out"
finish
