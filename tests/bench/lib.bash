# Helpers shared by the benchmark scripts that run real daemons
# (bench_sync.sh, bench_year.sh, bench_update.sh, bench_body_wire.sh).
# Source it after setting:
#   BENCH  the script's name, for messages
#   W      its work directory (mktemp -d)
#   KEEP   1 to keep W at exit (default 0)
# and add every process the script starts to PIDS; `trap bench_cleanup
# EXIT` stops them (TERM, a bounded wait, KILL) and removes W.

PIDS=()
KEEP=${KEEP:-0}

bench_cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "$BENCH: files kept in $W" >&2; else rm -rf "$W"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for SECONDS FILE REGEX: bounded wait for a line in a file.
wait_for() {
  for _ in $(seq $(($1 * 10))); do
    grep -q -E "$3" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# port_of FILE: the port a tool printed as "port=N".
port_of() {
  wait_for 10 "$1" '^port=' || { echo "$BENCH: no port in $1" >&2; exit 1; }
  sed -n 's/^port=//p' "$1" | head -1
}

# stop_pid PID: TERM, a bounded wait, KILL.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  timeout 10 tail --pid="$1" -f /dev/null 2>/dev/null || kill -KILL "$1" 2>/dev/null || true
}

# median VALUE...: of the numeric ones, or n/a.
median() {
  printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g |
    awk '{a[NR]=$1} END{if(NR==0)print "n/a"; else if(NR%2)print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# fmt VALUE PRINTF-FORMAT: n/a stays n/a.
fmt() { awk -v v="$1" -v f="$2" 'BEGIN{if(v=="n/a"||v=="")print "n/a"; else printf f, v}'; }

# calc EXPR: awk arithmetic.
calc() { awk "BEGIN{printf \"%.6g\", $1}"; }
# stored_col DB: the column of the `entries` view that holds an entry as the
# store keeps it: `packed` since schema step 11 (PROTOCOL.md, "Entries at
# rest"), `bytes` (canonical) before, so that a bench runs on either build.
stored_col() { sqlite3 "$1" "SELECT CASE WHEN EXISTS (SELECT 1 FROM pragma_table_info('entries') WHERE name = 'packed') THEN 'packed' ELSE 'bytes' END"; }

# bench_template OBLAST: an admitted hub ($W/tpl/hub) and committee
# ($W/tpl/c) pair: the invite spent on a first connection, nothing else
# synced, both daemons stopped again, their logs in $W/tpl-hub.log and
# $W/tpl-c.log. Needs AYIL and AYILD.
bench_template() {
  local hp code hpid cpid
  hp=$(free_port)
  mkdir -p "$W/tpl"
  {
    "$AYIL" --home "$W/tpl/hub" init --role hub --name "Bench hub" --listen "127.0.0.1:$hp" >/dev/null &&
      code=$("$AYIL" --home "$W/tpl/hub" admit --name "Bench committee" --oblast "$1" --advertise "127.0.0.1:$hp") &&
      "$AYIL" --home "$W/tpl/c" init --role committee --invite "$code" --recovery-kit "$W/kit.txt" >/dev/null &&
      "$AYIL" --home "$W/tpl/hub" admit --confirm "$("$AYIL" --home "$W/tpl/c" id --code)" >/dev/null
  } 2>>"$W/setup.log" || {
    echo "$BENCH: setup failed:" >&2
    tail -5 "$W/setup.log" >&2
    exit 1
  }
  sed -i 's/^linger = .*/linger = 1/' "$W/tpl/c/ayil.conf"
  "$AYILD" --home "$W/tpl/hub" 2>"$W/tpl-hub.log" &
  hpid=$!
  PIDS+=("$hpid")
  wait_for 10 "$W/tpl-hub.log" 'hub listening' || { echo "$BENCH: hub did not start" >&2; exit 1; }
  "$AYILD" --home "$W/tpl/c" 2>"$W/tpl-c.log" &
  cpid=$!
  PIDS+=("$cpid")
  wait_for 30 "$W/tpl-c.log" 'synced; leaving' || {
    echo "$BENCH: admission failed, see $W/tpl-c.log" >&2
    KEEP=1
    exit 1
  }
  stop_pid "$cpid"
  stop_pid "$hpid"
  rm -f "$W"/tpl/*/ayild.sock
}
