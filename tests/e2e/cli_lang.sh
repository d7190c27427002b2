#!/bin/bash
# The CLI speaks the language of the environment (LANGUAGE, LC_ALL,
# LC_MESSAGES, LANG): Russian and Kyrgyz from po/ayil-cli, English
# otherwise. The exit code does not depend on the language. Checked for a
# CLI message (cli_err), a node/ message (ayil_node_errmsg, translated in
# ayil__node_err), a record validation message and the record prompts.
source "$(dirname "$0")/lib/common.bash"
H=$T/home
export AYIL_PASSPHRASE=lang-test-passphrase
"$AYIL" --home "$H" init --role committee --name "Lang Test Committee" --oblast naryn \
  --recovery-kit "$T/kit.txt" >/dev/null 2>"$T/init.err" || { cat "$T/init.err"; exit 1; }

# in_lang LANG CMD...: runs CMD with only LANG set (the tests run with LC_ALL=C.UTF-8)
in_lang() {
  local lang=$1; shift
  env -u LC_ALL -u LC_MESSAGES LANGUAGE= LANG="$lang" "$@"
}
# same_rc "description" 'english' 'russian' 'kyrgyz' command...
same_rc() {
  local d=$1 en=$2 ru=$3 ky=$4; shift 4
  local rc_en=0 rc_ru=0 rc_ky=0
  in_lang C.UTF-8 "$@" >"$T/out.en" 2>"$T/err.en" || rc_en=$?
  in_lang ru_RU.UTF-8 "$@" >"$T/out.ru" 2>"$T/err.ru" || rc_ru=$?
  in_lang ky_KG.UTF-8 "$@" >"$T/out.ky" 2>"$T/err.ky" || rc_ky=$?
  check "$d: fails (exit $rc_en)" test "$rc_en" != 0
  check "$d: same exit code in ru and ky ($rc_ru, $rc_ky)" test "$rc_ru" = "$rc_en" -a "$rc_ky" = "$rc_en"
  grep -q -F -- "$en" "$T/err.en" && ok "$d: English: '$en'" || fail "$d: English was: $(cat "$T/err.en")"
  grep -q -F -- "$ru" "$T/err.ru" && ok "$d: Russian: '$ru'" || fail "$d: Russian was: $(cat "$T/err.ru")"
  grep -q -F -- "$ky" "$T/err.ky" && ok "$d: Kyrgyz: '$ky'" || fail "$d: Kyrgyz was: $(cat "$T/err.ky")"
}

same_rc "a bad report option (CLI)" "--format must be text, csv, json, md, html, xlsx, dhis2 or adx" \
  "--format должен быть text, csv, json, md, html, xlsx, dhis2 или adx" "--format text, csv, json, md, html, xlsx, dhis2 же adx болушу керек" \
  "$AYIL" --home "$H" report --format nosuchformat
same_rc "a missing home (node/)" "does not exist" "не существует" "үй каталогу жок" \
  "$AYIL" --home "$T/nohome" status
same_rc "an unknown record id (node/)" "record id must be 32 hex characters" \
  "идентификатор записи должен состоять из 32 шестнадцатеричных символов" \
  "жазуунун идентификатору 32 он алтылык белгиден турушу керек" \
  "$AYIL" --home "$H" record show nosuchid
echo '{"date":"2026-02-30","cases_reviewed":1,"violence_related":true}' >"$T/bad.json"
same_rc "an impossible date (record validation)" 'session: field "date": must be a date' \
  'session: поле "date": должно быть датой' 'session: "date" талаасы: ЖЖЖЖ-АА-КК' \
  "$AYIL" --home "$H" record add session --file "$T/bad.json"
check "nothing was added" test -z "$("$AYIL" --home "$H" record list)"
# LANGUAGE wins over LANG, as in gettext.
rc=0
env -u LC_ALL LANGUAGE=ru LANG=ky_KG.UTF-8 "$AYIL" --home "$H" report --format x 2>"$T/err" || rc=$?
check "LANGUAGE=ru wins over LANG=ky (exit $rc)" grep -q "должен быть" "$T/err"

# The prompts of record add at a terminal, in Russian; Ctrl-D cancels.
printf '%s\n' '<EOF>' >"$T/ans"
rc=0
in_lang ru_RU.UTF-8 /usr/bin/python3 "$(dirname "$0")/lib/pty_drive.py" "$T/tr" "$T/ans" -- \
  "$AYIL" --home "$H" record add session || rc=$?
check "record add at a terminal in Russian: Ctrl-D exits 2 (exit $rc)" test "$rc" = 2
check "it asks in Russian" grep -q "Новая запись" "$T/tr"
check "and says it cancelled in Russian" grep -q "отменено; ничего не записано" "$T/tr"
finish
