#!/bin/bash
# Static rules: formatting, and the architecture (proto/ does no I/O: no
# libuv, no SQLite, no jansson, no sockets or files).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
if ! clang-format --dry-run --Werror $files 2>/tmp/ayil-format.$$; then
  echo "check: these files need clang-format -i:" >&2
  grep -o '^[^:]*\.[ch]' /tmp/ayil-format.$$ | sort -u >&2
  fail=1
fi
rm -f /tmp/ayil-format.$$
if grep -nE '#include <(uv|sqlite3|jansson|ini|stdio|fcntl|unistd|sys/socket)\.h>' proto/*.c proto/*.h include/ayil/*.h 2>/dev/null; then
  echo "check: proto/ and include/ayil/ must not include I/O headers (above)" >&2
  fail=1
fi
if grep -nE '#include "(daemon/)?daemon\.h"' cli/*.c 2>/dev/null; then
  echo "check: the CLI must not include the daemon's internals" >&2
  fail=1
fi
if grep -n 'sqlite3' cli/*.c cli/*.h 2>/dev/null; then
  echo "check: cli/ reaches the data only through node/node.h, never SQLite (above)" >&2
  fail=1
fi
if grep -nE '\bayil_(store|reg|bundle)_[a-z_]+\(' cli/*.c 2>/dev/null; then
  echo "check: cli/ calls the service API (node/node.h), not the store, registry or bundle code (above)" >&2
  fail=1
fi
# web/ (ayil-web) faces the LAN: like cli/, one door to the data, and it
# never talks to the hub (no sync, transport or handshake) nor reads keys.
if grep -nE 'sqlite3|#include "(daemon/)?(daemon|store_int|registry|bundle)\.h"' web/*.c web/*.h 2>/dev/null; then
  echo "check: web/ reaches the data only through node/node.h (above)" >&2
  fail=1
fi
if grep -nE '\bayil_(store|reg|bundle|reader|identity|netkey|sync|hs|transport)_[a-z_]+\(|\bayil__node' web/*.c 2>/dev/null; then
  echo "check: web/ calls the service API (node/node.h) only: no store, registry, key files or sync (above)" >&2
  fail=1
fi
if grep -n 'ayil__' include/ayil/*.h 2>/dev/null; then
  echo "check: include/ayil/ is the public interface: internals and test hooks (ayil__*) go in proto/*.h (above)" >&2
  fail=1
fi
if grep -nE '#include "(sync_int|testhooks)\.h"' node/*.c node/*.h node/daemon/*.c cli/*.c 2>/dev/null; then
  echo "check: proto/'s internal headers are for proto/ and its tests only (above)" >&2
  fail=1
fi
if grep -nE 'file\(GLOB' CMakeLists.txt 2>/dev/null; then
  echo "check: the libraries' sources are listed in CMakeLists.txt, not globbed (above)" >&2
  fail=1
fi
exit $fail
