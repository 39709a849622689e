#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every connector walks all pages back to its cursor, against the local
platform server: no post lost or repeated, the cursor moves only forward,
a burst of 500 posts between two polls is captured whole, and each post is
normalised (reader text, URLs, stable author ids, raw bytes of one post)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platformlib as pl  # noqa: E402
from platformlib import check  # noqa: E402

EXPECT_URL = {
    "mastodon": lambda p: p["url"].startswith("https://other.example/@harasser"),
    "bluesky": lambda p: p["url"] == "https://bsky.app/profile/%s/post/%s" % (
        p["id"].split("/")[2], p["id"].rsplit("/", 1)[1]),
    "x": lambda p: p["url"].startswith("https://x.com/harasser_") and p["url"].endswith("/status/" + p["id"]),
    "reddit": lambda p: p["url"].startswith("https://www.reddit.com/r/synthetic/comments/") and "?" not in p["url"],
    "youtube": lambda p: p["url"] == "https://www.youtube.com/watch?v=%s&lc=%s" % (
        p["url"].split("v=")[1].split("&")[0], p["id"]),
}


srv = pl.Server(posts=250)
try:
    for platform in pl.ALL:
        r = pl.fetch(srv.args(platform) + ["--page-size", "40"])
        check(r.rc == 0, "%s: first walk exits 0 (%s)" % (platform, r.stderr.strip()))
        # Bluesky's list also holds likes (every 7th seq; its seqs are
        # 251..500), which are not mentions.
        live = 250 if platform != "bluesky" else 250 - len([s for s in range(251, 501) if s % 7 == 0])
        ids = [p["post"]["id"] for p in r.posts]
        check(len(ids) == live, "%s: %d posts, want %d" % (platform, len(ids), live))
        check(len(set(ids)) == len(ids), "%s: no post twice" % platform)
        check(r.cursor and '"next"' not in r.cursor, "%s: walk ended with a plain cursor" % platform)
        for p in r.posts:
            post, author = p["post"], p["author"]
            if not check(p["platform"] == platform, "%s: platform member" % platform):
                break
            check(EXPECT_URL[platform](post), "%s: url %s" % (platform, post["url"]))
            check(post["created_at"].endswith("Z") and "T" in post["created_at"],
                  "%s: created_at RFC 3339 UTC" % platform)
            check(author["id"] and author["handle"], "%s: author id and handle" % platform)
            check(isinstance(p["raw"], dict), "%s: raw is the post object" % platform)
            check("\U0001F621" in post["text"], "%s: emoji kept" % platform)
            if platform in ("mastodon", "x", "reddit", "youtube"):
                check("&amp;" not in post["text"] and "&quot;" not in post["text"]
                      and "<" not in post["text"].replace("<quack>", ""),
                      "%s: entities decoded, tags gone: %r" % (platform, post["text"]))
        # Mastodon: exact reader text, and raw = the notification bytes.
        if platform == "mastodon":
            first = r.posts[0]
            s = int(first["post"]["id"]) - 100000
            check(first["post"]["text"] == pl.server.html_expected(s),
                  "mastodon: reader text %r" % first["post"]["text"])
            check(first["raw"]["id"] == str(900000 + s) and first["raw"]["type"] == "mention",
                  "mastodon: raw is the one notification")
            check(any(p["attachments"] for p in r.posts), "mastodon: attachments")
        if platform == "bluesky":
            check(all(p["author"]["id"].startswith("did:plc:") for p in r.posts), "bluesky: DIDs")
            check(all("AT&amp;T <b>not html</b>" in p["post"]["text"] for p in r.posts),
                  "bluesky: record.text kept verbatim")
            check(any(p["post"]["in_reply_to"] for p in r.posts), "bluesky: replies")
        if platform == "x":
            check(any(p["attachments"] for p in r.posts), "x: media from includes")
        # Poll again with the cursor: nothing new.
        r2 = pl.fetch(srv.args(platform) + ["--since-cursor", r.cursor])
        check(r2.rc == 0 and len(r2.posts) == 0,
              "%s: second poll finds nothing (%d posts, %s)" % (platform, len(r2.posts), r2.stderr.strip()))
        # A burst of 500 between two polls is captured whole.
        srv.control("add", platform=platform, n=500)
        r3 = pl.fetch(srv.args(platform) + ["--since-cursor", r2.cursor or r.cursor])
        want = 500 if platform != "bluesky" else None
        got_ids = [p["post"]["id"] for p in r3.posts]
        if want is not None:
            check(len(got_ids) == want, "%s: burst of 500 gives %d" % (platform, len(got_ids)))
        else:
            check(420 <= len(got_ids) <= 430, "bluesky: burst gives %d mentions" % len(got_ids))
        check(not set(got_ids) & set(ids), "%s: burst repeats no old post" % platform)
        # Resuming a walk: stop after 2 pages, continue with the cursor file.
        srv.control("add", platform=platform, n=120)
        cf = os.path.join(srv.tmp, platform + ".cursor")
        r4 = pl.fetch(srv.args(platform) + ["--since-cursor", r3.cursor, "--page-size", "40",
                                            "--max-pages", "2", "--cursor-file", cf])
        mid = open(cf).read().strip()
        check(r4.rc == 0 and '"next"' in mid, "%s: cursor file holds a walk in progress" % platform)
        r5 = pl.fetch(srv.args(platform) + ["--since-cursor", mid, "--page-size", "40"])
        both = [p["post"]["id"] for p in r4.posts + r5.posts]
        want = 120 if platform != "bluesky" else None
        if want is not None:
            check(len(both) == 120 and len(set(both)) == 120,
                  "%s: resumed walk gives %d (%d unique)" % (platform, len(both), len(set(both))))
        else:
            check(len(set(both)) == len(both) and 100 <= len(both) <= 104,
                  "bluesky: resumed walk gives %d" % len(both))
        # Search mode.
        rs = pl.fetch(srv.args(platform, "search"))
        check(rs.rc == 0 and len(rs.posts) > 0,
              "%s: search mode (%s)" % (platform, rs.stderr.strip()))
        if platform == "mastodon":
            # Every status matches "post"; the walk pages by max_id to the
            # end, then a second walk from its cursor finds only what is new.
            live = srv.control("stats")["posts"]["mastodon"]
            sids = [p["post"]["id"] for p in rs.posts]
            check(len(sids) == live and len(set(sids)) == live,
                  "mastodon: search walk gives %d of %d statuses" % (len(sids), live))
            check(rs.posts[0]["raw"]["id"] == sids[0] and "account" in rs.posts[0]["raw"],
                  "mastodon: search raw is the status")
            srv.control("add", platform="mastodon", n=7)
            rs2 = pl.fetch(srv.args(platform, "search") + ["--since-cursor", rs.cursor])
            check(rs2.rc == 0 and len(rs2.posts) == 7 and not set(p["post"]["id"] for p in rs2.posts) & set(sids),
                  "mastodon: search from the cursor gives the 7 new (%d)" % len(rs2.posts))
    # Requests carried vigil's User-Agent, gzip, and Reddit's raw_json.
    reqs = srv.control("requests")
    check(all("vigil" in q["headers"].get("User-Agent", "") for q in reqs), "User-Agent names vigil")
    check(all("gzip" in q["headers"].get("Accept-Encoding", "") for q in reqs), "gzip accepted")
    check(all("raw_json=1" in q["path"] for q in reqs
              if q["path"].startswith(("/message/", "/search"))), "reddit raw_json=1")
    check(any("since_id=" in q["path"] for q in reqs if q["path"].startswith("/api/v1/notif")),
          "mastodon since_id")
    # The pages of one walk share a connection (keep-alive).
    first = [q for q in reqs if q["path"].startswith("/api/v1/notif")][:7]
    check(len({q["client_port"] for q in first}) == 1,
          "one connection for a seven-page walk (%d)" % len({q["client_port"] for q in first}))
finally:
    srv.stop()
pl.finish()
