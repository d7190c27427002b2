# Shared part of deploy/toolchain-<arch>.cmake: Debian cross compiler
# ${AYIL_CROSS_TRIPLET}-gcc, libraries and .pc files from the multiarch
# -dev packages (/usr/lib/${AYIL_CROSS_TRIPLET}), and qemu-user as the
# emulator, so that ctest and try_run run target binaries on the build host.
set(CMAKE_SYSTEM_NAME Linux)
if(AYIL_CROSS_TRIPLET STREQUAL "aarch64-linux-gnu")
  set(CMAKE_SYSTEM_PROCESSOR aarch64)
else()
  set(CMAKE_SYSTEM_PROCESSOR arm)
endif()

set(CMAKE_C_COMPILER ${AYIL_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${AYIL_CROSS_TRIPLET})

# Headers and libraries of the target come from the multiarch paths of the
# host (/usr/include and /usr/include/<triplet>, /usr/lib/<triplet>);
# programs (cmake, pkg-config) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${AYIL_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must read the target's .pc files only, never the host's.
set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/${AYIL_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Run target binaries (ctest, try_run) through qemu-user with the cross
# libc's loader and the multiarch libraries.
find_program(AYIL_QEMU_BIN ${AYIL_CROSS_QEMU})
if(AYIL_QEMU_BIN)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      ${AYIL_QEMU_BIN};-L;/usr/${AYIL_CROSS_TRIPLET})
endif()

# For deploy/packaging.cmake: the Debian architecture of the package.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${AYIL_DEB_ARCH})
