#!/bin/bash
# A link that never carries one whole batch: 64 kbit/s, 300 ms each way,
# every connection cut after U[1500,4500] bytes, less than one 4 KiB batch
# of entries plus the handshake. The committee must still get every record
# to the hub: it falls back to smaller batches after a connection that moved
# nothing, and a cut between its auth message and the hub's reply is not
# taken for a refusal (which would park the node until the next poll, 6 h).
# Before this, such a link livelocked: the same first batch was cut every
# time, and after three cuts the committee stopped dialing.
# Padded bodies (2 KiB sealed for this test's 1.5 KB narratives) take 30 of
# these cut connections to about 60 connections and 140-240 s here; the
# wait bounds the test, it does not time it.
# AYIL_TEST_SEED=N repeats the link's cuts.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
seed_random
export AYIL_PASSPHRASE="shortlink test passphrase"
trap 'rc=$?; if [ "$FAILED" != 0 ] || [ $rc != 0 ]; then for f in "$T"/*.log; do
  echo "# --- $(basename "$f")"; tail -n 12 "$f" | sed "s/^/#   /"; done; fi; cleanup' EXIT

HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test regional hub" --listen "127.0.0.1:$HUBPORT" >"$T/hub.id" 2>>"$T/cli.err"
start_d hub
"$EMU" --listen 127.0.0.1:0 --connect "127.0.0.1:$HUBPORT" --rate 64000 --delay 300 --jitter 30 \
  --cut-bytes 3000 --seed "$SEED" --stats "$T/link-c1.stats" >"$T/link-c1.port" 2>"$T/link-c1.log" &
PIDS+=($!)
for i in $(seq 100); do grep -q port= "$T/link-c1.port" 2>/dev/null && break; sleep 0.1; done
LPORT[c1]=$(sed -n 's/port=//p' "$T/link-c1.port")
make_committee c1 "Ak-Tash test committee" osh
# Quick to notice a dead link and to redial, but the poll interval stays the
# default 6 h: a node that wrongly thinks it is refused waits that long.
sed -i -e 's/^poll_interval = .*/poll_interval = 21600/' "${HOME_OF[c1]}/ayil.conf"
for i in $(seq 30); do add_appeal c1 "s$i" || fail "record add $i"; done
check "30 records entered before the daemon starts" test "$(added c1)" = 30
start_d c1
expect_rc 0 "ayil sync --wait 420 over a link cut every 1.5-4.5 KB" \
  "$AYIL" --home "${HOME_OF[c1]}" sync --wait 420
check "the hub holds the committee's log, byte for byte" same_logs c1
check "the committee never took a cut for a refusal" \
  bash -c "! grep -q 'refused this node' '$T/c1.log'"
"$AYIL" --home "${HOME_OF[c1]}" alerts >"$T/alerts" 2>&1 || true
check "no standing refused_by_hub alert" bash -c "! grep -q refused_by_hub '$T/alerts'"
cuts=$(stat_of c1 cuts)
check "the link really cut connections ($cuts cuts)" test "${cuts:-0}" -ge 3
echo "# $(stat_of c1 connections) connections, $cuts cuts, $(elapsed) s"
finish
