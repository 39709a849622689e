#!/usr/bin/env bash
# vigilctl's review and report commands end to end on the fixed ledger:
# annotate, queue, report (HTML and PDF, checked with pdftotext and
# pdftoppm), notice, offenders, bursts, and the export bundle's report.
. "$(dirname "$0")/lib.sh"
V=$VIGILCTL

for tool in pdftotext pdftoppm pdfinfo; do
  command -v $tool >/dev/null || { echo "SKIP: $tool not installed (Debian poppler-utils; contrib/deps.sh)"; exit 77; }
done
"$VIGIL_FIXTURE" "$VIGIL_DB" "$VIGIL_KEY" || { echo "FAIL - fixture"; exit 1; }

# Review: annotations are new entries; the capture itself never changes.
before=$($V show 6 | sed -n '2p')
expect 2 "annotate without --status" -- $V annotate 6
expect 2 "annotate with an unknown status" -- $V annotate 6 --status maybe
output_has "status 'maybe'" "unknown status named"
expect 2 "annotate a registration" -- $V annotate 1 --status reviewed
output_has "seq 1 is a registration entry" "wrong kind named"
expect 0 "queue" -- $V queue --clinician jroe
output_has "seq 6.*hate insult" "queue lists seq 6"
output_has "v\*\*\*\*\* i\*\*\*\*" "queue masks matched words"
output_has "send p\*\*\*" "queue masks sexual terms"
if grep -q "vermin" "$T/out"; then fail "queue leaks a masked word"; else pass "queue hides masked words"; fi
expect 0 "queue --reveal" -- $V queue --clinician jroe --reveal
output_has "vermin idiot" "--reveal shows the text"
if LC_ALL=C grep -q $'\x1b\|\xc2\x9b' "$T/out"; then fail "queue passes terminal escapes through"
else pass "queue shows control characters as ?"; fi
output_has "Location \(URL\): https://forged.example/ \?\[2J\?\]0;pwned\?\?31m done" "queue keeps a forged post on one line"
expect 0 "queue --label doxxing" -- $V queue --label doxxing
output_has "^1 capture awaiting review" "label filter"
expect 0 "annotate reviewed" -- $V annotate 6 --status escalated --text "to security" --reference SEC-9 --by "night desk"
output_has "annotated seq 6 as escalated" "annotate reports the new entry"
expect 0 "queue after review" -- $V queue --clinician jroe
if grep -q "^seq 6	" "$T/out"; then fail "reviewed capture still queued"; else pass "reviewed capture leaves the queue"; fi
[ "$($V show 6 | sed -n '2p')" = "$before" ] && pass "capture unchanged" || fail "capture changed"
expect 0 "verify after annotations" -- $V verify

# Patterns.
expect 0 "offenders" -- $V offenders --clinician jroe
output_has "mastodon +109876 +2 +1000 .*angryvax@med.example, angryvax2@med.example" "handles linked by stable id"
output_has "^8 accounts" "offender count"
expect 0 "bursts" -- $V bursts --clinician jroe
output_has "2026-11-23T14:00:00.000Z .. 2026-11-23T15:00:00.000Z	12 posts" "burst window"
output_has "x pile0 \(pile0\)" "burst accounts"
expect 0 "bursts of every clinician" -- $V bursts
output_has "^1 burst$" "one burst overall"

# The report as HTML and PDF.
expect 2 "report needs --clinician" -- $V report --out "$T/r.html"
expect 2 "report with an unknown format" -- $V report --clinician jroe --format doc --out "$T/r.doc"
expect 2 "report with a bad time zone" -- $V report --clinician jroe --tz Mars/Base --out "$T/r.html"
output_has "Mars/Base" "bad zone named"
expect 2 "report with a bad --since" -- $V report --clinician jroe --since soon --out "$T/r.html"
expect 0 "report html" -- $V report --clinician jroe --tz Europe/Paris --out "$T/r.html"
grep -q 'Incident 1 of 19' "$T/r.html" && pass "html has incidents" || fail "html incidents"
grep -q 'Escalated\|escalated at .* by night desk .*case reference SEC-9' "$T/r.html" && pass "html has the new annotation" || fail "html annotation"
grep -q 'CET (UTC+01:00) Europe/Paris' "$T/r.html" && pass "html has local times" || fail "html local times"
grep -qi '<script' "$T/r.html" && fail "html contains a script tag" || pass "html has no script tag"
expect 0 "report pdf" -- $V report --clinician jroe --tz Europe/Paris --out "$T/r.pdf"
head -c 5 "$T/r.pdf" | grep -q '%PDF-' && pass "pdf header" || fail "pdf header"
pdftotext "$T/r.pdf" "$T/r.raw" 2>"$T/out" && pass "pdftotext" || fail "pdftotext"
# Headings and keys wrap in their column: compare with lines joined.
tr '\n' ' ' < "$T/r.raw" | tr -s ' ' > "$T/r.txt"
for want in "Evidence of online harassment of Dr. Jane Roe" "Ledger key fingerprint" \
    "Incidents by label" "Harassing accounts" "Timeline" "Bursts (pile-ons)" \
    "angryvax2@med.example" "SPVM-2026-0042" "Appendix C. Certification" \
    "<script>alert(1)</script>" "did:plc:abc" "Europe/Paris"; do
  grep -qF -- "$want" "$T/r.txt" && pass "pdf text: $want" || fail "pdf text lacks: $want"
done
grep -qF "אתהרופאה" <(tr -d ' \n' < "$T/r.txt") && pass "pdf keeps Hebrew text" || fail "pdf Hebrew"
pages=$(pdfinfo "$T/r.pdf" | awk '/^Pages:/ {print $2}')
[ "${pages:-0}" -ge 8 ] && pass "pdf has $pages pages" || fail "pdf has ${pages:-0} pages"
pdftoppm -r 30 -gray -f 1 -l 3 "$T/r.pdf" "$T/page"
n=$(ls "$T"/page-*.pgm 2>/dev/null | wc -l)
[ "$n" -eq 3 ] && pass "pdftoppm rendered 3 pages" || fail "pdftoppm rendered $n pages"
for f in "$T"/page-*.pgm; do
  dark=$(python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
# P5 header: magic, width height, maxval, then one byte per pixel
parts = d.split(b"\n", 3)
print(sum(1 for b in parts[3] if b < 128))' "$f")
  [ "$dark" -gt 500 ] && pass "$(basename "$f") is not blank ($dark dark pixels)" || fail "$(basename "$f") looks blank"
done

# The platform notice.
expect 2 "notice needs --platform" -- $V notice --clinician jroe --out "$T/n.txt"
expect 2 "notice needs the reporter" -- $V notice --platform x --clinician jroe --out "$T/n.txt"
expect 0 "notice text" -- $V notice --platform mastodon --clinician jroe --reporter-name "Security Office" --reporter-email sec@hospital.example --out "$T/n.txt"
for want in "Article 16" "Location (URL): https://mastodon.example/angryvax@med.example/m1" \
    "stable account id 109876" "Category of violation: threat" "bona fide belief" \
    "Name: Security Office" "E-mail: sec@hospital.example"; do
  grep -qF -- "$want" "$T/n.txt" && pass "notice: $want" || fail "notice lacks: $want"
done
expect 0 "notice json for one seq" -- $V notice --platform x --clinician jroe --seq 6 --format json --reporter-name R --reporter-email r@x.example --out "$T/n.json"
python3 -c '
import json, sys
n = json.load(open(sys.argv[1]))
assert n["notice"] == "EU DSA Article 16", n
assert [i["post_id"] for i in n["items"]] == ["x1"], n["items"]
assert n["items"][0]["categories"] == ["hate", "insult"]
assert "bona fide" in n["good_faith_statement"]' "$T/n.json" && pass "notice json" || fail "notice json"
expect 2 "notice for a seq on another platform" -- $V notice --platform x --clinician jroe --seq 3 --reporter-name R --reporter-email r@x.example --out "$T/n2.txt"
output_has "seq 3 is on mastodon, not x" "wrong platform named"

# The export bundle of one clinician carries the report.
expect 0 "export one clinician" -- $V export --clinician jroe --out "$T/bundle"
grep -q "Evidence of online harassment of Dr. Jane Roe" "$T/bundle/report.html" && pass "bundle report.html is the police report" || fail "bundle report.html"
head -1 "$T/bundle/report.csv" | grep -q '"seq","entry_sha256"' && pass "bundle report.csv" || fail "bundle report.csv"
expect 0 "bundle verifies" -- $V verify-bundle "$T/bundle"
expect 0 "export whole ledger" -- $V export --out "$T/all"
grep -q "vigil evidence export" "$T/all/report.html" && pass "whole-ledger view kept" || fail "whole-ledger view"

finish
