#!/bin/bash
# The Debian package, installed for real: builds the amd64 package twice
# (revisions 1 and 2, deploy/build-deb.sh), installs revision 1 into a clean
# Debian 12 root made with debootstrap, creates a hub and a committee there
# with `ayil init`, runs both daemons as the system user ayil, enters records
# and syncs; then upgrades to revision 2 with the daemons running, restarts
# them, and checks that the keys, the records and the hub's copy are still
# there, that every chain verifies and that sync still works. Then remove
# and purge keep the data, purge says so, and a reinstall picks it up.
#
# Needs root and debootstrap; SKIPs (exit 0) otherwise, or with
# AYIL_SKIP_DEBOOTSTRAP=1. The root is cached as a tarball under
# /var/cache/ayil-test (first run: a few minutes of debootstrap from the
# mirror of /etc/apt/sources.list[.d]; AYIL_TEST_REFRESH_ROOT=1 makes it
# again). AYIL_DEB_OLD / AYIL_DEB_NEW may name prebuilt packages.
set -euo pipefail
SRC=${AYIL_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PASSED=0
FAILED=0
skip() {
  echo "SKIP: $*"
  echo "0 passed, 0 failed"
  exit 0
}
[ "${AYIL_SKIP_DEBOOTSTRAP:-0}" = 1 ] && skip "AYIL_SKIP_DEBOOTSTRAP=1"
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"
[ "$(dpkg --print-architecture)" = amd64 ] || skip "builds and installs the amd64 package"
for t in cmake cpack dpkg-buildflags python3; do
  command -v $t >/dev/null || skip "$t is not installed"
done

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() { # check "description" command...
  local d=$1; shift
  if "$@"; then ok "$d"; else fail "$d"; fi
}
quiet() { "$@" >/dev/null 2>&1; }

T=$(mktemp -d /var/tmp/ayil-deb.XXXXXX)
R=$T/root
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || true; done
  [ -n "${NPID:-}" ] && kill "$NPID" 2>/dev/null || true
  if mountpoint -q "$R/proc" 2>/dev/null; then umount -l "$R/proc" || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
START=$(date +%s)
elapsed() { echo "$(( $(date +%s) - START )) s"; }

# --- the packages -------------------------------------------------------
if [ -n "${AYIL_DEB_OLD:-}" ] && [ -n "${AYIL_DEB_NEW:-}" ]; then
  OLD=$AYIL_DEB_OLD
  NEW=$AYIL_DEB_NEW
else
  # Same tree, two revisions: the upgrade path is what is under test.
  export AYIL_DEB_WERROR=OFF
  OLD=$("$SRC/deploy/build-deb.sh" amd64 --no-deps --no-lintian --revision 1 \
    --build "$T/build" --out "$T/debs" | tail -1)
  NEW=$("$SRC/deploy/build-deb.sh" amd64 --no-deps --no-lintian --revision 2 \
    --build "$T/build" --out "$T/debs" | tail -1)
fi
check "packages built: $(basename "$OLD") $(basename "$NEW") ($(elapsed))" test -f "$OLD" -a -f "$NEW"

# --- a clean Debian 12 root ---------------------------------------------
. "$SRC/tests/e2e/lib/debroot.bash"
if ! debroot_make "$R" "$T/debootstrap.log"; then
  fail "a clean Debian 12 root (debootstrap bookworm from $(debroot_mirror))"
  echo "$PASSED passed, $FAILED failed"
  exit 1
fi
mount -t proc proc "$R/proc"
check "clean Debian 12 root ($(cat "$R/etc/debian_version"), $(elapsed))" grep -q '^12' "$R/etc/debian_version"
check "the root has no ayil user and no libuv yet" \
  bash -c "! chroot '$R' getent passwd ayil >/dev/null && ! chroot '$R' dpkg -s libuv1 >/dev/null 2>&1"

IN() { chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
PASS="a test passphrase, not for real use"
AS() { # as the system user ayil
  chroot --userspec=ayil:ayil "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 HOME=/var/lib/ayil AYIL_PASSPHRASE="$PASS" "$@"
}
cp "$OLD" "$NEW" "$R/tmp/"
OLDB=/tmp/$(basename "$OLD")
NEWB=/tmp/$(basename "$NEW")

# --- install --------------------------------------------------------------
if IN apt-get install -y -q --no-install-recommends "$OLDB" </dev/null >"$T/install.log" 2>&1; then
  ok "apt-get install $(basename "$OLD") (dependencies from the archive)"
else
  tail -20 "$T/install.log"
  fail "apt-get install $(basename "$OLD")"
fi
check "binaries in /usr/bin" test -x "$R/usr/bin/ayil" -a -x "$R/usr/bin/ayild" -a -x "$R/usr/bin/ayil-web"
check "ayil-web runs in the fresh root (its libraries came with the package)" bash -c "chroot '$R' /usr/bin/ayil-web --version | grep -q '^ayil-web '"
check "ayil-web's unit and man page, the Kyrgyz and Russian catalogues" test \
  -f "$R/lib/systemd/system/ayil-web.service" -a -f "$R/usr/share/man/man8/ayil-web.8.gz" \
  -a -f "$R/usr/share/locale/ky/LC_MESSAGES/ayil-web.mo" -a -f "$R/usr/share/locale/ru/LC_MESSAGES/ayil-web.mo"
check "system user ayil, no login shell" bash -c "chroot '$R' getent passwd ayil | grep -q ':/var/lib/ayil:/usr/sbin/nologin$'"
AYIL_UID=$(chroot "$R" id -u ayil)
check "/var/lib/ayil owned by ayil, mode 0700" \
  bash -c "[ \"\$(stat -c '%u %a' '$R/var/lib/ayil')\" = '$AYIL_UID 700' ]"
check "man pages ayil(1), ayild(8), bash completion, unit, conffile" test \
  -f "$R/usr/share/man/man1/ayil.1.gz" -a -f "$R/usr/share/man/man8/ayild.8.gz" \
  -a -f "$R/usr/share/bash-completion/completions/ayil" \
  -a -f "$R/lib/systemd/system/ayild.service" -a -f "$R/etc/ayil/ayild.env"
check "the install says how to set the node up" grep -q "not set up yet" "$T/install.log"

# --- a hub and a committee, as ayil ---------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HUB=/srv/ayil-hub
IN install -d -o ayil -g ayil -m 0700 "$HUB"
check "ayil init --role hub (as ayil)" AS ayil --home "$HUB" init --role hub \
  --name "Test regional hub" --listen "127.0.0.1:$PORT"
CODE=$(AS ayil --home "$HUB" admit --name "Test committee" --oblast osh 2>/dev/null)
check "ayil admit prints an invite" test -n "$CODE"
# The kit goes to removable media, never into the home (init refuses that).
IN install -d -o ayil -g ayil -m 0700 /media/ayil-usb
if AS ayil init --role committee --invite "$CODE" --recovery-kit /var/lib/ayil/kit.txt 2>"$T/kit.err"; then
  fail "init wrote a recovery kit inside the home"
else
  check "init refuses a recovery kit inside the home, and says why" grep -q "must not be inside the node" "$T/kit.err"
  check "... and wrote no kit there" test ! -e "$R/var/lib/ayil/kit.txt"
fi
check "ayil init --role committee --invite (as ayil, default home)" \
  AS ayil init --role committee --invite "$CODE" --recovery-kit /media/ayil-usb/kit.txt
check "the hub's operator confirms the committee's enrolment code" \
  AS ayil --home "$HUB" admit --confirm "$(AS ayil id --code)"
AS mv /media/ayil-usb/kit.txt /tmp/recovery-kit.txt # the stick goes away

# ayil-web: its unit and man page are shipped; init made its certificate
# (the key the daemon user's only); status shows that file's fingerprint;
# root replacing it leaves the key to ayil (the unit runs as ayil).
check "ayil-web's unit is shipped" test -f "$R/lib/systemd/system/ayil-web.service"
check "... it runs /usr/bin/ayil-web as ayil on /var/lib/ayil" bash -c \
  "grep -qx 'ExecStart=/usr/bin/ayil-web --home /var/lib/ayil' '$R/lib/systemd/system/ayil-web.service' && grep -qx 'User=ayil' '$R/lib/systemd/system/ayil-web.service'"
check "ayil-web(8) is shipped" test -f "$R/usr/share/man/man8/ayil-web.8.gz"
check "init made the web certificate, its key 0600 and ayil's" \
  bash -c "[ \"\$(stat -c '%u %a' '$R/var/lib/ayil/web.key')\" = '$AYIL_UID 600' ]"
WEBF=$(AS ayil web cert --show 2>/dev/null || true)
AS ayil status >"$T/status.out" 2>&1 || true
check "ayil status shows the certificate's fingerprint" \
  bash -c "[ -n '$WEBF' ] && grep -q 'certificate SHA-256 $WEBF' '$T/status.out'"
IN ayil web cert --force >/dev/null 2>&1 || true
check "ayil web cert --force run by root leaves the key ayil's, 0600" \
  bash -c "[ \"\$(stat -c '%u %a' '$R/var/lib/ayil/web.key')\" = '$AYIL_UID 600' ]"
check "... with a new fingerprint" bash -c "[ \"\$(chroot --userspec=ayil:ayil '$R' env -i PATH=/usr/bin:/bin ayil web cert --show)\" != '$WEBF' ]"

# A notify socket like systemd's, to see READY=1 from the packaged ayild.
mkdir -p "$R/run/ayil-test"
chmod 755 "$R/run/ayil-test"
python3 - "$R/run/ayil-test/notify.sock" "$T/notify.out" <<'PY' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "a") as f:
    while True:
        f.write(s.recv(4096).decode(errors="replace").replace("\n", " ") + "\n")
        f.flush()
PY
NPID=$!
for _ in $(seq 50); do [ -S "$R/run/ayil-test/notify.sock" ] && break; sleep 0.1; done

start_daemons() {
  chroot --userspec=ayil:ayil "$R" env -i PATH=/usr/bin:/bin JOURNAL_STREAM=8:1 \
    NOTIFY_SOCKET=/run/ayil-test/notify.sock WATCHDOG_USEC=2000000 \
    /usr/bin/ayild --home "$HUB" 2>>"$T/hub.log" &
  HPID=$!
  PIDS+=($HPID)
  for _ in $(seq 100); do AS ayil --home "$HUB" status >/dev/null 2>&1 && grep -q "listening" "$T/hub.log" && break; sleep 0.1; done
  chroot --userspec=ayil:ayil "$R" env -i PATH=/usr/bin:/bin JOURNAL_STREAM=8:1 \
    /usr/bin/ayild 2>>"$T/committee.log" &
  CPID=$!
  PIDS+=($CPID)
}
stop_daemons() {
  kill "$HPID" "$CPID" 2>/dev/null || true
  timeout 30 tail --pid="$HPID" -f /dev/null || true
  timeout 30 tail --pid="$CPID" -f /dev/null || true
}
add_record() {
  AS ayil record add appeal >/dev/null <<JSON
{"date":"2026-0$1-14","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open","survivor_name":"Invented Person $1"}
JSON
}
entries_at_hub() {
  AS ayil --home "$HUB" log verify --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])'
}

start_daemons
check "both daemons run as ayil" bash -c "[ \"\$(ps -o uid= -p $HPID | tr -d ' ')\" = $AYIL_UID ] && [ \"\$(ps -o uid= -p $CPID | tr -d ' ')\" = $AYIL_UID ]"
for m in 1 2 3; do add_record $m; done
check "3 records entered at the committee" bash -c "[ \"\$(chroot --userspec=ayil:ayil '$R' env -i PATH=/usr/bin:/bin ayil record list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d if isinstance(d, list) else d[\"records\"]))')\" = 3 ]"
check "ayil sync --wait: the hub acknowledged everything ($(elapsed))" AS ayil sync --wait 120
HUB_ENTRIES=$(entries_at_hub)
check "the hub holds the committee's entries ($HUB_ENTRIES)" test "${HUB_ENTRIES:-0}" -ge 3
check "journald-style levels in the daemon log" grep -q '^<5>' "$T/hub.log"
check "ayild told the notify socket READY=1" grep -q 'READY=1' "$T/notify.out"
check "ayild pings the watchdog" bash -c "sleep 1.2; grep -q 'WATCHDOG=1' '$T/notify.out'"
CID=$(AS ayil id)
HID=$(AS ayil --home "$HUB" id)
SUMS=$(cd "$R" && sha256sum var/lib/ayil/identity.key var/lib/ayil/reader.key var/lib/ayil/network.key srv/ayil-hub/identity.key srv/ayil-hub/network.key)

if AS ayil help doctor >/dev/null 2>&1; then
  rc=0
  IN ayil doctor >"$T/doctor.out" 2>&1 || rc=$?
  check "ayil doctor run by root switches to ayil, and finds nothing failed" \
    bash -c "[ $rc = 0 ] && grep -q 'running as ayil' '$T/doctor.out'" || cat "$T/doctor.out"
fi

# --- upgrade, with the daemons running (as apt does on a live node) ------
if IN apt-get install -y -q --no-install-recommends "$NEWB" </dev/null >"$T/upgrade.log" 2>&1; then
  ok "apt-get install $(basename "$NEW") (upgrade)"
else
  tail -20 "$T/upgrade.log"
  fail "upgrade to $(basename "$NEW")"
fi
NEWV=$(dpkg-deb -f "$NEW" Version)
check "version $NEWV installed" bash -c "[ \"\$(chroot '$R' dpkg-query -W -f='\${Version}' ayil)\" = '$NEWV' ]"
# What systemd's restart after the upgrade does: stop, start the new binary.
stop_daemons
check "the daemons stopped cleanly on SIGTERM" grep -q '^<5>stopped' "$T/committee.log"
start_daemons
check "keys unchanged by the upgrade" bash -c "cd '$R' && [ \"\$(sha256sum var/lib/ayil/identity.key var/lib/ayil/reader.key var/lib/ayil/network.key srv/ayil-hub/identity.key srv/ayil-hub/network.key)\" = \"$SUMS\" ]"
check "node ids unchanged" bash -c "[ \"\$(chroot --userspec=ayil:ayil '$R' env -i PATH=/usr/bin:/bin ayil id)\" = '$CID' ] && [ \"\$(chroot --userspec=ayil:ayil '$R' env -i PATH=/usr/bin:/bin ayil --home $HUB id)\" = '$HID' ]"
check "the committee's chain verifies after the upgrade" quiet AS ayil log verify
check "the hub's chains verify after the upgrade" quiet AS ayil --home "$HUB" log verify
check "the hub still holds $HUB_ENTRIES entries" test "$(entries_at_hub)" = "$HUB_ENTRIES"
check "a record shows with the passphrase after the upgrade" bash -c "
  id=\$(chroot --userspec=ayil:ayil '$R' env -i PATH=/usr/bin:/bin ayil record list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d if isinstance(d, list) else d[\"records\"]; print(d[0][\"id\"])')
  chroot --userspec=ayil:ayil '$R' env -i PATH=/usr/bin:/bin AYIL_PASSPHRASE='$PASS' ayil record show \"\$id\" | grep -q 'Invented Person'"
add_record 4
check "sync works after the upgrade ($(elapsed))" quiet AS ayil sync --wait 120
check "the hub got the new entry" test "$(entries_at_hub)" -gt "$HUB_ENTRIES"
stop_daemons

# --- remove, purge, reinstall --------------------------------------------
IN apt-get remove -y -q ayil </dev/null >"$T/remove.log" 2>&1 || fail "apt-get remove"
check "remove keeps the data and the user" bash -c "[ -f '$R/var/lib/ayil/ayil.db' ] && chroot '$R' getent passwd ayil >/dev/null"
rc=0
timeout 60 chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg --purge ayil </dev/null >"$T/purge.log" 2>&1 || rc=$?
check "purge asks nothing and succeeds" test $rc = 0
check "purge says the data under /var/lib/ayil are left in place" grep -q "/var/lib/ayil.*left in place" "$T/purge.log"
check "purge removed /etc/ayil and kept /var/lib/ayil" bash -c "[ ! -e '$R/etc/ayil/ayild.env' ] && [ -f '$R/var/lib/ayil/ayil.db' ] && [ -f '$R/var/lib/ayil/identity.key' ]"
IN apt-get install -y -q --no-install-recommends "$NEWB" </dev/null >"$T/reinstall.log" 2>&1 || fail "reinstall"
check "a reinstall finds the node: same id, chain verifies" bash -c "[ \"\$(chroot --userspec=ayil:ayil '$R' env -i PATH=/usr/bin:/bin ayil id)\" = '$CID' ] && chroot --userspec=ayil:ayil '$R' env -i PATH=/usr/bin:/bin ayil log verify >/dev/null"
check "no identifying data in the daemons' logs" bash -c "! grep -q 'Invented' '$T/hub.log' '$T/committee.log'"

if [ "$FAILED" != 0 ]; then
  echo "--- hub log"; tail -20 "$T/hub.log" || true
  echo "--- committee log"; tail -20 "$T/committee.log" || true
fi
echo "deb_install: $(elapsed)"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
