#!/bin/bash
# Installs everything ayil needs to build, test and run its demo on Debian 12.
# Idempotent. Run as root (or with sudo available). `file` is for CPack's
# .deb (tests/e2e/deb_install.sh); gettext (msgfmt, xgettext, msgcmp,
# msggrep) compiles and checks the message catalogues (po/,
# scripts/i18n-check.sh).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PKGS=(build-essential cmake pkg-config
      libuv1-dev libsodium-dev libmsgpack-dev libsqlite3-dev
      libjansson-dev libinih-dev libcmocka-dev
      clang-format sqlite3 python3 procps file gettext
      chromium debootstrap)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || $SUDO apt-get update -qq ||
    echo "deps: apt-get update reported errors; trying the install anyway" >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
