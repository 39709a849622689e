#!/usr/bin/python3
"""Self-tests of vigil_spec.py, verify_bundle.py and make_bundle.py.

Run:  /usr/bin/python3 tests/verify/test_spec_selfcheck.py [-v]
Exits non-zero when a test fails; the last line is "N passed, N failed".

Published test vectors used (not invented here):
  * RFC 6962 / RFC 9162 Merkle trees: leaf inputs, roots for sizes 0..8,
    inclusion and consistency proofs from transparency-dev/merkle (the
    Certificate Transparency / Trillian reference data):
      testonly/constants.go  (LeafInputs, RootHashes)       commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1
      proof/verify_test.go   (inclusionProofs, consistencyProofs) commit 02194e9afb6c1d95b5381350007963aa70fff472
    In verify_test.go the inclusion vectors number leaves from 1.
  * RFC 8785 canonical JSON: cyberphone/json-canonicalization (the RFC's
    reference test data) testdata/input/weird.json -> output/weird.json,
    input/unicode.json -> output/unicode.json, and the README's "escaping"
    string.  Vectors with floating-point numbers are left out (the spec bans
    floats).
  * Ed25519: RFC 8032 section 7.1, TEST 1.
  * C2SP signed-note: the example in the package doc of golang.org/x/mod
    sumdb/note (note.go): key PeterNeumann+c74f20a3+..., signed note text.
"""

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vigil_spec as vs  # noqa: E402
import verify_bundle as vb  # noqa: E402
import make_bundle as mb  # noqa: E402

PY = sys.executable or "/usr/bin/python3"
VERBOSE = "-v" in sys.argv[1:]
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def hx(s):
    return bytes.fromhex(s)


# ---------------------------------------------------------------------------
# RFC 6962 / 9162 vectors (transparency-dev/merkle, see module docstring)
# ---------------------------------------------------------------------------

LEAVES = [hx(s) for s in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"]]
ROOTS = [hx(s) for s in [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # empty tree
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]]
# (leaf number counted from 1, tree size, proof) as in verify_test.go
INCLUSION = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
SOME_HASH = hx("abacaba000000000000000000000000000000000000000000060061e00123456")


def vector_tree():
    return vs.MerkleTree([vs.leaf_hash(x) for x in LEAVES])


@test
def merkle_roots():
    t = vector_tree()
    for n in range(0, 9):
        assert t.root(n) == ROOTS[n], "root of size %d" % n
        assert vs.merkle_root([vs.leaf_hash(x) for x in LEAVES[:n]]) == ROOTS[n]


@test
def merkle_inclusion_vectors():
    t = vector_tree()
    for leaf, size, proof in INCLUSION:
        proof = [hx(p) for p in proof]
        i = leaf - 1
        assert t.inclusion_proof(i, size) == proof, "generated proof %d/%d" % (leaf, size)
        lh = vs.leaf_hash(LEAVES[i])
        root = ROOTS[size]
        assert vs.verify_inclusion(lh, i, size, proof, root), "verify %d/%d" % (leaf, size)
        # corruptions in the style of verify_test.go's corruptInclusionProof
        bad = [
            (lh, i + 1, size, proof, root), (lh, i ^ 2, size, proof, root),
            (lh, i, size * 2, proof, root), (lh, i, size // 2, proof, root),
            (vs.sha256(b"WrongLeaf"), i, size, proof, root),
            (lh, i, size, proof, ROOTS[0]), (lh, i, size, proof, SOME_HASH),
            (lh, i, size, proof + [root], root), (lh, i, size, [root] + proof, root),
            (lh, i, size, proof + [b""], root),
        ]
        if i > 0:
            bad.append((lh, i - 1, size, proof, root))
        for k in range(len(proof)):
            p2 = list(proof)
            p2[k] = bytes([p2[k][0] ^ 8]) + p2[k][1:]
            bad.append((lh, i, size, p2, root))
        if proof:
            bad.append((lh, i, size, proof[:-1], root))
        for args in bad:
            assert not vs.verify_inclusion(*args), "corrupt inclusion proof accepted %r" % (args[1:3],)


@test
def merkle_consistency_vectors():
    t = vector_tree()
    for m, n, proof in CONSISTENCY:
        proof = [hx(p) for p in proof]
        assert t.consistency_proof(m, n) == proof, "generated consistency %d/%d" % (m, n)
        r1, r2 = ROOTS[m], ROOTS[n]
        assert vs.verify_consistency(m, n, proof, r1, r2), "verify consistency %d/%d" % (m, n)
        if not proof:
            continue
        bad = [
            (m - 1, n, proof, r1, r2), (m + 1, n, proof, r1, r2), (m ^ 2, n, proof, r1, r2),
            (m, n * 2, proof, r1, r2), (m, n // 2, proof, r1, r2),
            (m, n, proof, SOME_HASH, r2), (m, n, proof, r1, SOME_HASH), (m, n, proof, r2, r1),
            (m, n, [], r1, r2), (m, n, proof + [r1], r1, r2), (m, n, [r2] + proof, r1, r2),
            (m, n, [proof[0]] + proof, r1, r2), (m, n, proof[:-1], r1, r2),
        ]
        for k in range(len(proof)):
            p2 = list(proof)
            p2[k] = bytes([p2[k][0] ^ 16]) + p2[k][1:]
            bad.append((m, n, p2, r1, r2))
        for args in bad:
            assert not vs.verify_consistency(*args), "corrupt consistency proof accepted %r" % (args[:2],)


@test
def merkle_all_small_trees():
    # generated proofs for every (index, size) and (size1, size2) up to 8 verify
    t = vector_tree()
    for n in range(1, 9):
        for i in range(n):
            p = t.inclusion_proof(i, n)
            assert vs.verify_inclusion(t.leaves[i], i, n, p, ROOTS[n])
            assert not vs.verify_inclusion(t.leaves[i], i, n, p, ROOTS[n - 1])
        for m in range(0, n + 1):
            assert vs.verify_consistency(m, n, t.consistency_proof(m, n), ROOTS[m], ROOTS[n])
    # a bigger tree against the straightforward recursive definition
    big = vs.MerkleTree([vs.sha256(bytes([i % 256, i // 256])) for i in range(300)])

    def mth(hs):
        if len(hs) == 1:
            return hs[0]
        k = vs._split(len(hs))
        return vs.node_hash(mth(hs[:k]), mth(hs[k:]))
    for n in (1, 2, 3, 7, 64, 65, 127, 255, 256, 300):
        r = mth(big.leaves[:n])
        assert big.root(n) == r
        for i in (0, n // 3, n - 1):
            assert vs.verify_inclusion(big.leaves[i], i, n, big.inclusion_proof(i, n), r)
        for m in (1, n // 2, n - 1):
            if m >= 1:
                assert vs.verify_consistency(m, n, big.consistency_proof(m, n), big.root(m), r)


# ---------------------------------------------------------------------------
# Canonical JSON
# ---------------------------------------------------------------------------

@test
def jcs_reference_vectors():
    # cyberphone/json-canonicalization testdata/input/weird.json -> output/weird.json
    weird_in = ('{\n  "\\u20ac": "Euro Sign",\n  "1": "One",\n  "\\u0080": "Control\\u007f",\n'
                '  "\\ud83d\\ude02": "Smiley",\n  "\\u00f6": "Latin Small Letter O With Diaeresis",\n'
                '  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "</script>": "Browser Challenge"\n}\n')
    weird_out = ('{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",'
                 '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
                 '"\U0001F602":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}').encode("utf-8")
    assert vs.canonical_json(vs.parse_json(weird_in.encode())) == weird_out
    assert vs.is_canonical(weird_out)
    # testdata/input/unicode.json -> output/unicode.json (no normalisation)
    assert vs.canonical_json(vs.parse_json(b'{\n  "Unnormalized Unicode":"\\u1e0d\\u0307"\n}\n')) == \
        '{"Unnormalized Unicode":"\u1e0d\u0307"}'.encode("utf-8")
    # README sample, the "escaping" member
    esc_in = b'"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/"'
    esc_out = '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode("utf-8")
    assert vs.canonical_json(vs.parse_json(esc_in)) == esc_out


@test
def jcs_spec_rules():
    # every control character: short escapes or \u00xx in lower case (spec 1.1)
    s = "".join(chr(i) for i in range(0x20)) + '"\\/\x7f\u2028\u00e9'
    want = ('"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r'
            '\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018'
            '\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\"\\\\/\x7f\u2028\u00e9"').encode("utf-8")
    assert vs.canonical_json(s) == want
    assert vs.canonical_json({"b": [1, -2, True, False, None], "a": {}, "": []}) == \
        b'{"":[],"a":{},"b":[1,-2,true,false,null]}'
    # UTF-16 code unit order: U+10000 (D800 DC00) sorts before U+E000
    assert vs.canonical_json({"\ue000": 1, "\U00010000": 2}) == '{"\U00010000":2,"\ue000":1}'.encode()
    assert vs.canonical_json(2 ** 53 - 1) == b"9007199254740991"
    for bad in (2 ** 53, -(2 ** 53), 1.5, 1.0, float("nan"), "\ud800", {1: 2}, b"x"):
        try:
            vs.canonical_json(bad)
        except vs.SpecError:
            continue
        raise AssertionError("canonical_json accepted %r" % (bad,))
    non_canonical = [b'{"a":1 }', b'{"b":1,"a":2}', b'"\\u00e9"', b'"\\u001F"', b'"\\/"',
                     b'{"a":1.0}', b'{"a":1e2}', b'{"a":-0}', b'{"a":1,"a":1}', b'{"a":9007199254740992}',
                     b'"\\ud800"', b'\xef\xbb\xbf{}', b'{"a":NaN}', b'"\xff"', b'{"a":01}', b'']
    for b in non_canonical:
        assert not vs.is_canonical(b), b
    assert vs.is_canonical(b'{"a":-9007199254740991,"b":"\\u001f\\n"}')


# ---------------------------------------------------------------------------
# Ed25519, key ids, PEM, signed notes
# ---------------------------------------------------------------------------

@test
def ed25519_rfc8032_test1():
    priv = vs.private_key_from_seed(hx("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    pub = vs.public_raw(priv)
    assert pub == hx("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    sig = vs.sign(priv, b"")
    assert sig == hx("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    assert vs.verify_sig(pub, sig, b"")
    assert not vs.verify_sig(pub, sig, b"x")
    assert not vs.verify_sig(pub, sig[:-1] + bytes([sig[-1] ^ 1]), b"")
    assert not vs.verify_sig(pub[:31], sig, b"")
    assert vs.key_id(pub) == vs.sha256(pub).hex()
    assert vs.public_from_pem(vs.pem_from_public(pub)) == pub
    assert vs.pem_from_public(pub).startswith(b"-----BEGIN PUBLIC KEY-----\n")


@test
def signed_note_go_example():
    # golang.org/x/mod/sumdb/note package doc example
    vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    text = ("If you think cryptography is the answer to your problem,\n"
            "then you don't know what your problem is.\n")
    want = text + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    seed = base64.b64decode(skey.split("+", 4)[4])[1:]
    pub = base64.b64decode(vkey.split("+", 2)[2])[1:]
    priv = vs.private_key_from_seed(seed)
    assert vs.public_raw(priv) == pub
    assert vs.key_hint("PeterNeumann", pub).hex() == "c74f20a3"
    assert vs.sign_note(text, "PeterNeumann", priv) == want


@test
def checkpoint_format():
    priv = vs.private_key_from_seed(b"\x01" * 32)
    kid = vs.key_id(vs.public_raw(priv))
    origin = vs.origin_for(kid)
    assert origin == "vigil.ledger/" + kid[:16]
    text = vs.make_checkpoint(origin, 8, ROOTS[8], priv)
    lines = text.split("\n")
    assert lines[:4] == [origin, "8", base64.b64encode(ROOTS[8]).decode(), ""]
    assert lines[4].startswith("\u2014 " + origin + " ") and lines[5] == "" and len(lines) == 6
    cp = vs.parse_checkpoint(text.encode())
    assert (cp.origin, cp.size, cp.root) == (origin, 8, ROOTS[8])
    name, hint, sig = cp.signatures[0]
    assert hint == vs.sha256(origin.encode() + b"\n\x01" + vs.public_raw(priv))[:4]
    assert vs.verify_sig(vs.public_raw(priv), sig, ("%s\n8\n%s\n" % (origin, base64.b64encode(ROOTS[8]).decode())).encode())
    for bad in [text.replace("\n8\n", "\n08\n"), text.replace("\u2014 ", "- "), text[:-1],
                text.replace("\n\n", "\nextra\n\n"), "", text.replace("vigil.ledger/", "vigil.ledger:"),
                text.replace("\n", "\r\n")]:
        try:
            vs.parse_checkpoint(bad.encode())
        except vs.SpecError:
            continue
        raise AssertionError("bad checkpoint parsed: %r" % bad[:60])


# ---------------------------------------------------------------------------
# Bundles: helpers
# ---------------------------------------------------------------------------

SEED = bytes(range(32))
N = 20
ROT = 7
TMP = tempfile.mkdtemp(prefix="vigil-selfcheck-")
_count = [0]


def newdir():
    _count[0] += 1
    return os.path.join(TMP, "b%03d" % _count[0])


def good_bundle(n=N, rot=ROT, subset=None, seed=SEED):
    led, meta = mb.build_ledger(seed, n, rot)
    d = newdir()
    mb.write_bundle(d, led, mb.subset_seqs(led, meta, subset))
    return d, led


def read_lines(d):
    with open(os.path.join(d, "entries.jsonl")) as f:
        return [json.loads(l) for l in f.read().splitlines()]


def write_lines(d, lines):
    with open(os.path.join(d, "entries.jsonl"), "w") as f:
        for l in lines:
            f.write(json.dumps(l) + "\n")


def line_of(lines, seq):
    return [l for l in lines if l["seq"] == seq][0]


def flip(b, i=None):
    i = len(b) // 2 if i is None else i
    return b[:i] + bytes([b[i] ^ 0x01]) + b[i + 1:]


# With VIGILCTL set, every bundle is also given to vigil's own verifier
# (`vigilctl verify-bundle`), which must reach the same verdict.
VIGILCTL = os.environ.get("VIGILCTL")


def c_verdict(d, key=None):
    if not VIGILCTL:
        return None
    args = [VIGILCTL, "verify-bundle"] + (["--key", key] if key else []) + [d]
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def expect_ok(d, key=None):
    r = vb.verify(d, key)
    assert r.ok, "expected OK, got %s" % r.message
    c = c_verdict(d, key)
    assert c is None or c[0] == 0, "vigilctl rejects what the spec accepts: %s" % (c,)
    return r


def expect_fail(d, seq, contains=None, key=None):
    r = vb.verify(d, key)
    assert not r.ok, "expected FAIL (seq %s), got %s" % (seq, r.message)
    assert r.seq == seq, "expected failure at seq %s, got: %s" % (seq, r.message)
    if contains:
        assert contains in r.message, "expected %r in: %s" % (contains, r.message)
    c = c_verdict(d, key)
    if c is not None:
        assert c[0] == 1, "vigilctl accepts (or errs on) what the spec rejects: %s" % (c,)
        if seq is not None:
            assert ("seq %d:" % seq) in c[1], "vigilctl names another seq than %d: %s" % (seq, c[1])
    return r


def run_cli(*args):
    p = subprocess.run([PY] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def first_ref_seq(led, sha, seqs=None):
    for s in (seqs if seqs is not None else range(len(led))):
        if any(r["sha256"] == sha for r in led.blob_refs(s)):
            return s
    raise AssertionError("blob not referenced")


def attachment_blob(led):
    for s in range(len(led)):
        if led.kinds[s] == "capture" and led.bodies[s]["attachments"]:
            return led.bodies[s]["attachments"][1]["sha256"], s
    raise AssertionError("no attachment")


# ---------------------------------------------------------------------------
# Bundles: valid ones
# ---------------------------------------------------------------------------

@test
def bundle_valid_cli_and_tar():
    d = newdir()
    rc, out, err = run_cli(os.path.join(HERE, "make_bundle.py"), d, "--seed", SEED.hex(),
                           "--entries", str(N), "--rotate-at", str(ROT))
    assert rc == 0, err
    rc, out, err = run_cli(os.path.join(HERE, "verify_bundle.py"), d)
    assert rc == 0 and out.startswith("OK: %d entries, " % N), out + err
    assert ", checkpoint size %d, key " % N in out
    led, _ = mb.build_ledger(SEED, N, ROT)
    assert out.strip().endswith("key " + led.signer[N - 1])
    # --key
    rc, out, _ = run_cli(os.path.join(HERE, "verify_bundle.py"), d, "--key", led.signer[N - 1])
    assert rc == 0, out
    rc, out, _ = run_cli(os.path.join(HERE, "verify_bundle.py"), d, "--key", led.signer[0])
    assert rc == 1 and out.startswith("FAIL: checkpoint key"), out
    # the same bundle as a tar, flat and under one top-level directory
    for arcname in (".", "vigil-export"):
        t = os.path.join(TMP, "bundle-%s.tar" % arcname.strip("."))
        with tarfile.open(t, "w") as tf:
            tf.add(d, arcname=arcname)
        rc, out, err = run_cli(os.path.join(HERE, "verify_bundle.py"), t)
        assert rc == 0 and out.startswith("OK: %d entries" % N), out + err


@test
def bundle_valid_variants():
    for n, rot in ((1, None), (2, None), (3, 1), (9, None), (33, 16), (8, 7)):
        d, led = good_bundle(n, rot)
        r = expect_ok(d)
        # under the reading "the key current at entry size-1 is the key that
        # signed entry size-1", a rotation at the last seq leaves the old key
        assert r.message.endswith("key " + led.signer[n - 1]), r.message
    # subset export: one clinician, all key entries, full-ledger checkpoint
    d, led = good_bundle(subset="c-ben")
    r = expect_ok(d)
    lines = read_lines(d)
    assert 0 < len(lines) < N and "checkpoint size %d" % N in r.message
    # a consistent shorter bundle: checkpoint of size 15, entries 0..14
    led, _ = mb.build_ledger(SEED, N, ROT)
    d = newdir()
    mb.write_bundle(d, led, list(range(15)), size=15)
    expect_ok(d)


@test
def bundle_deterministic():
    d1, d2, d3 = newdir(), newdir(), newdir()
    for d, seed in ((d1, "ab" * 32), (d2, "ab" * 32), (d3, "ac" * 32)):
        rc, _, err = run_cli(os.path.join(HERE, "make_bundle.py"), d, "--seed", seed, "--entries", "12",
                             "--rotate-at", "5")
        assert rc == 0, err

    def snapshot(d):
        out = {}
        for root, _, files in os.walk(d):
            for f in files:
                p = os.path.join(root, f)
                out[os.path.relpath(p, d)] = open(p, "rb").read()
        return out
    assert snapshot(d1) == snapshot(d2)
    assert snapshot(d1)["entries.jsonl"] != snapshot(d3)["entries.jsonl"]
    # refuses a non-empty OUTDIR and bad arguments
    rc, _, _ = run_cli(os.path.join(HERE, "make_bundle.py"), d1, "--seed", "ab", "--entries", "3")
    assert rc == 2
    rc, _, _ = run_cli(os.path.join(HERE, "make_bundle.py"), newdir(), "--seed", "zz", "--entries", "3")
    assert rc == 2


# ---------------------------------------------------------------------------
# Bundles: the mutations the brief lists, each rejected at the right seq
# ---------------------------------------------------------------------------

@test
def mutation_entry_byte():
    for seq in (0, 5, ROT, N - 1):
        d, _ = good_bundle()
        lines = read_lines(d)
        l = line_of(lines, seq)
        l["entry"] = base64.b64encode(flip(base64.b64decode(l["entry"]))).decode()
        write_lines(d, lines)
        expect_fail(d, seq)


@test
def mutation_signature_byte():
    for seq in (0, 5, ROT, N - 1):
        d, _ = good_bundle()
        lines = read_lines(d)
        l = line_of(lines, seq)
        l["sig"] = base64.b64encode(flip(base64.b64decode(l["sig"]), 3)).decode()
        write_lines(d, lines)
        expect_fail(d, seq, "signature")


@test
def mutation_blob_byte_and_missing_blob():
    d, led = good_bundle()
    sha, _ = attachment_blob(led)
    p = os.path.join(d, "blobs", sha)
    data = open(p, "rb").read()
    open(p, "wb").write(flip(data))
    expect_fail(d, first_ref_seq(led, sha), "SHA-256")
    open(p, "wb").write(data + b"\n")
    expect_fail(d, first_ref_seq(led, sha), "SHA-256")
    os.remove(p)
    expect_fail(d, first_ref_seq(led, sha), "missing")
    # an observation's payload blob
    d, led = good_bundle()
    obs = [s for s in range(len(led)) if led.kinds[s] == "observation" and led.bodies[s]["payload"]][0]
    os.remove(os.path.join(d, "blobs", led.bodies[obs]["payload"]["sha256"]))
    expect_fail(d, obs, "missing")


@test
def mutation_proof():
    for seq in (0, 9, N - 1):
        d, _ = good_bundle()
        lines = read_lines(d)
        l = line_of(lines, seq)
        p = [base64.b64decode(x) for x in l["proof"]]
        p[1] = flip(p[1])
        l["proof"] = [base64.b64encode(x).decode() for x in p]
        write_lines(d, lines)
        expect_fail(d, seq, "inclusion proof")
    for garble in (lambda p: p[:-1], lambda p: p + p[:1], lambda p: list(reversed(p)),
                   lambda p: p[:1] + ["not base64!"] + p[2:], lambda p: "x", lambda p: []):
        d, _ = good_bundle()
        lines = read_lines(d)
        l = line_of(lines, 9)
        l["proof"] = garble(l["proof"])
        write_lines(d, lines)
        expect_fail(d, 9, "proof")


@test
def mutation_deleted_line():
    # deleting the rotation key entry breaks the key chain at the next entry
    d, _ = good_bundle()
    lines = read_lines(d)
    write_lines(d, [l for l in lines if l["seq"] != ROT])
    expect_fail(d, ROT + 1, "key chain")
    # deleting entry 0 (the first key entry)
    d, _ = good_bundle()
    write_lines(d, read_lines(d)[1:])
    expect_fail(d, 1, "key chain")
    # deleting the last line: fine for the chain, but the checkpoint (size N,
    # signed by the new key) is still valid -- so it must still verify.
    # Deleting a non-key line in the middle cannot be detected: by spec 3 an
    # export may hold any subset of the ledger (see README "ambiguities").
    d, _ = good_bundle()
    write_lines(d, [l for l in read_lines(d) if l["seq"] != 12])
    expect_ok(d)


@test
def mutation_swapped_lines():
    for a in (3, ROT - 1, 12):
        d, _ = good_bundle()
        lines = read_lines(d)
        lines[a], lines[a + 1] = lines[a + 1], lines[a]
        write_lines(d, lines)
        expect_fail(d, a, "ascending")
    # duplicated line
    d, _ = good_bundle()
    lines = read_lines(d)
    write_lines(d, lines[:5] + [lines[4]] + lines[5:])
    expect_fail(d, 4, "ascending")


@test
def mutation_resigned_with_other_key():
    outsider = vs.private_key_from_seed(b"\x77" * 32)
    out_id = vs.key_id(vs.public_raw(outsider))
    # (a) signature over the same bytes by another key, whose files are added
    d, led = good_bundle()
    open(os.path.join(d, "keys", out_id + ".pub"), "wb").write(vs.pub_file_content(vs.public_raw(outsider)))
    open(os.path.join(d, "keys", out_id + ".pem"), "wb").write(vs.pem_from_public(vs.public_raw(outsider)))
    lines = read_lines(d)
    line_of(lines, 5)["sig"] = base64.b64encode(vs.sign(outsider, led.entries[5])).decode()
    write_lines(d, lines)
    expect_fail(d, 5, "signature")
    # (b) entry 12 names and is signed by the outsider key; tree, proofs and
    # checkpoint are all consistent (as if the checkpoint key holder did it):
    # only the key chain (check 5) catches it
    led, _ = mb.build_ledger(SEED, 12, ROT)
    led.add_key(outsider)
    led.append("annotation", {"of": 3, "by": "x", "status": "note", "text": "t", "reference": None},
               mb.entry_time(12), sign_with=out_id)
    led.append("annotation", {"of": 3, "by": "x", "status": "note", "text": "u", "reference": None},
               mb.entry_time(13))
    d = newdir()
    mb.write_bundle(d, led, list(range(len(led))))
    expect_fail(d, 12, "key chain")
    # (c) entry 3 (before the rotation) signed by the second key
    led, _ = mb.build_ledger(SEED, 3, None)
    k1 = mb.key_for(mb.Rand(SEED), 1)
    k1_id = led.add_key(k1)
    led.append("annotation", {"of": 1, "by": "x", "status": "note", "text": "t", "reference": None},
               mb.entry_time(3), sign_with=k1_id)
    led.append_key(k1, mb.entry_time(4))
    led.append("annotation", {"of": 1, "by": "x", "status": "note", "text": "u", "reference": None},
               mb.entry_time(5))
    d = newdir()
    mb.write_bundle(d, led, list(range(len(led))))
    expect_fail(d, 3, "key chain")


@test
def mutation_checkpoint_smaller():
    # (a) a validly signed checkpoint of a smaller size replaces the real one:
    # the first line's proof no longer verifies
    d, led = good_bundle()
    cp, _ = led.checkpoint(15)
    open(os.path.join(d, "checkpoint.txt"), "w").write(cp)
    expect_fail(d, 0, "inclusion proof")
    # (b) proofs regenerated for size 15, later lines kept: seq 15 is beyond
    d = newdir()
    mb.write_bundle(d, led, list(range(15)), size=15)
    read_lines(d)  # still parses
    with open(os.path.join(d, "entries.jsonl"), "a") as f:
        for s in range(15, N):
            f.write(led.bundle_line(s, N) + "\n")
    expect_fail(d, 15, "checkpoint size")
    # (c) a checkpoint of size 5, before the rotation, signed by the old key
    d, led = good_bundle()
    cp, kid = led.checkpoint(5)
    assert kid == led.signer[0]
    open(os.path.join(d, "checkpoint.txt"), "w").write(cp)
    expect_fail(d, 0, "inclusion proof")


# ---------------------------------------------------------------------------
# Bundles: other checks of spec 3.1
# ---------------------------------------------------------------------------

@test
def checkpoint_checks():
    d, led = good_bundle()
    p = os.path.join(d, "checkpoint.txt")
    good = open(p, encoding="utf-8").read()
    # flipped signature byte
    lines = good.split("\n")
    sigpart = lines[4].rsplit(" ", 1)
    blob = base64.b64decode(sigpart[1])
    open(p, "w", encoding="utf-8").write(good.replace(sigpart[1], base64.b64encode(flip(blob, 10)).decode()))
    expect_fail(d, None, "checkpoint signature")
    # flipped hint byte: no key in keys/ matches
    open(p, "w", encoding="utf-8").write(good.replace(sigpart[1], base64.b64encode(flip(blob, 0)).decode()))
    expect_fail(d, None, "key hint")
    # changed root or size in the body: signature breaks
    open(p, "w", encoding="utf-8").write(good.replace("\n%d\n" % N, "\n%d\n" % (N + 1)))
    expect_fail(d, None, "checkpoint signature")
    # signed by the pre-rotation key (in keys/): not the key current at N-1
    cp, _ = led.checkpoint(N, sign_with=led.signer[0])
    open(p, "w", encoding="utf-8").write(cp)
    expect_fail(d, None, "key in force")
    # wrong origin, correctly signed under that origin
    other = "vigil.ledger/" + "0" * 16
    open(p, "w", encoding="utf-8").write(vs.make_checkpoint(other, N, led.tree.root(N), led.keys[led.signer[N - 1]]))
    expect_fail(d, None, "origin")
    # an extra cosignature line by another name is ignored
    extra = "\u2014 witness.example " + base64.b64encode(b"\x00" * 68).decode() + "\n"
    open(p, "w", encoding="utf-8").write(good + extra)
    expect_ok(d)
    # missing or garbage checkpoint
    for content in (b"", b"\x00\xff garbage", good.encode()[:-1], good.replace("\u2014", "--").encode()):
        open(p, "wb").write(content)
        expect_fail(d, None, "checkpoint")
    os.remove(p)
    expect_fail(d, None, "checkpoint.txt missing")


@test
def key_file_checks():
    d, led = good_bundle()
    k0, k1 = led.signer[0], led.signer[N - 1]
    kd = os.path.join(d, "keys")
    pub0 = open(os.path.join(kd, k0 + ".pub"), "rb").read()
    pem0 = open(os.path.join(kd, k0 + ".pem"), "rb").read()
    pub1 = open(os.path.join(kd, k1 + ".pub"), "rb").read()
    pem1 = open(os.path.join(kd, k1 + ".pem"), "rb").read()
    cases = [
        (k0 + ".pub", pub1, "keys/%s.pub" % k0),          # content of another key
        (k0 + ".pub", pub0.rstrip(b"\n"), "keys/%s.pub" % k0),  # not one line
        (k0 + ".pub", b"!!!!\n", "keys/%s.pub" % k0),
        (k0 + ".pem", pem1, "keys/%s.pem" % k0),          # PEM of another key
        (k0 + ".pem", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "keys/%s.pem" % k0),
    ]
    for name, content, want in cases:
        open(os.path.join(kd, name), "wb").write(content)
        expect_fail(d, None, want)
        open(os.path.join(kd, k0 + ".pub"), "wb").write(pub0)
        open(os.path.join(kd, k0 + ".pem"), "wb").write(pem0)
    expect_ok(d)
    os.remove(os.path.join(kd, k0 + ".pem"))
    expect_fail(d, None, ".pem: missing")
    open(os.path.join(kd, k0 + ".pem"), "wb").write(pem0)
    # a signer's key files removed: the first entry it signed fails
    os.remove(os.path.join(kd, k0 + ".pem"))
    os.remove(os.path.join(kd, k0 + ".pub"))
    expect_fail(d, 0, "not in keys/")
    # a badly named key file
    open(os.path.join(kd, k0 + ".pem"), "wb").write(pem0)
    open(os.path.join(kd, k0 + ".pub"), "wb").write(pub0)
    open(os.path.join(kd, k0.upper() + ".pub"), "wb").write(pub0)
    expect_fail(d, None, "name is not a key id")


def raw_ledger(n_good=3):
    """A small ledger whose later entries the caller appends by hand."""
    led = vs.Ledger(vs.private_key_from_seed(b"\x11" * 32), "2026-11-22T12:00:00.000Z")
    for i in range(1, n_good):
        led.append("clock", {"detail": "step %d" % i}, "2026-11-22T12:00:0%d.000Z" % i)
    return led


def raw_entry(led, **over):
    seq = len(led)
    e = {"v": 1, "seq": seq, "prev": vs.sha256_hex(led.entries[-1]), "time": "2026-11-22T12:00:09.000Z",
         "key": led.current, "kind": "clock", "body": {"detail": "x"}}
    e.update(over)
    return e


@test
def entry_content_checks():
    cases = [
        (lambda led: json.dumps(raw_entry(led)).encode(), "not canonical"),               # whitespace
        (lambda led: vs.canonical_json(raw_entry(led)).replace(b'"v":1', b'"v":1,"v":1'), "duplicate"),
        (lambda led: vs.canonical_json(raw_entry(led, body={"detail": "\u00e9"})).replace(
            "\u00e9".encode(), b"\\u00e9"), "not canonical"),
        (lambda led: vs.canonical_json(raw_entry(led)).replace(b'"v":1', b'"v":1.0'), "floating"),
        (lambda led: vs.canonical_json(raw_entry(led, v=2)), "v is not 1"),
        (lambda led: vs.canonical_json(raw_entry(led, seq=7)), "differs"),
        (lambda led: vs.canonical_json(raw_entry(led, prev="0" * 64)), "prev"),
        (lambda led: vs.canonical_json(raw_entry(led, prev="A" * 64)), "prev"),
        (lambda led: vs.canonical_json(raw_entry(led, time="2026-11-22T11:59:59.999Z")), "time"),
        (lambda led: vs.canonical_json(raw_entry(led, time="2026-11-22T12:00:09Z")), "time"),
        (lambda led: vs.canonical_json(raw_entry(led, time="2026-13-22T12:00:09.000Z")), "time"),
        (lambda led: vs.canonical_json(raw_entry(led, kind="poem")), "kind"),
        (lambda led: vs.canonical_json(raw_entry(led, body=[])), "body"),
        (lambda led: vs.canonical_json({k: v for k, v in raw_entry(led).items() if k != "time"}), "missing"),
        (lambda led: b"[1,2]", "not a JSON object"),
        (lambda led: b"\xff\xfe", "UTF-8"),
        (lambda led: vs.canonical_json(raw_entry(led, kind="capture", body={
            "payload": {"sha256": "../entries.jsonl", "size": 1}, "attachments": []})), "blob reference"),
        (lambda led: vs.canonical_json(raw_entry(led, kind="capture", body={
            "payload": {"sha256": "ab" * 32, "size": True}, "attachments": []})), "size"),
        (lambda led: vs.canonical_json(raw_entry(led, kind="capture", body={
            "payload": None, "attachments": {}})), "attachments"),
        (lambda led: vs.canonical_json(raw_entry(led, kind="capture", body={})), "payload"),
    ]
    for make, want in cases:
        led = raw_ledger()
        data = make(led)
        seq = led.append_raw(data, led.current)
        d = newdir()
        mb.write_bundle(d, led, list(range(len(led))))
        expect_fail(d, seq, want)


@test
def key_entry_checks():
    k0 = vs.private_key_from_seed(b"\x11" * 32)
    k1 = vs.private_key_from_seed(b"\x22" * 32)
    id0, id1 = vs.key_id(vs.public_raw(k0)), vs.key_id(vs.public_raw(k1))

    def key_body(new, previous, proof_key=None):
        kid = vs.key_id(vs.public_raw(new))
        return {"public_key": vs.b64e(vs.public_raw(new)), "previous": previous,
                "proof": vs.b64e(vs.sign(proof_key or new, vs.key_proof_message(kid)))}
    # a good rotation for reference
    led = raw_ledger()
    led.add_key(k1)
    led.append("key", key_body(k1, id0), "2026-11-22T12:00:05.000Z")
    led.current = id1
    led.append("clock", {"detail": "after"}, "2026-11-22T12:00:06.000Z")
    d = newdir()
    mb.write_bundle(d, led, list(range(len(led))))
    expect_ok(d)
    bad = [
        (key_body(k1, id0, proof_key=k0), "proof-of-possession"),
        (key_body(k1, None), "previous null"),
        (key_body(k1, id1), "previous"),
        (dict(key_body(k1, id0), public_key="AAAA"), "public_key"),
        ({"public_key": vs.b64e(vs.public_raw(k1)), "previous": id0}, "proof"),
    ]
    for body, want in bad:
        led = raw_ledger()
        led.add_key(k1)
        seq = led.append("key", body, "2026-11-22T12:00:05.000Z")
        d = newdir()
        mb.write_bundle(d, led, list(range(len(led))))
        expect_fail(d, seq, want)
    # rotation entry signed by the new key instead of the key in force
    led = raw_ledger()
    led.add_key(k1)
    seq = led.append("key", key_body(k1, id0), "2026-11-22T12:00:05.000Z", sign_with=id1)
    d = newdir()
    mb.write_bundle(d, led, list(range(len(led))))
    expect_fail(d, seq, "key chain")
    # seq 0 key entry not self-signed / with a previous key
    for body, signer in ((key_body(k0, None), id1), (key_body(k0, id1), id0)):
        led = vs.Ledger(k1, "2026-11-22T12:00:00.000Z")  # only to have a tree and keys
        led.entries, led.sigs, led.signer, led.kinds, led.bodies = [], [], [], [], []
        led.tree = vs.MerkleTree()
        led.add_key(k0)
        e = {"v": 1, "seq": 0, "prev": "0" * 64, "time": "2026-11-22T12:00:00.000Z", "key": signer,
             "kind": "key", "body": body}
        led.append_raw(vs.canonical_json(e), signer, "key", body)
        led.signer[0] = vs.key_id(vs.public_raw(k0))  # origin from the key the entry introduces
        d = newdir()
        mb.write_bundle(d, led, [0], cp_key=signer)
        expect_fail(d, 0, "key chain")
    # entry 0 is not a key entry
    led = raw_ledger()
    led.entries[0] = vs.canonical_json({"v": 1, "seq": 0, "prev": "0" * 64, "time": "2026-11-22T12:00:00.000Z",
                                        "key": id0, "kind": "clock", "body": {"detail": "x"}})
    led.sigs[0] = vs.sign(k0, led.entries[0])
    led.tree = vs.MerkleTree([vs.leaf_hash(e) for e in led.entries])
    led.kinds[0], led.bodies[0] = "clock", {"detail": "x"}
    d = newdir()
    mb.write_bundle(d, led, [0])
    expect_fail(d, 0, "not a key entry")
    # subset without the seq 0 key entry
    d, led = good_bundle()
    write_lines(d, [l for l in read_lines(d) if l["seq"] != 0])
    expect_fail(d, 1, "seq 0 key entry is not exported")


@test
def prev_and_time_checks():
    # a valid, signed, proven entry whose prev is wrong
    led = raw_ledger()
    seq = led.append_raw(vs.canonical_json(raw_entry(led, prev=vs.sha256_hex(b"other"))), led.current)
    d = newdir()
    mb.write_bundle(d, led, list(range(len(led))))
    expect_fail(d, seq, "prev")
    # prev/time are only compared for consecutive seqs: with the previous
    # entry left out of the export, the same bundle verifies
    d = newdir()
    mb.write_bundle(d, led, [0, 1, 3])
    expect_ok(d)
    # time going backwards, equal time is fine
    led = raw_ledger()
    led.append_raw(vs.canonical_json(raw_entry(led, time="2026-11-22T12:00:02.000Z")), led.current)
    seq = led.append_raw(vs.canonical_json(raw_entry(led, time="2026-11-22T12:00:01.999Z")), led.current)
    d = newdir()
    mb.write_bundle(d, led, list(range(len(led))))
    expect_fail(d, seq, "time")


@test
def garbage_never_crashes():
    d, led = good_bundle()
    good_lines = open(os.path.join(d, "entries.jsonl"), "rb").read()
    garbage = [
        b"", b"\n", b"\x00\x01\x02\xff\xfe", b"not json\n", b"[]\n", b'{"seq":"0"}\n', b'{"seq":-1}\n',
        b'{"seq":0}\n', b'{"seq":0,"entry":"@@","sig":"","proof":[]}\n', b'{"seq":1e400}\n',
        b"[" * 100000 + b"\n", b'{"seq":0,"entry":"' + b"A" * 10 + b'","sig":"AAAA","proof":[]}\n',
        b"\n" + good_lines, good_lines[:len(good_lines) // 2], good_lines + b"\n",
    ]
    p = os.path.join(d, "entries.jsonl")
    for g in garbage:
        open(p, "wb").write(g)
        r = vb.verify(d)
        assert not r.ok and r.message.startswith("FAIL"), (g[:40], r.message)
    rc, out, err = run_cli(os.path.join(HERE, "verify_bundle.py"), d)
    assert rc == 1 and out.startswith("FAIL") and "Traceback" not in err, out + err
    # JSON Lines convention: CRLF line ends are JSON whitespace, accepted
    open(p, "wb").write(good_lines.replace(b"\n", b"\r\n"))
    expect_ok(d)
    os.remove(p)
    expect_fail(d, None, "entries.jsonl missing")
    # missing directories, empty dir, nonexistent path, a non-tar file
    for path in (os.path.join(TMP, "nonexistent"), newdir(), os.path.join(HERE, "README.md")):
        if path.endswith(tuple("0123456789")):
            os.makedirs(path)
        rc, out, err = run_cli(os.path.join(HERE, "verify_bundle.py"), path)
        assert rc == 1 and out.startswith("FAIL") and "Traceback" not in err, (path, out, err)
    d, _ = good_bundle()
    shutil.rmtree(os.path.join(d, "keys"))
    expect_fail(d, None, "keys/ missing")
    d, led = good_bundle()
    shutil.rmtree(os.path.join(d, "blobs"))
    sha = led.blob_refs(3)[0]["sha256"]
    expect_fail(d, first_ref_seq(led, sha), "missing")


@test
def tar_safety():
    d, _ = good_bundle()

    def tar_with(extra):
        t = os.path.join(TMP, "t%03d.tar" % _count[0])
        _count[0] += 1
        with tarfile.open(t, "w") as tf:
            tf.add(d, arcname=".")
            extra(tf)
        return t

    def add_bytes(name, data=b"x", kind=tarfile.REGTYPE, link=""):
        def f(tf):
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.linkname = link
            ti.size = len(data) if kind == tarfile.REGTYPE else 0
            tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
        return f
    for extra, want in ((add_bytes("../evil"), ".."), (add_bytes("/etc/evil"), "absolute"),
                        (add_bytes("blobs/../../evil"), ".."),
                        (add_bytes("blobs/link", kind=tarfile.SYMTYPE, link="/etc/passwd"), "regular"),
                        (add_bytes("entries.jsonl", b"dup"), "twice")):
        t = tar_with(extra)
        r = vb.verify(t)
        assert not r.ok and want in r.message, r.message
    bad = os.path.join(TMP, "garbage.tar")
    open(bad, "wb").write(b"\x00" * 100 + b"garbage")
    r = vb.verify(bad)
    assert not r.ok and r.message.startswith("FAIL"), r.message


# ---------------------------------------------------------------------------

def main():
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
        except Exception as e:
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e))
            if VERBOSE or not isinstance(e, AssertionError):
                traceback.print_exc()
        else:
            passed += 1
            if VERBOSE:
                print("ok   %s" % fn.__name__)
    if failed == 0:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print("bundles kept in %s" % TMP)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
