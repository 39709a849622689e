#!/usr/bin/python3
"""verify_bundle.py BUNDLE_DIR_OR_TAR [--key KEYID]

Independent verifier of a vigil export bundle, written from the spec
(evidence-format.md, section 3.1 checks 1-5) alone.

Exit 0 and print
    OK: N entries, M blobs, checkpoint size S, key <id>
or exit 1 and print the first failure:
    FAIL seq N: <check>      (tied to an exported entry)
    FAIL: <check>            (not tied to an entry)

Order of checks (the "first" failure is the first in this order):
  1. bundle readable; checkpoint.txt parses; keys/ files consistent
     (<id>.pub content hashes to id, <id>.pem holds the same key);
     checkpoint signed by a key in keys/ whose hint matches (check 1);
     --key, if given, names that key.
  2. entries.jsonl, line by line in file order; for each line, in order:
     line shape, ascending seq, seq < checkpoint size, entry bytes parse and
     are canonical, entry members, entry seq == line seq, signature under the
     key the entry names (check 2), inclusion proof (check 2), prev/time
     against the previous line when its seq is consecutive (check 3), key
     chain (check 5), blobs (check 4); the checkpoint origin is compared with
     entry 0's key when the seq 0 line is reached.
  3. the checkpoint key is the key in force at seq size-1 per the exported
     key entries (checks 1 and 5).

How this file reads the points the spec leaves open:
  * "key current at entry size-1" (1.4): the key that signed entry size-1.
    Spec 1.3 calls the key that signs a key entry "the current key", so if
    entry size-1 is itself a rotation, the checkpoint is signed by the OLD key.
  * "first failing seq" (3.1): the first line, in file order, that fails;
    within a line the order above.  Swapped lines fail at the line that breaks
    ascending order (the smaller seq).  Failures of the checkpoint or keys/
    come before any line and name no seq.
  * A missing non-key line cannot be detected: an export may hold any subset
    (3), and nothing says how many lines a full export has.
  * Checkpoint: exactly 3 body lines (no tlog-checkpoint extension lines);
    extra signature lines under other names (cosignatures) are ignored; every
    origin-named line whose hint matches a key in keys/ must verify.
  * Origin must be vigil.ledger/ + the first 16 hex digits of the key of the
    seq 0 key entry; checked when that line is reached.
  * Capture `payload` null is accepted as "no blob"; absent or null
    `attachments` means none.  Blob `type`/`url` are not checked.
  * Extra members in entries and lines are allowed; unknown kinds are not.
  * base64 must be canonical (re-encodes to the same text); hex lower-case;
    keys/<id>.pub is the base64 text plus exactly one newline.
  * entries.jsonl: CRLF accepted (JSON whitespace), last newline optional,
    blank lines rejected.  Tar: one top-level directory allowed; links,
    special files, duplicates, absolute and `..` paths rejected.
  * The seq 0 key entry's proof-of-possession is checked like any other.
  * --key names the checkpoint key (3.1 check 1), full 64 hex digits.
"""

import argparse
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_spec as vs  # noqa: E402


class Fail(Exception):
    def __init__(self, check, seq=None):
        Exception.__init__(self, check)
        self.check = check
        self.seq = seq

    def line(self):
        if self.seq is None:
            return "FAIL: %s" % self.check
        return "FAIL seq %d: %s" % (self.seq, self.check)


class Result:
    def __init__(self, ok, message, seq=None, check=None):
        self.ok = ok
        self.message = message  # the line printed
        self.seq = seq
        self.check = check

    def __repr__(self):
        return "Result(%r)" % self.message


# ---------------------------------------------------------------------------
# Bundle access: a directory or a tar file
# ---------------------------------------------------------------------------

class DirBundle:
    def __init__(self, root):
        self.root = root

    def read(self, rel):
        p = os.path.join(self.root, *rel.split("/"))
        if not os.path.isfile(p):
            return None
        with open(p, "rb") as f:
            return f.read()

    def listdir(self, rel):
        p = os.path.join(self.root, *rel.split("/"))
        if not os.path.isdir(p):
            return None
        return sorted(os.listdir(p))


class TarBundle:
    """Reads a tar file into memory.  Rejects members with absolute paths or
    `..` components, links and special files, and duplicate names.  A single
    top-level directory holding entries.jsonl is accepted as the bundle root."""

    def __init__(self, path):
        files = {}
        dirs = set()
        try:
            with tarfile.open(path, "r:*") as tf:
                for m in tf.getmembers():
                    name = m.name
                    if name.startswith("/") or "\\" in name:
                        raise Fail("tar member %r has an absolute or unsafe path" % name)
                    parts = [p for p in name.split("/") if p not in ("", ".")]
                    if any(p == ".." for p in parts):
                        raise Fail("tar member %r has a '..' component" % name)
                    norm = "/".join(parts)
                    if m.isdir():
                        dirs.add(norm)
                        continue
                    if not m.isfile():
                        raise Fail("tar member %r is not a regular file or directory" % name)
                    if norm in files or not norm:
                        raise Fail("tar member %r appears twice" % name)
                    f = tf.extractfile(m)
                    files[norm] = f.read() if f is not None else b""
        except Fail:
            raise
        except Exception as e:  # tarfile.TarError, OSError, EOFError, ...
            raise Fail("cannot read tar file (%s)" % e.__class__.__name__)
        prefix = ""
        if "entries.jsonl" not in files:
            tops = set(n.split("/", 1)[0] for n in files)
            if len(tops) == 1:
                top = tops.pop()
                if top + "/entries.jsonl" in files:
                    prefix = top + "/"
        self.files = {n[len(prefix):]: d for n, d in files.items() if n.startswith(prefix)}
        self.dirs = set(d[len(prefix):] for d in dirs if d.startswith(prefix))

    def read(self, rel):
        return self.files.get(rel)

    def listdir(self, rel):
        pre = rel.rstrip("/") + "/"
        names = set()
        for n in self.files:
            if n.startswith(pre):
                names.add(n[len(pre):].split("/", 1)[0])
        if not names and rel not in self.dirs:
            return None
        return sorted(names)


def open_bundle(path):
    if os.path.isdir(path):
        return DirBundle(path)
    if os.path.isfile(path):
        return TarBundle(path)
    raise Fail("no such bundle: %s" % path)


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

def load_keys(bundle):
    """keys/<id>.pub and keys/<id>.pem: returns {id: raw public key}."""
    names = bundle.listdir("keys")
    if names is None:
        raise Fail("keys/ missing")
    pubs, pems = {}, {}
    for n in names:
        if n.endswith(".pub") or n.endswith(".pem"):
            kid, ext = n[:-4], n[-4:]
            if not vs.is_hex64(kid):
                raise Fail("keys/%s: name is not a key id (64 lower-case hex digits)" % n)
            data = bundle.read("keys/" + n)
            if data is None:
                raise Fail("keys/%s: not a regular file" % n)
            (pubs if ext == ".pub" else pems)[kid] = data
    keys = {}
    for kid in sorted(pubs):
        data = pubs[kid]
        # base64 raw 32 bytes, one line
        if not data.endswith(b"\n") or data.count(b"\n") != 1:
            raise Fail("keys/%s.pub: not exactly one line" % kid)
        try:
            pub = vs.b64d(data[:-1].decode("ascii"), 32)
        except (vs.SpecError, UnicodeDecodeError):
            raise Fail("keys/%s.pub: not base64 of a 32-byte key" % kid)
        if vs.key_id(pub) != kid:
            raise Fail("keys/%s.pub: SHA-256 of the key is %s" % (kid, vs.key_id(pub)))
        if kid not in pems:
            raise Fail("keys/%s.pem: missing" % kid)
        try:
            pem_pub = vs.public_from_pem(pems[kid])
        except vs.SpecError as e:
            raise Fail("keys/%s.pem: %s" % (kid, e))
        if pem_pub != pub:
            raise Fail("keys/%s.pem: key differs from keys/%s.pub" % (kid, kid))
        keys[kid] = pub
    for kid in sorted(pems):
        if kid not in pubs:
            raise Fail("keys/%s.pub: missing (only .pem present)" % kid)
    return keys


def check_checkpoint_signature(cp, keys):
    """Check 1: a signature line named after the origin, whose key hint
    matches a key in keys/, and which verifies.  Every origin-named line whose
    hint matches a known key must verify.  Returns the signing key id."""
    good = None
    named = [s for s in cp.signatures if s[0] == cp.origin]
    if not named:
        raise Fail("checkpoint signature: no signature line for origin %s" % cp.origin)
    matched = False
    for name, hint, sig in named:
        for kid in sorted(keys):
            pub = keys[kid]
            if vs.key_hint(cp.origin, pub) != hint:
                continue
            matched = True
            if len(sig) != 64 or not vs.verify_sig(pub, sig, cp.body):
                raise Fail("checkpoint signature: invalid under key %s" % kid)
            if good is None:
                good = kid
    if not matched:
        raise Fail("checkpoint signature: no key in keys/ matches the key hint")
    return good


def parse_line(raw, lineno):
    """One entries.jsonl line -> (seq, entry bytes, sig bytes, [proof hashes])."""
    try:
        obj = vs.parse_json(raw)
    except vs.SpecError as e:
        raise Fail("entries.jsonl line %d: %s" % (lineno, e))
    if not isinstance(obj, dict) or not vs.is_int(obj.get("seq")) or obj["seq"] < 0:
        raise Fail("entries.jsonl line %d: not an object with a non-negative integer seq" % lineno)
    seq = obj["seq"]
    for m in ("entry", "sig", "proof"):
        if m not in obj:
            raise Fail("line member %r missing" % m, seq)
    try:
        entry = vs.b64d(obj["entry"])
    except vs.SpecError as e:
        raise Fail("entry: %s" % e, seq)
    try:
        sig = vs.b64d(obj["sig"], 64)
    except vs.SpecError as e:
        raise Fail("sig: %s" % e, seq)
    if not isinstance(obj["proof"], list):
        raise Fail("proof: not an array", seq)
    proof = []
    for p in obj["proof"]:
        try:
            proof.append(vs.b64d(p, 32))
        except vs.SpecError as e:
            raise Fail("proof: %s" % e, seq)
    return seq, entry, sig, proof


def parse_entry(data, seq):
    """Entry bytes parse, are canonical and carry the members of spec 1.1."""
    try:
        e = vs.parse_json(data)
    except vs.SpecError as ex:
        raise Fail("entry bytes: %s" % ex, seq)
    if not isinstance(e, dict):
        raise Fail("entry bytes: not a JSON object", seq)
    try:
        canon = vs.canonical_json(e)
    except vs.SpecError as ex:
        raise Fail("entry bytes: %s" % ex, seq)
    if canon != data:
        raise Fail("entry bytes are not canonical", seq)
    for m in ("v", "seq", "prev", "time", "key", "kind", "body"):
        if m not in e:
            raise Fail("entry member %r missing" % m, seq)
    if not vs.is_int(e["v"]) or e["v"] != 1:
        raise Fail("entry v is not 1", seq)
    if not vs.is_int(e["seq"]):
        raise Fail("entry seq is not an integer", seq)
    if e["seq"] != seq:
        raise Fail("entry seq %d differs from the line's seq" % e["seq"], seq)
    if not vs.is_hex64(e["prev"]):
        raise Fail("entry prev is not 64 hex digits", seq)
    if seq == 0 and e["prev"] != vs.ZERO_HASH_HEX:
        raise Fail("prev of seq 0 is not 64 zeros", seq)
    if not vs.valid_time(e["time"]):
        raise Fail("entry time is not RFC 3339 UTC with milliseconds", seq)
    if not vs.is_hex64(e["key"]):
        raise Fail("entry key is not a key id", seq)
    if e["kind"] not in vs.KINDS:
        raise Fail("entry kind %r is not a known kind" % (e["kind"],), seq)
    if not isinstance(e["body"], dict):
        raise Fail("entry body is not an object", seq)
    return e


def parse_key_body(body, seq):
    """Key entry body: public_key, previous, proof.  Returns (pub, id, previous)."""
    for m in ("public_key", "previous", "proof"):
        if m not in body:
            raise Fail("key entry: body member %r missing" % m, seq)
    try:
        pub = vs.b64d(body["public_key"], 32)
    except vs.SpecError as e:
        raise Fail("key entry: public_key: %s" % e, seq)
    try:
        proof = vs.b64d(body["proof"], 64)
    except vs.SpecError as e:
        raise Fail("key entry: proof: %s" % e, seq)
    previous = body["previous"]
    if previous is not None and not vs.is_hex64(previous):
        raise Fail("key entry: previous is neither null nor a key id", seq)
    kid = vs.key_id(pub)
    if not vs.verify_sig(pub, proof, vs.key_proof_message(kid)):
        raise Fail("key entry: proof-of-possession signature invalid", seq)
    return pub, kid, previous


def check_blobs(bundle, kind, body, seq, seen):
    """Check 4: every blob the entry refers to is present, SHA-256 and size match."""
    try:
        refs = vs.entry_blob_refs(kind, body)
    except vs.SpecError as e:
        raise Fail("blob reference: %s" % e, seq)
    for ref in refs:
        if not isinstance(ref, dict):
            raise Fail("blob reference is not an object", seq)
        h, size = ref.get("sha256"), ref.get("size")
        if not vs.is_hex64(h):
            raise Fail("blob reference sha256 is not 64 hex digits", seq)
        if not vs.is_int(size) or size < 0:
            raise Fail("blob %s: reference size is not a non-negative integer" % h, seq)
        if h not in seen:
            data = bundle.read("blobs/" + h)
            if data is None:
                raise Fail("blob %s missing" % h, seq)
            if vs.sha256_hex(data) != h:
                raise Fail("blob %s: SHA-256 mismatch" % h, seq)
            seen[h] = len(data)
        if seen[h] != size:
            raise Fail("blob %s: size %d, entry says %d" % (h, seen[h], size), seq)


def verify(path, expected_key=None):
    """Verify a bundle; returns a Result (never raises on bad input)."""
    try:
        msg = _verify(path, expected_key)
        return Result(True, msg)
    except Fail as f:
        return Result(False, f.line(), f.seq, f.check)
    except RecursionError:
        return Result(False, "FAIL: input nested too deeply")
    except MemoryError:
        return Result(False, "FAIL: input too large")


def _verify(path, expected_key):
    bundle = open_bundle(path)

    # -- check 1: checkpoint and keys
    cp_data = bundle.read("checkpoint.txt")
    if cp_data is None:
        raise Fail("checkpoint.txt missing")
    try:
        cp = vs.parse_checkpoint(cp_data)
    except vs.SpecError as e:
        raise Fail("checkpoint.txt: %s" % e)
    keys = load_keys(bundle)
    cp_key = check_checkpoint_signature(cp, keys)
    if expected_key is not None and cp_key != expected_key.lower():
        raise Fail("checkpoint key %s is not the expected key %s" % (cp_key, expected_key))

    data = bundle.read("entries.jsonl")
    if data is None:
        raise Fail("entries.jsonl missing")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise Fail("entries.jsonl has no entries")

    # -- checks 2-5, line by line
    last = None  # (seq, entry bytes, entry dict) of the previous line
    current = None  # key id in force for the next entry per the key chain
    last_key_entry = None  # (seq, key id that signed it) of the last key entry
    blobs = {}
    for lineno, raw in enumerate(lines, 1):
        seq, ebytes, sig, proof = parse_line(raw, lineno)
        if last is not None and seq <= last[0]:
            raise Fail("seq not ascending (follows seq %d)" % last[0], seq)
        if seq >= cp.size:
            raise Fail("seq not below checkpoint size %d" % cp.size, seq)
        e = parse_entry(ebytes, seq)

        # check 2: signature under the key the entry names
        pub = keys.get(e["key"])
        if pub is None:
            raise Fail("signature: key %s not in keys/" % e["key"], seq)
        if not vs.verify_sig(pub, sig, ebytes):
            raise Fail("signature invalid under key %s" % e["key"], seq)

        # check 2: inclusion proof at index seq
        if not vs.verify_inclusion(vs.leaf_hash(ebytes), seq, cp.size, proof, cp.root):
            raise Fail("inclusion proof does not verify against the checkpoint", seq)

        # check 3: consecutive entries
        if last is not None and last[0] == seq - 1:
            if e["prev"] != vs.sha256_hex(last[1]):
                raise Fail("prev is not the entry hash of seq %d" % last[0], seq)
            if e["time"] < last[2]["time"]:
                raise Fail("time is earlier than seq %d's" % last[0], seq)

        # check 5: key chain
        if e["kind"] == "key":
            _, new_id, previous = parse_key_body(e["body"], seq)
            if previous is None:
                if seq != 0:
                    raise Fail("key chain: key entry with previous null is not seq 0", seq)
                if e["key"] != new_id:
                    raise Fail("key chain: seq 0 key entry is not signed by the key it introduces", seq)
                want = vs.origin_for(new_id)
                if cp.origin != want:
                    raise Fail("checkpoint origin %s does not name this ledger (expected %s)"
                               % (cp.origin, want))
            else:
                if seq == 0:
                    raise Fail("key chain: seq 0 key entry has a previous key", seq)
                if current is None:
                    raise Fail("key chain: the seq 0 key entry is not exported", seq)
                if previous != current:
                    raise Fail("key chain: previous %s is not the key in force %s" % (previous, current), seq)
                if e["key"] != current:
                    raise Fail("key chain: key entry signed by %s, not by the key in force %s"
                               % (e["key"], current), seq)
            last_key_entry = (seq, e["key"])
            current = new_id
        else:
            if seq == 0:
                raise Fail("key chain: entry 0 is not a key entry", seq)
            if current is None:
                raise Fail("key chain: the seq 0 key entry is not exported", seq)
            if e["key"] != current:
                raise Fail("key chain: signed by %s, but the key in force is %s" % (e["key"], current), seq)

        # check 4: blobs
        check_blobs(bundle, e["kind"], e["body"], seq, blobs)

        last = (seq, ebytes, e)

    # -- checks 1 and 5: the checkpoint key is the key current at entry size-1.
    # A key entry at seq size-1 is signed by (so "current" is) the key before it.
    if last_key_entry is not None and last_key_entry[0] == cp.size - 1:
        want = last_key_entry[1]
    else:
        want = current
    if cp_key != want:
        raise Fail("checkpoint signed by %s, but the key in force at seq %d per the exported key entries is %s"
                   % (cp_key, cp.size - 1, want))

    return "OK: %d entries, %d blobs, checkpoint size %d, key %s" % (len(lines), len(blobs), cp.size, cp_key)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Verify a vigil evidence bundle (spec section 3.1).")
    ap.add_argument("bundle", help="bundle directory or .tar file")
    ap.add_argument("--key", help="expected checkpoint key id (64 hex digits), compared out of band")
    args = ap.parse_args(argv)
    try:
        res = verify(args.bundle, args.key)
    except Exception as e:  # a bug in this script: still a FAIL, never a pass
        import traceback
        traceback.print_exc()
        print("FAIL: internal error (%s)" % e.__class__.__name__)
        return 1
    print(res.message)
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
