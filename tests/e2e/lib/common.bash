# Shared helpers for the shell-driven tests. Sourced, not run.
set -euo pipefail
BIN=${AYIL_BIN_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/build-test}
SRC=${AYIL_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
AYIL="$BIN/ayil"
AYILD="$BIN/ayild"
T=$(mktemp -d /tmp/ayil-e2e.XXXXXX)
PASSED=0
FAILED=0
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || true
  done
  rm -rf "$T"
}
trap cleanup EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() { # check "description" command...
  local d=$1; shift
  if "$@"; then ok "$d"; else fail "$d"; fi
}
# expect_rc CODE "description" command... ; stderr goes to $T/err
expect_rc() {
  local want=$1 d=$2; shift 2
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [ "$rc" = "$want" ]; then ok "$d (exit $rc)"; else
    fail "$d: exit $rc, want $want; stderr: $(head -c 300 "$T/err")"; fi
}
# checklines DESCRIPTION command...: runs a checker that prints "ok - ..."
# and "FAIL - ..." lines, and counts them as this test's; any other line is
# a comment; a failing exit with no FAIL line is one.
checklines() {
  local d=$1 line rc=0
  shift
  "$@" >"$T/py.out" 2>&1 || rc=$?
  while IFS= read -r line; do
    case $line in
    "ok - "*) ok "$d: ${line#ok - }" ;;
    "FAIL - "*) fail "$d: ${line#FAIL - }" ;;
    *) echo "# $line" ;;
    esac
  done <"$T/py.out"
  [ $rc = 0 ] || grep -q "^FAIL - " "$T/py.out" || fail "$d: exit $rc"
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}
# The store's content as one checksum (entries + bodies + records).
store_sum() {
  sqlite3 "$1/ayil.db" "SELECT hex(origin)||seq||hex(hash)||hex(packed) FROM entries ORDER BY n; SELECT hex(hash)||hex(sealed) FROM bodies ORDER BY hash; SELECT hex(id)||seq||deleted||ifnull(hn,'') FROM records ORDER BY id;" | sha256sum | cut -c1-16
}
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
