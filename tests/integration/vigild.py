#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The real vigild against the local platform server: first and incremental
polls, a burst across many pages, duplicates across sources, deletions,
alerts to a webhook that fails then succeeds (grouped per author), the
witness, SIGHUP with a changed config, SIGTERM mid-walk, a hanging server,
rate limits and 5xx storms, and a configuration with every kind of mistake."""
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platformlib as pl  # noqa: E402
from smtpsink import SMTPSink  # noqa: E402
from platformlib import check  # noqa: E402

VIGILD = os.environ["VIGILD"]
VIGILCTL = os.environ["VIGILCTL"]
WRAP = os.environ.get("VIGIL_WRAPPER", "").split()


class Receiver:
    """A webhook receiver on loopback; fails the first `fail` requests."""

    def __init__(self, fail=0):
        self.posts = []
        self.fail = fail
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.posts.append((self.path, self.headers.get("Content-Type"), body))
                self.send_response(200)
                self.end_headers()

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def json_posts(self, path):
        return [json.loads(b) for p, t, b in self.posts if p == path]


MAIL = SMTPSink()


def write_config(d, srv, hook, extra_sources="", vigil_extra="", recheck=1, jroe_extra=""):
    path = os.path.join(d, "vigil.conf")
    with open(path, "w") as f:
        f.write("""[vigil]
database = {d}/vigil.db
signing_key = {d}/signing.key
poll_interval = 1
recheck_interval = {recheck}
alert_labels = threat, insult
witness_webhook = {hook}/witness
smtp_url = {smtp}
smtp_from = vigil@test.invalid
{vigil_extra}

[clinician jroe]
name = Dr. Jane Roe
aliases = Jane Roe, Dr Roe
alert_webhook = {hook}/alert
{jroe_extra}

[clinician amartin]
name = Dr. Anne Martin
alert_email = security@hospital.invalid

[source jroe-mastodon]
platform = mastodon
clinician = jroe
base_url = {url}
token_file = {tok[mastodon]}

; the same account watched twice: nothing may be captured twice
[source jroe-mastodon-again]
platform = mastodon
clinician = jroe
base_url = {url}
token_file = {tok[mastodon]}

[source jroe-bluesky]
platform = bluesky
clinician = jroe
base_url = {url}
identifier = drsynthetic.test
password_file = {tok[bluesky]}

[source amartin-x]
platform = x
clinician = amartin
base_url = {url}
user_id = 4242
token_file = {tok[x]}
{extra}""".format(d=d, url=srv.url, tok=srv.tokens, hook=hook, extra=extra_sources,
                  vigil_extra=vigil_extra, recheck=recheck, smtp=MAIL.url,
                  jroe_extra=jroe_extra))
    return path


def ctl(d, *args):
    return subprocess.run([VIGILCTL, "--db", d + "/vigil.db", "--key", d + "/signing.key"]
                          + list(args), capture_output=True, text=True)


def entries(d):
    r = ctl(d, "list", "--format", "jsonl")
    return [json.loads(l) for l in r.stdout.splitlines()]


def captures(d):
    return [e for e in entries(d) if e["kind"] == "capture"]


def once(conf, timeout=300):
    t0 = time.time()
    r = subprocess.run(WRAP + [VIGILD, "-c", conf, "--once"], capture_output=True, text=True,
                       timeout=timeout)
    print("vigild --once: exit %d in %.1f s" % (r.returncode, time.time() - t0), flush=True)
    return r


def verify_ok(d, what):
    r = ctl(d, "verify")
    check(r.returncode == 0, "%s: verify passes (%s %s)" % (what, r.stdout.strip(), r.stderr.strip()))


def main():
    d = pl.tempdir("vigil-vigild-")
    srv = pl.Server(posts=120)
    hook = Receiver(fail=2)
    try:
        conf = write_config(d, srv, hook.url)
        r = subprocess.run([VIGILD, "-n", "-c", conf], capture_output=True, text=True)
        check(r.returncode == 0, "vigild -n accepts a good config (%s)" % r.stderr.strip())

        # First poll: every page of every source, each post once.
        r = once(conf)
        check(r.returncode == 0, "first --once exits 0 (%s)" % r.stderr[-500:])
        caps = captures(d)
        per = {}
        for c in caps:
            per[c["body"]["platform"]] = per.get(c["body"]["platform"], 0) + 1
        bsky_live = 120 - len([s for s in range(121, 241) if s % 7 == 0])
        check(per.get("mastodon") == 120, "mastodon: 120 captures, once each (%s)" % per)
        check(per.get("x") == 120, "x: 120 captures (%s)" % per)
        check(per.get("bluesky") == bsky_live, "bluesky: %d captures (%s)" % (bsky_live, per))
        keys = [(c["body"]["platform"], c["body"]["post"]["id"], c["body"]["clinician"]) for c in caps]
        check(len(keys) == len(set(keys)), "no post captured twice across two sources")
        regs = [e for e in entries(d) if e["kind"] == "registration"]
        check(sorted(e["body"]["clinician"]["id"] for e in regs) == ["amartin", "jroe"],
              "both clinicians registered")
        labelled = [c for c in caps if c["body"]["classification"]
                    and "insult" in c["body"]["classification"]["labels"]]
        check(len(labelled) > 0, "synthetic posts are classified (insult)")
        verify_ok(d, "first poll")

        # Alerts: the webhook failed twice; those two are retried with
        # back-off on the next run. One alert per author, with a count.
        jroe_authors = {c["body"]["author"]["id"] for c in labelled if c["body"]["clinician"] == "jroe"}
        check(hook.fail == 0 and len(hook.json_posts("/alert")) >= len(jroe_authors) - 2,
              "the webhook failed twice; the rest went through (%d sent)" % len(hook.json_posts("/alert")))
        time.sleep(4)
        r = once(conf)
        alerts = hook.json_posts("/alert")
        check(len(alerts) == len(jroe_authors),
              "one alert per harassing account of jroe (%d alerts, %d accounts)" % (len(alerts), len(jroe_authors)))
        check(sum(a["count"] for a in alerts) ==
              len([c for c in labelled if c["body"]["clinician"] == "jroe"]),
              "the alerts' counts add up to every labelled capture")
        check(all(a["url"] and a["seq"] >= 0 and "insult" in a["labels"] for a in alerts),
              "alerts carry URL, seq and labels")
        # E-mail alerts for amartin went through SMTP.
        amartin_authors = {c["body"]["author"]["id"] for c in labelled
                           if c["body"]["clinician"] == "amartin"}
        check(len(MAIL.messages) == len(amartin_authors),
              "one e-mail per account harassing amartin (%d mails, %d accounts)"
              % (len(MAIL.messages), len(amartin_authors)))
        check(all(m[1] == ["<security@hospital.invalid>"] and "Subject: vigil alert:" in m[2]
                  and "Dr. Anne Martin" in m[2] for m in MAIL.messages),
              "alert e-mails are addressed and say who is targeted")
        # Witness: the checkpoint was handed over and recorded.
        wit = [b for p, t, b in hook.posts if p == "/witness"]
        anchors = [e for e in entries(d) if e["kind"] == "anchor"]
        check(len(wit) >= 1 and len(anchors) >= 1, "checkpoint handed to the witness and anchored")
        if wit and anchors:
            check(anchors[0]["body"]["checkpoint"] == wit[0].decode(), "anchor holds what was sent")

        # Incremental: nothing new means nothing added.
        n0 = len(captures(d))
        r = once(conf)
        check(r.returncode == 0 and len(captures(d)) == n0, "second --once adds nothing")

        # Deleted on the platform: observed on the next re-check.
        victim = [c for c in captures(d) if c["body"]["platform"] == "x"][3]
        srv.control("delete", platform="x", id=victim["body"]["post"]["id"])
        time.sleep(1.2)
        r = once(conf)
        obs = [e for e in entries(d) if e["kind"] == "observation"]
        check(any(o["body"]["of"] == victim["seq"] and o["body"]["status"] == "deleted" for o in obs),
              "deletion observed for seq %d (%d observations)" % (victim["seq"], len(obs)))
        check(len([o for o in obs if o["body"]["of"] == victim["seq"]]) == 1, "deletion recorded once")
        check(not [o for o in obs if o["body"]["status"] == "edited"],
              "no edit observed where nothing changed")
        verify_ok(d, "after re-checks")

        # Edited on the platform: one `edited` observation with the new
        # text and the platform's answer as its payload, and no more.
        # Alerts about an edit go at once here (no grouping window), so the
        # test can see them.
        # jroe's alerts go by e-mail too now, to see an edit alert in both.
        conf = write_config(d, srv, hook.url, vigil_extra="alert_group_window = 0",
                            jroe_extra="alert_email = roe-security@hospital.invalid")
        n_alerts = len(hook.json_posts("/alert"))
        n_mails = len(MAIL.messages)
        edits = {}
        for plat in ("mastodon", "bluesky"):
            c = [c for c in captures(d) if c["body"]["platform"] == plat][2]
            edits[c["seq"]] = "edited on %s: I know where you live, Dr Roe \u00e9" % plat
            srv.control("edit", platform=plat, id=c["body"]["post"]["id"], text=edits[c["seq"]])
        time.sleep(1.2)
        r = once(conf)
        ed = [e for e in entries(d) if e["kind"] == "observation" and e["body"]["status"] == "edited"]
        check(r.returncode == 0 and sorted(o["body"]["of"] for o in ed) == sorted(edits),
              "each edit observed once, nothing else (%s)" % [o["body"]["of"] for o in ed])
        for o in ed:
            b = o["body"]
            check(edits.get(b["of"], "?") in b["detail"] and "labels now:" in b["detail"],
                  "the edit's detail has the new text: %s" % b["detail"])
            check(isinstance(b["payload"], dict) and b["payload"]["type"] == "application/json"
                  and b["payload"]["size"] > 0, "the edit's payload is a blob reference")
        check("post edited on the platform" in r.stderr, "the edit is logged")
        # The edits made threats of the posts: each raises an alert (two
        # by one account fold into one with a count), with the new text,
        # its scores and the text as captured.
        new_alerts = hook.json_posts("/alert")[n_alerts:]
        obs_of = {o["seq"]: o["body"]["of"] for o in ed}
        caps_by_seq = {c["seq"]: c for c in captures(d)}
        check(sum(a["count"] for a in new_alerts) == len(edits) and
              all("threat" in a["labels"] and a["seq"] in obs_of and a.get("edit") and
                  a["edit"]["capture_seq"] == obs_of[a["seq"]] and
                  a["post"]["text"] == edits[obs_of[a["seq"]]] and a["scores"]["threat"] > 0 and
                  a["edit"]["captured_text"] == caps_by_seq[obs_of[a["seq"]]]["body"]["post"]["text"]
                  for a in new_alerts),
              "an edit into a threat raises an alert with the new text (%s)" % new_alerts)
        # The same alerts by e-mail: the text as it now reads and as captured.
        new_mails = [m[2].replace("\r\n", "\n") for m in MAIL.messages[n_mails:]
                     if m[1] == ["<roe-security@hospital.invalid>"]]
        check(len(new_mails) == len(new_alerts) and
              all(any("it now reads:\n\n" + edits[obs_of[a["seq"]]] + "\n\nWhen captured it read:\n\n"
                      + caps_by_seq[obs_of[a["seq"]]]["body"]["post"]["text"] in m and
                      "(ledger seq %d)" % obs_of[a["seq"]] in m for m in new_mails)
                  for a in new_alerts),
              "the edit alerts' e-mails give the new text and the text as captured (%s)" % new_mails)
        time.sleep(1.2)
        r = once(conf)
        ed2 = [e for e in entries(d) if e["kind"] == "observation" and e["body"]["status"] == "edited"]
        check(r.returncode == 0 and len(ed2) == len(ed), "an edit seen again is not observed again")
        # Edited again, still a threat: observed, but no second alert.
        again = sorted(edits)[0]
        srv.control("edit", platform=caps_by_seq[again]["body"]["platform"],
                    id=caps_by_seq[again]["body"]["post"]["id"],
                    text=edits[again] + ", and I will find you")
        n_alerts = len(hook.json_posts("/alert"))
        time.sleep(1.2)
        r = once(conf)
        ed3 = [e for e in entries(d) if e["kind"] == "observation" and e["body"]["status"] == "edited"]
        check(r.returncode == 0 and len(ed3) == len(ed) + 1 and
              len(hook.json_posts("/alert")) == n_alerts,
              "a threat edited into another threat is observed but raises no new alert (%d alerts)"
              % (len(hook.json_posts("/alert")) - n_alerts))
        # The review queue ranks an edited post by its worst version and
        # shows what it now reads (matched words masked).
        r = subprocess.run([VIGILCTL, "-c", conf, "queue", "--label", "threat"],
                           capture_output=True, text=True)
        items = {}
        for head, body in zip(r.stdout.splitlines()[0::2], r.stdout.splitlines()[1::2]):
            if head.startswith("seq "):
                items[int(head.split()[1])] = (head, body)
        check(r.returncode == 0 and all(
                  k in items and "threat" in items[k][0] and
                  "[edited on the platform; now reads: " in items[k][1] and "live" not in items[k][1]
                  for k in edits),
              "the queue lists the edited posts as threats, the new text masked (%s)"
              % [items.get(k) for k in edits])
        verify_ok(d, "after edits")

        # From here on re-checks are daily, as in real use.
        conf = write_config(d, srv, hook.url, recheck=86400)
        # A burst of 500 across many pages is captured whole.
        srv.control("add", platform="mastodon", n=500)
        r = once(conf)
        check(len(captures(d)) == n0 + 500, "burst of 500 captured whole (%d)" % (len(captures(d)) - n0))

        # vigilctl status shows every source.
        r = subprocess.run([VIGILCTL, "-c", conf, "status"], capture_output=True, text=True)
        check(r.returncode == 0 and "jroe-bluesky" in r.stdout and "amartin-x" in r.stdout,
              "vigilctl status lists the sources (%s)" % (r.stdout + r.stderr)[-300:])
        r = subprocess.run([VIGILCTL, "-c", conf, "poll", "amartin-x"], capture_output=True, text=True)
        check(r.returncode == 0, "vigilctl poll SOURCE (%s)" % r.stderr[-300:])

        # The daemon: SIGHUP with a new source, then SIGTERM mid-walk.
        srv.control("add", platform="youtube", n=0)
        conf2_extra = """
[source amartin-youtube]
platform = youtube
clinician = amartin
base_url = {url}/youtube/v3
channel_id = UCclinician
api_key_file = {tok}
""".format(url=srv.url, tok=srv.tokens["youtube"])
        p = subprocess.Popen(WRAP + [VIGILD, "-c", conf], stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        write_config(d, srv, hook.url, extra_sources=conf2_extra, recheck=86400)
        p.send_signal(signal.SIGHUP)
        deadline = time.time() + 60
        while time.time() < deadline:
            if any(c["body"]["platform"] == "youtube" for c in captures(d)):
                break
            time.sleep(0.5)
        check(any(c["body"]["platform"] == "youtube" for c in captures(d)),
              "after SIGHUP the new source is polled")
        srv.control("add", platform="mastodon", n=2000)
        time.sleep(0.8)
        p.send_signal(signal.SIGTERM)
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        check(p.returncode == 0, "SIGTERM: clean exit (%s) %s" % (p.returncode, err[-300:]))
        verify_ok(d, "after SIGTERM")
        r = once(conf)
        caps = captures(d)
        masto = [c for c in caps if c["body"]["platform"] == "mastodon"]
        check(len(masto) == 120 + 500 + 2000, "after SIGTERM and a resume: every mastodon post (%d)" % len(masto))
        keys = [(c["body"]["platform"], c["body"]["post"]["id"], c["body"]["clinician"]) for c in caps]
        check(len(keys) == len(set(keys)), "still nothing captured twice")

        # A server that hangs: the source fails with a clear error, exit 3.
        srv.control("scenario", name="hang")
        conf3 = os.path.join(d, "hang.conf")
        with open(conf3, "w") as f:
            f.write("[vigil]\ndatabase = %s/vigil.db\nsigning_key = %s/signing.key\n"
                    "[clinician jroe]\nname = Dr. Jane Roe\n"
                    "[source slow]\nplatform = mastodon\nclinician = jroe\nbase_url = %s\n"
                    "token_file = %s\ntimeout = 2\n" % (d, d, srv.url, srv.tokens["mastodon"]))
        t0 = time.time()
        r = subprocess.run(WRAP + [VIGILD, "-c", conf3, "--once"], capture_output=True, text=True,
                           timeout=600)
        check(r.returncode == 3, "hanging server: --once exits 3 (%d)" % r.returncode)
        check("could not be polled" in r.stderr and "slow" in r.stderr, "the failing source is named")
        print("hang test took %.1f s" % (time.time() - t0))
        srv.control("scenario", name="normal")
        verify_ok(d, "after the hang")
    finally:
        srv.stop()

    # Rate limits and 5xx: waited out within --once.
    for scenario in ("ratelimit", "retry-after", "5xx"):
        d2 = pl.tempdir("vigil-vigild-")
        srv = pl.Server(scenario=scenario, posts=30)
        try:
            conf = write_config(d2, srv, Receiver().url)
            r = once(conf)
            check(r.returncode == 0, "%s: --once completes (%s)" % (scenario, r.stderr[-400:]))
            n = len(captures(d2))
            check(n >= 80, "%s: every source captured after the retry (%d)" % (scenario, n))
            verify_ok(d2, scenario)
        finally:
            srv.stop()

    # A long wait between polls: vigild gives memory back (the automaton,
    # idle connections, the page cache) and the next poll judges new posts
    # exactly as the first one did.
    d4 = pl.tempdir("vigil-vigild-")
    srv = pl.Server(posts=10)
    try:
        conf = os.path.join(d4, "idle.conf")
        with open(conf, "w") as f:
            f.write("[vigil]\ndatabase = %s/vigil.db\nsigning_key = %s/signing.key\n"
                    "poll_interval = 8\nrecheck_window = 0\n"
                    "[clinician jroe]\nname = Dr. Jane Roe\n"
                    "[source m]\nplatform = mastodon\nclinician = jroe\nbase_url = %s\n"
                    "token_file = %s\n" % (d4, d4, srv.url, srv.tokens["mastodon"]))
        p = subprocess.Popen(WRAP + [VIGILD, "-v", "-c", conf], stderr=subprocess.PIPE, text=True)
        lines = []
        threading.Thread(target=lambda: lines.extend(p.stderr), daemon=True).start()
        deadline = time.time() + 60
        while time.time() < deadline and not any("memory given back" in l for l in lines):
            time.sleep(0.3)
        check(any("memory given back" in l for l in lines), "idle: memory given back")
        first = captures(d4)
        check(len(first) == 10, "idle: the first poll captured 10 posts (%d)" % len(first))
        srv.control("add", platform="mastodon", n=5)
        deadline = time.time() + 60
        while time.time() < deadline and len(captures(d4)) < 15:
            time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        caps = captures(d4)
        check(len(caps) == 15, "idle: the poll after the wait captured the 5 new posts (%d)" % len(caps))
        judged = {(tuple(c["body"]["classification"]["labels"]),
                   json.dumps(c["body"]["classification"]["scores"], sort_keys=True),
                   c["body"]["classification"]["engine"]) for c in caps}
        check(len(judged) == 1 and list(judged)[0][0],
              "idle: posts of one template judged alike before and after the wait (%s)" % judged)
        verify_ok(d4, "after the idle wait")
    finally:
        srv.stop()

    # A configuration with every kind of mistake: each reported with its line.
    d3 = pl.tempdir("vigil-vigild-")
    loose = os.path.join(d3, "loose.token")
    with open(loose, "w") as f:
        f.write("x\n")
    os.chmod(loose, 0o644)
    bad = os.path.join(d3, "bad.conf")
    with open(bad, "w") as f:
        f.write("""[vigil]
database = %s/v.db
signing_key = %s/k
poll_interval = often
colour = blue
alert_labels = threat, gossip

[clinician jroe]
name = Dr. Jane Roe
favourite = tea

[source a]
platform = myspace
clinician = jroe

[source b]
platform = mastodon
clinician = nobody
base_url = http://mastodon.example
token_file = %s

[source c]
platform = x
clinician = jroe
token_file = /nonexistent/token

[weird]
x = 1

[clinician amartin]
[clinician amartin]
name = Dr. Anne Martin

[vigil]
recheck_window = 60
""" % (d3, d3, loose))
    r = subprocess.run([VIGILD, "-n", "-c", bad], capture_output=True, text=True)
    check(r.returncode == 1, "bad config: vigild -n exits 1")
    for want in ("bad.conf:4: poll_interval", "bad.conf:5: unknown key 'colour'",
                 "bad.conf:6: alert_labels: unknown label 'gossip'",
                 "bad.conf:10: unknown key 'favourite'", "bad.conf:12: [source a]: unknown platform",
                 "bad.conf:16: [source b] names clinician 'nobody'",
                 "bad.conf:16: base_url", "bad.conf:16: token_file '%s' has mode 0644" % loose,
                 "bad.conf:22: token_file '/nonexistent/token'", "bad.conf:27: unknown section [weird]",
                 # a header repeated at once would merge its keys unseen
                 "bad.conf:31: [clinician amartin] appears twice (first at line 30)",
                 "bad.conf:34: [vigil] appears twice (first at line 1)"):
        check(want in r.stderr, "bad config reports %r" % want)
    if pl.FAILED:
        print(r.stderr)
    pl.finish()


if __name__ == "__main__":
    main()
