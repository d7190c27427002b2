#!/bin/bash
# The message catalogues are complete: every po file compiles with no
# untranslated or fuzzy message, and every message the web app's code
# marks (W_("...")) and the CLI's and node/'s (scripts/po-cli.sh) is in the
# Kyrgyz and Russian catalogues. Run by the
# tests (ctest i18n_check); a new page text without its translations fails.
# The record dictionary's labels are checked by tests/unit/test_i18n.c.
set -euo pipefail
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
for po in po/*/*.po; do
  stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1)
  if echo "$stats" | grep -qE 'untranslated|fuzzy'; then
    echo "i18n: $po: $stats" >&2
    fail=1
  fi
done
xgettext --from-code=UTF-8 --keyword=W_ --keyword=W:2 -o "$T/web.pot" web/*.c
for lang in ky ru; do
  if ! msgcmp --use-untranslated "po/ayil-web/$lang.po" "$T/web.pot" 2>"$T/err"; then
    echo "i18n: po/ayil-web/$lang.po lacks messages of web/:" >&2
    grep -i 'not found\|msgid' "$T/err" | head -20 >&2
    fail=1
  fi
done
bash scripts/po-cli.sh --check || fail=1
[ $fail = 0 ] && echo "i18n: every catalogue complete"
exit $fail
