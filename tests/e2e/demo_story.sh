#!/bin/bash
# The demo (scripts/demo.sh, README's first command) installs only what it
# needs and prints only its own story: scripts/deps.sh's demo set is the
# build's and the demo's, the test set adds what the tests use; apt's
# output goes to a log; the demo's run (tests/e2e/lib/demo.bash, on this
# build) shows no tool advice, warning or apt line. scripts/fresh-root.sh
# --demo runs it on a fresh Debian 12 (CI: .ci/run).
source "$(dirname "$0")/lib/common.bash"
DEPS=$SRC/scripts/deps.sh
bash "$DEPS" --demo --list >"$T/demo.list"
bash "$DEPS" --test --list >"$T/test.list"
bash "$DEPS" --list >"$T/all.list"
check "the demo set is in the test set" bash -c "! grep -vxF -f '$T/test.list' '$T/demo.list'"
check "no option installs the test set (.ci/run, README's by-hand build)" cmp -s "$T/all.list" "$T/test.list"
for p in chromium chromium-driver python3-selenium debootstrap clang-format file sqlite3 openssl groff-base; do
  check "$p: test set only" bash -c "grep -qxF $p '$T/test.list' && ! grep -qxF $p '$T/demo.list'"
done
for p in build-essential cmake pkg-config libuv1-dev libsodium-dev libcmocka-dev libmicrohttpd-dev libgnutls28-dev gettext python3; do
  check "$p: demo set" grep -qxF $p "$T/demo.list"
done
# One package a line in both lists, so that concurrent additions merge.
words=$(sed -n '/^\(DEMO\|TEST\)=($/,/^)$/p' "$DEPS" | grep -v '^\(DEMO\|TEST\)=($\|^)$' |
  sed 's/#.*//' | awk 'NF != 1' | wc -l)
check "one package a line in scripts/deps.sh" test "$words" = 0
check "demo.sh installs the demo set, apt into a log" grep -q 'scripts/deps.sh --demo --log' "$SRC/scripts/demo.sh"
check "test.sh installs the test set" grep -q 'scripts/deps.sh --test' "$SRC/scripts/test.sh"
missing=$(bash "$DEPS" --test --list | while read -r p; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"; done)
if [ -z "$missing" ]; then
  out=$(bash "$DEPS" --demo --log "$T/apt.log" 2>&1)
  check "with everything installed, deps.sh says nothing and writes no log" \
    bash -c "[ -z '$out' ] && [ ! -e '$T/apt.log' ]"
fi
check "an unknown option is refused" bash -c "! bash '$DEPS' --bogus 2>/dev/null"

# The demo's story, on this build.
rc=0
bash "$SRC/tests/e2e/lib/demo.bash" "$BIN" >"$T/demo.out" 2>&1 || rc=$?
check "the demo runs (exit $rc)" test $rc = 0
check "... and all synced" grep -q '^all synced in ' "$T/demo.out"
check "... the report is there" grep -q '^Family violence prevention: report' "$T/demo.out"
for bad in 'ayil: warning' 'Keep it secret' 'web certificate SHA-256' 'Setting up' 'debconf' 'apt-get' \
  'Reading package lists' 'ayil: synced' 'ERROR' 'Sanitizer'; do
  check "the story has no '$bad'" bash -c "! grep -qF -- '$bad' '$T/demo.out'"
done
check "the story names the enrolment codes it confirms" \
  grep -qE 'reads its enrolment code [0-9]{4}-[0-9]{4}-[0-9]{4}' "$T/demo.out"
D=$(sed -n 's/^Demo files are in \([^ ]*\) .*/\1/p' "$T/demo.out")
check "the tools' advice is kept in setup.log" grep -q 'recovery kit' "$D/setup.log"
[ -n "$D" ] && [[ $D == /tmp/ayil-demo.* ]] && rm -rf "$D"
finish
