"""vigil_spec: an independent Python reading of "vigil evidence format, version 1".

Written from /work/shared/spec/evidence-format.md alone (not from vigil's C code),
so that vigil's test suite can cross-check the C implementation against it.

Contents:
  * canonical JSON (RFC 8785 / JCS restricted to the spec's value types)
    and a strict parser (no floats, no duplicate names, |n| < 2^53)
  * RFC 9162 Merkle tree hash, inclusion proofs, consistency proofs
    (generation and verification)
  * Ed25519 helpers (via the `cryptography` package), key ids, PEM
  * C2SP signed-note checkpoints as in spec section 1.4
  * a small in-memory Ledger builder used by make_bundle.py and the self-tests

Only the Python standard library and `cryptography` are used.
"""

import base64
import binascii
import datetime
import hashlib
import json
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class SpecError(ValueError):
    """Input does not follow the spec (the message says how)."""


# ---------------------------------------------------------------------------
# Small encodings: hex, base64, SHA-256
# ---------------------------------------------------------------------------

HEX64_RE = re.compile(r"\A[0-9a-f]{64}\Z")
ZERO_HASH_HEX = "0" * 64
MAX_SAFE_INT = 2 ** 53  # spec 1.1: |n| < 2^53


def sha256(data):
    return hashlib.sha256(data).digest()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def is_hex64(s):
    """Lower-case hex of 32 bytes (spec: "hex" is lower-case hexadecimal)."""
    return isinstance(s, str) and HEX64_RE.match(s) is not None


def b64e(data):
    """Standard base64 with padding (RFC 4648 section 4)."""
    return base64.b64encode(data).decode("ascii")


def b64d(s, length=None):
    """Strict standard base64 with padding.

    Rejects characters outside the alphabet, missing padding, whitespace and
    non-canonical encodings (non-zero unused bits): the text must be exactly
    what b64e() of the decoded bytes gives.  Raises SpecError.
    """
    if not isinstance(s, str):
        raise SpecError("base64 value is not a string")
    try:
        raw = s.encode("ascii")
        data = base64.b64decode(raw, validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise SpecError("invalid base64")
    if base64.b64encode(data) != raw:
        raise SpecError("non-canonical base64")
    if length is not None and len(data) != length:
        raise SpecError("base64 value decodes to %d bytes, expected %d" % (len(data), length))
    return data


# ---------------------------------------------------------------------------
# Canonical JSON (spec 1.1, RFC 8785 restricted to integers)
# ---------------------------------------------------------------------------

_SHORT_ESCAPES = {
    0x22: '\\"',
    0x5C: "\\\\",
    0x08: "\\b",
    0x0C: "\\f",
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
}


def _canon_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if o in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[o])
        elif o < 0x20:
            out.append("\\u%04x" % o)  # lower-case hex, spec 1.1
        else:
            out.append(ch)  # everything else raw (UTF-8 below)
    out.append('"')
    return "".join(out)


def _utf16_sort_key(name):
    # RFC 8785 3.2.3: sort by UTF-16 code units.  Comparing the big-endian
    # UTF-16 byte strings compares the code units numerically.
    try:
        return name.encode("utf-16-be")
    except UnicodeEncodeError:
        raise SpecError("object member name is not valid Unicode")


def _canon(value, out):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INT < value < MAX_SAFE_INT:
            raise SpecError("integer out of range (|n| must be < 2^53)")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise SpecError("floating-point numbers are not allowed")
    elif isinstance(value, str):
        out.append(_canon_string(value))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _canon(item, out)
        out.append("]")
    elif isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise SpecError("object member name is not a string")
        out.append("{")
        for i, k in enumerate(sorted(value, key=_utf16_sort_key)):
            if i:
                out.append(",")
            out.append(_canon_string(k))
            out.append(":")
            _canon(value[k], out)
        out.append("}")
    else:
        raise SpecError("value of type %s is not allowed" % type(value).__name__)


def canonical_json(value):
    """Canonical bytes of a JSON value (spec 1.1).  Raises SpecError."""
    out = []
    _canon(value, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        # a lone surrogate, e.g. from "\ud800" in parsed input
        raise SpecError("string is not valid Unicode (lone surrogate)")


def _no_float(text):
    raise SpecError("floating-point number %s is not allowed" % text)


def _no_constant(text):
    raise SpecError("%s is not allowed" % text)


def _int(text):
    n = int(text)
    if not -MAX_SAFE_INT < n < MAX_SAFE_INT:
        raise SpecError("integer out of range (|n| must be < 2^53)")
    return n


def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise SpecError("duplicate object member %r" % k)
        obj[k] = v
    return obj


def parse_json(data):
    """Strict JSON parse of bytes: UTF-8, no floats/NaN, no duplicate names,
    integers |n| < 2^53.  Raises SpecError."""
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise SpecError("not valid UTF-8")
    else:
        text = data
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_constant,
            parse_int=_int,
        )
    except SpecError:
        raise
    except (ValueError, RecursionError) as e:
        raise SpecError("not valid JSON (%s)" % e.__class__.__name__)


def is_canonical(data):
    """True when the bytes parse and re-serialise to exactly themselves."""
    try:
        return canonical_json(parse_json(data)) == bytes(data)
    except SpecError:
        return False


# ---------------------------------------------------------------------------
# RFC 9162 Merkle tree (spec 1.2)
# ---------------------------------------------------------------------------

EMPTY_ROOT = sha256(b"")


def leaf_hash(entry_bytes):
    return sha256(b"\x00" + entry_bytes)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def entry_hash(entry_bytes):
    return sha256(entry_bytes)


def _split(n):
    """Largest power of two smaller than n (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


class MerkleTree:
    """RFC 9162 tree over a list of leaf hashes, with memoised subtree hashes."""

    def __init__(self, leaf_hashes=()):
        self.leaves = list(leaf_hashes)
        self._memo = {}

    def append(self, lh):
        self.leaves.append(lh)

    def _mth(self, lo, hi):
        # MTH(D[lo:hi]); only complete (power-of-two) subtrees are memoised,
        # since only those stay valid as the tree grows.
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self.leaves[lo]
        key = (lo, hi)
        if key in self._memo:
            return self._memo[key]
        k = _split(n)
        h = node_hash(self._mth(lo, lo + k), self._mth(lo + k, hi))
        if n & (n - 1) == 0:
            self._memo[key] = h
        return h

    def root(self, size=None):
        if size is None:
            size = len(self.leaves)
        if not 0 <= size <= len(self.leaves):
            raise ValueError("size out of range")
        return self._mth(0, size)

    def inclusion_proof(self, index, size=None):
        """RFC 9162 2.1.3.1 PATH(m, D[n])."""
        if size is None:
            size = len(self.leaves)
        if not 0 <= index < size <= len(self.leaves):
            raise ValueError("index/size out of range")
        return self._path(index, 0, size)

    def _path(self, m, lo, hi):
        n = hi - lo
        if n <= 1:
            return []
        k = _split(n)
        if m < k:
            return self._path(m, lo, lo + k) + [self._mth(lo + k, hi)]
        return self._path(m - k, lo + k, hi) + [self._mth(lo, lo + k)]

    def consistency_proof(self, size1, size2=None):
        """RFC 9162 2.1.4.1 PROOF(m, D[n]); empty for m == 0 or m == n."""
        if size2 is None:
            size2 = len(self.leaves)
        if not 0 <= size1 <= size2 <= len(self.leaves):
            raise ValueError("sizes out of range")
        if size1 == 0 or size1 == size2:
            return []
        return self._subproof(size1, 0, size2, True)

    def _subproof(self, m, lo, hi, b):
        n = hi - lo
        if m == n:
            return [] if b else [self._mth(lo, hi)]
        k = _split(n)
        if m <= k:
            return self._subproof(m, lo, lo + k, b) + [self._mth(lo + k, hi)]
        return self._subproof(m - k, lo + k, hi, False) + [self._mth(lo, lo + k)]


def merkle_root(leaf_hashes):
    return MerkleTree(leaf_hashes).root()


def _is_hash(h):
    return isinstance(h, (bytes, bytearray)) and len(h) == 32


def verify_inclusion(lh, index, size, proof, root):
    """RFC 9162 2.1.3.2.  True when `proof` proves leaf hash `lh` at `index`
    in the tree of `size` with `root`."""
    if not (_is_hash(lh) and _is_hash(root)) or not all(_is_hash(p) for p in proof):
        return False
    if not (isinstance(index, int) and isinstance(size, int)) or not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, bytes(lh)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(size1, size2, proof, root1, root2):
    """RFC 9162 2.1.4.2.  Trivial cases as in transparency-dev/merkle:
    size1 == size2 needs an empty proof and equal roots; size1 == 0 needs an
    empty proof."""
    if not all(_is_hash(p) for p in proof):
        return False
    if not 0 <= size1 <= size2:
        return False
    if size1 == size2:
        return len(proof) == 0 and root1 == root2
    if size1 == 0:
        return len(proof) == 0
    if not (_is_hash(root1) and _is_hash(root2)) or len(proof) == 0:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # exact power of two
        path.insert(0, bytes(root1))
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0


# ---------------------------------------------------------------------------
# Ed25519 keys (spec 1.3)
# ---------------------------------------------------------------------------

KEY_PROOF_PREFIX = b"vigil key v1 "


def private_key_from_seed(seed32):
    return Ed25519PrivateKey.from_private_bytes(bytes(seed32))


def public_raw(private_key):
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def key_id(pub_raw):
    """Key id: hex SHA-256 of the 32-byte raw Ed25519 public key."""
    return sha256_hex(pub_raw)


def sign(private_key, message):
    return private_key.sign(bytes(message))


def verify_sig(pub_raw, sig, message):
    """True when `sig` is a valid Ed25519 signature of `message` by `pub_raw`."""
    try:
        if len(pub_raw) != 32 or len(sig) != 64:
            return False
        Ed25519PublicKey.from_public_bytes(bytes(pub_raw)).verify(bytes(sig), bytes(message))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def key_proof_message(new_key_id):
    """Proof-of-possession message: ASCII "vigil key v1 " + new key id."""
    return KEY_PROOF_PREFIX + new_key_id.encode("ascii")


def pem_from_public(pub_raw):
    return Ed25519PublicKey.from_public_bytes(bytes(pub_raw)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_from_pem(pem_bytes):
    """Raw 32-byte key from an SPKI PEM; raises SpecError."""
    try:
        k = serialization.load_pem_public_key(bytes(pem_bytes))
    except Exception:
        raise SpecError("not a PEM public key")
    if not isinstance(k, Ed25519PublicKey):
        raise SpecError("PEM key is not Ed25519")
    return k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def pub_file_content(pub_raw):
    """keys/<id>.pub: base64 raw 32 bytes, one line."""
    return (b64e(pub_raw) + "\n").encode("ascii")


# ---------------------------------------------------------------------------
# Signed notes and checkpoints (spec 1.4, C2SP signed-note / tlog-checkpoint)
# ---------------------------------------------------------------------------

ORIGIN_PREFIX = "vigil.ledger/"
ORIGIN_RE = re.compile(r"\Avigil\.ledger/[0-9a-f]{16}\Z")
SIG_LINE_PREFIX = "\u2014 "  # EM DASH + space
SIZE_RE = re.compile(r"\A(0|[1-9][0-9]*)\Z")


def origin_for(first_key_id):
    """`vigil.ledger/` + first 16 hex digits of entry 0's key id."""
    return ORIGIN_PREFIX + first_key_id[:16]


def key_hint(name, pub_raw):
    """First 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    return sha256(name.encode("utf-8") + b"\n" + b"\x01" + bytes(pub_raw))[:4]


def sign_note(text, name, private_key):
    """C2SP signed note: text (ending in newline), blank line, one signature line."""
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    sig = sign(private_key, text.encode("utf-8"))
    hint = key_hint(name, public_raw(private_key))
    return text + "\n" + SIG_LINE_PREFIX + name + " " + b64e(hint + sig) + "\n"


def checkpoint_body(origin, size, root):
    return "%s\n%d\n%s\n" % (origin, size, b64e(root))


def make_checkpoint(origin, size, root, private_key):
    """Checkpoint text (str) signed by `private_key` under name `origin`."""
    return sign_note(checkpoint_body(origin, size, root), origin, private_key)


class Checkpoint:
    def __init__(self, origin, size, root, body, signatures):
        self.origin = origin  # str
        self.size = size  # int
        self.root = root  # 32 bytes
        self.body = body  # bytes signed: the three lines incl. final newline
        self.signatures = signatures  # list of (name, hint 4 bytes, sig bytes)


def parse_checkpoint(data):
    """Parse checkpoint.txt bytes strictly per spec 1.4.  Raises SpecError.

    Body: exactly three lines (origin, decimal size, base64 root).  Then one
    blank line, then one or more signature lines "— <name> <base64>".
    Signature lines by other names (e.g. cosigners) are returned too; the
    caller picks those named after the origin.
    """
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError("not valid UTF-8")
    if "\r" in text:
        raise SpecError("carriage return in checkpoint")
    if not text.endswith("\n"):
        raise SpecError("does not end with a newline")
    i = text.rfind("\n\n")
    if i < 0:
        raise SpecError("no blank line before the signatures")
    body, sigtext = text[: i + 1], text[i + 2 :]
    lines = body.split("\n")[:-1]
    if len(lines) != 3:
        raise SpecError("body has %d lines, expected 3" % len(lines))
    origin, size_s, root_s = lines
    if not ORIGIN_RE.match(origin):
        raise SpecError("origin %r is not vigil.ledger/ + 16 hex digits" % origin)
    if not SIZE_RE.match(size_s) or len(size_s) > 19:
        raise SpecError("size %r is not a decimal number" % size_s)
    size = int(size_s)
    try:
        root = b64d(root_s, 32)
    except SpecError as e:
        raise SpecError("root hash: %s" % e)
    sigs = []
    sig_lines = sigtext.split("\n")[:-1]
    if not sig_lines:
        raise SpecError("no signature lines")
    for line in sig_lines:
        if not line.startswith(SIG_LINE_PREFIX):
            raise SpecError("signature line does not start with an em dash and a space")
        parts = line[len(SIG_LINE_PREFIX) :].split(" ")
        if len(parts) != 2 or not parts[0]:
            raise SpecError("malformed signature line")
        name, sig_b64 = parts
        try:
            blob = b64d(sig_b64)
        except SpecError as e:
            raise SpecError("signature: %s" % e)
        if len(blob) < 5:
            raise SpecError("signature too short")
        sigs.append((name, blob[:4], blob[4:]))
    return Checkpoint(origin, size, root, body.encode("utf-8"), sigs)


# ---------------------------------------------------------------------------
# Entries (spec 1.1, 2)
# ---------------------------------------------------------------------------

KINDS = ("key", "registration", "capture", "observation", "annotation", "anchor", "clock")
TIME_RE = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")


def format_time(dt):
    """RFC 3339 UTC with milliseconds, e.g. 2026-11-22T12:36:59.778Z."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def valid_time(s):
    if not isinstance(s, str) or not TIME_RE.match(s):
        return False
    try:
        datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def blob_ref(data, media_type, **extra):
    ref = {"sha256": sha256_hex(data), "size": len(data), "type": media_type}
    ref.update(extra)
    return ref


class Ledger:
    """In-memory ledger that follows the spec; used to generate test bundles.

    Every append signs with the key in force (or `sign_with` to make broken
    ledgers on purpose).  `signer[seq]` records the key id that signed seq.
    """

    def __init__(self, first_key, time):
        self.entries = []  # entry bytes
        self.sigs = []  # 64-byte signatures
        self.signer = []  # key id that signed each entry
        self.kinds = []
        self.bodies = []
        self.tree = MerkleTree()
        self.keys = {}  # key id -> private key
        self.blobs = {}  # hex sha256 -> bytes
        self.current = None  # key id in force for the next entry
        self.append_key(first_key, time)

    # -- keys
    def _key_body(self, new_priv, previous):
        pub = public_raw(new_priv)
        kid = key_id(pub)
        self.keys[kid] = new_priv
        return kid, {
            "public_key": b64e(pub),
            "previous": previous,
            "proof": b64e(sign(new_priv, key_proof_message(kid))),
        }

    def append_key(self, new_priv, time, sign_with=None):
        """Key entry: at seq 0 self-signed with previous null, later signed by
        the current key with previous = current key id."""
        if self.current is None:
            kid, body = self._key_body(new_priv, None)
            seq = self.append("key", body, time, sign_with=sign_with or kid)
        else:
            kid, body = self._key_body(new_priv, self.current)
            seq = self.append("key", body, time, sign_with=sign_with)
        self.current = kid
        return seq

    @property
    def first_key_id(self):
        return self.signer[0]

    @property
    def origin(self):
        return origin_for(self.first_key_id)

    def add_key(self, priv):
        """Register a private key (not in the chain) to sign with on purpose."""
        kid = key_id(public_raw(priv))
        self.keys[kid] = priv
        return kid

    # -- entries
    def add_blob(self, data):
        self.blobs[sha256_hex(data)] = bytes(data)

    def make_entry(self, seq, kind, body, time, kid):
        prev = ZERO_HASH_HEX if seq == 0 else sha256_hex(self.entries[seq - 1])
        entry = {"v": 1, "seq": seq, "prev": prev, "time": time, "key": kid, "kind": kind, "body": body}
        return canonical_json(entry)

    def append(self, kind, body, time, sign_with=None):
        seq = len(self.entries)
        kid = sign_with or self.current
        data = self.make_entry(seq, kind, body, time, kid)
        self.entries.append(data)
        self.sigs.append(sign(self.keys[kid], data))
        self.signer.append(kid)
        self.kinds.append(kind)
        self.bodies.append(body)
        self.tree.append(leaf_hash(data))
        return seq

    def append_raw(self, data, kid, kind=None, body=None):
        """Append arbitrary entry bytes signed by `kid` (to build bad ledgers)."""
        seq = len(self.entries)
        self.entries.append(bytes(data))
        self.sigs.append(sign(self.keys[kid], data))
        self.signer.append(kid)
        self.kinds.append(kind)
        self.bodies.append(body)
        self.tree.append(leaf_hash(data))
        return seq

    def __len__(self):
        return len(self.entries)

    # -- checkpoints
    def checkpoint_key(self, size):
        """Key current at entry size-1: the key that signed entry size-1
        (spec 1.3 calls the key that signs a key entry "the current key")."""
        return self.signer[size - 1]

    def checkpoint(self, size=None, sign_with=None):
        if size is None:
            size = len(self.entries)
        kid = sign_with or self.checkpoint_key(size)
        return make_checkpoint(self.origin, size, self.tree.root(size), self.keys[kid]), kid

    # -- export
    def blob_refs(self, seq):
        return entry_blob_refs(self.kinds[seq], self.bodies[seq])

    def bundle_line(self, seq, size):
        proof = self.tree.inclusion_proof(seq, size)
        return json.dumps(
            {"seq": seq, "entry": b64e(self.entries[seq]), "sig": b64e(self.sigs[seq]),
             "proof": [b64e(p) for p in proof]}
        )


def entry_blob_refs(kind, body):
    """Blob references of an entry body, per spec 2 / 2.1 / 3.1 check 4:
    capture payload and attachments, observation payload.  Returns a list of
    values as found (the verifier validates their shape).  Raises SpecError
    when the containers themselves have the wrong type."""
    refs = []
    if not isinstance(body, dict):
        return refs
    if kind == "capture":
        if "payload" not in body:
            raise SpecError("capture has no payload member")
        if body["payload"] is not None:
            refs.append(body["payload"])
        atts = body.get("attachments")
        if atts is not None:
            if not isinstance(atts, list):
                raise SpecError("capture attachments is not an array")
            refs.extend(atts)
    elif kind == "observation":
        if "payload" not in body:
            raise SpecError("observation has no payload member")
        if body["payload"] is not None:
            refs.append(body["payload"])
    return refs
