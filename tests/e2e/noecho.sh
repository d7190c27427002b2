#!/bin/bash
# Errors never echo input. A person may type a survivor's name anywhere: as
# a record id, into a code, number or date field, as a field name, a kind, a
# command, an option or its value, a node id, or into ayil.conf. Every such
# error must name the field or option and what was expected, exit 2 (1 for
# a config file that does not parse, and for doctor's findings), and carry
# none of what was typed, on stdout or stderr, from the CLI and from ayild.
source "$(dirname "$0")/lib/common.bash"
export AYIL_PASSPHRASE="noecho test passphrase"
S1="zarina"                 # lower case: looks like a code
S2="Zarina Asanova"          # invented
S3="Айгуль Токтогулова"      # invented, Cyrillic
H=$T/c
HUB=$T/hub
"$AYIL" --home "$H" init --role committee --name "Noecho test committee" --oblast osh \
  --recovery-kit "$T/kit" >/dev/null 2>"$T/init.err" || { cat "$T/init.err"; exit 1; }
"$AYIL" --home "$HUB" init --role hub --name "Noecho test hub" --listen 127.0.0.1:1 \
  >/dev/null 2>>"$T/init.err" || { cat "$T/init.err"; exit 1; }

# noecho RC "description" 'expected stderr fragment' command...
noecho() {
  local want=$1 d=$2 frag=$3; shift 3
  expect_rc "$want" "$d" "$@"
  grep -q -F -- "$frag" "$T/err" && ok "$d: says '$frag'" || fail "$d: error was: $(head -c 300 "$T/err")"
  if grep -q -F -e "$S1" -e "$S2" -e "$S3" -e "Asanova" -e "Айгуль" "$T/out" "$T/err"; then
    fail "$d: what was typed is echoed"
  else
    ok "$d: nothing typed is echoed"
  fi
}
appeal() { # appeal KEY VALUE-JSON: a valid appeal with KEY set to VALUE
  python3 -c 'import json,sys
d={"date":"2026-03-14","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open"}
d[sys.argv[1]]=json.loads(sys.argv[2]); print(json.dumps(d, ensure_ascii=False))' "$1" "$2"
}
add() { # add KIND < input
  "$AYIL" --home "$H" record add "$1"
}

for s in "$S1" "$S2" "$S3"; do
  noecho 2 "record show with a name as id" "record id must be 32 hex characters" "$AYIL" --home "$H" record show "$s"
  noecho 2 "record delete with a name as id" "record id must be 32 hex characters" "$AYIL" --home "$H" record delete "$s"
  noecho 2 "record update with a name as id" "record id must be 32 hex characters" \
    bash -c "echo '{}' | '$AYIL' --home '$H' record update '$s'"
  noecho 2 "a name in a code field" 'field "source": not one of the allowed codes' \
    bash -c "$(declare -f add); AYIL='$AYIL' H='$H' add appeal <<<'$(appeal source "\"$s\"")'"
  noecho 2 "a name in a code list" 'field "violence": not one of the allowed codes' \
    bash -c "$(declare -f add); AYIL='$AYIL' H='$H' add appeal <<<'$(appeal violence "[\"physical\", \"$s\"]")'"
  noecho 2 "a name in a date field" '"date"' \
    bash -c "$(declare -f add); AYIL='$AYIL' H='$H' add appeal <<<'$(appeal date "\"$s\"")'"
  noecho 2 "a name in a number field" '"cases_reviewed"' \
    bash -c "echo '{\"date\":\"2026-01-01\",\"cases_reviewed\":\"$s\",\"violence_related\":true}' | '$AYIL' --home '$H' record add session"
  noecho 2 "a name as a field name" "unknown field (its name is not shown)" \
    bash -c "echo '{\"date\":\"2026-01-01\",\"cases_reviewed\":1,\"violence_related\":true,\"$s\":1}' | '$AYIL' --home '$H' record add session"
  noecho 2 "malformed JSON around a name" "not valid JSON" \
    bash -c "echo '{\"survivor_name\": \"$s\" \"x\"' | '$AYIL' --home '$H' record add appeal"
  noecho 2 "a name as a record kind" "unknown record kind" \
    bash -c "echo '{}' | '$AYIL' --home '$H' record add '$s'"
  noecho 2 "a name as a command" "unknown command" "$AYIL" --home "$H" "$s"
  noecho 2 "a name as a record subcommand" "unknown subcommand" "$AYIL" --home "$H" record "$s"
  noecho 2 "a name as an option" "unknown option" "$AYIL" --home "$H" record list "--$s"
  noecho 2 "a name as an option before the command" "unknown option before the command" "$AYIL" "--$s" status
  noecho 2 "a name as report --format" "--format must be" "$AYIL" --home "$H" report --format "$s"
  noecho 2 "a name as report --lang" "--lang must be" "$AYIL" --home "$H" report --lang "$s"
  noecho 2 "a name as report --from" "--from must be YYYY-MM" "$AYIL" --home "$H" report --from "$s"
  noecho 2 "a name as report --suppress-below" "--suppress-below must be" "$AYIL" --home "$H" report --suppress-below "$s"
  # a node may be named by an id prefix or a committee's name: not found
  noecho 2 "a name as the node id to revoke" "no committee has that name (the text given is not shown)" "$AYIL" --home "$HUB" revoke "$s"
  noecho 2 "a name as --successor-of" "no committee has that name (the text given is not shown)" "$AYIL" --home "$HUB" admit --successor-of "$s"
  noecho 2 "a name as bundle export --to" "no committee has that name (the text given is not shown)" "$AYIL" --home "$HUB" bundle export "$T/never.bundle" --to "$s"
done

# A garbage line in ayil.conf, and a name as the hub's address.
cp "$H/ayil.conf" "$T/conf.good"
printf '%s\n' "$S2" >>"$H/ayil.conf"
noecho 1 "a garbage line in ayil.conf" "syntax error" "$AYIL" --home "$H" status
cp "$T/conf.good" "$H/ayil.conf"
printf '[hub]\naddress = %s\nid = %s\n' "$S3" "$S1" >>"$H/ayil.conf"
expect_rc 1 "doctor: a name as the hub address" "$AYIL" --home "$H" doctor
check "doctor: names the setting" grep -q -F "[hub] address in ayil.conf is not HOST:PORT" "$T/out"
check "doctor: does not echo it" bash -c "! grep -q -F -e Айгуль -e Токтогулова '$T/out' '$T/err'"
cp "$T/conf.good" "$H/ayil.conf"
# ayild with a name as its listen address: it refuses to start and says so.
sed -i "s|^address = .*|address = $S2|" "$HUB/ayil.conf"
rc=0
timeout 20 "$AYILD" --home "$HUB" >"$T/d.out" 2>"$T/d.err" || rc=$?
check "ayild refuses a listen address that is not IP:PORT (exit $rc)" test "$rc" != 0 -a "$rc" != 124
check "ayild names the setting" grep -q "\[listen\] address in ayil.conf is not IP:PORT" "$T/d.err"
check "ayild does not echo it" bash -c "! grep -q -F -e Zarina -e Asanova '$T/d.out' '$T/d.err'"
finish
