#!/usr/bin/env bash
# The vigil demo: install what is missing, build, then run vigil's main job
# on its embedded default - a ledger in ./demo-state - and show the result:
# create a ledger, ingest the sample posts, verify the ledger, export an
# evidence bundle and verify the bundle as an outsider would.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

contrib/deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
meson compile -C build >/dev/null

V=$top/build/daemon/vigilctl
state=${VIGIL_DEMO_STATE:-$top/demo-state}
rm -rf "$state"
mkdir -p "$state"
export VIGIL_DB=$state/vigil.db VIGIL_KEY=$state/signing.key

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Create a ledger and its signing key"
$V init

step "Ingest the sample posts (contrib/samples/posts.jsonl)"
$V ingest contrib/samples/posts.jsonl

step "The ledger, one line per entry"
$V list

step "Verify every entry, signature, checkpoint and blob"
$V verify

step "The signed checkpoint a second party would keep"
$V checkpoint | tee "$state/held-checkpoint.txt"

step "Export Dr. Roe's evidence as a bundle, and verify it as police would"
$V export --clinician jroe --out "$state/bundle-jroe"
$V verify-bundle "$state/bundle-jroe"

step "Summary"
captures=$($V list --format jsonl | grep -c '"kind":"capture"')
printf 'ledger        %s\n' "$VIGIL_DB"
printf 'entries       %s\n' "$($V list | wc -l)"
printf 'captures      %s\n' "$captures"
$V list --format jsonl | /usr/bin/python3 -c '
import collections, json, sys
per = collections.Counter()
for line in sys.stdin:
    e = json.loads(line)
    if e["kind"] == "capture":
        per[e["body"]["platform"]] += 1
print("per platform  " + ", ".join("%s %d" % kv for kv in sorted(per.items())))'
$V key show | sed -n 's/^fingerprint /fingerprint   /p'
printf 'bundle        %s (open report.html, read VERIFY.md)\n' "$state/bundle-jroe"
