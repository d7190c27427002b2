# A clean Debian 12 (bookworm, minbase) root for tests that must start from
# nothing: tests/e2e/deb_install.sh and scripts/fresh-root.sh. Sourced, not run.
#
#   debroot_make DIR LOG   unpacks a fresh root into DIR (made with debootstrap
#                          once, then cached as a tarball under
#                          /var/cache/ayil-test; AYIL_TEST_REFRESH_ROOT=1 makes
#                          it again). Nothing is installed in it beyond
#                          debootstrap's minbase; the tarball also holds the apt
#                          lists and, downloaded but not installed, the runtime
#                          libraries the package depends on (so deb_install.sh
#                          can install offline).
#
# Needs root and debootstrap. Returns non-zero, with the tail of LOG on
# stderr, when the root cannot be made.

DEBROOT_CACHE=/var/cache/ayil-test
DEBROOT_TARBALL=$DEBROOT_CACHE/bookworm-minbase-amd64.tar.gz
DEBROOT_RUNTIME="adduser libuv1 libsodium23 libmsgpackc2 libsqlite3-0 libjansson4 libinih1"

debroot_mirror() { # the Debian mirror this machine uses
  local m=""
  if [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1=="deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list)
  fi
  if [ -z "$m" ]; then
    m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i=="bookworm") {print u; exit}}')
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

debroot_make() { # DIR LOG
  local dir=$1 log=$2 new rc m
  if [ ! -f "$DEBROOT_TARBALL" ] || [ "${AYIL_TEST_REFRESH_ROOT:-0}" = 1 ]; then
    mkdir -p "$DEBROOT_CACHE"
    new=$(mktemp -d /var/tmp/ayil-debroot.XXXXXX)
    # mktemp makes it 0700, and tar keeps the mode of "." in the cache: a
    # root "/" that only root may enter fails every command run as another
    # user in the chroot ("chroot: failed to run command: Permission denied").
    chmod 755 "$new"
    m=$(debroot_mirror)
    echo "# debootstrap bookworm from $m (cached in $DEBROOT_TARBALL for later runs)"
    if ! debootstrap --variant=minbase bookworm "$new" "$m" >"$log" 2>&1; then
      tail -20 "$log" >&2
      rm -rf "$new"
      return 1
    fi
    cp /etc/resolv.conf "$new/etc/resolv.conf" 2>/dev/null || true
    mount -t proc proc "$new/proc"
    rc=0
    { chroot "$new" apt-get update -qq &&
      chroot "$new" apt-get install -y -qq --download-only $DEBROOT_RUNTIME; } >>"$log" 2>&1 || rc=$?
    umount -l "$new/proc"
    if [ $rc != 0 ]; then
      tail -20 "$log" >&2
      rm -rf "$new"
      return 1
    fi
    tar -C "$new" -czf "$DEBROOT_TARBALL.tmp" . && mv "$DEBROOT_TARBALL.tmp" "$DEBROOT_TARBALL"
    rm -rf "$new"
  fi
  mkdir -p "$dir"
  tar -C "$dir" -xzf "$DEBROOT_TARBALL"
  chmod 755 "$dir" # a cache made before the chmod above holds "." as 0700
  cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}
