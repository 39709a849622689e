#!/usr/bin/env bash
# Install @atproto/dev-env (pinned in package-lock.json) into
# tests/atproto/node_modules, once: later runs reuse it while the lock file
# is unchanged. Needs only npm and its registry.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.vigil-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -d node_modules/@atproto/dev-env ]; then
  exit 0
fi
echo "install.sh: installing @atproto/dev-env (first run takes a minute or two)" >&2
# better-sqlite3 is compiled here when no prebuilt binary can be fetched;
# point node-gyp at the installed Node headers (nodejs from NodeSource, or
# Debian's libnode-dev) rather than downloading them from nodejs.org.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" > "$stamp"
