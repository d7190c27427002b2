#!/bin/bash
# Sync with real processes on 127.0.0.1: a hub and three committees, each
# committee behind its own ayil-linkemu that cuts connections mid-frame.
#  1. records added during sync converge, byte for byte;
#  2. kill -9 of the hub or a committee at random moments loses nothing
#     that was acknowledged, and every store stays intact;
#  3. no invented name ever reaches the hub's files;
#  4. a dead Pi is replaced: the successor gets the history back and carries
#     on, and the old node id is refused;
#  5. a revoked committee is dropped within seconds and refused afterwards.
# AYIL_TEST_SEED=N repeats the random choices (timing still varies).
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
seed_random
export AYIL_PASSPHRASE="sync test passphrase"
COMMITTEES=(c1 c2 c3)
trap_dump_logs

# ---------------------------------------------------------------------------
phase "1. convergence under cuts"
HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test regional hub" --listen "127.0.0.1:$HUBPORT" >"$T/hub.id" 2>>"$T/cli.err"
start_d hub
declare -A CNAME=([c1]="Ak-Tash test committee" [c2]="Bel-Bulak test committee" [c3]="Char-Suu test committee")
declare -A COBL=([c1]=osh [c2]=talas [c3]=naryn)
for c in "${COMMITTEES[@]}"; do
  start_link "$c" $((SEED * 7 + ${c#c}))
  make_committee "$c" "${CNAME[$c]}" "${COBL[$c]}"
  start_d "$c"
done
check "three committees created with invites" test -s "$T/c1.id" -a -s "$T/c2.id" -a -s "$T/c3.id"

# Records are added at every committee while the daemons sync.
ADDERS=()
for c in "${COMMITTEES[@]}"; do
  adder "$c" 30 "p1$c" $((SEED + ${c#c})) 3 &
  ADDERS+=($!)
  PIDS+=($!)
done
for p in "${ADDERS[@]}"; do { wait "$p"; } || true; forget "$p"; done
for c in "${COMMITTEES[@]}"; do
  expect_rc 0 "$c: ayil sync --wait 120 after adding $(added "$c") records" \
    "$AYIL" --home "${HOME_OF[$c]}" sync --wait 120
done
for c in "${COMMITTEES[@]}"; do
  check "$c: every record add succeeded" test ! -e "$T/addfail-$c"
  cuts=$(stat_of "$c" cuts)
  check "$c: the link cut connections mid-stream ($cuts cuts, $(stat_of "$c" connections) connections)" test "${cuts:-0}" -ge 1
  n=$(added "$c")
  check "$c: its log has one entry per record ($n)" test "$(count_origin "${HOME_OF[$c]}" "$(hex_of "$c")")" = "$n"
  check "$c: the hub holds exactly its $n entries" test "$(count_origin "$HUB" "$(hex_of "$c")")" = "$n"
  check "$c: the hub's copy is byte-identical" same_logs "$c"
done
for n in hub "${COMMITTEES[@]}"; do
  expect_rc 0 "$n: ayil log verify" "$AYIL" --home "${HOME_OF[$n]}" log verify
done
# Each committee takes the hub's notice log sparse: exactly the notices
# that name it, byte-identical to the hub's, and nothing the hub has
# acknowledged counts as still owed to it.
HUBHEX=$(hex_of hub)
hubseqs() { # the hub's notices naming committee $1: seq:bytes
  sq "$HUB/ayil.db" "SELECT e.seq||':'||hex(e.packed) FROM notices t JOIN entries e ON e.n = t.n WHERE t.origin = X'$HUBHEX' AND e.origin = X'$HUBHEX' AND t.node = X'$(hex_of "$1")' ORDER BY e.seq"
}
heldseqs() { sq "${HOME_OF[$1]}/ayil.db" "SELECT seq||':'||hex(packed) FROM entries WHERE origin = X'$HUBHEX' ORDER BY seq"; }
hubhead=$(sq "$HUB/ayil.db" "SELECT max(seq) FROM entries WHERE origin = X'$HUBHEX'")
for c in "${COMMITTEES[@]}"; do
  mine=$(hubseqs "$c" | cut -d: -f1 | tr '\n' ' ')
  held=$(heldseqs "$c" | cut -d: -f1 | tr '\n' ' ')
  check "$c holds the hub's notices [${held% }] of 1..$hubhead: the ones naming it [${mine% }]" test -n "$mine" -a "$held" = "$mine"
  check "$c: those notices are the hub's, byte for byte" test "$(heldseqs "$c" | sha256sum)" = "$(hubseqs "$c" | sha256sum)"
  uo=$("$AYIL" --home "$HUB" status --json | python3 -c "import json,sys; print([p.get('unacked_out') for p in json.load(sys.stdin)['peers'] if p.get('id') == sys.argv[1]][0])" "$(id_of "$c")")
  check "hub status: nothing owed to $c (unacked_out $uo)" test "$uo" = 0
done
nheld=$(for c in "${COMMITTEES[@]}"; do heldseqs "$c"; done | wc -l)
check "the committees hold $nheld of the hub's notices between them, not 3 x $hubhead" test "$nheld" -lt $((3 * hubhead))

want=$(($(added c1) + $(added c2) + $(added c3)))
got=$(hub_total appeals)
check "hub report: total appeals $got = $want added" test "$got" = "$want"

# ---------------------------------------------------------------------------
phase "2. kill -9 at random moments, 20 times"
ADDERS=()
for c in "${COMMITTEES[@]}"; do
  adder "$c" 40 "p2$c" $((SEED * 3 + ${c#c})) 6 &
  ADDERS+=($!)
  PIDS+=($!)
done
declare -A MAXACK=([c1]=0 [c2]=0 [c3]=0)
lost=0
live=0
killed=""
for k in $(seq 20); do
  t=$((RANDOM % 15))
  sleep "$((t / 10)).$((t % 10))"
  case $((RANDOM % 4)) in 0) v=hub ;; *) v=c$((RANDOM % 3 + 1)) ;; esac
  killed="$killed $v"
  if [ $((k % 4)) = 0 ]; then
    # Every fourth kill waits (bounded) for the victim to be mid-sync:
    # random moments alone hit no open connection at all on a loaded
    # machine now and then.
    for _ in $(seq 30); do
      if [ "$v" = hub ]; then connected c1 || connected c2 || connected c3; else connected "$v"; fi && break
      sleep 0.1
    done
  fi
  if [ "$v" = hub ]; then
    for c in "${COMMITTEES[@]}"; do connected "$c" && { live=$((live + 1)); break; }; done
  else
    connected "$v" && live=$((live + 1))
  fi
  stop_d "$v" KILL
  # What each committee holds as acknowledged must be at the hub.
  for c in "${COMMITTEES[@]}"; do
    a=$(acked "$c")
    [ "$a" -gt "${MAXACK[$c]}" ] && MAXACK[$c]=$a
    if [ "$v" = hub ]; then
      h=$(count_origin "$HUB" "$(hex_of "$c")")
      if [ "$h" -lt "$a" ]; then
        echo "# kill $k: $c recorded seq $a as acknowledged but the hub holds $h"
        lost=$((lost + 1))
      fi
    fi
  done
  t=$((RANDOM % 8))
  sleep "0.$t"
  start_d "$v" || fail "restart $v after kill -9 number $k"
done 2>>"$T/shell.err" # bash reports each killed job there
echo "# killed:$killed"
check "kills hit open connections ($live of 20)" test "$live" -ge 1
for p in "${ADDERS[@]}"; do { wait "$p"; } || true; forget "$p"; done
check "every acknowledgement seen at a hub kill was durable at the hub" test "$lost" = 0
for c in "${COMMITTEES[@]}"; do
  expect_rc 0 "$c: ayil sync --wait 120 after the kills" "$AYIL" --home "${HOME_OF[$c]}" sync --wait 120
done
for c in "${COMMITTEES[@]}"; do
  n=$(added "$c")
  h=$(count_origin "$HUB" "$(hex_of "$c")")
  check "$c: all $n records reached the hub ($h entries)" test "$h" = "$n"
  check "$c: everything it saw acknowledged (up to seq ${MAXACK[$c]}) is at the hub" test "${MAXACK[$c]}" -le "$h"
  check "$c: logs converged byte-identical" same_logs "$c"
done
for c in "${COMMITTEES[@]}"; do
  check "$c: no refused_by_hub alert after hub kills and cuts" no_alert "$c" refused_by_hub
done
for n in hub "${COMMITTEES[@]}"; do
  r=$(sq "${HOME_OF[$n]}/ayil.db" "PRAGMA integrity_check")
  check "$n: PRAGMA integrity_check says $r" test "$r" = ok
  expect_rc 0 "$n: ayil log verify after the kills" "$AYIL" --home "${HOME_OF[$n]}" log verify
done
want=$(($(added c1) + $(added c2) + $(added c3)))
got=$(hub_total appeals)
check "hub report: total appeals $got = $want added" test "$got" = "$want"

# ---------------------------------------------------------------------------
phase "3. hub privacy"
check "the invented names are in the committees' records (with the passphrase)" \
  bash -c "'$AYIL' --home '${HOME_OF[c1]}' record list --with-body 2>/dev/null | grep -q Fictionova"
check "the hub holds every sealed body" test "$(sq "$HUB/ayil.db" "SELECT count(*) FROM bodies")" = "$want"
ls "$HUB" >"$T/hub-files"
check "the hub home has its WAL file" grep -q 'ayil.db-wal' "$T/hub-files"
for s in Fictionova Aidana Gulnara "Invented narrative"; do
  check "'$s' is nowhere in the hub's files" bash -c "! grep -a -r -D skip -q '$s' '$HUB'"
  check "'$s' is not in any daemon log" bash -c "! grep -a -q '$s' '$T'/*.log"
done

# ---------------------------------------------------------------------------
phase "4. replacing a dead Pi"
OLD=$(id_of c3)
OLDHEX=$(hex_of c3)
"$AYIL" --home "${HOME_OF[c3]}" record list --json | python3 -c 'import json,sys; print("\n".join(sorted(r["id"] for r in json.load(sys.stdin))))' >"$T/c3-ids"
stop_d c3 KILL 2>>"$T/shell.err"
mv "$T/c3" "$T/c3.dead"
HOME_OF[c3old]=$T/c3.dead
cp "$T/added-c3" "$T/added-c3old"
kitsum=$(sha256sum <"$T/kit-c3.txt")
code=$("$AYIL" --home "$HUB" admit --successor-of "$OLD" --advertise "127.0.0.1:${LPORT[c3]}" 2>>"$T/cli.err") &&
  ok "admit --successor-of the dead node" || fail "admit --successor-of"
HOME_OF[c3new]=$T/c3new
expect_rc 0 "init a replacement with the invite and the dead node's recovery kit" \
  "$AYIL" --home "$T/c3new" init --role committee --invite "$code" --recovery-kit "$T/kit-c3.txt"
cp "$T/out" "$T/c3new.id"
check "the recovery kit was read, not overwritten" test "$(sha256sum <"$T/kit-c3.txt")" = "$kitsum"
check "the replacement has a new device key" test "$(id_of c3new)" != "$OLD"
fast_conf "$T/c3new"
start_d c3new
# The invite alone admits no one: the hub holds the replacement as a
# candidate, the old node stays active, until the operator confirms the
# code the committee reads out.
presented() { grep -F "$(id_of c3new)" "$T/hub.log" | grep -q "presented a valid invite"; }
check "the hub holds the replacement as a candidate" wait_for 30 presented
check "... and the old node is still active" test "$(node_state "$OLD")" = active
expect_rc 0 "the operator confirms the replacement's enrolment code" "$AYIL" --home "$HUB" admit --confirm "$("$AYIL" --home "$T/c3new" id --code)"
check "... which admits it at once" grep -q "^admitted node $(id_of c3new)" "$T/out"
phase "4. the replacement pulls the history over its cut link"
expect_rc 0 "c3new: ayil sync --wait 120" "$AYIL" --home "$T/c3new" sync --wait 120
"$AYIL" --home "$T/c3new" record list --json | python3 -c 'import json,sys; print("\n".join(sorted(r["id"] for r in json.load(sys.stdin))))' >"$T/c3new-ids"
check "c3new lists all $(wc -l <"$T/c3-ids") old records" cmp -s "$T/c3-ids" "$T/c3new-ids"
check "c3new holds the old node's log byte-identical" test "$(log_sum "$T/c3new" "$OLDHEX")" = "$(log_sum "$HUB" "$OLDHEX")"
# Its lineage came through the sparse notice log: of the hub's notices it
# holds exactly those naming a device of its committee (c3's admission and
# its own, with successor_of), none of c1's or c2's.
lineage=$(sq "$HUB/ayil.db" "SELECT e.seq FROM notices t JOIN entries e ON e.n = t.n WHERE t.origin = X'$HUBHEX' AND e.origin = X'$HUBHEX' AND t.node IN (X'$OLDHEX', X'$(hex_of c3new)') ORDER BY e.seq" | tr '\n' ' ')
c3held=$(sq "$T/c3new/ayil.db" "SELECT seq FROM entries WHERE origin = X'$HUBHEX' ORDER BY seq" | tr '\n' ' ')
check "c3new holds the hub's notices [${c3held% }]: its committee's [${lineage% }]" test -n "$lineage" -a "$c3held" = "$lineage"
read -r oldrec oldname < <(sed -n 5p "$T/added-c3")
expect_rc 0 "c3new: record show of an old record with the passphrase" "$AYIL" --home "$T/c3new" record show "$oldrec" --json
check "the old record's body opens with its invented name" grep -q "$oldname" "$T/out"
add_appeal c3new p4-new
read -r newrec _ <"$T/added-c3new"
expect_rc 0 "c3new: a new record syncs" "$AYIL" --home "$T/c3new" sync --wait 60
check "the new record is at the hub" test "$(sq "$HUB/ayil.db" "SELECT count(*) FROM records WHERE hex(id)=upper('$newrec')")" = 1
check "the hub holds the new node's log" same_logs c3new
check "hub report counts old and new records" test "$(hub_total appeals)" = $((want + 1))
phase "4. the old Pi comes back from the dead with a new record"
before=$(count_origin "$HUB" "$OLDHEX")
add_appeal c3old p4-zombie "$T/refused-c3old"
start_d c3old
refused_old() { grep -F "$OLD" "$T/hub.log" | grep -q refused; }
check "the hub log says the old node id is refused" wait_for 20 refused_old
sleep 2
check "the old node's new entry did not reach the hub" test "$(count_origin "$HUB" "$OLDHEX")" = "$before"
expect_rc 1 "the old node cannot sync" "$AYIL" --home "$T/c3.dead" sync --wait 3
check "the old node shows a refused_by_hub alert" wait_for 20 has_alert c3old refused_by_hub
check "ayil nodes: the old node is replaced" test "$(node_state "$OLD")" = replaced
check "c3new has no refused_by_hub alert" no_alert c3new refused_by_hub
check "ayil nodes: the new node is active" test "$(node_state "$(id_of c3new)")" = active
stop_d c3old TERM
check "the old node's ayild stops cleanly (exit $STOP_RC)" test "$STOP_RC" = 0

# ---------------------------------------------------------------------------
phase "5. revocation"
C2=$(id_of c2)
# Keep c2 connected: a long linger, reloaded with SIGHUP.
sed -i 's/^linger = .*/linger = 120/' "${HOME_OF[c2]}/ayil.conf"
kill -HUP "${PID_OF[c2]}"
sleep 0.5
"$AYIL" --home "${HOME_OF[c2]}" sync 2>/dev/null || true
check "c2 is connected before the revocation" wait_for 30 connected c2
c2before=$(count_origin "$HUB" "$(hex_of c2)")
t0=$(date +%s%N)
expect_rc 0 "ayil revoke c2" "$AYIL" --home "$HUB" revoke "$C2"
not_connected() { ! connected "$1"; }
wait_for 15 not_connected c2 || true
dt=$((($(date +%s%N) - t0) / 1000000))
check "c2 was dropped within 5 s (${dt} ms)" test "$dt" -le 5000
dropped_c2() { grep -F "$C2" "$T/hub.log" | grep -q "closed: peer revoked"; }
check "the hub log says it dropped c2's connection" dropped_c2
check "ayil nodes: c2 is revoked" test "$(node_state "$C2")" = revoked
refused_c2() { grep -F "$C2" "$T/hub.log" | grep -q "refused"; }
check "the hub refuses c2 when it comes back" wait_for 20 refused_c2
add_appeal c2 p5-revoked "$T/refused-c2"
expect_rc 1 "the revoked committee cannot sync" "$AYIL" --home "${HOME_OF[c2]}" sync --wait 5
check "c2 shows a refused_by_hub alert" wait_for 20 has_alert c2 refused_by_hub
for c in c1 c3new; do
  add_appeal "$c" "p5-$c"
  expect_rc 0 "$c keeps syncing after c2 was revoked" "$AYIL" --home "${HOME_OF[$c]}" sync --wait 60
  check "$c: logs byte-identical at the hub" same_logs "$c"
done
check "c2's record after the revocation did not reach the hub" test "$(count_origin "$HUB" "$(hex_of c2)")" = "$c2before"

# ---------------------------------------------------------------------------
phase "final checks"
want=$(($(added c1) + $(added c2) + $(added c3) + $(added c3new)))
check "hub report: total appeals = $want acknowledged records" test "$(hub_total appeals)" = "$want"
for n in hub c1 c2 c3new; do
  expect_rc 0 "$n: ayil log verify" "$AYIL" --home "${HOME_OF[$n]}" log verify
  check "$n: PRAGMA integrity_check ok" test "$(sq "${HOME_OF[$n]}/ayil.db" "PRAGMA integrity_check")" = ok
done
for n in c1 c2 c3new hub; do
  stop_d "$n" TERM
  check "$n: ayild stops cleanly on SIGTERM (exit $STOP_RC)" test "$STOP_RC" = 0
done
for c in "${COMMITTEES[@]}"; do
  kill -TERM "${LPID[$c]}"
  rc=0
  { wait "${LPID[$c]}"; } || rc=$?
  forget "${LPID[$c]}"
  check "link $c: ayil-linkemu stops cleanly (exit $rc)" test "$rc" = 0
done
check "no sanitizer report in any daemon log" bash -c "! grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$T'/*.log"
echo "# took $(elapsed) s"
finish
