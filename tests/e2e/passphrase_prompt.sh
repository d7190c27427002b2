#!/bin/bash
# The passphrase prompt (issue 11): the terminal's echo comes back when a
# signal ends (or stops) the command at the prompt; the prompt names the
# node; the minimum length counts characters, not bytes, and the guide
# says the same minimum; a passphrase file that its group or others may
# read is refused, naming its mode. Driven through a real pseudo-terminal
# (lib/pty_signal.py). Invented names.
source "$(dirname "$0")/lib/common.bash"
SIGNAL="$(dirname "$0")/lib/pty_signal.py"
export AYIL_PASSPHRASE="prompt test passphrase"
H=$T/c
"$AYIL" --home "$H" init --role committee --name "Prompt Test Committee" --oblast naryn \
  --recovery-kit "$T/kit" >/dev/null 2>"$T/init.err" || { cat "$T/init.err"; exit 1; }
ID=$(echo '{"date":"2026-03-20","cases_reviewed":4,"members_present":7,"violence_related":true}' |
  "$AYIL" --home "$H" record add session)

# at_prompt HOW SIGNUM: `record show` asks the passphrase; HOW ends it
at_prompt() {
  local how=$1 sig=$2
  env -u AYIL_PASSPHRASE /usr/bin/python3 "$SIGNAL" "$T/pty" "$how" -- \
    "$AYIL" --home "$H" record show "$ID" && ok "$how: the prompt came" || {
    fail "$how: no prompt: $(cat "$T/pty")"; return; }
  check "$how: the prompt names the node" grep -qx 'prompt: Passphrase for Prompt Test Committee:' "$T/pty"
  check "$how: echo is off at the prompt" grep -qx 'echo at prompt: off' "$T/pty"
  check "$how: the command ended by signal $sig" grep -qx "ended by: signal $sig" "$T/pty"
  check "$how: stty -a shows echo again" grep -qE '^stty: .*(^| )echo( |$)' "$T/pty"
  check "$how: ... and not -echo" bash -c "! grep -qE '^stty: .* -echo( |$)' '$T/pty'"
}
at_prompt ctrl-c 2
at_prompt INT 2
at_prompt TERM 15
at_prompt HUP 1
at_prompt QUIT 3
at_prompt USR1 10
at_prompt ALRM 14
at_prompt ctrl-z 15
check "ctrl-z: stopped at the prompt" grep -qx 'stopped: yes' "$T/pty"
check "ctrl-z: echo is on while stopped" grep -qx 'echo while stopped: on' "$T/pty"

# The prompt of passwd names the node too (Ctrl-C at the first prompt).
env -u AYIL_PASSPHRASE /usr/bin/python3 "$SIGNAL" "$T/pty" ctrl-c -- "$AYIL" --home "$H" passwd ||
  fail "passwd: no prompt"
check "passwd: the prompt names the node" grep -qx 'prompt: Passphrase for Prompt Test Committee:' "$T/pty"
check "passwd: stty -a shows echo after Ctrl-C" grep -qE '^stty: .*(^| )echo( |$)' "$T/pty"

# The minimum counts characters: 7 Kyrgyz letters are 14 bytes, and too
# short; 8 are enough.
MIN=$(sed -n 's/^#define AYIL_PASSPHRASE_MIN_CHARS \([0-9]*\)/\1/p' "$SRC/node/keys.h")
check "the minimum is known" test "$MIN" = 8
P7=$(python3 -c 'print("өңүжакы")')
P8=$(python3 -c 'print("өңүжакыр")')
check "... 7 letters, 14 bytes" test "$(printf %s "$P7" | wc -c)" = 14
expect_rc 2 "init with a 7-letter Kyrgyz passphrase is refused" env AYIL_PASSPHRASE="$P7" \
  "$AYIL" --home "$T/c7" init --role committee --name "Short Test Committee" --oblast naryn --recovery-kit "$T/kit7"
check "... saying the minimum in characters" grep -q "at least $MIN characters" "$T/err"
expect_rc 0 "init with an 8-letter Kyrgyz passphrase works" env AYIL_PASSPHRASE="$P8" \
  "$AYIL" --home "$T/c8" init --role committee --name "Long Test Committee" --oblast naryn --recovery-kit "$T/kit8"
expect_rc 2 "passwd to a 7-letter passphrase is refused" env AYIL_NEW_PASSPHRASE="$P7" \
  "$AYIL" --home "$H" passwd
check "... saying the minimum" grep -q "at least $MIN characters" "$T/err"
check "the guide says the same minimum, in characters" grep -q "refuses one shorter than $MIN characters (characters, not bytes" "$SRC/deploy/README.md"

# A passphrase file readable by its group or others is refused.
unset AYIL_PASSPHRASE
printf '%s\n' "prompt test passphrase" >"$T/pass"
chmod 644 "$T/pass"
expect_rc 2 "a passphrase file of mode 0644 is refused" "$AYIL" --home "$H" record show "$ID" --passphrase-file "$T/pass"
check "... naming the file and its mode" grep -q "passphrase file $T/pass has mode 0644" "$T/err"
check "... and saying what to do" grep -q "chmod 600" "$T/err"
check "... nothing on stdout" test ! -s "$T/out"
chmod 640 "$T/pass"
expect_rc 2 "mode 0640 is refused too (before the command)" "$AYIL" --home "$H" --passphrase-file "$T/pass" record show "$ID"
check "... naming the mode" grep -q "has mode 0640" "$T/err"
chmod 600 "$T/pass"
expect_rc 0 "mode 0600 is read" "$AYIL" --home "$H" record show "$ID" --passphrase-file "$T/pass"
check "... and the record opens" grep -q 'cases_reviewed' "$T/out"
printf '%s\n' "$P8" >"$T/new"
chmod 604 "$T/new"
expect_rc 2 "a --new-passphrase-file of mode 0604 is refused" "$AYIL" --home "$H" passwd \
  --passphrase-file "$T/pass" --new-passphrase-file "$T/new"
check "... naming it" grep -q "passphrase file $T/new has mode 0604" "$T/err"
finish
