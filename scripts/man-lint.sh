#!/bin/bash
# Lints the man pages as the build generated them (deploy/packaging.cmake:
# version and date filled in):
#
#   scripts/man-lint.sh BUILD_DIR VERSION
#
# - groff reports no warning at all (-ww, as errors), input through preconv
#   (-k) as man(1) does, so the pages' UTF-8 (Kyrgyz and Russian words) is read;
# - mandoc -Tlint, where mandoc is installed, reports no warning or error;
# - no .TP tag spans two lines (only the first line is the tag: the
#   rest would fall into the paragraph);
# - .TH carries VERSION and a real date (YYYY-MM-DD, not in the future), and
#   the installed .gz is the same page.
set -uo pipefail
B=$1
V=$2
rc=0
bad() { echo "FAIL - $*"; rc=1; }
good() { echo "ok - $*"; }
for page in ayil.1 ayild.8 ayil-web.8; do
  f=$B/deploy/$page
  [ -f "$f" ] || { bad "$page: not generated ($f)"; continue; }
  w=$(groff -k -man -Tutf8 -ww -z "$f" 2>&1)
  if [ -z "$w" ]; then good "$page: groff -ww: no warning"; else bad "$page: groff -ww: $w"; fi
  if command -v mandoc >/dev/null; then
    m=$(mandoc -Tlint -W warning "$f" 2>&1)
    if [ -z "$m" ]; then good "$page: mandoc -Tlint: clean"; else bad "$page: mandoc -Tlint: $m"; fi
  fi
  multi=$(awk '/^\.TP/ { tp = NR; next }
    tp && NR == tp + 2 && /^\.(B|I|BR|BI|IR|RB|RI|IB)( |$)/ { print "line " tp ": " prev " / " $0 }
    { prev = $0 } NR > tp + 2 { tp = 0 }' "$f")
  if [ -z "$multi" ]; then good "$page: every tag is one line"; else bad "$page: a tag spans lines: $multi"; fi
  th=$(grep -m1 '^\.TH' "$f")
  d=$(sed -nE 's/^\.TH [^ ]+ [0-9] "([0-9]{4}-[0-9]{2}-[0-9]{2})" "ayil ([^"]+)".*/\1/p' <<<"$th")
  ver=$(sed -nE 's/^\.TH [^ ]+ [0-9] "[^"]*" "ayil ([^"]+)".*/\1/p' <<<"$th")
  if [ "$ver" = "$V" ]; then good "$page: version $ver"; else bad "$page: .TH version '$ver', want $V ($th)"; fi
  if [ -n "$d" ] && [ "$(date -u -d "$d" +%F 2>/dev/null)" = "$d" ] &&
    [ "$(date -u -d "$d" +%s)" -le "$(date -u +%s)" ]; then
    good "$page: date $d"
  else
    bad "$page: .TH date '$d' ($th)"
  fi
  if cmp -s "$f" <(gzip -dc "$f.gz" 2>/dev/null); then good "$page: $page.gz is the same page"; else bad "$page: $page.gz differs or is missing"; fi
done
exit $rc
