#!/bin/bash
# The national tier with real processes on 127.0.0.1: a national hub, three
# regional hubs and nine committees (three per region). Each committee dials
# its regional hub through its own ayil-linkemu (2G-like, cut every few KB),
# each regional hub dials the national hub through one more (faster, cut
# too). PROTOCOL.md, "National tier".
#  1. a regional hub joins the national hub with an invite and a confirmed
#     enrolment code, as a committee joins its hub;
#  2. records added while everything syncs, with kill -9 of a regional hub
#     and of the national hub at random moments, converge: every committee
#     log is at the national hub byte for byte, every chain verifies there,
#     and no acknowledged entry is lost;
#  3. the national report equals the sum of the regional ones, and its
#     oblast rows equal each regional hub's; no invented name is in any file
#     of the national hub;
#  4. `ayil nodes` at the national hub shows each regional hub with its
#     committees beneath it, when their newest entry was written and
#     reached it;
#  5. a compromised regional hub is refused by the national hub, with an
#     alert: a delete it signs of a committee's record (OWNER, not_owner),
#     and a committee entry it altered (SIG, bad_entry: that log is refused
#     from it until the alert is cleared, its other logs still flow);
#     nothing already stored changes.
#  6. a regional hub dies and is replaced by a new machine with a new key:
#     it gets back its predecessor's log and its committees' logs from the
#     national hub, takes the committees over, and they re-home to it with
#     their keys and logs; nothing forks, the reports still add up;
#  7. a committee moves to another region with its log, without a fork.
# AYIL_TEST_SEED=N repeats the random choices (timing still varies).
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
seed_random
export AYIL_PASSPHRASE="national test passphrase"
FORGE="$BIN/tests/tools/ayil-forge"
trap_dump_logs

# report_json HOME: the report, exact counts.
report_json() { "$AYIL" --home "$1" report --format json --suppress-below 0; }
# rows SCOPE FILE...: "indicator value" of every row of SCOPE, summed over
# the files (a total over regional reports), sorted.
rows() {
  python3 - "$@" <<'PY'
import json, sys
scope, files = sys.argv[1], sys.argv[2:]
acc = {}
for f in files:
    for r in json.load(open(f))["rows"]:
        if r["scope"] == scope and (scope != "oblast" or r["value"]):
            k = (r.get("name", ""), r["indicator"]) if scope == "oblast" else r["indicator"]
            acc[k] = acc.get(k, 0) + (r["value"] or 0)
for k in sorted(acc, key=str):
    print(k, acc[k])
PY
}

REGIONS=(r1 r2 r3)
declare -A ROBL=([r1]=chui [r2]=osh [r3]=naryn)
declare -A RNAME=([r1]="Chui test regional hub" [r2]="Osh test regional hub" [r3]="Naryn test regional hub")
declare -A RPORT
declare -A KIDS=([r1]="c11 c12 c13" [r2]="c21 c22 c23" [r3]="c31 c32 c33")
ALL_C=(c11 c12 c13 c21 c22 c23 c31 c32 c33)

# ---------------------------------------------------------------------------
phase "1. a national hub, three regional hubs joined to it, nine committees"
NAT=$T/nat
HOME_OF[nat]=$NAT
NATPORT=$(free_port)
"$AYIL" --home "$NAT" init --role hub --name "Test national hub" --listen "127.0.0.1:$NATPORT" >"$T/nat.id" 2>>"$T/cli.err"
fast_conf "$NAT"
start_d nat
for r in "${REGIONS[@]}"; do
  HOME_OF[$r]=$T/$r
  RPORT[$r]=$(free_port)
  "$AYIL" --home "${HOME_OF[$r]}" init --role hub --name "${RNAME[$r]}" --listen "127.0.0.1:${RPORT[$r]}" >"$T/$r.id" 2>>"$T/cli.err"
  start_link "$r" $((SEED * 3 + ${r#r})) "$NATPORT" 2000000 60000 --tap "$T/wire-$r.bin"
  code=$("$AYIL" --home "$NAT" admit --hub --name "${RNAME[$r]}" --oblast "${ROBL[$r]}" --advertise "127.0.0.1:${LPORT[$r]}" 2>>"$T/cli.err")
  expect_rc 0 "$r joins the national hub with its invite" "$AYIL" --home "${HOME_OF[$r]}" join "$code"
  check "$r: the national hub's network key is kept apart from its own" test -s "${HOME_OF[$r]}/uplink.key" -a -s "${HOME_OF[$r]}/network.key"
  "$AYIL" --home "$NAT" admit --confirm "$("$AYIL" --home "${HOME_OF[$r]}" id --code)" >/dev/null 2>>"$T/cli.err"
  fast_conf "${HOME_OF[$r]}"
  HUBPORT=${RPORT[$r]}
  HUB=${HOME_OF[$r]}
  for c in ${KIDS[$r]}; do
    start_link "$c" $((SEED * 7 + ${c#c}))
    make_committee "$c" "Test committee ${c#c} of ${ROBL[$r]}" "${ROBL[$r]}"
  done
  start_d "$r"
  for c in ${KIDS[$r]}; do start_d "$c"; done
done
check "nine committees created with invites" test "$(cat "$T"/c*.id | wc -l)" = 9
expect_rc 2 "a hub cannot join with its own invite" "$AYIL" --home "${HOME_OF[r1]}" join "$("$AYIL" --home "${HOME_OF[r1]}" admit --name "Self test" --oblast chui 2>/dev/null)"

# ---------------------------------------------------------------------------
phase "2. records added everywhere, with kill -9 of a regional and the national hub"
ADDERS=()
for c in "${ALL_C[@]}"; do
  adder "$c" 12 "n$c" $((SEED + ${c#c})) 4 &
  ADDERS+=($!)
  PIDS+=($!)
done
sleep $((RANDOM % 3 + 2))
VICTIM=${REGIONS[$((RANDOM % 3))]}
stop_d "$VICTIM" KILL
check "kill -9 of regional hub $VICTIM" test "$STOP_RC" = 137
sleep 1
start_d "$VICTIM"
sleep $((RANDOM % 3 + 1))
stop_d nat KILL
check "kill -9 of the national hub" test "$STOP_RC" = 137
sleep 1
start_d nat
for p in "${ADDERS[@]}"; do { wait "$p"; } || true; forget "$p"; done
for c in "${ALL_C[@]}"; do
  expect_rc 0 "$c: every record acknowledged by its regional hub" "$AYIL" --home "${HOME_OF[$c]}" sync --wait 120
done
for r in "${REGIONS[@]}"; do
  expect_rc 0 "$r: the national hub acknowledged every log it forwards" "$AYIL" --home "${HOME_OF[$r]}" sync --wait 120
done
for c in "${ALL_C[@]}"; do
  o=$(hex_of "$c")
  n=$(count_origin "${HOME_OF[$c]}" "$o")
  check "$c: its log ($n entries, $(added "$c") records) is at the national hub, byte for byte" \
    test "$n" -ge "$(added "$c")" -a "$(log_sum "${HOME_OF[$c]}" "$o")" = "$(log_sum "$NAT" "$o")"
done
for r in "${REGIONS[@]}"; do
  o=$(b64hex "$(cat "$T/$r.id")")
  check "$r: its log of notices is at the national hub, byte for byte" \
    test "$(count_origin "$NAT" "$o")" -ge 3 -a "$(log_sum "${HOME_OF[$r]}" "$o")" = "$(log_sum "$NAT" "$o")"
done
nb=$(sq "$NAT/ayil.db" "SELECT count(*) FROM bodies")
rb=$(($(sq "${HOME_OF[r1]}/ayil.db" "SELECT count(*) FROM bodies") + $(sq "${HOME_OF[r2]}/ayil.db" "SELECT count(*) FROM bodies") + $(sq "${HOME_OF[r3]}/ayil.db" "SELECT count(*) FROM bodies")))
check "the sealed bodies travelled too: $nb at the national hub, as many as the regional hubs hold together" test "$nb" = "$rb" -a "$nb" -ge 108
expect_rc 0 "log verify at the national hub: every chain and signature" "$AYIL" --home "$NAT" log verify
check "the national hub holds no put or delete signed by a hub" test "$(sq "$NAT/ayil.db" "SELECT count(*) FROM records r JOIN devices d ON d.id = r.origin JOIN committees c ON c.id = d.committee WHERE c.kind = 'hub'")" = 0

# ---------------------------------------------------------------------------
phase "3. the national report is the sum of the regional ones"
report_json "$NAT" >"$T/rep-nat.json"
for r in "${REGIONS[@]}"; do report_json "${HOME_OF[$r]}" >"$T/rep-$r.json"; done
rows total "$T/rep-nat.json" >"$T/tot-nat"
rows total "$T/rep-r1.json" "$T/rep-r2.json" "$T/rep-r3.json" >"$T/tot-sum"
check "every national total equals the sum of the regional totals ($(wc -l <"$T/tot-nat") indicators)" cmp -s "$T/tot-nat" "$T/tot-sum"
check "... and counts every appeal entered ($(cat "$T"/added-c* | wc -l))" \
  grep -qx "appeals $(cat "$T"/added-c* | wc -l)" "$T/tot-nat"
rows oblast "$T/rep-nat.json" >"$T/obl-nat"
rows oblast "$T/rep-r1.json" "$T/rep-r2.json" "$T/rep-r3.json" >"$T/obl-sum"
check "every oblast row at the national hub equals its regional hub's" cmp -s "$T/obl-nat" "$T/obl-sum"
# ("Self test" is r1's invite of phase 1, never used: no node, no notice.)
check "the national report names the nine committees as their regional hubs do" test "$(python3 -c 'import json,sys; print(sorted({r["name"] for r in json.load(open(sys.argv[1]))["rows"] if r["scope"]=="committee"}))' "$T/rep-nat.json")" = "$(python3 -c 'import json,sys; print(sorted({r["name"] for f in sys.argv[1:] for r in json.load(open(f))["rows"] if r["scope"]=="committee" and r["name"] != "Self test"}))' "$T/rep-r1.json" "$T/rep-r2.json" "$T/rep-r3.json")"
# With the default small-cell rule, each oblast's cells and its committees'
# are shown alike at the national hub and at its regional hub (a reader of
# both learns nothing from the difference). Committees are matched through
# their node ids (the national hub names them by id).
"$AYIL" --home "$NAT" report --format json >"$T/sup-nat.json"
"$AYIL" --home "$NAT" nodes --json >"$T/nodes-nat.json"
for r in "${REGIONS[@]}"; do
  "$AYIL" --home "${HOME_OF[$r]}" report --format json >"$T/sup-$r.json"
  "$AYIL" --home "${HOME_OF[$r]}" nodes --json >"$T/nodes-$r.json"
  check "$r: its oblast's cells and its committees' cells are the national report's, suppression included" python3 - "$T/sup-nat.json" "$T/nodes-nat.json" "$T/sup-$r.json" "$T/nodes-$r.json" "${ROBL[$r]}" <<'PY'
import json, sys
nat, nnodes, reg, rnodes, obl = sys.argv[1:6]
def names(f):
    m = {}
    for c in json.load(open(f))["committees"]:
        for n in c["nodes"]:
            if n.get("id"):
                m[n["id"]] = c["name"]
    return m
nat_name, reg_name = names(nnodes), names(rnodes)
ren = {reg_name[i]: nat_name[i] for i in reg_name if i in nat_name}
def cells(f, rename=None):
    out = {}
    for r in json.load(open(f))["rows"]:
        if r["scope"] == "oblast" and r["name"] == obl:
            out[("oblast", r["indicator"])] = (r["value"], r.get("suppressed"))
        elif r["scope"] == "committee":
            n = rename.get(r["name"], None) if rename is not None else r["name"]
            if n is not None:
                out[(n, r["indicator"])] = (r["value"], r.get("suppressed"))
    return out
R = cells(reg, ren)
N = cells(nat)
assert len(R) > 40, len(R)
diff = [k for k in R if N.get(k) != R[k]]
assert not diff, [(k, R[k], N.get(k)) for k in diff[:5]]
PY
done
leaks=0
for f in "$NAT"/*; do
  for who in "${FIRSTS[@]}" Fictionova; do
    if grep -qa "$who" "$f"; then
      echo "# $who found in $(basename "$f")"
      leaks=1
    fi
  done
done
check "no invented name in any file of the national hub" test "$leaks" = 0
wire=$(cat "$T"/wire-r*.bin | wc -c)
check "no invented name in the $wire bytes on the wire between the regional hubs and the national hub" \
  test "$wire" -gt 50000 -a "$(cat "$T"/wire-r*.bin | grep -ac "Fictionova\|${FIRSTS[0]}\|${FIRSTS[1]}")" = 0

# ---------------------------------------------------------------------------
phase "4. ayil nodes at the national hub"
"$AYIL" --home "$NAT" nodes --json >"$T/nodes.json"
check "three regional hubs, each with its three committees beneath it, with when their data reached the region and the nation" python3 - "$T/nodes.json" <<'PY'
import json, sys
cs = json.load(open(sys.argv[1]))["committees"]
hubs = [c for c in cs if c["kind"] == "hub"]
kids = {}
for c in cs:
    if c["kind"] == "committee":
        kids.setdefault(c["hub"], []).append(c)
assert len(hubs) == 3, hubs
assert sorted(len(kids.get(h["name"], [])) for h in hubs) == [3, 3, 3], kids.keys()
for h in hubs:
    for k in kids[h["name"]]:
        assert k["oblast"] == h["oblast"], (k, h)
        assert k["last_written"] and k["reached"] and k["reached_region"], k
        # written, then at the region, then at the nation (one clock here)
        assert k["last_written"] <= k["reached_region"] + 1 <= k["reached"] + 2, k
        assert k["entries_held"] >= 1, k
# each hub is followed by its committees
order = [c["hub"] or c["name"] for c in cs]
assert order == sorted(order, key=order.index), order
PY
"$AYIL" --home "$NAT" nodes >"$T/nodes.txt"
check "the text shows the hubs marked and WRITTEN / REGION / REACHED columns" grep -q "WRITTEN *REGION *REACHED" "$T/nodes.txt"
check "... and a committee under each hub, indented" test "$(grep -c '^  Test committee ' "$T/nodes.txt")" = 9

# ---------------------------------------------------------------------------
phase "5. a compromised regional hub is refused by the national hub"
R=r2
RH=${HOME_OF[$R]}
RID=$(cat "$T/$R.id")
before=$(store_sum "$NAT")
VREC=$(head -n1 "$T/added-c21" | cut -d' ' -f1)
stop_d "$R"
expect_rc 0 "$R signs a delete of a committee's record into its own log" "$FORGE" raw --home "$RH" --delete "$VREC"
start_d "$R"
"$AYIL" --home "$RH" sync --wait 20 >/dev/null 2>&1 || true
wait_for 30 grep -q "not_owner" <(sq "$NAT/ayil.db" "SELECT kind FROM alerts WHERE cleared = 0") || true
check "the national hub raised a not_owner alert naming $R's log" test "$(sq "$NAT/ayil.db" "SELECT count(*) FROM alerts WHERE kind = 'not_owner' AND origin = X'$(b64hex "$RID")' AND cleared = 0")" = 1
check "... and the record is still live there, with its body" test "$(sq "$NAT/ayil.db" "SELECT count(*) FROM records WHERE hex(id) = upper('$VREC') AND deleted = 0 AND body_hash IN (SELECT hash FROM bodies)")" = 1
check "... and nothing it already held changed" test "$(store_sum "$NAT")" = "$before"

# An entry of a committee's log that the committee never signed (invented,
# or altered on the regional hub's disk), sent by a peer that is not ayil
# holding the regional hub's keys (tests/tools/ayil-evilpeer).
R=r3
RH=${HOME_OF[$R]}
stop_d "$R"
O31=$(hex_of c31)
natlast=$(sq "$NAT/ayil.db" "SELECT ifnull(max(seq),0) FROM entries WHERE origin = X'$O31'")
before=$(store_sum "$NAT")
expect_rc 0 "$R's keys send c31's next entry, not signed by c31: refused" \
  "$BIN/tests/tools/ayil-evilpeer" --mode badsig --home "$RH" --origin "$(id_of c31)"
check "... the national hub closed on it ($(cat "$T/out"))" grep -q "result=refused" "$T/out"
wait_for 10 test "$(sq "$NAT/ayil.db" "SELECT count(*) FROM alerts WHERE kind = 'bad_entry' AND cleared = 0")" -ge 1 || true
check "the national hub raised a bad_entry alert naming $R and c31's log" test "$(sq "$NAT/ayil.db" "SELECT count(*) FROM alerts WHERE kind = 'bad_entry' AND peer = X'$(b64hex "$(cat "$T/$R.id")")' AND origin = X'$O31' AND cleared = 0")" = 1
check "... c31's log still ends at seq $natlast there" test "$(sq "$NAT/ayil.db" "SELECT ifnull(max(seq),0) FROM entries WHERE origin = X'$O31'")" = "$natlast"
check "... and nothing it already held changed" test "$(store_sum "$NAT")" = "$before"
# Until an operator looks, c31's log is refused from $R; its other logs flow.
start_d "$R"
add_appeal c31 blocked
add_appeal c32 meanwhile
expect_rc 0 "c32: a new record reaches $R" "$AYIL" --home "${HOME_OF[c32]}" sync --wait 60
O32=$(hex_of c32)
c32_up() { [ "$(log_sum "${HOME_OF[c32]}" "$O32")" = "$(log_sum "$NAT" "$O32")" ]; }
check "... and the national hub, while c31's log is refused from $R" wait_for 60 c32_up
check "... which it is: c31's log still ends at seq $natlast there" test "$(sq "$NAT/ayil.db" "SELECT ifnull(max(seq),0) FROM entries WHERE origin = X'$O31'")" = "$natlast"
expect_rc 0 "the national operator clears the alert" "$AYIL" --home "$NAT" alerts clear bad_entry
expect_rc 0 "c31: its record reaches $R" "$AYIL" --home "${HOME_OF[c31]}" sync --wait 60
expect_rc 0 "$R: ... and the national hub, which takes c31's log from $R again" "$AYIL" --home "$RH" sync --wait 60
check "... c31's log at the national hub is c31's, byte for byte" test "$(log_sum "${HOME_OF[c31]}" "$O31")" = "$(log_sum "$NAT" "$O31")"
check "the national hub's daemon survived" kill -0 "${PID_OF[nat]}"
expect_rc 0 "log verify at the national hub after the attacks" "$AYIL" --home "$NAT" log verify

# ---------------------------------------------------------------------------
phase "6. a regional hub is replaced: its successor gets the history back, its committees re-home"
stop_d r1 KILL
check "regional hub r1 is dead (kill -9)" test "$STOP_RC" = 137
HOME_OF[r1b]=$T/r1b
RPORT[r1b]=$(free_port)
"$AYIL" --home "${HOME_OF[r1b]}" init --role hub --name "Chui replacement hub" --listen "127.0.0.1:${RPORT[r1b]}" >"$T/r1b.id" 2>>"$T/cli.err"
code=$("$AYIL" --home "$NAT" admit --successor-of "$(cat "$T/r1.id")" --advertise "127.0.0.1:${LPORT[r1]}" 2>>"$T/cli.err")
expect_rc 0 "the replacement joins the national hub as r1's successor" "$AYIL" --home "${HOME_OF[r1b]}" join "$code"
"$AYIL" --home "$NAT" admit --confirm "$("$AYIL" --home "${HOME_OF[r1b]}" id --code)" >/dev/null 2>>"$T/cli.err"
check "... in r1's oblast" grep -q "^oblast = chui" "${HOME_OF[r1b]}/ayil.conf"
fast_conf "${HOME_OF[r1b]}"
start_d r1b
R1HEX=$(b64hex "$(cat "$T/r1.id")")
history_back() {
  local c
  [ "$(count_origin "${HOME_OF[r1b]}" "$R1HEX")" = "$(count_origin "$NAT" "$R1HEX")" ] || return 1
  for c in ${KIDS[r1]}; do
    [ "$(log_sum "${HOME_OF[r1b]}" "$(hex_of "$c")")" = "$(log_sum "$NAT" "$(hex_of "$c")")" ] || return 1
  done
}
check "r1b got back r1's log and every log of r1's committees from the national hub, byte for byte" wait_for 60 history_back
check "... and took over r1's three committees as its own" test "$(sq "${HOME_OF[r1b]}/ayil.db" "SELECT count(*) FROM devices d JOIN committees c ON c.id = d.committee WHERE c.kind = 'committee' AND c.parent IS NULL AND d.state = 'active'")" = 3
HUBPORT=${RPORT[r1b]}
for c in ${KIDS[r1]}; do
  start_link "${c}b" $((SEED * 11 + ${c#c}))
  code=$("$AYIL" --home "${HOME_OF[r1b]}" admit --rehome "$(id_of "$c")" --advertise "127.0.0.1:${LPORT[${c}b]}" 2>>"$T/cli.err")
  stop_d "$c"
  expect_rc 0 "$c re-homes to r1b, keeping its key and log" "$AYIL" --home "${HOME_OF[$c]}" join --rehome "$code"
  start_d "$c"
  add_appeal "$c" "rehomed"
done
for c in ${KIDS[r1]}; do
  expect_rc 0 "$c: its new record is acknowledged by r1b" "$AYIL" --home "${HOME_OF[$c]}" sync --wait 120
done
expect_rc 0 "r1b: the national hub acknowledged every log it forwards" "$AYIL" --home "${HOME_OF[r1b]}" sync --wait 120
for c in ${KIDS[r1]}; do
  check "$c: its log at the national hub is its own, byte for byte ($(count_origin "$NAT" "$(hex_of "$c")") entries)" \
    test "$(log_sum "${HOME_OF[$c]}" "$(hex_of "$c")")" = "$(log_sum "$NAT" "$(hex_of "$c")")"
done
check "no log forked anywhere in the chain" test "$(for h in "$NAT" "${HOME_OF[r1b]}" ${KIDS[r1]}; do [ -d "$h" ] || h=${HOME_OF[$h]}; sq "$h/ayil.db" "SELECT count(*) FROM alerts WHERE kind = 'fork'"; done | sort -u)" = 0
expect_rc 0 "log verify at the national hub" "$AYIL" --home "$NAT" log verify
report_json "$NAT" >"$T/rep-nat2.json"
report_json "${HOME_OF[r1b]}" >"$T/rep-r1b.json"
report_json "${HOME_OF[r2]}" >"$T/rep-r2.json"
report_json "${HOME_OF[r3]}" >"$T/rep-r3.json"
rows total "$T/rep-nat2.json" >"$T/tot-nat2"
rows total "$T/rep-r1b.json" "$T/rep-r2.json" "$T/rep-r3.json" >"$T/tot-sum2"
check "the national report is still the sum of the regional ones (r1b in r1's place)" cmp -s "$T/tot-nat2" "$T/tot-sum2"
check "... and r1b's report counts r1's history and the three new records" \
  test "$(rows total "$T/rep-r1b.json" | sed -n 's/^appeals //p')" = "$(($(rows total "$T/rep-r1.json" | sed -n 's/^appeals //p') + 3))"

# ---------------------------------------------------------------------------
phase "7. a committee moves from one region to another, with its log"
HUBPORT=${RPORT[r3]}
start_link c23m $((SEED * 13))
code=$("$AYIL" --home "${HOME_OF[r3]}" admit --name "Test committee 23 moved" --oblast naryn --advertise "127.0.0.1:${LPORT[c23m]}" 2>>"$T/cli.err")
stop_d c23
expect_rc 0 "c23 re-homes to r3 with a new invite" "$AYIL" --home "${HOME_OF[c23]}" join --rehome "$code"
"$AYIL" --home "${HOME_OF[r3]}" admit --confirm "$("$AYIL" --home "${HOME_OF[c23]}" id --code)" >/dev/null 2>>"$T/cli.err"
start_d c23
add_appeal c23 moved
expect_rc 0 "c23: acknowledged by r3, its whole log" "$AYIL" --home "${HOME_OF[c23]}" sync --wait 120
expect_rc 0 "r3: the national hub acknowledged it" "$AYIL" --home "${HOME_OF[r3]}" sync --wait 120
O23=$(hex_of c23)
check "c23's log is the same at c23, r3 and the national hub (no fork)" \
  test "$(log_sum "${HOME_OF[c23]}" "$O23")" = "$(log_sum "$NAT" "$O23")" -a "$(log_sum "${HOME_OF[r3]}" "$O23")" = "$(log_sum "$NAT" "$O23")"
"$AYIL" --home "$NAT" nodes --json >"$T/nodes2.json"
check "the national hub now shows c23 under r3, in naryn" python3 - "$T/nodes2.json" "$(id_of c23)" "${RNAME[r3]}" <<'PY'
import json, sys
cs = json.load(open(sys.argv[1]))["committees"]
c = [c for c in cs if any(n.get("id") == sys.argv[2] for n in c["nodes"])]
assert len(c) == 1 and c[0]["hub"] == sys.argv[3] and c[0]["oblast"] == "naryn", c
PY
check "no fork at the national hub" test "$(sq "$NAT/ayil.db" "SELECT count(*) FROM alerts WHERE kind = 'fork'")" = 0

echo "# elapsed $(elapsed) s"
finish
