#!/bin/bash
# Cross-builds ayil for the Raspberry Pi (arm64 by default, or armhf) with
# Debian's cross compiler and multiarch -dev packages, and runs the tests
# under qemu-user: the cmocka unit tests and the fuzz smoke tests through
# ctest (CMAKE_CROSSCOMPILING_EMULATOR, set by deploy/toolchain-ARCH.cmake,
# is `qemu-aarch64 -L /usr/aarch64-linux-gnu`), then the simulator with
# fewer seeds than on the host (qemu is ~15x slower; set
# AYIL_CROSS_SIM_SEEDS). The shell e2e tests run the binaries directly, which
# needs binfmt_misc; they are skipped here and run on the host build.
#
#   scripts/cross-test.sh [arm64|armhf] [extra ctest args]
#
# Warnings are errors. No sanitizers: ASan does not run under qemu-user.
# Run as root (or with sudo available) on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=arm64
case ${1:-} in arm64 | armhf) ARCH=$1; shift ;; esac
declare -A TRIPLET=([arm64]=aarch64-linux-gnu [armhf]=arm-linux-gnueabihf)
declare -A QEMU=([arm64]=qemu-aarch64 [armhf]=qemu-arm)
T=${TRIPLET[$ARCH]}
BUILD=${AYIL_CROSS_BUILD_DIR:-build-$ARCH}
SEEDS=${AYIL_CROSS_SIM_SEEDS:-100}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

apt_update() { # a mirror mid-sync fails an index now and then: retry
  local i
  for i in 1 2 3; do
    if $SUDO apt-get update -qq 2>/tmp/ayil-apt.$$ && ! grep -q '^E:' /tmp/ayil-apt.$$; then
      rm -f /tmp/ayil-apt.$$
      return 0
    fi
    cat /tmp/ayil-apt.$$ >&2
    sleep $((i * 10))
  done
  rm -f /tmp/ayil-apt.$$
  return 0 # go on with what we have; apt-get install says if it is not enough
}

start=$(date +%s)
PKGS=(cmake pkg-config qemu-user "gcc-$T" "libc6-dev-$ARCH-cross")
for l in libuv1-dev libsodium-dev libzstd-dev libmsgpack-dev libsqlite3-dev libjansson-dev libinih-dev libcmocka-dev \
  libmicrohttpd-dev libgnutls28-dev libxlsxwriter-dev libqrencode-dev libpng-dev; do
  PKGS+=("$l:$ARCH")
done
updated=0
if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
  $SUDO dpkg --add-architecture "$ARCH"
  apt_update
  updated=1
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ $updated = 1 ] || apt_update
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "cross-test: toolchain and $ARCH libraries ready ($(( $(date +%s) - start )) s)"

cmake -S . -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE="$PWD/deploy/toolchain-$ARCH.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAYIL_WERROR=ON >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
echo "cross-test: built for $ARCH ($(( $(date +%s) - start )) s)"
file "$BUILD/ayild" | grep -q "${TRIPLET[$ARCH]%%-*}\|ARM" || {
  echo "cross-test: $BUILD/ayild is not an $ARCH binary" >&2; exit 1; }

# Unit tests and fuzz smoke through qemu (ctest adds the emulator).
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" -E '^(e2e_|sim_)' "$@"
# The simulator, fewer seeds (the host build runs 1000).
if [ -x "$BUILD/tests/sim/ayil-sim" ]; then
  echo "cross-test: ayil-sim --seeds $SEEDS under ${QEMU[$ARCH]}"
  "${QEMU[$ARCH]}" -L "/usr/$T" "$BUILD/tests/sim/ayil-sim" --seeds "$SEEDS" --first 1 | tail -2
fi
echo "cross-test: $ARCH passed in $(( $(date +%s) - start )) s"
