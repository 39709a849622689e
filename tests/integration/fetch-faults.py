#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Connectors under faults from the local platform server: rate limits in
each platform's own headers, Retry-After, 5xx, a hanging server, truncated,
invalid and oversized bodies. Faults are errors with clear messages, never
crashes; retries wait as long as the platform asked; a failed fetch never
moves the cursor."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platformlib as pl  # noqa: E402
from platformlib import check  # noqa: E402

CURSOR = '{"since":"seed"}'
srv = pl.Server(posts=30)
try:
    # Rate limited once, in each platform's own dialect; vigilctl waits
    # until the reset the platform named, then succeeds.
    srv.control("scenario", name="ratelimit")
    for platform in ("mastodon", "bluesky", "x", "reddit"):
        r = pl.fetch(srv.args(platform) + ["--retries", "2", "--max-wait", "10"])
        check(r.rc == 0 and len(r.posts) > 0,
              "%s: recovers from 429 (%s)" % (platform, r.stderr.strip()))
        check(r.elapsed >= 0.9, "%s: waited for the reset (%.2f s)" % (platform, r.elapsed))
        check("rate limited" in r.stderr, "%s: says it was rate limited" % platform)
    # YouTube's quota lasts until midnight Pacific: no retry, a clear error.
    r = pl.fetch(srv.args("youtube") + ["--retries", "2", "--max-wait", "10"])
    check(r.rc == 4 and "rate limited" in r.stderr and not r.posts,
          "youtube: quotaExceeded is a rate-limit error (%s)" % r.stderr.strip())

    srv.control("scenario", name="retry-after")
    for platform in pl.ALL:
        r = pl.fetch(srv.args(platform) + ["--retries", "2", "--max-wait", "10"])
        check(r.rc == 0 and len(r.posts) > 0 and r.elapsed >= 0.9,
              "%s: honours Retry-After (%.2f s, %s)" % (platform, r.elapsed, r.stderr.strip()))

    srv.control("scenario", name="5xx")
    for platform in pl.ALL:
        r = pl.fetch(srv.args(platform) + ["--retries", "2", "--max-wait", "10"])
        check(r.rc == 0 and len(r.posts) > 0 and "server error" in r.stderr,
              "%s: retries after 503 with backoff (%s)" % (platform, r.stderr.strip()))
    srv.control("scenario", name="5xx")
    r = pl.fetch(srv.args("x") + ["--retries", "0", "--since-cursor", CURSOR])
    check(r.rc == 4 and "HTTP 503" in r.stderr and r.cursor == CURSOR,
          "x: 503 without retries fails and keeps the cursor (%s)" % r.stderr.strip())

    srv.control("scenario", name="hang")
    for platform in ("mastodon", "youtube"):
        r = pl.fetch(srv.args(platform) + ["--timeout", "2", "--retries", "0",
                                           "--since-cursor", CURSOR])
        check(r.rc == 4 and r.elapsed < 10 and "timed out" in r.stderr.lower()
              and r.cursor == CURSOR,
              "%s: a hanging server times out (%.1f s, %s)" % (platform, r.elapsed, r.stderr.strip()))

    for scenario, words in (("truncated", "invalid JSON"), ("invalid", "invalid JSON")):
        srv.control("scenario", name=scenario)
        for platform in pl.ALL:
            r = pl.fetch(srv.args(platform) + ["--retries", "0", "--since-cursor", CURSOR])
            check(r.rc == 4 and words in r.stderr and not r.posts and r.cursor == CURSOR,
                  "%s %s: %s" % (platform, scenario, r.stderr.strip()))

    srv.control("scenario", name="huge")
    for platform in pl.ALL:
        r = pl.fetch(srv.args(platform) + ["--retries", "0", "--max-response", "1000000"])
        check(r.rc == 4 and "larger than 1000000 bytes" in r.stderr,
              "%s: oversized body refused (%s)" % (platform, r.stderr.strip()))

    srv.control("scenario", name="normal")
    # A walk resumed with a page token the platform no longer knows starts
    # again from the top, down to the same since mark: nothing is lost.
    r = pl.fetch(srv.args("x") + ["--page-size", "10"])
    since = r.posts[12]["post"]["id"]
    stale = '{"since":"%s","top":"%s","next":"expired-token"}' % (since, r.posts[0]["post"]["id"])
    r2 = pl.fetch(srv.args("x") + ["--since-cursor", stale, "--page-size", "10"])
    check(r2.rc == 0 and [p["post"]["id"] for p in r2.posts] == [p["post"]["id"] for p in r.posts[:12]]
          and "restarting the walk" in r2.stderr,
          "x: a stale page token restarts the walk (%d posts, %s)" % (len(r2.posts), r2.stderr.strip()))
    # Plain http is for loopback only; https elsewhere.
    for url in ("http://example.com", "http://10.0.0.1:8080", "ftp://127.0.0.1/"):
        r = pl.fetch(["--platform", "mastodon", "--base-url", url,
                      "--token-file", srv.tokens["mastodon"]])
        check(r.rc != 0 and ("refusing plain http" in r.stderr or "scheme" in r.stderr),
              "refuses %s (%s)" % (url, r.stderr.strip()))
    for url in ("http://localhost:%d" % srv.port, "http://[::1]:1", "http://127.1.2.3:1"):
        r = pl.fetch(["--platform", "mastodon", "--base-url", url, "--retries", "0",
                      "--token-file", srv.tokens["mastodon"]])
        check("refusing" not in r.stderr, "allows loopback %s (%s)" % (url, r.stderr.strip()))
    # Proxies come from the usual environment variables: with http_proxy
    # naming the platform server, a base URL nobody listens on still works.
    env = dict(os.environ, http_proxy=srv.url, no_proxy="")
    p = pl.subprocess.run([pl.VIGILCTL, "fetch", "--platform", "mastodon", "--base-url",
                           "http://127.0.0.1:9", "--token-file", srv.tokens["mastodon"],
                           "--retries", "0"], capture_output=True, text=True, env=env, timeout=60)
    check(p.returncode == 0 and len(p.stdout.splitlines()) == 30,
          "http_proxy is honoured (%s)" % p.stderr.strip())
    # A token file others may read is refused; tokens never reach output.
    loose = os.path.join(srv.tmp, "loose.token")
    with open(loose, "w") as f:
        f.write("mastodon-token-SECRET-1\n")
    os.chmod(loose, 0o644)
    r = pl.fetch(["--platform", "mastodon", "--base-url", srv.url, "--token-file", loose])
    check(r.rc == 4 and "group or others" in r.stderr, "refuses a 0644 token file (%s)" % r.stderr.strip())
    # A wrong token is an authentication error.
    bad = os.path.join(srv.tmp, "bad.token")
    fd = os.open(bad, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"wrong-SECRET-9\n")
    os.close(fd)
    r = pl.fetch(["--platform", "mastodon", "--base-url", srv.url, "--token-file", bad])
    check(r.rc == 4 and "token rejected" in r.stderr and "SECRET" not in r.stderr,
          "a rejected token (%s)" % r.stderr.strip())
finally:
    srv.stop()

# TLS verification is always on: a self-signed certificate is refused.
if pl.shutil.which("openssl"):
    d = pl.tempdir("vigil-tls-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    pl.subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                       "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                       "-keyout", key, "-out", cert], check=True, capture_output=True)
    tls = pl.Server(posts=5, tls=(cert, key))
    try:
        r = pl.fetch(tls.args("mastodon") + ["--retries", "0"])
        check(r.rc == 4 and not r.posts and "certificate" in r.stderr.lower(),
              "https with a self-signed certificate is refused (%s)" % r.stderr.strip())
    finally:
        tls.stop()
else:
    check(False, "openssl is needed for the TLS check")
pl.finish()
