#!/bin/bash
# The message catalogues are complete (run by ctest as i18n_check):
#  1. every po/DOMAIN/LANG.po compiles (msgfmt --check) with no untranslated
#     and no fuzzy message;
#  2. every message the sources ask for (extracted with xgettext, keywords
#     of node/i18n.h) is translated in po/DOMAIN/ky.po and ru.po (and en.po
#     where the domain has one) (msgcmp).
# So a message added to the code without its translations fails the tests.
#
# Which sources belong to which domain: xgettext cannot see the domain
# argument, so the messages are split by context. The record dictionary's
# and the report's contexts (kind, field.K, hint.K, code.K.F, oblast, bool,
# report: node/i18n.h) are domain "ayil" wherever they appear (the report
# in node/report*.c, the web forms); every other message belongs to the
# domain of the directory it is in: ayil-cli for cli/ and node/ (the CLI
# and node/'s error messages), ayil-web for web/. A domain whose sources
# ask for nothing yet passes step 2 trivially. Keys built at run time (the
# report's indicators, the dictionary walked from proto/schema.c) are
# checked by tests/unit/test_i18n.c instead.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in msgfmt xgettext msgcmp msggrep; do
  command -v $t >/dev/null || {
    echo "i18n-check: $t is missing (apt-get install gettext; scripts/deps.sh)" >&2
    exit 2
  }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

AYIL_CTX='^(kind|field\.[a-z_]+|hint\.[a-z_]+|code\.[a-z_]+\.[a-z_]+|oblast|bool|report)$'
KEYWORDS=(-k --keyword=ayil_tr:3 --keyword=ayil_trc:3c,4 --keyword=W_:1
          --keyword=_:1 --keyword=N_:1)

# The source directories of a domain's own (context-free) messages.
dirs_of() {
  case "$1" in
  ayil) echo "node cli web" ;; # only its contexts are kept, see above
  ayil-cli) echo "cli node" ;;
  ayil-web) echo "web" ;;
  *) echo "" ;;
  esac
}

fail=0
for dom_dir in po/*/; do
  dom=$(basename "$dom_dir")
  # 1. complete and compiling
  for po in "$dom_dir"*.po; do
    [ -e "$po" ] || continue
    if ! stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1); then
      echo "$stats" >&2
      echo "i18n-check: $po does not compile (msgfmt --check)" >&2
      fail=1
      continue
    fi
    echo "$po: $stats"
    if echo "$stats" | grep -qE 'untranslated|fuzzy'; then
      echo "i18n-check: $po has untranslated or fuzzy messages: translate them and drop the fuzzy flag" >&2
      fail=1
    fi
  done
  # 2. the sources' messages are all in the catalogue
  files=()
  for d in $(dirs_of "$dom"); do
    [ -d "$d" ] || continue
    while IFS= read -r f; do files+=("$f"); done < <(find "$d" -name '*.[ch]' | sort)
  done
  if [ ${#files[@]} -eq 0 ]; then
    echo "i18n-check: $dom: no sources to extract from"
    continue
  fi
  xgettext --language=C --from-code=UTF-8 --force-po "${KEYWORDS[@]}" \
    --package-name=ayil -o "$tmp/$dom.all.pot" "${files[@]}"
  sed -i 's/charset=CHARSET/charset=UTF-8/' "$tmp/$dom.all.pot"
  if [ "$dom" = ayil ]; then
    msggrep --force-po -J -E -e "$AYIL_CTX" -o "$tmp/$dom.pot" "$tmp/$dom.all.pot"
  else
    msggrep --force-po -v -J -E -e "$AYIL_CTX" -o "$tmp/$dom.pot" "$tmp/$dom.all.pot"
  fi
  n=$(grep -c '^msgid ' "$tmp/$dom.pot" || true)
  n=$((n > 0 ? n - 1 : 0)) # the header
  echo "$dom: $n messages in the sources (${#files[@]} files)"
  [ "$n" -gt 0 ] || continue
  for lang in ky ru en; do
    po="$dom_dir$lang.po"
    if [ ! -e "$po" ]; then
      [ "$lang" = en ] && continue
      echo "i18n-check: $po is missing" >&2
      fail=1
      continue
    fi
    # msgcmp names each message the catalogue lacks (untranslated and
    # fuzzy ones count as lacking); "not used" is normal for messages
    # whose keys are built at run time.
    if ! msgcmp "$po" "$tmp/$dom.pot" >"$tmp/cmp" 2>&1; then
      # each missing message, with where the sources use it
      sed -n 's/^.*\.pot:\([0-9]*\): this message is used but not defined.*/\1/p' "$tmp/cmp" |
        while read -r line; do
          awk -v l="$line" 'BEGIN { RS = ""; FS = "\n" }
            { n = split($0, a, "\n"); end = start + n
              if (l > start && l <= end + 1)
                for (i = 1; i <= n; i++) if (a[i] !~ /^msgstr/) print "  " a[i]
              start = end + 1 }' "$tmp/$dom.pot" >&2
        done
      echo "i18n-check: $po lacks the messages above, which the sources use: add and translate them" >&2
      fail=1
    fi
  done
done
if [ $fail -ne 0 ]; then
  echo "i18n-check: FAILED" >&2
  exit 1
fi
echo "i18n-check: ok"
