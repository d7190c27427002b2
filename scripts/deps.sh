#!/bin/bash
# Installs everything ayil needs to build, test and run its demo on Debian 12.
# Idempotent. Run as root (or with sudo available). `file` is for CPack's
# .deb (tests/e2e/deb_install.sh); libmicrohttpd and GnuTLS for ayil-web
# and its certificate; gettext (msgfmt) for the message catalogues;
# chromium, chromium-driver and python3-selenium for the browser tests;
# openssl for web.sh's TLS check; libxlsxwriter for the report's .xlsx
# form and python3-openpyxl to read it back, poppler-utils (pdftotext) for
# the printed report's check (tests/e2e/report_sheet.sh).
# libqrencode and libpng for invites as QR codes (ayil admit --qr),
# zbar-tools (zbarimg) to decode them in tests.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PKGS=(build-essential cmake pkg-config
      libuv1-dev libsodium-dev libmsgpack-dev libsqlite3-dev
      libjansson-dev libinih-dev libcmocka-dev
      libmicrohttpd-dev libgnutls28-dev gettext libxlsxwriter-dev
      libqrencode-dev libpng-dev zbar-tools
      clang-format sqlite3 python3 procps file
      chromium chromium-driver python3-selenium openssl debootstrap
      python3-openpyxl poppler-utils)
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
