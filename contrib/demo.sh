#!/usr/bin/env bash
# The vigil demo: install what is missing, build, then run the whole
# pipeline on one machine. A local stand-in for the platforms' APIs
# (tests/platform-server) serves a stream of invented mentions of two
# clinicians on five platforms; vigild polls it once, classifies and records
# every post as signed evidence, alerts a (local) webhook, hands its
# checkpoint to a witness; a post is then deleted and another edited on the
# platform, and the next poll notices both. Finally the ledger is verified, a police report and an
# evidence bundle are written, and the bundle is verified as police would.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

contrib/deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
meson compile -C build >/dev/null

V=$top/build/daemon/vigilctl
D=$top/build/daemon/vigild
state=${VIGIL_DEMO_STATE:-$top/demo-state}
rm -rf "$state"
mkdir -p "$state/tokens"
chmod 700 "$state" "$state/tokens"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Start the local platform server and a webhook receiver (127.0.0.1 only)"
python3 tests/platform-server/server.py --posts 40 --texts contrib/samples/demo-texts.txt \
  --port-file "$state/platform.port" > /dev/null &
pids+=($!)
python3 - "$state" <<'PY' &
import http.server, json, os, sys
state = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(os.path.join(state, "received" + self.path.replace("/", "-") + ".log"), "ab") as f:
            f.write(body.replace(b"\n", b"\\n") + b"\n")
        self.send_response(200); self.end_headers()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(os.path.join(state, "hook.port.tmp"), "w").write(str(srv.server_address[1]))
os.rename(os.path.join(state, "hook.port.tmp"), os.path.join(state, "hook.port"))
srv.serve_forever()
PY
pids+=($!)
for _ in $(seq 100); do [ -s "$state/platform.port" ] && [ -s "$state/hook.port" ] && break; sleep 0.1; done
api=http://127.0.0.1:$(cat "$state/platform.port")
hook=http://127.0.0.1:$(cat "$state/hook.port")
echo "platforms at $api, webhook at $hook"

# The server's test credentials, in files only vigild may read.
umask 077
echo mastodon-token-SECRET-1 > "$state/tokens/mastodon"
echo x-bearer-SECRET-2 > "$state/tokens/x"
echo youtube-key-SECRET-3 > "$state/tokens/youtube"
echo app-pass-SECRET-4 > "$state/tokens/bluesky"
printf 'client_id=rid\nclient_secret=rsecret-SECRET-5\nusername=vigil_test\npassword=rpass-SECRET-6\n' \
  > "$state/tokens/reddit"
umask 022

cat > "$state/vigil.conf" <<CONF
[vigil]
database = $state/vigil.db
signing_key = $state/signing.key
poll_interval = 300
recheck_interval = 1
alert_labels = threat, sexual, doxxing
witness_webhook = $hook/witness

[clinician jroe]
name = Dr. Jane Roe
alert_webhook = $hook/alert

[clinician amartin]
name = Dr. Anne Martin
alert_webhook = $hook/alert

[source jroe-mastodon]
platform = mastodon
clinician = jroe
base_url = $api
token_file = $state/tokens/mastodon

[source jroe-bluesky]
platform = bluesky
clinician = jroe
base_url = $api
identifier = drsynthetic.test
password_file = $state/tokens/bluesky

[source jroe-youtube]
platform = youtube
clinician = jroe
base_url = $api/youtube/v3
channel_id = UCclinician
api_key_file = $state/tokens/youtube

[source amartin-x]
platform = x
clinician = amartin
base_url = $api
user_id = 4242
token_file = $state/tokens/x

[source amartin-reddit]
platform = reddit
clinician = amartin
base_url = $api
auth_url = $api
token_file = $state/tokens/reddit
CONF

step "Check the configuration (vigild -n)"
$D -n -c "$state/vigil.conf"

step "Poll every source once (vigild --once)"
$D -c "$state/vigil.conf" --once

step "A harasser deletes a post and edits another; the next poll's re-check notices"
read -r victim edited < <($V -c "$state/vigil.conf" list --format jsonl | python3 -c '
import json, sys
ids = [e["body"]["post"]["id"] for e in map(json.loads, sys.stdin)
       if e["kind"] == "capture" and e["body"]["platform"] == "mastodon"
       and e["body"]["classification"]["labels"]]
print(ids[0], ids[1])')
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1]).read()' \
  "$api/_control/delete?platform=mastodon&id=$victim"
echo "deleted mastodon post $victim on the platform"
python3 -c 'import sys, urllib.parse, urllib.request; urllib.request.urlopen(sys.argv[1] + "?" +
  urllib.parse.urlencode({"platform": "mastodon", "id": sys.argv[2],
                          "text": "nothing to see here, just asking questions"})).read()' \
  "$api/_control/edit" "$edited"
echo "edited mastodon post $edited on the platform"
sleep 1.2
$D -c "$state/vigil.conf" --once

step "Verify the ledger"
$V -c "$state/vigil.conf" verify

step "Reports: the police report and Dr. Roe's evidence bundle"
$V -c "$state/vigil.conf" report --clinician jroe --out "$state/report-jroe.html"
$V -c "$state/vigil.conf" export --clinician jroe --out "$state/bundle-jroe"
$V verify-bundle "$state/bundle-jroe"

step "Summary"
$V -c "$state/vigil.conf" list --format jsonl | python3 -c '
import collections, json, sys
caps, labels, deleted, edited, anchors = collections.Counter(), collections.Counter(), 0, 0, 0
for line in sys.stdin:
    e = json.loads(line)
    if e["kind"] == "capture":
        b = e["body"]
        caps[(b["clinician"], b["platform"])] += 1
        for l in (b["classification"] or {}).get("labels", []):
            labels[l] += 1
    elif e["kind"] == "observation" and e["body"]["status"] == "deleted":
        deleted += 1
    elif e["kind"] == "observation" and e["body"]["status"] == "edited":
        edited += 1
    elif e["kind"] == "anchor":
        anchors += 1
print("captures per clinician and platform:")
for (c, p), n in sorted(caps.items()):
    print("  %-8s %-9s %3d" % (c, p, n))
print("labels: " + ", ".join("%s %d" % kv for kv in sorted(labels.items())))
print("deletions observed: %d" % deleted)
print("edits observed: %d" % edited)
print("checkpoints handed to the witness: %d" % anchors)'
if [ -f "$state/received-alert.log" ]; then
  echo "alerts sent to the webhook: $(wc -l < "$state/received-alert.log")"
  python3 -c '
import json, sys
for line in list(open(sys.argv[1]))[:12]:
    a = json.loads(line)
    print("  %-22s %-8s %-9s x%-3d %s" % (a["labels"], a["clinician"], a["platform"], a["count"], a["post"]["text"][:50]))' \
    "$state/received-alert.log"
fi
printf 'verify        %s\n' "$($V -c "$state/vigil.conf" verify | head -n 1)"
printf 'report        %s\n' "$state/report-jroe.html"
printf 'bundle        %s (VERIFY.md explains the checks)\n' "$state/bundle-jroe"
