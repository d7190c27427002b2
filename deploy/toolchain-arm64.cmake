# Cross-build for 64-bit Raspberry Pi OS (Pi 3, 4, 5, Zero 2 W) with Debian's
# cross compiler and multiarch -dev packages:
#
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
#     libuv1-dev:arm64 libsodium-dev:arm64 libzstd-dev:arm64 libmsgpack-dev:arm64 \
#     libsqlite3-dev:arm64 libjansson-dev:arm64 libinih-dev:arm64 \
#     libcmocka-dev:arm64
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=deploy/toolchain-arm64.cmake
#
# scripts/cross-test.sh does all of it and runs the tests under qemu-user.
set(AYIL_CROSS_TRIPLET aarch64-linux-gnu)
set(AYIL_CROSS_QEMU qemu-aarch64)
set(AYIL_DEB_ARCH arm64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
