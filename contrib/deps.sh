#!/usr/bin/env bash
# Install the Debian packages vigil needs to build, test and run its demo.
# Only missing packages are installed; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3 libjansson-dev libsodium-dev
  libarchive-dev libinih-dev libutf8proc-dev libsystemd-dev
  check valgrind gdb openssl python3 python3-cryptography
  postgresql
  libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-noto-color-emoji
  poppler-utils chromium
)
# The real AT Protocol test runs @atproto/dev-env on Node (>= 18.7) with
# npm, and compiles better-sqlite3 against the Node headers (libnode-dev);
# a machine that already has node (e.g. from NodeSource, with npm and the
# headers bundled) must not get Debian's npm on top.
command -v node >/dev/null || packages+=(nodejs libnode-dev)
command -v npm >/dev/null || packages+=(npm)
# Extra packages a caller may ask for (e.g. the test script).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
