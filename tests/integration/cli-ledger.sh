#!/usr/bin/env bash
# vigilctl's ledger commands end to end, with bad input of every kind.
. "$(dirname "$0")/lib.sh"
V=$VIGILCTL
S=$VIGIL_SRC/contrib/samples/posts.jsonl

expect 2 "no command is a usage error" -- $V
expect 0 "--help" -- $V --help
output_has "verify-bundle" "--help lists the commands"
expect 0 "init --help" -- $V init --help
expect 2 "unknown command" -- $V frobnicate
expect 4 "verify before init names the missing ledger" -- $V verify
output_has "No ledger at '$T/vigil.db'" "missing ledger message"

expect 0 "init" -- $V init
output_has "Key id [0-9a-f]{64}" "init prints the key id"
[ "$(stat -c %a "$VIGIL_KEY")" = 600 ] && pass "key file is 0600" || fail "key file mode"
expect 4 "init refuses to overwrite" -- $V init

expect 0 "ingest samples" -- $V ingest "$S"
output_has "ingested 15 entries from 15 lines \(0 rejected\)" "ingest counts"

# Bad lines are rejected by line number; good ones still go in.
cat > "$T/bad.jsonl" <<'JSONL'
{"platform":"mastodon","post":{"id":"ok1","text":"fine"},"author":{"id":"1"}}
{not json
{"platform":"myspace","post":{"id":"2","text":"x"},"author":{"id":"1"}}
{"platform":"x","post":{"text":"no id"},"author":{"id":"1"}}
{"platform":"x","post":{"id":"3"},"author":{"id":"1"}}
{"platform":"x","post":{"id":"4","text":"x"},"author":{}}
{"platform":"x","post":{"id":"5","text":"x","created_at":"yesterday"},"author":{"id":"1"}}
["an array"]

{"platform":"reddit","post":{"id":"ok2","text":"also fine"},"author":{"handle":"u"},"raw":{"kept":  "verbatim"}}
JSONL
printf '{"platform":"x","post":{"id":"6","text":"bad \xff utf8"},"author":{"id":"1"}}\n' >> "$T/bad.jsonl"
expect 3 "ingest with bad lines exits 3" -- $V ingest "$T/bad.jsonl"
output_has "bad.jsonl:2: invalid JSON" "line 2 named"
output_has "bad.jsonl:3: field platform" "line 3 named"
output_has "bad.jsonl:4: field post.id" "line 4 named"
output_has "bad.jsonl:5: field post.text" "line 5 named"
output_has "bad.jsonl:6: field author" "line 6 named"
output_has "bad.jsonl:7: field post.created_at" "line 7 named"
output_has "bad.jsonl:8: not a JSON object" "line 8 named"
output_has "bad.jsonl:11: invalid JSON" "invalid UTF-8 named"
output_has "ingested 2 entries from 11 lines \(8 rejected\)" "good lines kept"
expect 0 "raw payload kept verbatim" -- $V list --format jsonl
blob=$(grep '"ok2"' "$T/out" | sed 's/.*"sha256":"\([0-9a-f]*\)".*/\1/')
[ "$(printf '{"kept":  "verbatim"}' | sha256sum | cut -c1-64)" = "$blob" ] \
  && pass "payload hash is of the raw bytes" || fail "payload hash $blob"

# A 17 MB line is refused without stopping the rest.
{ printf '{"platform":"x","post":{"id":"big","text":"'; head -c 17000000 /dev/zero | tr '\0' a; printf '"},"author":{"id":"1"}}\n';
  echo '{"platform":"x","post":{"id":"after","text":"t"},"author":{"id":"1"}}'; } > "$T/big.jsonl"
expect 3 "oversized line rejected" -- $V ingest "$T/big.jsonl"
output_has "big.jsonl:1: line longer than" "oversized line named"
output_has "ingested 1 entries" "line after it ingested"

expect 0 "verify" -- $V verify
output_has "^OK: 19 entries" "verify counts entries"
expect 0 "list" -- $V list
output_has "capture[[:space:]]+mastodon m1001 angryvax@med.example" "list shows captures"
expect 0 "show" -- $V show 1
output_has "\"kind\": \"capture\"" "show prints the entry"
expect 2 "show with a bad seq" -- $V show 12x
expect 4 "show a missing seq" -- $V show 999
expect 0 "checkpoint" -- $V checkpoint
cp "$T/out" "$T/held.txt"
output_has "^vigil.ledger/[0-9a-f]{16}$" "checkpoint origin line"

expect 0 "key show" -- $V key show
output_has "fingerprint" "key show"
expect 0 "key rotate" -- $V key rotate
expect 0 "ingest after rotation" -- $V ingest "$S"
expect 0 "verify with the held checkpoint" -- $V verify --checkpoint "$T/held.txt"
output_has "extends the checkpoint" "held checkpoint proven"
printf 'garbage\n' > "$T/garbage.txt"
expect 1 "a garbled held checkpoint fails" -- $V verify --checkpoint "$T/garbage.txt"

# Export: whole, tar, subset, time window; both verifiers agree.
expect 0 "export" -- $V export --out "$T/bundle"
expect 0 "verify-bundle dir" -- $V verify-bundle "$T/bundle"
keyid=$(sed -n 's/^Signed by key //p' "$T/out")
expect 0 "verify-bundle --key" -- $V verify-bundle --key "$keyid" "$T/bundle"
expect 1 "verify-bundle with another expected key" -- $V verify-bundle --key 0000 "$T/bundle"
expect 4 "export refuses an existing path" -- $V export --out "$T/bundle"
expect 0 "export --tar" -- $V export --out "$T/bundle.tar" --tar
expect 0 "verify-bundle tar" -- $V verify-bundle "$T/bundle.tar"
expect 0 "export one clinician" -- $V export --out "$T/jroe" --clinician jroe
output_has "Exported 18 entries" "subset: jroe's 16 captures and the 2 key entries"
expect 0 "verify-bundle subset" -- $V verify-bundle "$T/jroe"
expect 0 "export a time window" -- $V export --out "$T/win" --since 2000-01-01T00:00:00Z --until 2000-01-02T00:00:00+02:00
output_has "Exported 2 entries" "window holds only the key entries"
expect 2 "export with a bad time" -- $V export --out "$T/x" --since notatime
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import cryptography' 2>/dev/null; then
  for b in bundle bundle.tar jroe; do
    expect 0 "independent verifier accepts $b" -- /usr/bin/python3 "$VIGIL_SRC/tests/verify/verify_bundle.py" "$T/$b"
  done
else
  fail "python3-cryptography is missing (contrib/deps.sh installs it)"
fi
[ ! -e "$T/x" ] && ! ls "$T" | grep -q partial && pass "no half-written bundles" || fail "partial bundle left"

# A tar header claiming more than the file holds is refused before any
# allocation of that size (found by the bundle fuzz target).
/usr/bin/python3 - "$T/bundle.tar" "$T/claim.tar" <<'PY'
import sys
tar = bytearray(open(sys.argv[1], "rb").read())
tar[124:136] = b"17777777777\0"                   # 2 GiB, first member
tar[148:156] = b" " * 8
tar[148:156] = b"%06o\0 " % sum(tar[0:512])
open(sys.argv[2], "wb").write(bytes(tar))
PY
expect 1 "a tar member claiming 2 GiB" -- $V verify-bundle "$T/claim.tar"
output_has "claims 2147483647 bytes, more than the whole archive" "the claim is named"

# Damaged bundles are rejected with the seq at fault.
cp -r "$T/bundle" "$T/b1"; rm "$T/b1/blobs/$blob"
expect 1 "missing blob" -- $V verify-bundle "$T/b1"
output_has "seq [0-9]+: blob" "missing blob names its seq"
cp -r "$T/bundle" "$T/b2"
/usr/bin/python3 - "$T/b2/entries.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
row = json.loads(lines[5]); row["proof"][0] = row["proof"][0][::-1]
lines[5] = json.dumps(row)
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
expect 1 "garbled proof" -- $V verify-bundle "$T/b2"
output_has "seq 5: inclusion proof" "garbled proof names seq 5"
cp -r "$T/bundle" "$T/b3"; sed -i '3d' "$T/b3/entries.jsonl"
expect 0 "a subset (line removed) still verifies" -- $V verify-bundle "$T/b3"
cp -r "$T/bundle" "$T/b4"; sed -i '1d' "$T/b4/entries.jsonl"
expect 1 "bundle without key entry 0" -- $V verify-bundle "$T/b4"
expect 4 "verify-bundle of a missing path" -- $V verify-bundle "$T/nope"
head -c 3000 "$T/bundle.tar" > "$T/trunc.tar"
expect 1 "truncated tar" -- $V verify-bundle "$T/trunc.tar"

# Keys with loose permissions or the wrong size are refused.
chmod 644 "$VIGIL_KEY"
expect 4 "group-readable key refused" -- $V ingest "$S"
output_has "mode 0644" "the message names the mode"
chmod 600 "$VIGIL_KEY"
cp "$VIGIL_KEY" "$T/key.bak"; head -c 31 "$T/key.bak" > "$VIGIL_KEY"
expect 4 "short key refused" -- $V ingest "$S"
output_has "31 bytes" "the message names the size"
cp "$T/key.bak" "$VIGIL_KEY"; chmod 600 "$VIGIL_KEY"

# A database that is not one, and a truncated one.
head -c 100 "$VIGIL_DB" > "$T/trunc.db" 2>/dev/null
expect 4 "truncated database" -- $V --db "$T/trunc.db" verify
echo "not a database at all, not even close to one....................................." > "$T/text.db"
expect 4 "text file as database" -- $V --db "$T/text.db" verify
output_has "text.db" "the message names the file"

# Config file: database and signing_key from [vigil].
cat > "$T/vigil.conf" <<CONF
[vigil]
database = $VIGIL_DB
signing_key = $VIGIL_KEY
CONF
expect 0 "verify via -c" -- env -u VIGIL_DB -u VIGIL_KEY $V -c "$T/vigil.conf" verify
printf '[vigil\nbroken' > "$T/broken.conf"
expect 2 "broken config names the line" -- $V -c "$T/broken.conf" verify
output_has "broken.conf:1" "config line named"

finish
