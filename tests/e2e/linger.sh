#!/bin/bash
# A connection that stayed idle longer than [sync] dead_after, with a long
# linger, carries the next record without being called dead: "no progress"
# counts from when there was something to wait for, not from the last
# message of the idle spell (issue 16's spurious "link dead").
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/sync_lib.bash"
START=$(date +%s)
export AYIL_PASSPHRASE="linger test passphrase"
trap 'rc=$?; [ "$FAILED" = 0 ] && [ $rc = 0 ] || for f in "$T"/*.log; do echo "# --- $f"; tail -n 20 "$f" | sed "s/^/#   /"; done; cleanup' EXIT

HUB=$T/hub
HOME_OF[hub]=$HUB
HUBPORT=$(free_port)
"$AYIL" --home "$HUB" init --role hub --name "Test regional hub" --listen "127.0.0.1:$HUBPORT" >"$T/hub.id" 2>>"$T/cli.err"
start_d hub
# A 2G-like round trip (1.2 s): the acknowledgement of a new record comes
# after the committee's next tick.
"$EMU" --listen 127.0.0.1:0 --connect "127.0.0.1:$HUBPORT" --rate 64000 --delay 600 \
  --stats "$T/link-a.stats" >"$T/link-a.port" 2>"$T/link-a.log" &
PIDS+=($!)
wait_for 10 grep -q port= "$T/link-a.port"
LPORT[a]=$(sed -n 's/port=//p' "$T/link-a.port")
make_committee a "Committee a" naryn
# Linger far longer than dead_after: the connection stays up while idle.
sed -i -e 's/^linger = .*/linger = 60/' -e 's/^dead_after = .*/dead_after = 3/' "${HOME_OF[a]}/ayil.conf"
add_appeal a 1
start_d a
check "the first record is acknowledged" wait_for 30 eval '[ "$(acked a)" -ge 1 ]'
phase "idle for more than twice dead_after"
# Both ways of the link, as the emulator counts them (written every second).
link_bytes() { awk -F= '$1=="bytes_c2s"||$1=="bytes_s2c"{s+=$2} END{print s+0}' "$T/link-a.stats"; }
sleep 2 # the acknowledgement's frame, and a fresh count
idle0=$(link_bytes)
sleep 8
idle1=$(link_bytes)
check "the connection is still up, idle" connected a
check "nothing crossed the idle link, either way ($idle0 B before, $idle1 B after)" [ "$idle0" -gt 0 -a "$idle0" = "$idle1" ]
add_appeal a 2
check "the next record is acknowledged" wait_for 30 eval '[ "$(acked a)" -ge 2 ]'
check "on the same connection: one connection in the committee's log" [ "$(grep -c "connection to the hub established" "$T/a.log")" = 1 ]
check "never called dead" eval '! grep -q "link dead" "$T/a.log" "$T/hub.log"'
stop_d a
stop_d hub
finish
