#!/bin/bash
# Benchmark (never pass/fail, not run by ctest): ayil-web on a committee's
# store of N records (default 2,000: appeals, and one case with 12 linked
# records). Prints medians of R runs (default 21) of the server's time per
# page (list of appeals, one case, the home page) over plain HTTP on
# 127.0.0.1 and over HTTPS, each page's bytes (with the stylesheet; no
# other load exists), ayil-web's resident memory (now and peak), and the
# time of one unlock (Argon2id) as the member waits for it.
#
#   tests/bench/bench_web.sh BUILD_DIR [--records N] [--runs R]
set -euo pipefail
B=$(cd "${1:?usage: bench_web.sh BUILD_DIR [--records N] [--runs R]}" && pwd)
shift
N=2000
RUNS=21
while [ $# -gt 0 ]; do
  case $1 in
  --records) N=$2; shift 2 ;;
  --runs) RUNS=$2; shift 2 ;;
  *) echo "bench_web: unknown argument $1" >&2; exit 2 ;;
  esac
done
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/ayil-bench-web.XXXXXX)
WPID=""
trap '[ -n "$WPID" ] && kill $WPID 2>/dev/null; rm -rf "$T"' EXIT
export AYIL_PASSPHRASE="bench passphrase, not for real use"
mkdir -p "$T/kit"
"$B/ayil" --home "$T/c" init --role committee --name "Bench committee" --oblast osh \
  --recovery-kit "$T/kit/kit.txt" >/dev/null 2>&1
python3 - "$B/ayil" "$T/c" "$N" >"$T/case" <<'PY'
import json, subprocess, sys
ayil, home, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def add(kind, rec):
    return subprocess.run([ayil, "--home", home, "record", "add", kind], input=json.dumps(rec).encode(),
                          capture_output=True, check=True).stdout.decode().strip()
case = add("appeal", {"date": "2026-03-14", "source": "police", "violence": ["physical"], "survivor_sex": "female",
                      "survivor_age": "26-40", "status": "open", "survivor_name": "Invented Name",
                      "narrative": "Invented narrative. " * 40})
for i in range(12):
    add(["referral", "followup"][i % 2], {"case": case, "date": "2026-04-%02d" % (i + 1),
         **({"service": "police", "status": "referred"} if i % 2 == 0 else {"action": "home_visit", "result": "done"})})
for i in range(n - 13):
    add("appeal", {"date": "2026-%02d-%02d" % (i % 11 + 1, i % 28 + 1), "source": "police", "violence": ["physical"],
                   "survivor_sex": "female", "survivor_age": "26-40", "status": "open",
                   "survivor_name": "Invented Name %d" % i})
print(case)
PY
run_web() { # run_web tls(on|off) port
  sed -i -e "s/^listen = .*/listen = 127.0.0.1:$2/" -e "s/^tls = .*/tls = $1/" "$T/c/ayil.conf"
  "$B/ayil-web" --home "$T/c" 2>"$T/web.log" &
  WPID=$!
  for _ in $(seq 100); do grep -q serving "$T/web.log" && return 0; sleep 0.1; done
  cat "$T/web.log" >&2
  return 1
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
[ -f "$T/c/web.crt" ] || "$B/ayil" --home "$T/c" web cert >/dev/null
for tls in off on; do
  run_web $tls "$port"
  python3 - "$SRC/tests/e2e/lib" "$port" "$tls" "$(cat "$T/case")" "$RUNS" "$WPID" <<'PY'
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
from webclient import Client
port, tls, case, runs, pid = int(sys.argv[2]), sys.argv[3] == "on", sys.argv[4], int(sys.argv[5]), sys.argv[6]
c = Client("127.0.0.1", port, tls=tls)
r = c.login("chair", "bench passphrase, not for real use")
assert r.status == 303, r.status
css = len(c.get("/app.css").body)
def rss():
    st = dict(l.split(":", 1) for l in open("/proc/%s/status" % pid) if ":" in l)
    return st["VmRSS"].strip(), st["VmHWM"].strip()
print("## %s" % ("HTTPS" if tls else "plain HTTP on 127.0.0.1"))
for name, path in (("list of appeals (a page of 100 rows)", "/records?kind=appeal"), ("one case, 12 linked", "/r/" + case),
                   ("home", "/")):
    ts, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        r = c.get(path)
        ts.append((time.perf_counter() - t0) * 1000)
        assert r.status == 200, (path, r.status)
        size = len(r.body)
    print("%-36s median %7.1f ms  (min %.1f, max %.1f)  %6.1f KB + %.1f KB css" %
          (name, statistics.median(ts), min(ts), max(ts), size / 1024, css / 1024))
now, peak = rss()
print("ayil-web resident memory before any unlock: %s now, %s peak" % (now, peak))
ts = []
for _ in range(5):
    c.get("/unlock")
    tok = c.last.csrf()
    t0 = time.perf_counter()
    r = c.request("POST", "/unlock", {"csrf": tok, "password": "bench passphrase, not for real use"})
    ts.append((time.perf_counter() - t0) * 1000)
    assert r.status == 303, r.status
print("%-36s median %7.1f ms  (min %.1f, max %.1f)" % ("unlock (Argon2id, 64 MiB)", statistics.median(ts), min(ts), max(ts)))
ts = []
for _ in range(runs):
    t0 = time.perf_counter()
    r = c.get("/r/" + case)
    ts.append((time.perf_counter() - t0) * 1000)
print("%-36s median %7.1f ms" % ("one case, unlocked (bodies opened)", statistics.median(ts)))
now, peak = rss()
print("ayil-web resident memory after 5 unlocks: %s now, %s peak (Argon2id's 64 MiB while it runs)" % (now, peak))
PY
  kill "$WPID"; wait "$WPID" 2>/dev/null || true; WPID=""
done
