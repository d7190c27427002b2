#!/bin/bash
# Builds the Debian package of ayil for amd64, arm64 or armhf (Raspberry Pi
# OS 64-bit / 32-bit) on Debian 12, with Debian's hardening flags, and runs
# lintian on it.
#
#   deploy/build-deb.sh [ARCH] [--revision N] [--out DIR] [--build DIR]
#                       [--no-deps] [--no-lintian]
#
# ARCH defaults to the build machine's. A foreign ARCH is cross-built with
# deploy/toolchain-ARCH.cmake (the cross compiler and the multiarch -dev
# packages are installed with apt-get unless --no-deps). Prints the path of
# the .deb on the last line of stdout. Fails if lintian reports an error.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
HOST_ARCH=$(dpkg --print-architecture)
ARCH=$HOST_ARCH
REVISION=1
OUT=$SRC/build-deb-out
BUILD=""
DEPS=1
LINTIAN=1
while [ $# -gt 0 ]; do
  case $1 in
  amd64 | arm64 | armhf | i386) ARCH=$1 ;;
  --revision) REVISION=$2; shift ;;
  --out) OUT=$2; shift ;;
  --build) BUILD=$2; shift ;;
  --no-deps) DEPS=0 ;;
  --no-lintian) LINTIAN=0 ;;
  -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
  *) echo "build-deb: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $REVISION =~ ^[0-9A-Za-z.+~]+$ ]] || { echo "build-deb: bad --revision $REVISION" >&2; exit 2; }
BUILD=${BUILD:-$SRC/build-deb-$ARCH}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

LIBS=(libuv1-dev libsodium-dev libzstd-dev libmsgpack-dev libsqlite3-dev libjansson-dev libinih-dev libqrencode-dev libpng-dev)
declare -A TRIPLET=([arm64]=aarch64-linux-gnu [armhf]=arm-linux-gnueabihf [amd64]=x86_64-linux-gnu [i386]=i686-linux-gnu)
TOOLS=(cmake pkg-config dpkg-dev fakeroot file xz-utils gzip)
[ "$LINTIAN" = 1 ] && TOOLS+=(lintian)
if [ "$DEPS" = 1 ]; then
  want=("${TOOLS[@]}")
  if [ "$ARCH" = "$HOST_ARCH" ]; then
    want+=(build-essential "${LIBS[@]}")
  else
    t=${TRIPLET[$ARCH]}
    if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
      $SUDO dpkg --add-architecture "$ARCH"
      NEED_UPDATE=1
    fi
    want+=("gcc-$t" "libc6-dev-$ARCH-cross")
    for l in "${LIBS[@]}"; do want+=("$l:$ARCH"); done
  fi
  missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif [ "${NEED_UPDATE:-0}" = 1 ]; then
    $SUDO apt-get update -qq
  fi
fi

# Debian's flags (hardening: PIE, relro+now, stack protector, fortify).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
export DEB_HOST_ARCH=$ARCH
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
TC=()
if [ "$ARCH" != "$HOST_ARCH" ]; then
  TC=(-DCMAKE_TOOLCHAIN_FILE="$SRC/deploy/toolchain-$ARCH.cmake")
fi
cmake -S "$SRC" -B "$BUILD" "${TC[@]}" \
  -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS" \
  -DAYIL_WERROR="${AYIL_DEB_WERROR:-ON}" -DAYIL_TESTS=OFF \
  -DAYIL_DEB_REVISION="$REVISION" -DCPACK_DEBIAN_PACKAGE_ARCHITECTURE="$ARCH" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
mkdir -p "$OUT"
(cd "$BUILD" && cpack -G DEB -B "$BUILD/cpack" >/dev/null)
deb=$(ls "$BUILD"/cpack/ayil_*"-${REVISION}_${ARCH}.deb")
cp "$deb" "$OUT/"
deb=$OUT/$(basename "$deb")
if [ "$LINTIAN" = 1 ]; then
  # Errors fail the build; warnings are shown. Tags that do not apply to a
  # package built outside the Debian archive are suppressed in
  # deploy/debian/lintian-profile.
  echo "lintian $(basename "$deb"):" >&2
  lintian --fail-on error --suppress-tags-from-file "$SRC/deploy/debian/lintian-suppress" "$deb" >&2
fi
echo "$deb"
