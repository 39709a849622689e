#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The Bluesky connector against a real AT Protocol network.

Installs @atproto/dev-env 0.3.215 (cached in tests/atproto/node_modules),
starts a private PostgreSQL cluster on a loopback port in a temporary
directory, starts the dev-env PLC, PDS and AppView, and seeds a clinician
account, three harassing accounts, 36 mentions, 3 replies, a quote and a
like. Then `vigilctl fetch` (in pages of 10) must capture every mention,
reply and quote with the right URL and author DID and nothing else, find
nothing new on the next poll, pick up later mentions, and notice a
deletion. Exit 77 (skip) only if node, npm or PostgreSQL are not
installed."""
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platformlib as pl  # noqa: E402
from platformlib import check  # noqa: E402

SRC = pl.SRC
ATP = os.path.join(SRC, "tests", "atproto")


def pg_bindir():
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        for v in sorted(os.listdir(base), key=lambda s: int(s) if s.isdigit() else 0, reverse=True):
            d = os.path.join(base, v, "bin")
            if os.path.exists(os.path.join(d, "pg_ctl")):
                return d
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Postgres:
    """An unprivileged throw-away cluster (as user postgres when we are root)."""

    def __init__(self, tmp):
        self.bindir = pg_bindir()
        self.dir = os.path.join(tmp, "pg")
        os.mkdir(self.dir, 0o700)
        self.port = free_port()
        self.prefix = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chmod(tmp, 0o755)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.run(["initdb", "-D", self.dir + "/data", "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8"])
        self.run(["pg_ctl", "-D", self.dir + "/data", "-l", self.dir + "/log", "-w",
                  "-o", "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c max_connections=200" % (self.port, self.dir), "start"])
        self.url = "postgresql://postgres@127.0.0.1:%d/postgres" % self.port

    def run(self, cmd):
        subprocess.run(self.prefix + [os.path.join(self.bindir, cmd[0])] + cmd[1:],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")

    def stop(self):
        try:
            self.run(["pg_ctl", "-D", self.dir + "/data", "-m", "immediate", "-w", "stop"])
        except subprocess.CalledProcessError:
            pass


def main():
    if not shutil.which("node") or not shutil.which("npm") or not pg_bindir():
        print("node, npm or PostgreSQL is not installed: skipping")
        sys.exit(77)
    subprocess.run([os.path.join(ATP, "install.sh")], check=True)
    tmp = tempfile.mkdtemp(prefix="vigil-atproto-")
    pg = Postgres(tmp)
    net = None
    try:
        env = dict(os.environ, DB_POSTGRES_URL=pg.url, NODE_ENV="development",
                   LOG_ENABLED="false")
        net = subprocess.Popen(["node", os.path.join(ATP, "network.js")], cwd=ATP, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = net.stdout.readline()
        if not check(ready.strip() != "", "the dev-env network starts"):
            pl.finish()
        info = json.loads(ready)

        def command(c):
            net.stdin.write(c + "\n")
            net.stdin.flush()
            return json.loads(net.stdout.readline())

        token = os.path.join(tmp, "bsky.token")
        fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (info["app_password"] + "\n").encode())
        os.close(fd)
        args = ["--platform", "bluesky", "--base-url", info["pds"], "--account",
                info["handle"], "--token-file", token, "--page-size", "10"]
        r = pl.fetch(args)
        check(r.rc == 0, "fetch exits 0 (%s)" % r.stderr.strip())
        want = {p["uri"]: p for p in info["posts"]}
        got = {p["post"]["id"]: p for p in r.posts}
        check(len(r.posts) == len(got), "no post twice")
        check(set(got) == set(want), "captures exactly the %d mentions, replies and quote "
              "(got %d; missing %s; extra %s)" % (len(want), len(got),
                                                  sorted(set(want) - set(got))[:3],
                                                  sorted(set(got) - set(want))[:3]))
        for uri, p in got.items():
            w = want.get(uri)
            if not w:
                continue
            did, rkey = uri.split("/")[2], uri.rsplit("/", 1)[1]
            check(p["author"]["id"] == w["did"] == did, "author DID of %s" % uri)
            check(p["post"]["url"] == "https://bsky.app/profile/%s/post/%s" % (did, rkey),
                  "URL of %s" % uri)
            check(p["author"]["handle"].endswith(".test"), "handle of %s" % uri)
            check(p["raw"]["uri"] == uri, "raw payload of %s" % uri)
        reps = [p for p in got.values() if p["post"]["in_reply_to"] == info["own"]]
        check(len(reps) == 3, "three replies point at the clinician's post (%d)" % len(reps))
        check(any("\U0001F621" in p["post"]["text"] for p in got.values()), "emoji text")
        # Next poll: nothing new; later mentions: exactly those.
        r2 = pl.fetch(args + ["--since-cursor", r.cursor])
        check(r2.rc == 0 and not r2.posts, "second poll finds nothing (%d)" % len(r2.posts))
        added = command("mention 12")
        check(added.get("ok"), "more mentions posted (%s)" % added)
        r3 = pl.fetch(args + ["--since-cursor", r2.cursor or r.cursor])
        check({p["post"]["id"] for p in r3.posts} == {a["uri"] for a in added.get("added", [])},
              "later poll captures the 12 new mentions across pages (%d)" % len(r3.posts))
        # Deletion.
        victim = info["posts"][0]["uri"]
        keep = info["posts"][1]["uri"]
        check(command("delete " + victim).get("ok"), "post deleted")
        r4 = subprocess.run([pl.VIGILCTL, "fetch"] + args + ["--exists", victim, "--exists", keep],
                            capture_output=True, text=True, timeout=120)
        lines = [json.loads(l) for l in r4.stdout.splitlines()]
        check([(l["id"], l["exists"]) for l in lines] == [(victim, False), (keep, True)],
              "notices the deletion (%s %s)" % (r4.stdout.strip(), r4.stderr.strip()))
        # The check reads the kept post as it is now, for edits: the text
        # the poll captured.
        check(len(lines) == 2 and keep in got and lines[1].get("text") == got[keep]["post"]["text"],
              "the check reads the kept post's text (%s)" % r4.stdout.strip())
        net.stdin.write("quit\n")
        net.stdin.flush()
        net.wait(timeout=60)
    finally:
        if net and net.poll() is None:
            net.kill()
            net.wait()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    pl.finish()


if __name__ == "__main__":
    main()
