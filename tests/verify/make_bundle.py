#!/usr/bin/python3
"""make_bundle.py OUTDIR --seed HEX --entries N [--rotate-at K] [--subset CLINICIAN_ID]

Builds a vigil ledger in memory exactly per the spec (evidence-format.md) and
writes a complete, valid export bundle to OUTDIR (created; must be empty):

    entries.jsonl, checkpoint.txt, keys/<id>.pub, keys/<id>.pem,
    blobs/<sha256>, VERIFY.md

Entry 0 is a `key` entry; then `registration` entries for two clinicians,
then a repeating mix of `capture` (with payload and attachment blobs),
`observation` (with and without a payload blob) and `annotation` entries.
`--rotate-at K` makes entry K a `key` entry introducing a second key, which
signs every later entry.  `time` values are fixed and non-decreasing (pairs of
entries share a time).  Everything is derived from --seed, so the output is
byte-for-byte deterministic.  `--subset ID` exports only what concerns one
clinician (plus all key entries), with proofs against the full checkpoint.

The checkpoint covers the whole ledger (size N) and is signed with the key
current at entry N-1, i.e. the key that signed entry N-1.
"""

import argparse
import datetime
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_spec as vs  # noqa: E402

BASE_TIME = datetime.datetime(2026, 11, 22, 12, 0, 0)

CLINICIANS = [
    {
        "id": "c-ana",
        "name": "Dr. Ana Novak",
        "aliases": ["Ana N.", "Dr Novák"],
        "handles": [{"platform": "mastodon", "handle": "@anovak@med.social"},
                    {"platform": "bluesky", "handle": "anovak.bsky.social"}],
    },
    {
        "id": "c-ben",
        "name": "Dr. Ben O\u2019Neill",
        "aliases": [],
        "handles": [{"platform": "x", "handle": "@DrBenONeill"}],
    },
]

# Post texts exercise canonical JSON: quotes, backslash, controls (short and
# \u00xx escapes), DEL, non-ASCII, astral characters, U+2028.
TEXTS = [
    "You will regret this, Dr. Novak \u2014 I know where you work.",
    "caf\u00e9 \"quoted\" back\\slash\ttab\nnew line \u0001ctrl \u001f us \u007f del",
    "\U0001F600 smile, \u20ac5, line\u2028separator, \u05d3\u05bc dalet",
    "Someone should post her home address 12 Elm St.",
    "plain ascii text about a clinic",
    "\b\f\r backspace formfeed return",
]
PLATFORMS = ["mastodon", "bluesky", "x", "reddit", "youtube"]


class Rand:
    """Deterministic bytes from the seed: SHA-256(seed || label || counter)."""

    def __init__(self, seed):
        self.seed = seed

    def bytes(self, label, n):
        out = b""
        i = 0
        while len(out) < n:
            out += hashlib.sha256(self.seed + label.encode() + i.to_bytes(4, "big")).digest()
            i += 1
        return out[:n]

    def int(self, label, mod):
        return int.from_bytes(self.bytes(label, 8), "big") % mod


def entry_time(seq):
    return vs.format_time(BASE_TIME + datetime.timedelta(milliseconds=1537 * (seq // 2)))


def key_for(rand, i):
    return vs.private_key_from_seed(rand.bytes("key %d" % i, 32))


def _match(text, word, category, rule):
    b = text.encode("utf-8")
    start = b.find(word.encode("utf-8"))
    if start < 0:
        return []
    return [{"category": category, "rule": rule, "start": start, "end": start + len(word.encode("utf-8"))}]


def capture_body(led, rand, seq, clinician, variant, index):
    platform = PLATFORMS[rand.int("platform %d" % seq, len(PLATFORMS))]
    text = TEXTS[index % len(TEXTS)]  # each text appears once there are 6 captures
    post_id = str(rand.int("post %d" % seq, 10 ** 15))
    author_id = str(rand.int("author %d" % seq, 10 ** 9))
    created = vs.format_time(BASE_TIME - datetime.timedelta(minutes=5 + seq))
    if variant == "manual":
        platform = "manual"
    raw = json.dumps({"id": post_id, "created_at": created, "content": "<p>%s</p>" % text,
                      "account": {"id": author_id, "acct": "troll%s" % author_id[:4]},
                      "seq_hint": seq}, ensure_ascii=False, indent=1).encode("utf-8")
    if variant == "manual":
        raw = b"\x89PNG\r\n\x1a\n" + rand.bytes("manual %d" % seq, 200)
        payload = vs.blob_ref(raw, "image/png")
    else:
        payload = vs.blob_ref(raw, "application/json")
    led.add_blob(raw)
    attachments = []
    if variant == "attachments":
        for j in range(2):
            data = b"\xff\xd8\xff" + rand.bytes("att %d %d" % (seq, j), 100 + 37 * j)
            led.add_blob(data)
            attachments.append(vs.blob_ref(data, "image/jpeg",
                                           url="https://media.example/%s/%d.jpg" % (post_id, j)))
    if variant == "manual":
        classification = None
    else:
        scores = {c: rand.int("score %s %d" % (c, seq), 1001)
                  for c in ("threat", "sexual", "doxxing", "hate", "insult")}
        matches = _match(text, "regret", "threat", "T-004") + _match(text, "home address", "doxxing", "D-001")
        classification = {
            "engine": "vigil-rules 1.0 sha256:" + vs.sha256_hex(b"rules"),
            "scores": scores,
            "labels": sorted(set(m["category"] for m in matches)),
            "matches": matches,
        }
    return {
        "platform": platform,
        "source": "%s-main" % platform,
        "clinician": clinician,
        "post": {
            "id": post_id,
            "url": "https://%s.example/p/%s" % (platform, post_id),
            "created_at": created,
            "text": text,
            "lang": "en" if seq % 3 else None,
            "in_reply_to": None if seq % 2 else str(rand.int("reply %d" % seq, 10 ** 12)),
        },
        "author": {
            "id": author_id,
            "handle": "@troll%s" % author_id[:4],
            "name": None if seq % 4 == 0 else "Troll \u00e9\u00e8 %s" % author_id[:2],
            "url": None if seq % 5 == 0 else "https://%s.example/u/%s" % (platform, author_id),
        },
        "payload": payload,
        "attachments": attachments,
        "classification": classification,
    }


def build_ledger(seed, n, rotate_at=None):
    """The deterministic ledger make_bundle writes.  Returns (ledger, meta)
    where meta[seq] is the clinician id the entry concerns (or None)."""
    if n < 1:
        raise ValueError("--entries must be at least 1")
    if rotate_at is not None and not 1 <= rotate_at < n:
        raise ValueError("--rotate-at must be between 1 and entries-1")
    rand = Rand(seed)
    led = vs.Ledger(key_for(rand, 0), entry_time(0))
    meta = [None]
    captures = []  # (seq, clinician)
    j = 0  # index among content entries
    for seq in range(1, n):
        t = entry_time(seq)
        if seq == rotate_at:
            led.append_key(key_for(rand, 1), t)
            meta.append(None)
            continue
        if j < len(CLINICIANS):
            c = CLINICIANS[j]
            led.append("registration", {"clinician": c, "change": "added"}, t)
            meta.append(c["id"])
        else:
            step = (j - len(CLINICIANS)) % 6
            if step in (2, 3, 5) and not captures:
                step = 0
            if step in (0, 1, 4):
                clin = CLINICIANS[(j // 2) % len(CLINICIANS)]["id"]
                variant = {0: "plain", 1: "attachments", 4: "manual"}[step]
                led.append("capture", capture_body(led, rand, seq, clin, variant, len(captures)), t)
                captures.append((seq, clin))
                meta.append(clin)
            elif step in (2, 5):
                of, clin = captures[-1]
                if step == 2:
                    raw = json.dumps({"error": "Record not found", "status": 404, "seq": seq}).encode()
                    led.add_blob(raw)
                    payload = vs.blob_ref(raw, "application/json")
                    status, detail = "deleted", "the platform answered 404 for the post"
                else:
                    payload, status, detail = None, "unavailable", "timeout after 3 attempts"
                led.append("observation", {"of": of, "status": status, "detail": detail,
                                           "payload": payload}, t)
                meta.append(clin)
            else:  # step 3
                of, clin = captures[-1]
                led.append("annotation", {"of": of, "by": "security-office",
                                          "status": "escalated" if seq % 2 else "reported",
                                          "text": "Reviewed; forwarded to police.\nCase attached.",
                                          "reference": None if seq % 2 else "POL-2026-%04d" % seq}, t)
                meta.append(clin)
        j += 1
    return led, meta


def subset_seqs(led, meta, clinician=None):
    """Exported seqs: everything, or all key entries plus one clinician's."""
    if clinician is None:
        return list(range(len(led)))
    if clinician not in meta:
        raise ValueError("no entries concern clinician %r" % clinician)
    return [s for s in range(len(led)) if led.kinds[s] == "key" or meta[s] == clinician]


VERIFY_TEXT = """# How to verify this vigil evidence bundle

This bundle follows "vigil evidence format, version 1". It can be checked
with SHA-256, Ed25519 and a JSON parser; vigil itself is not needed.

Checkpoint key fingerprint (compare it out of band with the one printed on
the report you were given):

    {key}

1. `checkpoint.txt` is a signed note. Its first three lines (origin, size,
   base64 tree root, each ending in a newline) are signed by the key above:
   the base64 after the origin on the line starting with an em dash holds a
   4-byte key hint followed by the 64-byte Ed25519 signature.
2. Each line of `entries.jsonl` holds base64 entry bytes, their Ed25519
   signature and an RFC 9162 inclusion proof of SHA-256(0x00 || entry bytes)
   at index `seq` in the tree of the checkpoint's size. For example:

       sed -n 1p entries.jsonl | python3 -c 'import sys,json,base64; l=json.loads(sys.stdin.read()); open("e.bin","wb").write(base64.b64decode(l["entry"])); open("s.bin","wb").write(base64.b64decode(l["sig"]))'
       openssl pkeyutl -verify -pubin -inkey keys/<key id>.pem -rawin -in e.bin -sigfile s.bin

3. Consecutive entries chain: `prev` is the SHA-256 of the previous entry's
   bytes, and `time` never decreases.
4. Each file in `blobs/` is named after its SHA-256: `sha256sum blobs/*`.
5. `key` entries chain each signing key to its predecessor; `keys/<id>.pub`
   holds the base64 raw key whose SHA-256 is `<id>`.
"""


def write_bundle(outdir, led, seqs, size=None, cp_key=None):
    """Write a bundle exporting `seqs` with proofs against a checkpoint of
    `size` (default: the whole ledger) signed by `cp_key` (default: the key
    current at entry size-1)."""
    if size is None:
        size = len(led)
    cp_text, cp_kid = led.checkpoint(size, sign_with=cp_key)
    os.makedirs(outdir, exist_ok=True)
    if os.listdir(outdir):
        raise ValueError("%s is not empty" % outdir)
    os.makedirs(os.path.join(outdir, "keys"))
    os.makedirs(os.path.join(outdir, "blobs"))
    with open(os.path.join(outdir, "entries.jsonl"), "w", encoding="ascii", newline="\n") as f:
        for s in seqs:
            f.write(led.bundle_line(s, size) + "\n")
    with open(os.path.join(outdir, "checkpoint.txt"), "wb") as f:
        f.write(cp_text.encode("utf-8"))
    signers = sorted(set([led.signer[s] for s in seqs] + [cp_kid]))
    for kid in signers:
        pub = vs.public_raw(led.keys[kid])
        with open(os.path.join(outdir, "keys", kid + ".pub"), "wb") as f:
            f.write(vs.pub_file_content(pub))
        with open(os.path.join(outdir, "keys", kid + ".pem"), "wb") as f:
            f.write(vs.pem_from_public(pub))
    for s in seqs:
        for ref in led.blob_refs(s):
            with open(os.path.join(outdir, "blobs", ref["sha256"]), "wb") as f:
                f.write(led.blobs[ref["sha256"]])
    with open(os.path.join(outdir, "VERIFY.md"), "w", encoding="utf-8") as f:
        f.write(VERIFY_TEXT.format(key=cp_kid))
    return cp_kid


def parse_seed(s):
    try:
        seed = bytes.fromhex(s)
    except ValueError:
        raise ValueError("--seed must be hex")
    if not seed:
        raise ValueError("--seed must not be empty")
    return seed


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write a deterministic, valid vigil export bundle.")
    ap.add_argument("outdir")
    ap.add_argument("--seed", required=True, help="hex seed (e.g. 32 bytes as 64 hex digits)")
    ap.add_argument("--entries", type=int, required=True, help="ledger size N (entries 0..N-1)")
    ap.add_argument("--rotate-at", type=int, help="seq K of a key rotation (1 <= K < N)")
    ap.add_argument("--subset", metavar="CLINICIAN_ID", help="export only this clinician's entries (+ key entries)")
    args = ap.parse_args(argv)
    try:
        led, meta = build_ledger(parse_seed(args.seed), args.entries, args.rotate_at)
        seqs = subset_seqs(led, meta, args.subset)
        kid = write_bundle(args.outdir, led, seqs)
    except (ValueError, OSError) as e:
        print("make_bundle: %s" % e, file=sys.stderr)
        return 2
    print("wrote %s: %d of %d entries, checkpoint key %s" % (args.outdir, len(seqs), len(led), kid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
