#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A local stand-in for the APIs of Mastodon, Bluesky, X, Reddit and YouTube.

It serves each platform's documented JSON shapes and headers on one loopback
port (paths do not collide), with pagination, rate-limit headers and 429s,
5xx, a hanging endpoint, truncated and invalid JSON, an oversized body, HTML
with entities and emoji, expired sessions and deleted posts. Every post is
synthetic: made-up accounts writing made-up words.

    server.py [--scenario NAME] [--posts N] [--port-file FILE]

binds 127.0.0.1 port 0, prints "PORT <n>" on stdout and writes the port to
--port-file. Scenarios (also set with GET /_control/scenario?name=NAME):

  normal       everything works
  ratelimit    the first listing request per platform is rate limited with
               that platform's headers (reset 2 s ahead; Bluesky with no
               Retry-After; YouTube a 403 quotaExceeded)
  retry-after  the first listing request per platform is a 429 with
               Retry-After: 1
  5xx          the first listing request per platform is a 503
  hang         listing requests never answer (for 30 s)
  truncated    listing bodies are cut in half
  invalid      listing bodies are not JSON
  huge         listing bodies are 3 MB
  expired      Bluesky access tokens expire after one use (ExpiredToken)
  slow         listing requests answer after one second
  slowloris    listing answers trickle their headers, a byte every 0.25 s
  10gb         listing bodies declare 10 GB (Content-Length) and stream it
  endless      listing bodies stream without end (chunked), up to 10 GB
  gzip-bomb    listing bodies are gzip that inflates without end, up to 10 GB
  redirect-loop  listing requests are redirected (302) to themselves
  content-type listing answers are an HTML page (text/html)
  bad-utf8     listing bodies are JSON with a Latin-1 byte in a string
  deep         listing bodies are JSON arrays nested 100,000 deep
  unauthorized listing requests are refused with 401, whatever the token

/_control/scenario?name=NAME&only=PLATFORM limits the scenario to one
platform; the others answer normally.

Control endpoints: /_control/add?platform=P&n=N (N new posts on top),
/_control/delete?platform=P&id=ID,
/_control/edit?platform=P&id=ID&text=T (the post now says T; X has no
edits, as on X an edit is a new post), /_control/requests (the request log as
JSON, without Authorization values), /_control/stats.
"""
import argparse
import base64
import gzip
import json
import sys
import threading
import time
import zlib
from datetime import datetime, timezone
from html import escape as html_escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PLATFORMS = ("mastodon", "bluesky", "x", "reddit", "youtube")
BASE_TIME = 1763640000  # 2025-11-20T12:00:00Z
TOKENS = {
    "mastodon": "mastodon-token-SECRET-1",
    "x": "x-bearer-SECRET-2",
    "youtube": "youtube-key-SECRET-3",
}
BSKY_PASSWORD = "app-pass-SECRET-4"
REDDIT = {"client_id": "rid", "client_secret": "rsecret-SECRET-5",
          "username": "vigil_test", "password": "rpass-SECRET-6"}


def iso(ts, frac=False):
    d = datetime.fromtimestamp(ts, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + (".000Z" if frac else "Z")


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class State:
    def __init__(self, n, scenario):
        self.lock = threading.Lock()
        self.scenario = scenario
        self.only = None          # the one platform the scenario applies to
        self.seq = 0
        self.posts = {p: [] for p in PLATFORMS}   # newest first
        self.deleted = {p: set() for p in PLATFORMS}
        self.edits = {p: {} for p in PLATFORMS}   # post id -> (text, when)
        self.requests = []
        self.tripped = set()
        self.logins = 0
        self.refreshes = 0
        self.bsky_access = {}
        self.bsky_refresh = set()
        self.version = 0          # bumped by every change through /_control/
        self.add_all(n)

    def add_all(self, n):
        for p in PLATFORMS:
            self.add(p, n)

    def add(self, platform, n):
        for _ in range(n):
            self.seq += 1
            s = self.seq
            self.posts[platform].insert(0, {"seq": s, "ts": BASE_TIME + s * 60})


# Listing pages already rendered, for the normal scenario: many sources that
# read the same stream (the vigild bench: 1,000 of them) get the same bytes
# without the server building, encoding and compressing each page again.
# Emptied by every change through /_control/.
PAGES = {}


def page_key(h):
    """The cache key of a listing request, or None when it may not be cached."""
    if ST.scenario != "normal" or h.command != "GET":
        return None
    return (ST.version, int(time.time()) // 60, h.path, h.headers.get("Host"),
            "gzip" in h.headers.get("Accept-Encoding", ""))


# With --texts FILE, posts say the lines of FILE in turn (for the demo).
TEXTS = []


def demo_text(s):
    return TEXTS[s % len(TEXTS)] if TEXTS else None


def html_text(s):
    if TEXTS:
        return "<p>" + html_escape(demo_text(s), quote=False) + "</p>"
    return ("<p><span class=\"h-card\"><a href=\"https://social.example/@drsynthetic\" "
            "class=\"u-url mention\">@<span>drsynthetic</span></a></span> "
            "post %d: you are a &quot;fraud&quot; &amp; a &lt;quack&gt; \U0001F621 "
            "caf&eacute; &#x1F600;</p><p>second para<br>line two</p>" % s)


def html_expected(s):
    # What html.c must produce from html_text(s); tests import this.
    return ("@drsynthetic post %d: you are a \"fraud\" & a <quack> \U0001F621 "
            "caf\u00e9 \U0001F600\n\nsecond para\nline two" % s)


# ---- per-platform renderings -------------------------------------------

def edit_of(platform, pid):
    # (text, unix time) of the post's latest edit, or None.
    return ST.edits[platform].get(pid) if ST else None


def mastodon_item(p):
    s = p["seq"]
    acct = {"id": str(500 + s % 7), "username": "harasser%d" % (s % 7),
            "acct": "harasser%d@other.example" % (s % 7),
            "display_name": "Synthetic Harasser %d" % (s % 7),
            "url": "https://other.example/@harasser%d" % (s % 7)}
    st = {"id": str(100000 + s), "created_at": iso(p["ts"], True),
          "in_reply_to_id": str(100000 + s - 1) if s % 3 == 0 else None,
          "in_reply_to_account_id": None, "sensitive": False,
          "spoiler_text": "", "visibility": "public", "language": "en",
          "uri": "https://other.example/users/h/statuses/%d" % (100000 + s),
          "url": "https://other.example/@harasser%d/%d" % (s % 7, 100000 + s),
          "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
          "content": html_text(s), "reblog": None, "account": acct,
          "media_attachments": [], "mentions": [], "tags": [], "emojis": []}
    ed = edit_of("mastodon", st["id"])
    if ed:
        st["content"] = "<p>" + html_escape(ed[0], quote=False) + "</p>"
        st["edited_at"] = iso(ed[1], True)
    if s % 4 == 0:
        st["media_attachments"] = [{"id": "m%d" % s, "type": "image",
                                    "url": "https://files.example/m%d.png" % s,
                                    "preview_url": "https://files.example/p%d.png" % s}]
    return {"id": str(900000 + s), "type": "mention",
            "created_at": iso(p["ts"], True), "account": acct, "status": st}


def bsky_did(s):
    return "did:plc:harasser%da" % (s % 5)


def bsky_item(p, view=False):
    s = p["seq"]
    did = bsky_did(s)
    rec = {"$type": "app.bsky.feed.post",
           "text": demo_text(s) or "@drsynthetic.test post %d: AT&amp;T <b>not html</b> \U0001F621" % s,
           "createdAt": iso(p["ts"], True), "langs": ["en"]}
    if s % 3 == 0:
        parent = "at://did:plc:drsynthetic/app.bsky.feed.post/3parent%d" % s
        rec["reply"] = {"root": {"uri": parent, "cid": "bafyroot"},
                        "parent": {"uri": parent, "cid": "bafyparent"}}
    uri = "at://%s/app.bsky.feed.post/3kpost%05d" % (did, s)
    if edit_of("bluesky", uri):
        rec["text"] = edit_of("bluesky", uri)[0]
    item = {"uri": uri,
            "cid": "bafycid%d" % s,
            "author": {"did": did, "handle": "harasser%d.test" % (s % 5),
                       "displayName": "Harasser %d" % (s % 5)},
            "record": rec, "indexedAt": iso(p["ts"], True)}
    if view:
        item.update({"replyCount": 0, "repostCount": 0, "likeCount": 0})
    else:
        item.update({"reason": "reply" if s % 3 == 0 else "mention",
                     "isRead": False, "labels": []})
    return item


def bsky_like(p):
    s = p["seq"]
    return {"uri": "at://%s/app.bsky.feed.like/3klike%05d" % (bsky_did(s), s),
            "cid": "bafylike%d" % s,
            "author": {"did": bsky_did(s), "handle": "harasser%d.test" % (s % 5)},
            "reason": "like", "reasonSubject": "at://did:plc:drsynthetic/app.bsky.feed.post/1",
            "record": {"$type": "app.bsky.feed.like", "createdAt": iso(p["ts"], True),
                       "subject": {"uri": "at://x/y/z", "cid": "bafy"}},
            "isRead": False, "indexedAt": iso(p["ts"], True), "labels": []}


def x_tweet(p):
    s = p["seq"]
    t = {"id": str(1800000000000000000 + s), "text":
         html_escape(demo_text(s), quote=False) if TEXTS else
         "@drsynthetic post %d: fraud &amp; &lt;quack&gt; \U0001F621" % s,
         "created_at": iso(p["ts"], True), "author_id": str(7000 + s % 6),
         "lang": "en", "conversation_id": str(1800000000000000000 + s),
         "edit_history_tweet_ids": [str(1800000000000000000 + s)]}
    if s % 3 == 0:
        t["referenced_tweets"] = [{"type": "replied_to", "id": "17999"}]
    if s % 4 == 0:
        t["attachments"] = {"media_keys": ["3_%d" % s]}
    return t


def reddit_child(p, raw_json):
    s = p["seq"]
    html = ("<!-- SC_OFF --><div class=\"md\"><p>u/drsynthetic post %d: "
            "fraud &amp; &lt;quack&gt; \U0001F621</p>\n</div><!-- SC_ON -->" % s)
    if TEXTS:
        html = ("<!-- SC_OFF --><div class=\"md\"><p>%s</p>\n</div><!-- SC_ON -->"
                % html_escape(demo_text(s), quote=False))
    if not raw_json:
        html = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    d = {"id": "c%05d" % s, "name": "t1_c%05d" % s,
         "author": "harasser%d" % (s % 4), "author_fullname": "t2_h%d" % (s % 4),
         "body": demo_text(s) or "u/drsynthetic post %d: fraud & <quack> \U0001F621" % s,
         "body_html": html, "created_utc": float(p["ts"]),
         "context": "/r/synthetic/comments/abc%d/a_title/c%05d/?context=3" % (s, s),
         "parent_id": "t3_abc%d" % s, "subreddit": "synthetic",
         "type": "username_mention", "was_comment": True, "new": True,
         "dest": "vigil_test", "link_title": "a title", "edited": False}
    ed = edit_of("reddit", d["name"])
    if ed:
        d["body"] = ed[0]
        d["body_html"] = ("<!-- SC_OFF --><div class=\"md\"><p>%s</p>\n</div><!-- SC_ON -->"
                          % html_escape(ed[0], quote=False))
        if not raw_json:
            d["body_html"] = d["body_html"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        d["edited"] = float(ed[1])
    return {"kind": "t1", "data": d}


def youtube_thread(p):
    s = p["seq"]
    cid = "Ugz%05dSynthetic" % s
    sn = {"channelId": "UCclinician", "videoId": "vid%d" % (s % 3),
          "textDisplay": "Dr Synthetic is a &quot;quack&quot; &amp; fraud, post %d \U0001F621<br>"
                         "second line <a href=\"https://www.youtube.com/watch?v=x\">link</a>" % s,
          "textOriginal": "Dr Synthetic is a \"quack\" & fraud, post %d \U0001F621\nsecond line link" % s,
          "authorDisplayName": "@harasser%d" % (s % 4),
          "authorProfileImageUrl": "https://yt3.example/%d.jpg" % s,
          "authorChannelUrl": "http://www.youtube.com/@harasser%d" % (s % 4),
          "authorChannelId": {"value": "UCharasser%d" % (s % 4)},
          "canRate": True, "viewerRating": "none", "likeCount": 0,
          "publishedAt": iso(p["ts"]), "updatedAt": iso(p["ts"])}
    if TEXTS:
        sn["textDisplay"] = html_escape(demo_text(s), quote=False)
        sn["textOriginal"] = demo_text(s)
    ed = edit_of("youtube", cid)
    if ed:
        sn["textDisplay"] = html_escape(ed[0], quote=False)
        sn["textOriginal"] = ed[0]
        sn["updatedAt"] = iso(ed[1])
    return {"kind": "youtube#commentThread", "etag": "etag%d" % s, "id": cid,
            "snippet": {"channelId": "UCclinician", "videoId": sn["videoId"],
                        "topLevelComment": {"kind": "youtube#comment", "etag": "e%d" % s,
                                            "id": cid, "snippet": sn},
                        "canReply": True, "totalReplyCount": 0, "isPublic": True}}


# ---- hostile bodies, streamed: never built in memory ----
TEN_GB = 10 * 1024 ** 3
BLOCK = 1 << 20


def stream_slowloris(h):
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    h.wfile.flush()
    for b in b"X-Slow: " + b"a" * 240:
        h.wfile.write(bytes([b]))
        h.wfile.flush()
        time.sleep(0.25)


def stream_10gb(h):
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % TEN_GB)
    block = b" " * BLOCK
    for _ in range(TEN_GB // BLOCK):
        h.wfile.write(block)


def chunked(h, headers, blocks):
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + headers +
                  b"Transfer-Encoding: chunked\r\n\r\n")
    for b in blocks:
        if b:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))


def stream_endless(h):
    chunked(h, b"", (b" " * BLOCK for _ in range(TEN_GB // BLOCK)))


def stream_gzip_bomb(h):
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip
    zeros = b" " * BLOCK
    chunked(h, b"Content-Encoding: gzip\r\n",
            (z.compress(zeros) + z.flush(zlib.Z_SYNC_FLUSH) for _ in range(TEN_GB // BLOCK)))


STREAMS = {"slowloris": stream_slowloris, "10gb": stream_10gb, "endless": stream_endless,
           "gzip-bomb": stream_gzip_bomb}


def offset_page(items, start, limit):
    page = items[start:start + limit]
    more = start + limit < len(items)
    return page, (start + limit if more else None)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "platform-server/1"

    def log_message(self, fmt, *args):
        pass

    # -- plumbing --
    def send(self, status, body, headers=None, ctype="application/json; charset=utf-8",
             cache_key=None):
        if isinstance(body, (dict, list)):
            body = dumps(body)
        if isinstance(body, str):
            body = body.encode()
        hdrs = dict(headers or {})
        if "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 200:
            body = gzip.compress(body)
            hdrs["Content-Encoding"] = "gzip"
        if cache_key is not None:
            with ST.lock:
                if len(PAGES) > 4096:
                    PAGES.clear()
                PAGES[cache_key] = (status, body, hdrs, ctype)
        self.send_raw(status, body, hdrs, ctype)

    def send_raw(self, status, body, hdrs, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_request_seen(self, body):
        h = {k: v for k, v in self.headers.items()}
        if "Authorization" in h:
            h["Authorization"] = h["Authorization"].split(" ")[0] + " <redacted>"
        if "X-Goog-Api-Key" in h:
            h["X-Goog-Api-Key"] = "<redacted>"
        with ST.lock:
            ST.requests.append({"method": self.command, "path": self.path,
                                "headers": h, "time": time.time(),
                                "client_port": self.client_address[1]})

    def bearer(self):
        a = self.headers.get("Authorization", "")
        return a[7:] if a.startswith("Bearer ") else None

    def do_GET(self):
        self.dispatch(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        self.dispatch(self.rfile.read(n))

    def dispatch(self, body):
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        path = u.path
        if path.startswith("/_control/"):
            return self.control(path, q)
        self.log_request_seen(body)
        for prefix, fn in ROUTES:
            if path.startswith(prefix):
                return fn(self, path, q, body)
        self.send(404, "<html><body>Not Found</body></html>", ctype="text/html")

    def control(self, path, q):
        one = lambda k, d=None: q.get(k, [d])[0]
        with ST.lock:
            if path not in ("/_control/requests", "/_control/stats"):
                ST.version += 1
                PAGES.clear()
            if path == "/_control/scenario":
                ST.scenario = one("name")
                ST.only = one("only")
                ST.tripped.clear()
                out = {"scenario": ST.scenario, "only": ST.only}
            elif path == "/_control/add":
                ST.add(one("platform"), int(one("n", "1")))
                out = {"total": len(ST.posts[one("platform")])}
            elif path == "/_control/delete":
                ST.deleted[one("platform")].add(one("id"))
                out = {"deleted": one("id")}
            elif path == "/_control/edit":
                if one("platform") == "x":
                    out = {"error": "X has no edits: an edited post is a new post"}
                else:
                    ST.edits[one("platform")][one("id")] = (one("text", ""), int(time.time()))
                    out = {"edited": one("id")}
            elif path == "/_control/requests":
                out = ST.requests
            elif path == "/_control/stats":
                out = {"logins": ST.logins, "refreshes": ST.refreshes,
                       "requests": len(ST.requests),
                       "posts": {p: len(ST.posts[p]) - len(ST.deleted[p]) for p in PLATFORMS}}
            else:
                out = {"error": "unknown control"}
        self.send(200, out)

    # -- scenario faults on listing requests; True if answered --
    def fault(self, platform):
        sc = ST.scenario
        key = (platform, sc)
        now = time.time()
        if ST.only and platform != ST.only:
            return False
        if sc in STREAMS:
            try:
                STREAMS[sc](self)
            except OSError:
                pass  # the client gave up, as it should
            self.close_connection = True
            return True
        if sc == "redirect-loop":
            self.send(302, "", {"Location": "http://%s%s" % (self.headers.get("Host"), self.path)},
                      ctype="text/plain")
            return True
        if sc == "content-type":
            self.send(200, "<!DOCTYPE html><html><head><title>Sign in</title></head>"
                      "<body><h1>Please sign in</h1></body></html>", ctype="text/html; charset=utf-8")
            return True
        if sc == "bad-utf8":
            self.send(200, b'{"data":[{"id":"1","text":"caf\xe9"}],"items":[],"notifications":[],'
                      b'"posts":[],"kind":"Listing"}')
            return True
        if sc == "deep":
            self.send(200, "[" * 100000 + "]" * 100000)
            return True
        if sc == "unauthorized":
            self.send(401, {"error": "The access token is invalid"})
            return True
        if sc == "hang":
            time.sleep(30)
            return True
        if sc == "slow":
            time.sleep(1)
            return False
        if sc == "truncated":
            body = dumps({"data": [1, 2, 3], "items": [{"a": "b" * 200}]})
            self.send(200, body[: len(body) // 2])
            return True
        if sc == "invalid":
            self.send(200, "{not json at all")
            return True
        if sc == "huge":
            self.send(200, dumps({"items": ["x" * 1000] * 3000}))
            return True
        with ST.lock:
            first = key not in ST.tripped
            ST.tripped.add(key)
        if not first:
            return False
        if sc == "5xx":
            self.send(503, "<html>Service Unavailable</html>", ctype="text/html")
            return True
        if sc == "retry-after":
            self.send(429, {"error": "slow down"}, {"Retry-After": "1"})
            return True
        if sc == "ratelimit":
            reset = int(now) + 2
            if platform == "mastodon":
                h = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                     "X-RateLimit-Reset": iso(reset, True)}
            elif platform == "bluesky":
                h = {"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                     "RateLimit-Reset": str(reset), "RateLimit-Policy": "3000;w=300"}
            elif platform == "x":
                h = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                     "x-rate-limit-reset": str(reset)}
            elif platform == "reddit":
                h = {"X-Ratelimit-Used": "600", "X-Ratelimit-Remaining": "0.0",
                     "X-Ratelimit-Reset": "2"}
            else:
                self.send(403, {"error": {"code": 403, "message": "quota",
                                          "errors": [{"message": "quota", "domain": "youtube.quota",
                                                      "reason": "quotaExceeded"}]}})
                return True
            self.send(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, h)
            return True
        return False

    def live(self, platform):
        with ST.lock:
            return [p for p in ST.posts[platform]]


# ---- Mastodon ----
def mastodon(h, path, q, body):
    if h.bearer() != TOKENS["mastodon"]:
        return h.send(401, {"error": "The access token is invalid"})
    rl = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
          "X-RateLimit-Reset": iso(int(time.time()) + 300, True)}
    if path.startswith("/api/v1/statuses/"):
        sid = path.rsplit("/", 1)[1]
        alive = {str(100000 + p["seq"]): p for p in h.live("mastodon")}
        if sid in alive and sid not in ST.deleted["mastodon"]:
            return h.send(200, mastodon_item(alive[sid])["status"], rl)
        return h.send(404, {"error": "Record not found"}, rl)
    if path == "/api/v2/search":
        if h.fault("mastodon"):
            return
        if q.get("type") != ["statuses"] or q.get("resolve") != ["false"]:
            return h.send(400, {"error": "test server wants type=statuses&resolve=false"})
        term = q.get("q", [""])[0].lower()
        limit = min(int(q.get("limit", ["20"])[0]), 40)
        items = [mastodon_item(p)["status"] for p in h.live("mastodon")]
        items = [i for i in items if term in i["content"].lower()]
        if "max_id" in q:
            items = [i for i in items if int(i["id"]) < int(q["max_id"][0])]
        return h.send(200, {"accounts": [], "statuses": items[:limit], "hashtags": []}, rl)
    if path != "/api/v1/notifications":
        return h.send(404, {"error": "not found"})
    if h.fault("mastodon"):
        return
    if q.get("types[]") != ["mention"]:
        return h.send(400, {"error": "test server wants types[]=mention"})
    key = page_key(h)
    with ST.lock:
        hit = PAGES.get(key) if key else None
    if hit:
        return h.send_raw(*hit)
    limit = min(int(q.get("limit", ["20"])[0]), 80)
    items = [mastodon_item(p) for p in h.live("mastodon")]
    if "since_id" in q:
        items = [i for i in items if int(i["id"]) > int(q["since_id"][0])]
    if "max_id" in q:
        items = [i for i in items if int(i["id"]) < int(q["max_id"][0])]
    page = items[:limit]
    if page:
        base = "http://%s/api/v1/notifications" % h.headers.get("Host")
        rl["Link"] = ('<%s?max_id=%s&types[]=mention>; rel="next", '
                      '<%s?min_id=%s&types[]=mention>; rel="prev"'
                      % (base, page[-1]["id"], base, page[0]["id"]))
    h.send(200, page, rl, cache_key=key)


# ---- Bluesky ----
def bluesky(h, path, q, body):
    name = path[len("/xrpc/"):]
    rl = {"RateLimit-Limit": "3000", "RateLimit-Remaining": "2999",
          "RateLimit-Reset": str(int(time.time()) + 300), "RateLimit-Policy": "3000;w=300"}
    if name == "com.atproto.server.createSession":
        req = json.loads(body or b"{}")
        if req.get("identifier") != "drsynthetic.test" or req.get("password") != BSKY_PASSWORD:
            return h.send(401, {"error": "AuthenticationRequired",
                                "message": "Invalid identifier or password"})
        with ST.lock:
            ST.logins += 1
        return h.send(200, new_session())
    if name == "com.atproto.server.refreshSession":
        tok = h.bearer()
        with ST.lock:
            ok = tok in ST.bsky_refresh
            ST.bsky_refresh.discard(tok)
            ST.refreshes += 1
        if not ok:
            return h.send(400, {"error": "ExpiredToken", "message": "Token has been revoked"})
        return h.send(200, new_session())
    tok = h.bearer()
    with ST.lock:
        uses = ST.bsky_access.get(tok)
        if uses is not None:
            ST.bsky_access[tok] = uses + 1
    if uses is None:
        return h.send(401, {"error": "AuthenticationRequired", "message": "Invalid token"})
    if ST.scenario == "expired" and uses >= 1:
        return h.send(400, {"error": "ExpiredToken", "message": "Token has expired"})
    if name == "app.bsky.feed.getPosts":
        want = q.get("uris", [])
        live = {bsky_item(p)["uri"]: p for p in h.live("bluesky") if p["seq"] % 7}
        posts = [bsky_item(live[u], True) for u in want
                 if u in live and u not in ST.deleted["bluesky"]]
        return h.send(200, {"posts": posts}, rl)
    if name not in ("app.bsky.notification.listNotifications", "app.bsky.feed.searchPosts"):
        return h.send(400, {"error": "MethodNotImplemented"})
    if h.fault("bluesky"):
        return
    limit = min(int(q.get("limit", ["50"])[0]), 100)
    start = int(q.get("cursor", ["0"])[0])
    if name == "app.bsky.notification.listNotifications":
        items = [bsky_like(p) if p["seq"] % 7 == 0 else bsky_item(p) for p in h.live("bluesky")]
        page, nxt = offset_page(items, start, limit)
        out = {"notifications": page, "priority": False}
    else:
        term = q.get("q", [""])[0]
        items = [bsky_item(p, True) for p in h.live("bluesky") if p["seq"] % 7]
        items = [i for i in items if term.lower() in i["record"]["text"].lower()]
        page, nxt = offset_page(items, start, limit)
        out = {"posts": page}
    if nxt is not None:
        out["cursor"] = str(nxt)
    h.send(200, out, rl)


def new_session():
    with ST.lock:
        n = len(ST.bsky_access) + 1
        acc, ref = "access-jwt-%d" % n, "refresh-jwt-%d" % n
        ST.bsky_access[acc] = 0
        ST.bsky_refresh.add(ref)
    return {"accessJwt": acc, "refreshJwt": ref, "did": "did:plc:drsynthetic",
            "handle": "drsynthetic.test", "active": True}


# ---- X ----
def xapi(h, path, q, body):
    if h.bearer() != TOKENS["x"]:
        return h.send(401, {"title": "Unauthorized", "type": "about:blank",
                            "status": 401, "detail": "Unauthorized"})
    rl = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
          "x-rate-limit-reset": str(int(time.time()) + 900)}
    live = h.live("x")
    parts = path.split("/")
    if len(parts) == 4 and parts[2] == "tweets" and parts[3].isdigit():
        for p in live:
            t = x_tweet(p)
            if t["id"] == parts[3] and t["id"] not in ST.deleted["x"]:
                return h.send(200, {"data": t}, rl)
        return h.send(200, {"errors": [{"value": parts[3], "detail":
                                        "Could not find tweet with id: [%s]." % parts[3],
                                        "title": "Not Found Error", "resource_type": "tweet",
                                        "parameter": "id", "resource_id": parts[3],
                                        "type": "https://api.twitter.com/2/problems/resource-not-found"}]}, rl)
    search = path == "/2/tweets/search/recent"
    if not search and not (len(parts) == 5 and parts[2] == "users" and parts[4] == "mentions"):
        return h.send(404, {"title": "Not Found"})
    if h.fault("x"):
        return
    tok = "next_token" if search else "pagination_token"
    if ("pagination_token" if search else "next_token") in q:
        return h.send(400, {"title": "Invalid Request", "detail": "wrong paging parameter"})
    limit = int(q.get("max_results", ["10"])[0])
    tweets = [x_tweet(p) for p in live]
    if search:
        term = q.get("query", [""])[0].lower()
        tweets = [t for t in tweets if term in t["text"].lower()]
    if "since_id" in q:
        tweets = [t for t in tweets if int(t["id"]) > int(q["since_id"][0])]
    try:
        start = int(q[tok][0].split("-")[1]) if tok in q else 0
    except (IndexError, ValueError):
        return h.send(400, {"errors": [{"parameters": {tok: q[tok]},
                                        "message": "The `%s` query parameter value is not valid" % tok}],
                            "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                            "type": "https://api.twitter.com/2/problems/invalid-request"})
    page, nxt = offset_page(tweets, start, limit)
    if not page:
        return h.send(200, {"meta": {"result_count": 0}}, rl)
    users = {}
    media = []
    for t in page:
        a = t["author_id"]
        users[a] = {"id": a, "name": "Synthetic %s" % a, "username": "harasser_%s" % a}
        for k in t.get("attachments", {}).get("media_keys", []):
            media.append({"media_key": k, "type": "photo",
                          "url": "https://pbs.example/%s.jpg" % k})
    out = {"data": page, "includes": {"users": list(users.values())},
           "meta": {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"],
                    "result_count": len(page)}}
    if media:
        out["includes"]["media"] = media
    if nxt is not None:
        out["meta"]["next_token"] = "tok-%d" % nxt
    h.send(200, out, rl)


# ---- Reddit ----
def reddit(h, path, q, body):
    ua = h.headers.get("User-Agent", "")
    if "(by /u/" not in ua:
        return h.send(429, {"message": "Too Many Requests", "error": 429})
    if path == "/api/v1/access_token":
        auth = h.headers.get("Authorization", "")
        want = base64.b64encode(("%s:%s" % (REDDIT["client_id"], REDDIT["client_secret"])).encode()).decode()
        form = parse_qs(body.decode())
        if auth != "Basic " + want:
            return h.send(401, {"message": "Unauthorized", "error": 401})
        if form.get("username") != [REDDIT["username"]] or form.get("password") != [REDDIT["password"]]:
            return h.send(200, {"error": "invalid_grant"})
        with ST.lock:
            ST.logins += 1
        return h.send(200, {"access_token": "reddit-bearer-SECRET-7", "token_type": "bearer",
                            "expires_in": 86400, "scope": "*"})
    if h.bearer() != "reddit-bearer-SECRET-7":
        return h.send(401, {"message": "Unauthorized", "error": 401})
    rl = {"X-Ratelimit-Used": "12", "X-Ratelimit-Remaining": "588.0", "X-Ratelimit-Reset": "300"}
    raw_json = q.get("raw_json") == ["1"]
    live = h.live("reddit")
    if path == "/api/info":
        want = q.get("id", [""])[0]
        kids = []
        for p in live:
            c = reddit_child(p, raw_json)
            if c["data"]["name"] == want:
                if want in ST.deleted["reddit"]:
                    c["data"].update({"author": "[deleted]", "body": "[deleted]"})
                kids.append(c)
        return h.send(200, {"kind": "Listing", "data": {"after": None, "before": None,
                                                        "dist": len(kids), "children": kids}}, rl)
    if path not in ("/message/mentions", "/search"):
        return h.send(404, {"message": "Not Found", "error": 404})
    if h.fault("reddit"):
        return
    kids = [reddit_child(p, raw_json) for p in live]
    if path == "/search":
        term = q.get("q", [""])[0].lower()
        kids = [k for k in kids if term in k["data"]["body"].lower()]
    limit = min(int(q.get("limit", ["25"])[0]), 100)
    start = 0
    if "after" in q:
        names = [k["data"]["name"] for k in kids]
        start = names.index(q["after"][0]) + 1 if q["after"][0] in names else len(names)
    page, nxt = offset_page(kids, start, limit)
    after = page[-1]["data"]["name"] if nxt is not None and page else None
    h.send(200, {"kind": "Listing", "data": {"after": after, "before": None,
                                             "dist": len(page), "modhash": "",
                                             "children": page}}, rl)


# ---- YouTube ----
def youtube(h, path, q, body):
    if h.headers.get("X-Goog-Api-Key") != TOKENS["youtube"]:
        return h.send(400, {"error": {"code": 400, "message": "API key not valid.",
                                      "errors": [{"reason": "badRequest"}]}})
    live = h.live("youtube")
    if path == "/youtube/v3/comments":
        want = q.get("id", [""])[0]
        # part=snippet: the comment resource as commentThreads embeds it.
        items = [youtube_thread(p)["snippet"]["topLevelComment"]
                 for p in live if youtube_thread(p)["id"] == want
                 and want not in ST.deleted["youtube"]]
        if q.get("part") != ["snippet"]:
            items = [{"kind": i["kind"], "etag": i["etag"], "id": i["id"]} for i in items]
        return h.send(200, {"kind": "youtube#commentListResponse", "items": items})
    if path != "/youtube/v3/commentThreads":
        return h.send(404, {"error": {"code": 404, "message": "Not Found"}})
    if h.fault("youtube"):
        return
    items = [youtube_thread(p) for p in live]
    if "videoId" in q:
        items = [i for i in items if i["snippet"]["videoId"] == q["videoId"][0]]
    elif q.get("allThreadsRelatedToChannelId") != ["UCclinician"]:
        return h.send(404, {"error": {"code": 404, "message": "channel not found"}})
    if "searchTerms" in q:
        term = q["searchTerms"][0].lower()
        items = [i for i in items if term in
                 i["snippet"]["topLevelComment"]["snippet"]["textOriginal"].lower()]
    limit = min(int(q.get("maxResults", ["20"])[0]), 100)
    start = int(q["pageToken"][0][2:]) if "pageToken" in q else 0
    page, nxt = offset_page(items, start, limit)
    out = {"kind": "youtube#commentThreadListResponse", "etag": "etag",
           "pageInfo": {"totalResults": len(page), "resultsPerPage": limit}, "items": page}
    if nxt is not None:
        out["nextPageToken"] = "PT%d" % nxt
    h.send(200, out)


ROUTES = [("/api/v1/notifications", mastodon), ("/api/v1/statuses/", mastodon),
          ("/api/v2/search", mastodon),
          ("/xrpc/", bluesky), ("/2/", xapi),
          ("/api/v1/access_token", reddit), ("/message/", reddit),
          ("/search", reddit), ("/api/info", reddit), ("/youtube/v3/", youtube)]
ST = None


def main():
    global ST
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="normal")
    ap.add_argument("--posts", type=int, default=250)
    ap.add_argument("--port-file")
    ap.add_argument("--texts", help="a file whose lines the posts say in turn (demo)")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                    help="serve https with this certificate and key")
    a = ap.parse_args()
    if a.texts:
        with open(a.texts, encoding="utf-8") as f:
            TEXTS.extend(l.rstrip("\n") for l in f if l.strip() and not l.startswith("#"))
    ST = State(a.posts, a.scenario)
    # vigild opens up to 32 connections at once: the default listen
    # backlog of 5 drops SYNs, and the kernel retries them only after 1,
    # 3, 7 s, which stalled walks (and the benchmark) for seconds.
    ThreadingHTTPServer.request_queue_size = 256
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if a.tls:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        import os
        os.rename(a.port_file + ".tmp", a.port_file)
    print("PORT %d" % port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
