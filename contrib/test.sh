#!/usr/bin/env bash
# Install what is missing, build, and run every test. Non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

contrib/deps.sh

build=${VIGIL_BUILD:-build}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" >/dev/null
fi
meson compile -C "$build"
meson test -C "$build" --print-errorlogs --num-processes 2 \
  --suite unit --suite integration "$@"
