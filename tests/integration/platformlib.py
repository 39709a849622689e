# SPDX-License-Identifier: Apache-2.0
"""Helpers for the connector tests: start tests/platform-server/server.py on
a free loopback port (over https with make_certs()), write token files, run
`vigilctl fetch`."""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SRC = os.environ.get("VIGIL_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
VIGILCTL = os.environ.get("VIGILCTL", "vigilctl")
sys.path.insert(0, os.path.join(SRC, "tests", "platform-server"))
import server  # noqa: E402  (for html_expected and the secrets)

FAILED = []
TEMPDIRS = []


def check(cond, what):
    if not cond:
        FAILED.append(what)
        print("FAIL:", what, flush=True)
    return cond


def tempdir(prefix):
    """A scratch directory that finish() removes when every check passed
    (and keeps, naming it, when one failed)."""
    d = tempfile.mkdtemp(prefix=prefix)
    TEMPDIRS.append(d)
    return d


def finish():
    if FAILED:
        print("%d check(s) failed; kept for inspection: %s" % (len(FAILED), " ".join(TEMPDIRS)))
        sys.exit(1)
    for d in TEMPDIRS:
        shutil.rmtree(d, ignore_errors=True)
    print("ok")
    sys.exit(0)


def wait_for(cond, limit):
    """Poll cond() every 0.2 s for up to `limit` seconds; its last value."""
    deadline = time.time() + limit
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_certs(d, sans):
    """A throwaway CA in d, and for each name in sans a certificate with
    that subjectAltName ("IP:127.0.0.1", "DNS:wrong.example") issued by it.
    Returns the CA's PEM file and {name: (certificate, key)}."""
    ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=vigil test CA", "-keyout", ca_key, "-out", ca)
    out = {}
    for name, san in sans.items():
        key, csr, crt, ext = (os.path.join(d, name + s) for s in (".key", ".csr", ".pem", ".ext"))
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\n" % san)
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + san.split(":")[1],
                "-keyout", key, "-out", csr)
        openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                "-days", "1", "-extfile", ext, "-out", crt)
        out[name] = (crt, key)
    return ca, out


class Server:
    """tls: (certificate, key) to serve https; ca: the CA that issued it,
    which control() then trusts."""

    def __init__(self, scenario="normal", posts=250, tls=None, ca=None):
        self.ca = ca
        self.tmp = tempfile.mkdtemp(prefix="vigil-platform-")
        pf = os.path.join(self.tmp, "port")
        cmd = [sys.executable, os.path.join(SRC, "tests", "platform-server", "server.py"),
               "--scenario", scenario, "--posts", str(posts), "--port-file", pf]
        if tls:
            cmd += ["--tls"] + list(tls)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(pf):
                break
            time.sleep(0.05)
        self.port = int(open(pf).read())
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self.tokens = {}
        secrets = {
            "mastodon": server.TOKENS["mastodon"],
            "x": server.TOKENS["x"],
            "youtube": server.TOKENS["youtube"],
            "bluesky": server.BSKY_PASSWORD,
            "reddit": "".join("%s=%s\n" % kv for kv in server.REDDIT.items()),
        }
        for p, s in secrets.items():
            path = os.path.join(self.tmp, p + ".token")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, (s + "\n").encode())
            os.close(fd)
            self.tokens[p] = path

    def control(self, what, **q):
        qs = urllib.parse.urlencode(q)
        ctx = ssl.create_default_context(cafile=self.ca) if self.ca else None
        with urllib.request.urlopen("%s/_control/%s?%s" % (self.url, what, qs),
                                    context=ctx) as r:
            return json.loads(r.read())

    def stop(self):
        """Stop the server and remove its directory (token files, port)."""
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def args(self, platform, mode="mentions"):
        """The fetch options that point a platform at this server."""
        a = ["--platform", platform, "--token-file", self.tokens[platform]]
        if platform == "youtube":
            a += ["--base-url", self.url + "/youtube/v3", "--channel", "UCclinician"]
        else:
            a += ["--base-url", self.url]
        if platform == "reddit":
            a += ["--auth-url", self.url]
        if platform == "bluesky":
            a += ["--account", "drsynthetic.test"]
        if platform == "x" and mode == "mentions":
            a += ["--account", "4242"]
        if mode == "search":
            a += ["--mode", "search", "--query", "post"]
        return a


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.stdout = p.stdout
        self.stderr = p.stderr
        self.posts = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        self.cursor = None
        for line in p.stderr.splitlines():
            if line.startswith("cursor: "):
                self.cursor = line[len("cursor: "):]
        self.elapsed = 0.0


def fetch(args, timeout=120):
    t0 = time.time()
    # Under the valgrind setup vigilctl runs under memcheck: allow for it.
    slow = 20 if os.environ.get("VIGIL_WRAPPER") else 1
    p = subprocess.run([VIGILCTL, "fetch"] + args, capture_output=True, text=True,
                       timeout=timeout * slow)
    r = Result(p)
    r.elapsed = time.time() - t0
    return r


ALL = ("mastodon", "bluesky", "x", "reddit", "youtube")
