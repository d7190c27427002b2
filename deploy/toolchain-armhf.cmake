# Cross-build for 32-bit Raspberry Pi OS (armhf: ARMv7 + VFPv3-D16, hard
# float; runs on the Pi 2 and later, including the Pi 3, 4, 5 and Zero 2 W
# with a 32-bit OS). Debian's armhf baseline is ARMv7, so the binaries do
# not run on a Pi 1 or Zero (ARMv6).
#
#   dpkg --add-architecture armhf && apt-get update
#   apt-get install gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user \
#     libuv1-dev:armhf libsodium-dev:armhf libzstd-dev:armhf libmsgpack-dev:armhf \
#     libsqlite3-dev:armhf libjansson-dev:armhf libinih-dev:armhf \
#     libcmocka-dev:armhf
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=deploy/toolchain-armhf.cmake
#
# scripts/cross-test.sh armhf does all of it and runs the tests under qemu.
set(AYIL_CROSS_TRIPLET arm-linux-gnueabihf)
set(AYIL_CROSS_QEMU qemu-arm)
set(AYIL_DEB_ARCH armhf)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
