#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Logins and existence checks against the local platform server: Bluesky
logs in once per run and renews an expired session with refreshSession;
Reddit gets an OAuth token with the app's credentials and sends a unique
User-Agent; deleted posts are noticed on every platform; no secret ever
appears in vigilctl's output."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platformlib as pl  # noqa: E402
from platformlib import check  # noqa: E402

srv = pl.Server(posts=120)
outputs = []
try:
    r = pl.fetch(srv.args("bluesky") + ["--page-size", "25"])
    outputs.append(r)
    stats = srv.control("stats")
    check(r.rc == 0 and stats["logins"] == 1,
          "bluesky: one login for a five-page walk (%s logins)" % stats["logins"])
    srv.control("scenario", name="expired")
    r = pl.fetch(srv.args("bluesky") + ["--page-size", "25"])
    outputs.append(r)
    stats2 = srv.control("stats")
    check(r.rc == 0 and len(r.posts) > 90, "bluesky: walk survives expiring tokens (%s)" % r.stderr.strip())
    check(stats2["refreshes"] >= 3 and stats2["logins"] == 2,
          "bluesky: sessions renewed by refreshSession (%s)" % stats2)
    srv.control("scenario", name="normal")
    # A session file lets the next run refresh instead of logging in.
    sess = os.path.join(srv.tmp, "bsky.session")
    before = srv.control("stats")
    for _ in range(3):
        r = pl.fetch(srv.args("bluesky") + ["--session-file", sess])
        outputs.append(r)
        check(r.rc == 0 and r.posts, "bluesky with a session file (%s)" % r.stderr.strip())
    after = srv.control("stats")
    check(after["logins"] - before["logins"] == 1 and after["refreshes"] - before["refreshes"] == 2,
          "bluesky: one login, then refreshes from the session file (%s -> %s)" % (before, after))
    check(os.stat(sess).st_mode & 0o777 == 0o600, "session file is mode 0600")
    # A revoked refresh token: log in afresh, no error.
    with open(sess) as f:
        revoked = json.load(f)
    revoked["refreshJwt"] = "revoked"
    fd = os.open(sess, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, json.dumps(revoked).encode())
    os.close(fd)
    r = pl.fetch(srv.args("bluesky") + ["--session-file", sess])
    outputs.append(r)
    check(r.rc == 0 and r.posts and srv.control("stats")["logins"] == after["logins"] + 1,
          "bluesky: a revoked session falls back to a login (%s)" % r.stderr.strip())

    r = pl.fetch(srv.args("reddit"))
    outputs.append(r)
    check(r.rc == 0 and len(r.posts) == 120, "reddit: OAuth login and fetch (%s)" % r.stderr.strip())
    reqs = srv.control("requests")
    tok = [q for q in reqs if q["path"] == "/api/v1/access_token"]
    check(tok and tok[-1]["method"] == "POST" and tok[-1]["headers"]["Authorization"].startswith("Basic"),
          "reddit: token by POST with HTTP Basic")
    check(all("(by /u/vigil_test)" in q["headers"]["User-Agent"] for q in reqs
              if q["path"].startswith(("/message", "/api/"))), "reddit: unique User-Agent")

    for platform in pl.ALL:
        r = pl.fetch(srv.args(platform))
        outputs.append(r)
        ids = [p["post"]["id"] for p in r.posts]
        if not check(len(ids) >= 3, "%s: posts to check" % platform):
            continue
        gone, kept = ids[1], ids[2]
        srv.control("delete", platform=platform, id=gone)
        r2 = pl.fetch(srv.args(platform) + ["--exists", gone, "--exists", kept])
        outputs.append(r2)
        lines = [json.loads(l) for l in r2.stdout.splitlines()]
        check(r2.rc == 0 and [(l["id"], l["exists"]) for l in lines] == [(gone, False), (kept, True)]
              and "text" not in lines[0],
              "%s: notices the deletion (%s / %s)" % (platform, r2.stdout.strip(), r2.stderr.strip()))
        # The check also reads the post as it is now, parsed like a page's
        # post: unchanged first, then the text an edit gave it.
        was = r.posts[2]["post"]["text"]
        if platform == "x":
            check(len(lines) == 2 and "text" not in lines[1],
                  "x: no text to compare (an edit on X is a new post)")
            continue
        check(len(lines) == 2 and lines[1].get("text") == was,
              "%s: the check reads the text as captured (%r)" % (platform, lines[1].get("text")))
        new = "edited <b>&</b> \u00e9 now: I know where you live"
        srv.control("edit", platform=platform, id=kept, text=new)
        r3 = pl.fetch(srv.args(platform) + ["--exists", kept])
        outputs.append(r3)
        l3 = [json.loads(l) for l in r3.stdout.splitlines()]
        check(r3.rc == 0 and len(l3) == 1 and l3[0]["exists"] and l3[0].get("text") == new,
              "%s: the check reads the edited text (%s / %s)" % (platform, r3.stdout.strip(),
                                                                r3.stderr.strip()))
    # A wrong base URL (a 404 that is not the platform's) is an error,
    # never "deleted".
    for platform in pl.ALL:
        a = srv.args(platform)
        i = a.index("--base-url")
        a[i + 1] = srv.url + "/nowhere"
        r = pl.fetch(a + ["--exists", "t1_c00001" if platform == "reddit" else "1"])
        outputs.append(r)
        check(r.rc == 4 and "exists" not in r.stdout,
              "%s: a 404 from a wrong base URL is an error (%s)" % (platform, r.stderr.strip()))
    for r in outputs:
        check("SECRET" not in r.stdout and "SECRET" not in r.stderr, "no secret in output")
finally:
    srv.stop()
pl.finish()
