#!/bin/bash
# Extracts the messages of the "ayil-cli" domain (the CLI's and node/'s) and
# merges them into po/ayil-cli/{ky,ru}.po. New entries come in empty: fill
# in their msgstr. Formats keep their conversions (#, c-format; msgfmt
# --check, run by the build, compares them).
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp /tmp/ayil-cli.XXXXXX.pot)
trap 'rm -f "$pot"' EXIT
xgettext --from-code=UTF-8 --language=C --no-wrap --sort-by-file \
  --package-name=ayil --add-comments=TRANSLATORS \
  -k_ -kN_ --keyword=cli_err:2 --keyword=ayil__node_err:4 \
  --keyword=ayil__node_fail:4 --keyword=ayil__node_tr --keyword=seterr:3 \
  --keyword=field_err:5 \
  --flag=cli_err:2:c-format --flag=ayil__node_err:4:c-format \
  --flag=ayil__node_fail:4:c-format --flag=seterr:3:c-format \
  --flag=_:1:pass-c-format \
  -o "$pot" cli/*.c node/node*.c node/record.c
# --check: only say whether every extracted message is in both files
# (scripts/i18n-check.sh, run by the tests).
if [ "${1:-}" = --check ]; then
  rc=0
  for lang in ky ru; do
    if ! msgcmp --use-untranslated "po/ayil-cli/$lang.po" "$pot" 2>"$pot.err"; then
      echo "i18n: po/ayil-cli/$lang.po lacks messages of cli/ and node/ (run scripts/po-cli.sh and translate):" >&2
      grep -i 'not found' "$pot.err" | head -20 >&2
      rc=1
    fi
  done
  rm -f "$pot.err"
  exit $rc
fi
for lang in ky ru; do
  msgmerge --quiet --no-wrap --no-fuzzy-matching --update --backup=none \
    "po/ayil-cli/$lang.po" "$pot"
done
