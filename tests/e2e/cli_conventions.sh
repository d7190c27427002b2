#!/bin/bash
# A conventional command line (issue 11): options parsed by getopt_long,
# -h/--help, --version of ayil and ayild (the project's version in
# CMakeLists.txt), --json before or after the command, a JSON error
# document on stdout with --json, and record add's --json output beside
# its --file input (and the old `--json FILE`).
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE="cli conventions passphrase"
H=$T/c
VERSION=$(sed -n 's/^project(ayil VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
check "the project version is known" test -n "$VERSION"

expect_rc 0 "ayil --version" "$AYIL" --version
check "... prints the project's version" grep -qx "ayil $VERSION" "$T/out"
expect_rc 0 "ayild --version" "$AYILD" --version
check "... prints the project's version" grep -qx "ayild $VERSION" "$T/out"
expect_rc 0 "ayil --json --version" "$AYIL" --json --version
check "... as JSON" test "$(json_get '["version"]' <"$T/out")" = "$VERSION"
expect_rc 0 "ayil -h" "$AYIL" -h
check "... prints the usage" grep -q '^usage: ayil' "$T/out"
expect_rc 0 "ayil --help" "$AYIL" --help
check "... prints the usage" grep -q '^usage: ayil' "$T/out"
expect_rc 0 "ayil status -h" "$AYIL" status -h
check "... the command's help" grep -q '^usage: ayil status' "$T/out"
expect_rc 0 "ayil record add --help" "$AYIL" record add --help
check "... names --file" grep -q -- '--file FILE' "$T/out"
expect_rc 0 "ayild -h" "$AYILD" -h
check "... names --version" grep -q -- '--version' "$T/out"
expect_rc 2 "ayild with an unknown option" "$AYILD" --frobnicate
expect_rc 2 "ayil with no command" "$AYIL"

"$AYIL" --home "$H" init --role committee --name "Conventions Test Committee" --oblast osh \
  --recovery-kit "$T/kit" >/dev/null 2>"$T/init.err" || { cat "$T/init.err"; exit 1; }

# --json before the command, after it, and with --home between
expect_rc 0 "ayil --json status" "$AYIL" --json --home "$H" status
check "... is JSON" test "$(json_get '["role"]' <"$T/out")" = committee
cp "$T/out" "$T/before.json"
expect_rc 0 "ayil status --json" "$AYIL" --home "$H" status --json
check "... the same document's role" test "$(json_get '["role"]' <"$T/out")" = committee
expect_rc 0 "options after the arguments (getopt permutes)" "$AYIL" schema session --json --home "$H"
check "... a JSON schema" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out"
expect_rc 0 "--home=DIR" "$AYIL" --home="$H" id
check "... prints the id" test -s "$T/out"

# record add: the input from --file, the id as JSON with --json
S='{"date":"2026-03-20","cases_reviewed":4,"members_present":7,"violence_related":true}'
echo "$S" >"$T/s.json"
expect_rc 0 "record add --file FILE --json" "$AYIL" --home "$H" record add session --file "$T/s.json" --json
ID=$(json_get '["id"]' <"$T/out")
check "... prints {\"id\": ...}" grep -qE '^[0-9a-f]{32}$' <<<"$ID"
expect_rc 0 "... the record is there" "$AYIL" --home "$H" record show "$ID" --json
check "... with its field" test "$(json_get '["header"]["cases_reviewed"]' <"$T/out")" = 4
expect_rc 0 "ayil --json record add KIND < input" bash -c "'$AYIL' --json --home '$H' record add session <'$T/s.json'"
check "... prints the id as JSON" grep -qE '^[0-9a-f]{32}$' <<<"$(json_get '["id"]' <"$T/out")"
expect_rc 0 "record add KIND --json FILE (CLI.md's first spelling)" "$AYIL" --home "$H" record add session --json "$T/s.json"
check "... reads the file and prints the id as text" grep -qxE '[0-9a-f]{32}' "$T/out"
expect_rc 0 "record add --json=FILE" "$AYIL" --home "$H" record add session --json="$T/s.json"
check "... prints the id as text" grep -qxE '[0-9a-f]{32}' "$T/out"
expect_rc 0 "record update ID --file FILE --json" bash -c \
  "echo '{\"cases_reviewed\":5}' >'$T/u.json'; '$AYIL' --home '$H' record update '$ID' --file '$T/u.json' --json"
check "... prints the same id as JSON" test "$(json_get '["id"]' <"$T/out")" = "$ID"
expect_rc 0 "record list --json" "$AYIL" --home "$H" record list --json
check "... four records" test "$(json_get '.__len__()' <"$T/out")" = 4

expect_rc 0 "--json before the subcommand: record --json list" "$AYIL" --home "$H" record --json list
check "... the same four records" test "$(json_get '.__len__()' <"$T/out")" = 4
expect_rc 0 "member --json list" "$AYIL" --home "$H" member --json list
check "... the first chair" test "$(json_get '[0]["role"]' <"$T/out")" = chair
expect_rc 2 "an option of another subcommand" "$AYIL" --home "$H" record show "$ID" --kind session
check "... is named" grep -q 'record show: option --kind is not one of its options' "$T/err"

# failures with --json: a JSON error document on stdout, the exit code kept
json_error() { # json_error CODE: $T/out is one error document naming CODE
  python3 - "$T/out" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["error"]
assert e["code"] == sys.argv[2], e
assert e["message"], e
PY
}
expect_rc 2 "--json: an unknown record id" "$AYIL" --json --home "$H" record show 0123456789abcdef0123456789abcdef
check "... a JSON error on stdout" json_error notfound
check "... and the line on stderr" grep -q '^ayil: ' "$T/err"
expect_rc 2 "--json after the command: an unknown option" "$AYIL" --home "$H" status --json --frobnicate
check "... a JSON error on stdout" json_error usage
check "... saying what" grep -q 'unknown option' "$T/err"
expect_rc 2 "--json after a bad option still gives the JSON error" "$AYIL" --home "$H" status --frobnicate --json
check "... a JSON error on stdout" json_error usage
expect_rc 2 "--json: an unknown command" "$AYIL" --json --home "$H" frobnicate
check "... a JSON error on stdout" json_error usage
expect_rc 2 "--json: a missing value" "$AYIL" --json --home "$H" report --format
check "... a JSON error on stdout" json_error usage
check "... naming the option" grep -q 'option --format needs a value' "$T/err"
expect_rc 1 "--json: sync without ayild (exit 1)" "$AYIL" --json --home "$H" sync
check "... a JSON error on stdout" json_error failed
expect_rc 2 "--json: record add of bad input" bash -c "echo '{\"date\":\"x\"}' | '$AYIL' --json --home '$H' record add session"
check "... a JSON error on stdout" python3 -c 'import json,sys; json.load(open(sys.argv[1]))["error"]["code"]' "$T/out"
expect_rc 2 "a flag given a value" "$AYIL" --home "$H" status --json=yes
check "... says it takes none" grep -q 'option --json takes no value' "$T/err"
expect_rc 2 "an unknown option before the command" "$AYIL" --frobnicate status
check "... says so" grep -q 'unknown option before the command' "$T/err"
expect_rc 2 "a short option that does not exist" "$AYIL" --home "$H" status -x
check "... is an unknown option" grep -q 'unknown option' "$T/err"
finish
