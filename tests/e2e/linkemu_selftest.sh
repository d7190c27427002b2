#!/usr/bin/env bash
# Self-test of the tests' link emulator (tests/linkemu): shaping, byte
# counting, cuts, blackhole and down modes, clean exit. Everything runs on
# 127.0.0.1; only the processes started here are stopped, with bounded waits.
set -euo pipefail

BIN_DIR=${AYIL_BIN_DIR:?AYIL_BIN_DIR must name the build directory}
EMU=$BIN_DIR/tests/linkemu/ayil-linkemu
[ -x "$EMU" ] || { echo "FAIL: $EMU not built"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/linkemu-selftest.XXXXXX")
PIDS=()

# Stop one process we started: SIGTERM, up to 5 s, then SIGKILL.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for f in "$WORK"/*.log; do
    [ -f "$f" ] && { echo "--- $f"; tail -60 "$f"; }
  done
  exit 1
}

# ---- a tiny echo server and a client, in Python --------------------------
cat >"$WORK/peer.py" <<'PY'
import json, random, socket, sys, threading, time

def server(connlog):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print("port=%d" % ls.getsockname()[1], flush=True)
    n = 0
    while True:
        s, _ = ls.accept()
        n += 1
        with open(connlog, "w") as f:
            f.write("%d\n" % n)
        threading.Thread(target=echo, args=(s,), daemon=True).start()

def echo(s):
    try:
        while True:
            b = s.recv(65536)
            if not b:
                s.shutdown(socket.SHUT_WR)
                break
            s.sendall(b)
    except OSError:
        pass
    finally:
        s.close()

def client(port, nbytes, timeout, seed, ping):
    data = random.Random(seed).randbytes(nbytes)
    res = {"sent": 0, "recv": 0, "end": "complete", "rtt": None}
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except (ConnectionResetError, BrokenPipeError):
        # A link that is down may reset us before connect() returns.
        res.update(end="reset", elapsed=0, intact=True)
        print(json.dumps(res))
        return
    s.settimeout(timeout)
    got = bytearray()
    t0 = time.monotonic()
    def sender(buf, start):
        try:
            s.sendall(buf)
            res["sent"] = start + len(buf)
        except OSError:
            pass
    b = b"-"
    first = 0
    try:
        if ping:
            # One byte first, alone: its echo measures the round trip.
            first = 1
            s.sendall(data[:1])
            b = s.recv(1)
            if b:
                got += b
                res["rtt"] = time.monotonic() - t0
            t0 = time.monotonic()
        th = threading.Thread(target=sender, args=(data[first:], first),
                              daemon=True)
        th.start()
        while len(got) < nbytes:
            if not b:
                res["end"] = "eof"
                break
            b = s.recv(65536)
            got += b
    except socket.timeout:
        res["end"] = "timeout"
    except (ConnectionResetError, BrokenPipeError):
        res["end"] = "reset"
    except OSError as e:
        res["end"] = "error:%s" % e.errno
    res["elapsed"] = time.monotonic() - t0
    res["recv"] = len(got)
    res["intact"] = bytes(got) == data[:len(got)]
    s.close()
    print(json.dumps(res))

if sys.argv[1] == "server":
    server(sys.argv[2])
else:
    client(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
           int(sys.argv[5]), len(sys.argv) < 7 or sys.argv[6] != "noping")
PY

# Wait (bounded) for "port=N" in a file; print N.
read_port() {
  local file=$1 i p
  for i in $(seq 100); do
    p=$(sed -n 's/^port=\([0-9][0-9]*\)$/\1/p' "$file" 2>/dev/null | head -1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  return 1
}

# stat FILE KEY: one value of a key=value stats file.
stat() { sed -n "s/^$2=//p" "$1"; }

# Wait (bounded) until the stats file says KEY=VALUE.
wait_stat() {
  local i
  for i in $(seq 50); do
    [ "$(stat "$1" "$2" 2>/dev/null)" = "$3" ] && return 0
    sleep 0.1
  done
  return 1
}

json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

run_client() { # PORT NBYTES TIMEOUT SEED [noping]
  timeout 60 python3 "$WORK/peer.py" client "$@"
}

python3 "$WORK/peer.py" server "$WORK/server.conns" >"$WORK/server.out" 2>"$WORK/server.log" &
PIDS+=($!)
SPORT=$(read_port "$WORK/server.out") || fail "echo server did not start"

EMU_PID=
EMU_PORT=
start_emu() { # NAME ARGS...
  local name=$1
  shift
  "$EMU" --listen 127.0.0.1:0 --connect "127.0.0.1:$SPORT" -v \
    --stats "$WORK/$name.stats" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  EMU_PID=$!
  PIDS+=("$EMU_PID")
  EMU_PORT=$(read_port "$WORK/$name.out") || fail "$name: no port= line"
}

# Stop the emulator with SIGTERM; it must exit 0 (loop closed, no leaks).
stop_emu() {
  local name=$1 rc=0
  stop_pid "$EMU_PID"
  wait "$EMU_PID" || rc=$?
  [ "$rc" = 0 ] || fail "$name: emulator exited $rc"
}

# ---- 0. only 127.0.0.1 ----------------------------------------------------
rc=0; "$EMU" --listen 0.0.0.0:0 --connect "127.0.0.1:$SPORT" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "--listen 0.0.0.0 accepted (rc $rc)"
rc=0; "$EMU" --listen 127.0.0.1:0 --connect 10.0.0.1:80 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "--connect 10.0.0.1 accepted (rc $rc)"
rc=0; "$EMU" --listen 127.0.0.1:0 --connect 127.0.0.1:1 --rate x 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "--rate x accepted (rc $rc)"
echo "ok 0 - refuses addresses other than 127.0.0.1 and bad numbers"

# ---- 1. shaping: bytes intact, rate and delay respected -------------------
RATE=128000
DELAY=100
N=20480
start_emu shape --rate $RATE --delay $DELAY --jitter 20
r=$(run_client "$EMU_PORT" $N 30 1) || fail "shape: client failed"
echo "   $r"
[ "$(json "$r" end)" = complete ] || fail "shape: transfer did not complete: $r"
[ "$(json "$r" intact)" = True ] || fail "shape: bytes corrupted"
[ "$(json "$r" recv)" = $N ] || fail "shape: wrong byte count"
# Lower bounds only: one byte there and back takes two delays plus its
# serialization; the bulk takes at least its serialization time plus a round
# trip for the last byte.
python3 - "$r" $RATE $DELAY $N <<'PY' || fail "shape: faster than the link allows"
import json, sys
r = json.loads(sys.argv[1]); rate, delay, n = map(int, sys.argv[2:5])
rtt_min = 2 * delay / 1000 + 2 * 8 / rate
bulk_min = (n - 1) * 8 / rate + 2 * delay / 1000
print("   rtt %.3f s (>= %.3f), bulk %.3f s (>= %.3f)"
      % (r["rtt"], rtt_min, r["elapsed"], bulk_min))
sys.exit(0 if r["rtt"] >= rtt_min and r["elapsed"] >= bulk_min else 1)
PY
S=$WORK/shape.stats
# The client closed: its FIN crosses, the server closes, the emulator frees
# the connection by itself.
wait_stat "$S" active 0 || fail "shape: connection not closed after both EOFs"
stop_emu shape
[ "$(stat "$S" connections)" = 1 ] || fail "shape: connections != 1"
[ "$(stat "$S" bytes_c2s)" = $N ] || fail "shape: bytes_c2s != $N"
[ "$(stat "$S" bytes_s2c)" = $N ] || fail "shape: bytes_s2c != $N"
[ "$(stat "$S" cuts)" = 0 ] || fail "shape: unexpected cut"
echo "ok 1 - shaping: $N bytes each way intact, rate and delay respected, counted"

# ---- 2. cuts at seeded byte offsets ----------------------------------------
cut_run() { # NAME SEED -> prints the two cut offsets
  local name=$1 seed=$2 r i
  start_emu "$name" --rate 2000000 --delay 5 --seed "$seed" --cut-bytes 20000
  for i in 1 2; do
    r=$(run_client "$EMU_PORT" 40000 20 $i) || fail "$name: client failed"
    case $(json "$r" end) in
    reset | eof) ;;
    *) fail "$name: connection not cut: $r" ;;
    esac
    [ "$(json "$r" intact)" = True ] || fail "$name: bytes corrupted before the cut"
  done
  wait_stat "$WORK/$name.stats" active 0 || fail "$name: connections linger"
  stop_emu "$name"
  [ "$(stat "$WORK/$name.stats" cuts)" = 2 ] || fail "$name: cuts != 2"
  sed -n 's/.*cut (bytes) at byte \([0-9]*\)$/\1/p' "$WORK/$name.log" | tr '\n' ' '
}
cuts_a=$(cut_run cut_a 7)
cuts_b=$(cut_run cut_b 7)
cuts_c=$(cut_run cut_c 8)
echo "   seed 7: $cuts_a; again: $cuts_b; seed 8: $cuts_c"
[ "$cuts_a" = "$cuts_b" ] || fail "cut: same seed, different cut points"
[ "$cuts_a" != "$cuts_c" ] || fail "cut: different seeds, same cut points"
for x in $cuts_a $cuts_c; do
  [ "$x" -ge 10000 ] && [ "$x" -le 30000 ] || fail "cut: offset $x outside [10000, 30000]"
done
total=$(($(stat "$WORK/cut_a.stats" bytes_c2s) + $(stat "$WORK/cut_a.stats" bytes_s2c)))
sum=0
for x in $cuts_a; do sum=$((sum + x)); done
[ "$total" -le "$sum" ] || fail "cut: $total bytes forwarded, more than the cut points allow"
echo "ok 2 - --cut-bytes cuts at offsets drawn from the seed"

# ---- 3. cuts by time --------------------------------------------------------
start_emu cutms --rate 64000 --delay 50 --seed 3 --cut-ms 300
r=$(run_client "$EMU_PORT" 40000 20 1) || fail "cutms: client failed"
case $(json "$r" end) in reset | eof) ;; *) fail "cutms: not cut: $r" ;; esac
stop_emu cutms
[ "$(stat "$WORK/cutms.stats" cuts)" = 1 ] || fail "cutms: cuts != 1"
echo "ok 3 - --cut-ms cuts by time"

# ---- 4. blackhole: half-open, then back ------------------------------------
conns_before=$(cat "$WORK/server.conns")
start_emu black --blackhole
r=$(run_client "$EMU_PORT" 1000 1.5 1 noping) || fail "black: client failed"
[ "$(json "$r" end)" = timeout ] || fail "black: expected a silent, open link: $r"
[ "$(json "$r" recv)" = 0 ] || fail "black: bytes came back"
[ "$(cat "$WORK/server.conns")" = "$conns_before" ] || fail "black: the server saw a connection"
S=$WORK/black.stats
wait_stat "$S" dropped_bytes 1000 || fail "black: dropped_bytes != 1000"
[ "$(stat "$S" bytes_c2s)" = 0 ] || fail "black: bytes forwarded"
kill -USR1 "$EMU_PID"
wait_stat "$S" blackhole 0 || fail "black: SIGUSR1 did not end the blackhole"
r=$(run_client "$EMU_PORT" 2000 10 2) || fail "black: client failed"
[ "$(json "$r" end)" = complete ] || fail "black: link did not come back: $r"
kill -USR1 "$EMU_PID"
wait_stat "$S" blackhole 1 || fail "black: SIGUSR1 did not start the blackhole"
r=$(run_client "$EMU_PORT" 1000 1 3 noping) || fail "black: client failed"
[ "$(json "$r" end)" = timeout ] || fail "black: expected a silent link again: $r"
stop_emu black
echo "ok 4 - --blackhole passes nothing and closes nothing; SIGUSR1 toggles it"

# ---- 5. blackhole after N bytes ---------------------------------------------
start_emu blackafter --rate 1000000 --delay 5 --blackhole-after-bytes 5000
r=$(run_client "$EMU_PORT" 20000 1.5 1 noping) || fail "blackafter: client failed"
[ "$(json "$r" end)" = timeout ] || fail "blackafter: expected a stall: $r"
recv=$(json "$r" recv)
[ "$recv" -gt 0 ] && [ "$recv" -le 5000 ] || fail "blackafter: received $recv bytes"
[ "$(json "$r" intact)" = True ] || fail "blackafter: bytes corrupted"
stop_emu blackafter
S=$WORK/blackafter.stats
[ $(($(stat "$S" bytes_c2s) + $(stat "$S" bytes_s2c))) = 5000 ] ||
  fail "blackafter: forwarded bytes != 5000"
[ "$(stat "$S" blackholed)" = 1 ] || fail "blackafter: blackholed != 1"
echo "ok 5 - --blackhole-after-bytes stalls each connection after N bytes"

# ---- 6. link down and up -----------------------------------------------------
start_emu down --delay 5
S=$WORK/down.stats
kill -USR2 "$EMU_PID"
wait_stat "$S" down 1 || fail "down: SIGUSR2 did not take the link down"
r=$(run_client "$EMU_PORT" 1000 5 1) || fail "down: client failed"
case $(json "$r" end) in reset | eof) ;; *) fail "down: connection not refused: $r" ;; esac
[ "$(json "$r" recv)" = 0 ] || fail "down: bytes came back"
kill -USR2 "$EMU_PID"
wait_stat "$S" down 0 || fail "down: SIGUSR2 did not bring the link up"
r=$(run_client "$EMU_PORT" 1000 10 2) || fail "down: client failed"
[ "$(json "$r" end)" = complete ] || fail "down: link did not come back: $r"
stop_emu down
[ "$(stat "$S" down_resets)" -ge 1 ] || fail "down: down_resets not counted"
echo "ok 6 - SIGUSR2 takes the link down and up"

echo "PASS linkemu_selftest"
