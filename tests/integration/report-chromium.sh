#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium renders it (the
# screenshot must not be blank), loads nothing from the network (every
# request would go to a proxy we listen on), and runs no script from a
# post (the DOM it builds holds no script or img element).
. "$(dirname "$0")/lib.sh"
V=$VIGILCTL
HERE=$(dirname "$0")

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium not installed (Debian chromium; contrib/deps.sh)"; exit 77; }
chrome() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --no-default-browser-check \
    --user-data-dir="$(mktemp -d "$T/profile-XXXXXX")" "$@" 2>>"$T/chrome.log"
}
echo '<!DOCTYPE html><p>probe</p>' > "$T/probe.html"
chrome --screenshot="$T/probe.png" --window-size=200,100 "file://$T/probe.html" >/dev/null
[ -s "$T/probe.png" ] || { echo "SKIP: chromium cannot run here:"; tail -5 "$T/chrome.log"; exit 77; }

"$VIGIL_FIXTURE" "$VIGIL_DB" "$VIGIL_KEY" || { echo "FAIL - fixture"; exit 1; }
expect 0 "report html" -- $V report --clinician jroe --tz America/Toronto --out "$T/report.html"

# Static: no element or rule that could load anything.
if grep -Eiq '<(script|img|link|iframe|object|embed|video|audio|source|base|frame)[ >/]|url\(|@import|srcset' "$T/report.html"; then
  fail "report has a resource-loading element"; grep -Eio '.{30}(<(script|img|link)|url\(|@import).{30}' "$T/report.html" | head -3
else pass "report has no resource-loading element"; fi
grep -q "script-src 'none'" "$T/report.html" && pass "CSP forbids scripts" || fail "CSP"

# A proxy that records every connection: the browser must make none.
python3 - "$T/proxy.port" "$T/proxy.log" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        line = c.recv(4096).split(b"\r\n")[0]
    except OSError:
        line = b"?"
    with open(sys.argv[2], "ab") as log:
        log.write(line + b"\n")
    c.close()
PY
proxy=$!
trap 'kill $proxy 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
port=$(cat "$T/proxy.port")
proxyopts=(--proxy-server="http://127.0.0.1:$port" --proxy-bypass-list="<-loopback>")

chrome "${proxyopts[@]}" --screenshot="$T/shot.png" --window-size=1100,2400 \
  --virtual-time-budget=3000 "file://$T/report.html" >/dev/null
[ -s "$T/shot.png" ] && pass "screenshot taken" || fail "no screenshot"
read -r w h colours ink < <(python3 "$HERE/png-stats.py" "$T/shot.png")
[ "${colours:-0}" -ge 8 ] && pass "screenshot has $colours colours" || fail "screenshot has ${colours:-0} colours"
awk -v i="${ink:-0}" 'BEGIN { exit !(i > 2.0) }' && pass "screenshot is not blank ($ink% ink)" || fail "screenshot blank ($ink% ink)"

chrome "${proxyopts[@]}" --dump-dom --virtual-time-budget=3000 "file://$T/report.html" > "$T/dom.html"
grep -q "Incident 1 of 19" "$T/dom.html" && pass "browser parsed the report" || fail "DOM empty"
if grep -Eiq '<(script|img|link)[ >]' "$T/dom.html"; then fail "DOM holds markup from a post"
else pass "DOM holds no script, img or link element"; fi
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/dom.html" && pass "hostile text shown as text" || fail "hostile text"
grep -q 'dir="auto"' "$T/dom.html" && pass "text direction follows the text" || fail "dir=auto"

chrome "${proxyopts[@]}" --print-to-pdf="$T/print.pdf" --no-pdf-header-footer "file://$T/report.html" >/dev/null
if command -v pdfinfo >/dev/null; then
  pages=$(pdfinfo "$T/print.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
  [ "${pages:-0}" -ge 6 ] && pass "prints to $pages pages" || fail "prints to ${pages:-0} pages"
fi

sleep 0.5
# Chromium itself still asks Google for the time and for updates even with
# the --disable flags above; those requests are not the report's. Any
# other host is.
touch "$T/proxy.log"
grep -Ev '^(GET|POST|CONNECT) (http://)?[a-z0-9.-]*(google\.com|googleapis\.com|gstatic\.com)[:/]' \
  "$T/proxy.log" > "$T/page-requests.log"
if [ -s "$T/page-requests.log" ]; then fail "the report made network requests:"; sed 's/^/    /' "$T/page-requests.log"
else pass "no network request from the report ($(wc -l < "$T/proxy.log") Chromium background requests ignored)"; fi
# Control: the proxy does see a page that fetches something.
echo '<!DOCTYPE html><img src="http://leak.example/control.png">' > "$T/control.html"
chrome "${proxyopts[@]}" --dump-dom --virtual-time-budget=3000 "file://$T/control.html" >/dev/null
sleep 0.5
grep -q "leak.example" "$T/proxy.log" 2>/dev/null && pass "the proxy check would catch a request" || fail "control request not seen (the network check proves nothing)"

finish
