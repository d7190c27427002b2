#!/bin/bash
# The README's two commands, exactly as a newcomer types them, on a fresh
# Debian 12: unpacks a clean bookworm root (tests/e2e/lib/debroot.bash),
# copies this tree's tracked files and ../shared into it, and runs, as root
# inside the chroot,
#
#   scripts/demo.sh
#   scripts/test.sh
#
# so a package that the scripts forget to install fails here, not on a
# committee's machine. A used machine has already hidden one once.
#
# Inside the root, e2e_deb_install is skipped (AYIL_SKIP_DEBOOTSTRAP=1): it
# would debootstrap a root inside the root, and the outer run already covers it.
# Needs root, debootstrap and network access to the Debian mirror.
#
#   scripts/fresh-root.sh [--keep] [--demo]
#     --keep leaves the root for a look; --demo runs scripts/demo.sh only
#     (it must work with no more than what it installs itself)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
[ "$(id -u)" = 0 ] || { echo "fresh-root: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-root: debootstrap is not installed" >&2; exit 2; }
[ -d ../shared ] || { echo "fresh-root: ../shared is missing beside the tree" >&2; exit 2; }
KEEP=0
DEMO_ONLY=0
for a in "$@"; do
  case $a in
  --keep) KEEP=1 ;;
  --demo) DEMO_ONLY=1 ;;
  *) echo "fresh-root: unknown argument $a (--keep, --demo)" >&2; exit 2 ;;
  esac
done
T=$(mktemp -d /var/tmp/ayil-fresh.XXXXXX)
R=$T/root
cleanup() {
  local m
  # Unmount everything under the root before anything is removed: a bind
  # mount of /dev left in place would make rm -rf remove the host's /dev.
  for m in dev/shm dev/pts dev proc; do
    if mountpoint -q "$R/$m" 2>/dev/null; then umount -l "$R/$m" || true; fi
  done
  if mountpoint -q "$R" 2>/dev/null; then umount -l "$R" || true; fi
  if [ $KEEP = 1 ]; then echo "fresh-root: the root is left in $R"; return; fi
  if grep -q " $R" /proc/mounts; then
    echo "fresh-root: $R still has mounts; not removing it" >&2
    return
  fi
  rm -rf "$T"
}
trap cleanup EXIT
. tests/e2e/lib/debroot.bash
START=$(date +%s)
debroot_make "$R" "$T/debootstrap.log"
echo "fresh-root: clean Debian $(cat "$R/etc/debian_version") root in $(( $(date +%s) - START )) s"
if chroot "$R" dpkg -s cmake >/dev/null 2>&1; then
  echo "fresh-root: the root is not fresh (cmake is installed)" >&2
  exit 1
fi
# debootstrap writes no /etc/hosts; Debian's installer does (and so does
# every container runtime), with localhost in it. Without it "localhost"
# does not resolve, and chromedriver cannot reach the browser it starts.
[ -e "$R/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
mkdir -p "$R/src/main" "$R/src/shared"
# Only what a clone holds: tracked files (a clean clone in CI), not builds.
if git -C "$SRC" rev-parse >/dev/null 2>&1; then
  git -C "$SRC" ls-files -z | tar -C "$SRC" --null -T - -cf - | tar -C "$R/src/main" -xf -
else
  tar -C "$SRC" --exclude='./build*' -cf - . | tar -C "$R/src/main" -xf -
fi
tar -C ../shared -cf - . | tar -C "$R/src/shared" -xf -
# The root's own mount point, as on an installed system or in a container:
# a test that makes a private mount namespace (unshare -m, as hubname.sh
# does for its own hosts file) needs "/" to be a mount point.
mount --bind "$R" "$R"
mount -t proc proc "$R/proc"
mount --bind /dev "$R/dev"
mount --bind /dev/pts "$R/dev/pts" 2>/dev/null || true
mount -t tmpfs -o size=512m tmpfs "$R/dev/shm" 2>/dev/null || true
IN() {
  chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    TERM=dumb AYIL_SKIP_DEBOOTSTRAP=1 AYIL_REQUIRE_CHROMIUM=${AYIL_REQUIRE_CHROMIUM:-0} \
    bash -c "cd /src/main && $1"
}
# The test command's own packages that were asked for (apt-mark manual, not
# pulled in by another one), before and after the demo: tzdata is in every
# Debian root, procps comes with the build's packages.
test_only_installed() {
  IN 'apt-mark showmanual | grep -xF -f <(scripts/deps.sh --test --list | grep -vxF -f <(scripts/deps.sh --demo --list)); true' | sort
}
TEST_ONLY_BEFORE=$(test_only_installed)
rc=0
S=$(date +%s)
echo "fresh-root: scripts/demo.sh"
IN scripts/demo.sh || rc=$?
echo "fresh-root: scripts/demo.sh exited $rc after $(( $(date +%s) - S )) s"
[ $rc = 0 ] || exit $rc
# The demo installs only what it needs: it asks for none of the test
# command's own packages.
extra=$(comm -13 <(echo "$TEST_ONLY_BEFORE") <(test_only_installed) | tr '\n' ' ')
if [ -n "$extra" ]; then echo "fresh-root: the demo asked apt for test packages: $extra" >&2; exit 1; fi
echo "fresh-root: the demo asked apt for none of the test command's own packages"
[ $DEMO_ONLY = 1 ] && exit 0
S=$(date +%s)
echo "fresh-root: scripts/test.sh"
IN scripts/test.sh || rc=$?
echo "fresh-root: scripts/test.sh exited $rc after $(( $(date +%s) - S )) s"
exit $rc
