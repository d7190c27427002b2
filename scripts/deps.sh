#!/bin/bash
# Installs what ayil needs on Debian 12. Idempotent. Run as root (or with
# sudo available).
#
#   scripts/deps.sh [--demo | --test] [--log FILE] [--list]
#
# --demo: what scripts/demo.sh needs: build ayil (the tests' tree too, for
#         the link emulator) and run it. --test: that, and what
#         scripts/test.sh adds. No option: both (the same as --test).
# --log FILE: apt's output goes to FILE (appended), and only one line here
#         says what is installed; on a failure, the end of the log is shown.
#
# --list: print the packages of the set, one a line, and install nothing.
#
# One package per line, with what needs it.
set -euo pipefail
DEMO=(
  build-essential
  cmake
  pkg-config
  libuv1-dev
  libsodium-dev
  libzstd-dev       # sealed bodies are compressed with a dictionary
  libmsgpack-dev
  libsqlite3-dev
  libjansson-dev
  libinih-dev
  libcmocka-dev     # configuring the tree (tests/), for the link emulator
  libmicrohttpd-dev # ayil-web
  libgnutls28-dev   # ayil-web's TLS and its certificate
  gettext           # msgfmt: the message catalogues
  libxlsxwriter-dev # report --format xlsx
  libqrencode-dev   # admit --qr
  libpng-dev        # admit --qr-png
  python3           # the demo's web client and free ports
)
TEST=(
  clang-format      # scripts/check.sh
  sqlite3
  procps
  file              # CPack's .deb (tests/e2e/deb_install.sh)
  debootstrap       # tests/e2e/deb_install.sh
  chromium          # tests/e2e/web_browser.sh
  chromium-driver
  python3-selenium
  openssl           # tests/e2e/web.sh's TLS check
  groff-base        # man_lint: groff -ww
  tzdata            # tests/e2e/localtime.sh: Asia/Bishkek
  python3-openpyxl  # tests/e2e/report_sheet.sh reads the .xlsx back
  poppler-utils     # pdftotext: the printed report's and nodes page's checks
  zbar-tools        # zbarimg: tests/e2e/invites.sh decodes the QR codes
  libxml2-utils     # xmllint: tests/e2e/export.sh validates the ADX export
)
SET=test
LOG=""
LIST=0
while [ $# -gt 0 ]; do
  case $1 in
  --demo) SET=demo ;;
  --test) SET=test ;;
  --log) LOG=$2; shift ;;
  --list) LIST=1 ;;
  *) echo "deps: unknown argument $1 (--demo, --test, --log FILE, --list)" >&2; exit 2 ;;
  esac
  shift
done
PKGS=("${DEMO[@]}")
[ $SET = test ] && PKGS+=("${TEST[@]}")
if [ $LIST = 1 ]; then
  printf '%s\n' "${PKGS[@]}"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
if [ -z "$LOG" ]; then
  $SUDO apt-get update -qq || $SUDO apt-get update -qq ||
    echo "deps: apt-get update reported errors; trying the install anyway" >&2
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  exit 0
fi
mkdir -p "$(dirname "$LOG")"
echo "Installing ${#missing[@]} Debian packages (apt's output: $LOG)"
{
  $SUDO apt-get update -qq || $SUDO apt-get update -qq ||
    echo "deps: apt-get update reported errors; trying the install anyway"
} >>"$LOG" 2>&1
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1; then
  echo "deps: apt-get install failed; the end of $LOG:" >&2
  tail -n 20 "$LOG" >&2
  exit 1
fi
