#!/usr/bin/env bash
# Are two ayil binaries' reports the same? For a change to the report path
# (or to what it opens, e.g. the store's WAL check), run with main's binary
# as BEFORE and the branch's as AFTER:
#
#   tests/bench/report_same.sh BEFORE_AYIL AFTER_AYIL [BENCH_REPORT]
#
# It makes three stores with bench_report (a hub of 450 committees x 100
# records, a hub of 1 x 100,000, a committee of 2,000 records written
# through node.h) and a copy of the first read through a write-ahead log
# held open, then runs `ayil report` with both binaries on each, in
# every format (text, csv, json, md, html, xlsx), in en, ru and ky, and with
# the options that change the table (period, oblast, suppression, csv
# layout and separator). text, csv, json, md and html must be byte for byte
# the same; an xlsx must hold the same parts byte for byte except
# docProps/core.xml, which carries the time it was written. Prints each
# difference and a count; exits 1 if there is any. Not run by ctest: it
# needs the other binary.
set -u
BEFORE=${1:?usage: report_same.sh BEFORE_AYIL AFTER_AYIL [BENCH_REPORT]}
AFTER=${2:?usage: report_same.sh BEFORE_AYIL AFTER_AYIL [BENCH_REPORT]}
BENCH=${3:-$(dirname "$0")/../../build-rel/tests/bench/bench_report}
T=$(mktemp -d /tmp/ayil-report-same.XXXXXX)
HOLDER=
trap '[ -n "$HOLDER" ] && kill "$HOLDER"; rm -rf "$T"' EXIT

"$BENCH" --committees 450 --records 100 --runs 1 --ayil "$AFTER" --keep "$T/h450" >/dev/null || exit 2
"$BENCH" --committees 1 --records 100000 --runs 1 --ayil "$AFTER" --keep "$T/h1" >/dev/null || exit 2
"$BENCH" --committee --records 2000 --runs 1 --ayil "$AFTER" --keep "$T/c" >/dev/null || exit 2

# A fourth store: the 450 committees again, read through a write-ahead log
# of about 30 MiB that a writer holds open (as a running ayild does; the
# last connection to close would checkpoint it away), its content unchanged.
cp -r "$T/h450" "$T/w450"
python3 - "$T/w450/hub/ayil.db" >"$T/holder.out" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA wal_autocheckpoint=0")
for _ in range(8):
    c.execute("BEGIN")
    c.execute("UPDATE records SET seq = seq + 1")
    c.execute("UPDATE records SET seq = seq - 1")
    c.execute("COMMIT")
print("ready", flush=True)
time.sleep(1800)
EOF
HOLDER=$!
for _ in $(seq 1 120); do
  grep -q ready "$T/holder.out" 2>/dev/null && break
  sleep 0.5
done
grep -q ready "$T/holder.out" || { echo "report_same: no write-ahead log"; exit 2; }
echo "report_same: a write-ahead log of $(stat -c %s "$T/w450/hub/ayil.db-wal") bytes beside w450"

same_xlsx() {
  python3 - "$1" "$2" <<'EOF'
import sys, zipfile
a, b = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
if a.namelist() != b.namelist():
    sys.exit(1)
for n in a.namelist():
    if n != "docProps/core.xml" and a.read(n) != b.read(n):
        sys.exit(1)
EOF
}

n=0
bad=0
for home in "$T/h450/hub" "$T/w450/hub" "$T/h1/hub" "$T/c/com"; do
  for opts in "" "--from 2025-03 --to 2025-09" "--oblast talas" \
    "--suppress-below 0" "--suppress-below 10"; do
    for fmt in text csv json md html xlsx; do
      for lang in en ru ky; do
        # shellcheck disable=SC2086 # opts is a list of words
        "$BEFORE" --home "$home" report --format "$fmt" --lang "$lang" $opts \
          --output "$T/before.$fmt" 2>"$T/before.err"
        rb=$?
        # shellcheck disable=SC2086
        "$AFTER" --home "$home" report --format "$fmt" --lang "$lang" $opts \
          --output "$T/after.$fmt" 2>"$T/after.err"
        ra=$?
        n=$((n + 1))
        if [ "$rb" != "$ra" ] || ! cmp -s "$T/before.err" "$T/after.err"; then
          echo "DIFFERENT exit or message: $home $fmt $lang $opts"
          bad=$((bad + 1))
        elif [ "$fmt" = xlsx ]; then
          same_xlsx "$T/before.xlsx" "$T/after.xlsx" ||
            { echo "DIFFERENT: $home $fmt $lang $opts"; bad=$((bad + 1)); }
        elif ! cmp -s "$T/before.$fmt" "$T/after.$fmt"; then
          echo "DIFFERENT: $home $fmt $lang $opts"
          bad=$((bad + 1))
        fi
      done
    done
  done
  for opts in "--layout wide" "--csv-sep ;" "--csv-sep tab"; do
    # shellcheck disable=SC2086
    "$BEFORE" --home "$home" report --format csv $opts >"$T/before.csv"
    # shellcheck disable=SC2086
    "$AFTER" --home "$home" report --format csv $opts >"$T/after.csv"
    n=$((n + 1))
    cmp -s "$T/before.csv" "$T/after.csv" ||
      { echo "DIFFERENT: $home csv $opts"; bad=$((bad + 1)); }
  done
done
echo "report_same: $n reports compared, $bad different"
[ "$bad" = 0 ]
