# Installation layout and Debian packages (CPack DEB), included from the
# top-level CMakeLists.txt. deploy/build-deb.sh drives it:
#
#   deploy/build-deb.sh [amd64|arm64|armhf] [--revision N]
#
# Layout (with CMAKE_INSTALL_PREFIX=/usr, as the package has it):
#   /usr/bin/ayil, /usr/bin/ayild, /usr/bin/ayil-web
#   /usr/share/man/man1/ayil.1.gz, /usr/share/man/man8/ayild.8.gz, ayil-web.8.gz
#   /usr/share/locale/{ky,ru,en}/LC_MESSAGES/ayil*.mo
#   /usr/share/bash-completion/completions/ayil
#   /lib/systemd/system/ayild.service, ayil-web.service
#   /etc/ayil/ayild.env                      (conffile: options of the unit)
#   /usr/share/doc/ayil/README.md            (the provisioning guide)
#   /usr/share/doc/ayil/examples/            (ayil.conf, journald drop-in,
#                                             report mapping, ADX schema)
# The node's state, /var/lib/ayil (owner ayil, 0700), is made by the
# postinst, never shipped, so that no package operation removes it.

set(AYIL_DEPLOY_DIR ${PROJECT_SOURCE_DIR}/deploy)
set(AYIL_DEB_REVISION "1" CACHE STRING "Debian revision of the package (0.1.0-N)")
set(AYIL_DEB_MAINTAINER "ayil maintainers <ayil@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_ayil_unitdir_default /lib/systemd/system)
else()
  set(_ayil_unitdir_default ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(AYIL_SYSTEMD_UNITDIR ${_ayil_unitdir_default} CACHE PATH "Where ayild.service goes")
set(AYIL_DEB_VERSION ${PROJECT_VERSION}-${AYIL_DEB_REVISION})

# One date for the man pages and the changelog: SOURCE_DATE_EPOCH if set
# (reproducible builds), else the last commit's, else today.
set(_ayil_epoch "$ENV{SOURCE_DATE_EPOCH}")
set(AYIL_GIT_NOTE "")
find_program(AYIL_GIT git)
if(AYIL_GIT)
  execute_process(COMMAND ${AYIL_GIT} -C ${PROJECT_SOURCE_DIR} log -1 --format=%ct
                  OUTPUT_VARIABLE _ayil_git_ct OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET RESULT_VARIABLE _ayil_git_rc)
  execute_process(COMMAND ${AYIL_GIT} -C ${PROJECT_SOURCE_DIR} rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE _ayil_git_rev OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
  if(_ayil_git_rc EQUAL 0 AND _ayil_git_ct)
    if(NOT _ayil_epoch)
      set(_ayil_epoch ${_ayil_git_ct})
    endif()
    set(AYIL_GIT_NOTE " at commit ${_ayil_git_rev}")
  endif()
endif()
if(_ayil_epoch)
  set(ENV{SOURCE_DATE_EPOCH} ${_ayil_epoch})
endif()
string(TIMESTAMP AYIL_MAN_DATE "%Y-%m-%d" UTC)
string(TIMESTAMP AYIL_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)

find_program(AYIL_GZIP gzip)
set(_ayil_gen ${PROJECT_BINARY_DIR}/deploy)
file(MAKE_DIRECTORY ${_ayil_gen})

# Man pages and the changelog: version and date filled in, then gzip -9n
# (no name, no timestamp: what Debian policy and lintian ask).
set(_ayil_gz_outputs)
foreach(src man/ayil.1 man/ayild.8 man/ayil-web.8 debian/changelog.in)
  get_filename_component(_name ${src} NAME)
  if(_name STREQUAL "changelog.in")
    set(_name changelog.Debian)
  endif()
  configure_file(${AYIL_DEPLOY_DIR}/${src} ${_ayil_gen}/${_name} @ONLY)
  add_custom_command(
    OUTPUT ${_ayil_gen}/${_name}.gz
    COMMAND ${AYIL_GZIP} -9nc ${_ayil_gen}/${_name} > ${_ayil_gen}/${_name}.gz
    DEPENDS ${_ayil_gen}/${_name} VERBATIM)
  list(APPEND _ayil_gz_outputs ${_ayil_gen}/${_name}.gz)
endforeach()
add_custom_target(ayil_deploy_files ALL DEPENDS ${_ayil_gz_outputs})

install(FILES ${_ayil_gen}/ayil.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${_ayil_gen}/ayild.8.gz ${_ayil_gen}/ayil-web.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${AYIL_DEPLOY_DIR}/bash-completion/ayil
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${AYIL_DEPLOY_DIR}/systemd/ayild.service ${AYIL_DEPLOY_DIR}/systemd/ayil-web.service
        DESTINATION ${AYIL_SYSTEMD_UNITDIR})
install(FILES ${AYIL_DEPLOY_DIR}/ayild.env DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/ayil)
install(FILES ${AYIL_DEPLOY_DIR}/README.md ${AYIL_DEPLOY_DIR}/debian/copyright
              ${_ayil_gen}/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${AYIL_DEPLOY_DIR}/ayil.conf.example ${AYIL_DEPLOY_DIR}/journald-ayil.conf
        ${AYIL_DEPLOY_DIR}/report-mapping.example ${AYIL_DEPLOY_DIR}/adx.xsd
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# --- CPack: one binary package, ayil_<version>-<revision>_<arch>.deb ----
if(NOT CPACK_DEBIAN_PACKAGE_ARCHITECTURE)
  find_program(AYIL_DPKG dpkg)
  if(AYIL_DPKG)
    execute_process(COMMAND ${AYIL_DPKG} --print-architecture
                    OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
endif()
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ayil)
set(CPACK_PACKAGE_VENDOR "ayil")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${AYIL_DEB_REVISION})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${AYIL_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libzstd (compressed bodies), ayil-web's TLS stack, the report's xlsx library and ayil's QR codes
# (admit --qr), named even where shlibdeps cannot run (a cross build
# without the target's dpkg-shlibdeps data); shlibdeps adds versions.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libzstd1, libmicrohttpd12, libgnutls30, libxlsxwriter4, libqrencode4, libpng16-16")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "fake-hwclock, systemd-timesyncd | time-daemon")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "case records of the committees against family violence (node and CLI)")
# CPack puts the summary on the Description line and indents this below it.
set(CPACK_PACKAGE_DESCRIPTION
    "ayil keeps the case records of a local committee on protection from family
violence on a small node (a Raspberry Pi), signed and hash-chained, with
every identifying field sealed to the committee's key, and replicates them
over slow, intermittent mobile links to a regional hub that aggregates the
committees' reports.
.
This package holds the command line (ayil), the daemon (ayild), the
committee members' web app (ayil-web), their sandboxed systemd units, and
the provisioning guide in
/usr/share/doc/ayil/README.md.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${AYIL_DEPLOY_DIR}/debian/postinst ${AYIL_DEPLOY_DIR}/debian/prerm
    ${AYIL_DEPLOY_DIR}/debian/postrm ${AYIL_DEPLOY_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_PACKAGE_FILE_NAME ayil_${AYIL_DEB_VERSION}_${CPACK_DEBIAN_PACKAGE_ARCHITECTURE})
include(CPack)
