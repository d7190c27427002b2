#!/bin/bash
# A hub addressed by a name, as deploy/README.md recommends
# (--advertise hub.osh.example.org:PORT):
#  1. the invite carries the name; the committee enrols and syncs;
#  2. the name is looked up again on every connect: when it moves to the
#     hub's address, the committee finds the hub without a restart;
#  3. a name that does not resolve is said in the committee's log, by name,
#     and the daemon carries on;
#  4. "localhost:PORT" works too.
# The names live in a hosts file of this test's own mount namespace
# (unshare -m; nsswitch "hosts: files"), so no lookup leaves the machine
# and the system's /etc/hosts is untouched. Without unshare (no
# CAP_SYS_ADMIN) only part 4 runs, against the system's localhost.
if [ -z "${AYIL_HUBNAME_NS:-}" ] && command -v unshare >/dev/null &&
  unshare -m true 2>/dev/null; then
  exec unshare -m env AYIL_HUBNAME_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
START=$(date +%s)
export AYIL_PASSPHRASE="hub name test passphrase"
declare -A HOME_OF PID_OF
NAME=hub.osh.example.org
NS=${AYIL_HUBNAME_NS:-}
if [ -n "$NS" ]; then
  # Nothing here listens on 127.0.0.3: the name first points at nothing.
  printf '127.0.0.1\tlocalhost\n127.0.0.3\t%s\n' "$NAME" >"$T/hosts"
  printf 'hosts: files\n' >"$T/nsswitch.conf"
  mount --bind "$T/hosts" /etc/hosts
  mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf
fi
log_has() { grep -q -- "$2" "$T/$1.log"; }

HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test regional hub" --listen "127.0.0.1:$HUBPORT" >"$T/hub.id" 2>>"$T/cli.err"
start_d hub

# make NAME ADDRESS: a committee invited with --advertise ADDRESS.
make() {
  local n=$1 code
  HOME_OF[$n]=$T/$n
  code=$("$AYIL" --home "$HUB" admit --name "Test committee $n" --oblast osh --advertise "$2" 2>>"$T/cli.err")
  "$AYIL" --home "${HOME_OF[$n]}" init --role committee --invite "$code" \
    --recovery-kit "$T/kit-$n.txt" >"$T/$n.id" 2>>"$T/cli.err"
  "$AYIL" --home "$HUB" admit --confirm "$("$AYIL" --home "${HOME_OF[$n]}" id --code)" >/dev/null 2>>"$T/cli.err"
  fast_conf "${HOME_OF[$n]}"
}
appeal='{"date":"2026-03-02","source":"police","violence":["physical"],"survivor_sex":"female","survivor_age":"26-40","status":"open","survivor_name":"Aigul Testova","narrative":"invented"}'

if [ -n "$NS" ]; then
  echo "# 1-3: $NAME from this test's hosts file"
  make c1 "$NAME:$HUBPORT"
  check "c1's config names the hub by name" grep -q "^address = $NAME:$HUBPORT\$" "$T/c1/ayil.conf"
  echo "$appeal" | "$AYIL" --home "$T/c1" record add appeal >/dev/null 2>>"$T/cli.err"
  start_d c1
  # The name points at 127.0.0.3, where nothing listens.
  expect_rc 1 "c1: sync --wait 4 while the name points at nothing" "$AYIL" --home "$T/c1" sync --wait 4
  check "c1: no 'not IP:PORT' complaint" bash -c "! grep -q 'not IP:PORT' '$T/c1.log'"
  check "c1: its log says where it dialed (the name)" log_has c1 "connecting to the hub at $NAME:$HUBPORT"
  check "c1: the hub has nothing of it yet" test "$(count_origin "$HUB" "$(b64hex "$(cat "$T/c1.id")")")" = 0
  # The name moves to the hub: the next connect looks it up again.
  printf '127.0.0.1\tlocalhost\n127.0.0.1\t%s\n' "$NAME" >"$T/hosts.new"
  cat "$T/hosts.new" >"$T/hosts" # in place: the bind mount keeps the inode
  expect_rc 0 "c1: sync --wait 60 once the name points at the hub, without a restart" "$AYIL" --home "$T/c1" sync --wait 60
  check "c1: the hub holds its entry" test "$(count_origin "$HUB" "$(b64hex "$(cat "$T/c1.id")")")" = 1
  check "c1: ayild still the same process" test -e "/proc/${PID_OF[c1]}"

  # A name that does not resolve.
  stop_d c1
  sed -i "s/^address = .*/address = no-such-hub.example.org:$HUBPORT/" "$T/c1/ayil.conf"
  start_d c1
  expect_rc 1 "c1: sync --wait 4 with a name that does not resolve" "$AYIL" --home "$T/c1" sync --wait 4
  check "c1: its log names the name it could not resolve" log_has c1 "cannot resolve the hub's name no-such-hub.example.org:$HUBPORT"
  check "c1: ayild survives it" test -e "/proc/${PID_OF[c1]}"
  stop_d c1
  check "c1: ayild stopped cleanly (exit $STOP_RC)" test "$STOP_RC" = 0
  sed -i "s/^address = .*/address = $NAME:$HUBPORT/" "$T/c1/ayil.conf"
  start_d c1
  echo "$appeal" | "$AYIL" --home "$T/c1" record add appeal >/dev/null 2>>"$T/cli.err"
  expect_rc 0 "c1: sync --wait 60 with the name back" "$AYIL" --home "$T/c1" sync --wait 60
  check "c1: the hub holds both entries" test "$(count_origin "$HUB" "$(b64hex "$(cat "$T/c1.id")")")" = 2
  stop_d c1
else
  echo "# 1-3 skipped: unshare -m is not available here (no CAP_SYS_ADMIN, or / is not a mount point)"
fi

echo "# 4: localhost"
make c2 "localhost:$HUBPORT"
echo "$appeal" | "$AYIL" --home "$T/c2" record add appeal >/dev/null 2>>"$T/cli.err"
start_d c2
expect_rc 0 "c2: sync --wait 60 to localhost:$HUBPORT" "$AYIL" --home "$T/c2" sync --wait 60
check "c2: the hub holds its entry" test "$(count_origin "$HUB" "$(b64hex "$(cat "$T/c2.id")")")" = 1
stop_d c2
stop_d hub
check "hub: stopped cleanly (exit $STOP_RC)" test "$STOP_RC" = 0
check "no identifying data in any log" bash -c "! grep -l 'Aigul\|Testova' '$T'/*.log"
finish
