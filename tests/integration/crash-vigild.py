#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Crash safety of the daemon: SIGKILL vigild at random moments while it
walks pages of mentions that keep arriving. After every kill `vigilctl
verify` must pass and no post may be captured twice; at the end one more
poll must hold every post the platform has, exactly once. KILLS (env
VIGIL_VIGILD_KILLS, default 50) sets the count."""
import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platformlib as pl  # noqa: E402
from platformlib import check  # noqa: E402

VIGILD = os.environ["VIGILD"]
VIGILCTL = os.environ["VIGILCTL"]
KILLS = int(os.environ.get("VIGIL_VIGILD_KILLS", "50"))


def captures(d):
    r = subprocess.run([VIGILCTL, "--db", d + "/vigil.db", "list", "--format", "jsonl"],
                       capture_output=True, text=True)
    out = []
    for line in r.stdout.splitlines():
        e = json.loads(line)
        if e["kind"] == "capture":
            b = e["body"]
            out.append((b["platform"], b["post"]["id"], b["clinician"]))
    return out


def main():
    if KILLS == 0:
        print("skipped: VIGIL_VIGILD_KILLS=0")
        return 77
    rng = random.Random(int(os.environ.get("VIGIL_CRASH_SEED", "7")))
    d = pl.tempdir("vigil-crash-vigild-")
    srv = pl.Server(posts=50)
    try:
        conf = os.path.join(d, "vigil.conf")
        with open(conf, "w") as f:
            f.write("[vigil]\ndatabase = %s/vigil.db\nsigning_key = %s/signing.key\n"
                    "poll_interval = 1\nrecheck_window = 0\n"
                    "[clinician jroe]\nname = Dr. Jane Roe\n"
                    "[source m]\nplatform = mastodon\nclinician = jroe\nbase_url = %s\n"
                    "token_file = %s\npage_size = 20\n"
                    "[source x]\nplatform = x\nclinician = jroe\nbase_url = %s\n"
                    "user_id = 4242\ntoken_file = %s\n"
                    % (d, d, srv.url, srv.tokens["mastodon"], srv.url, srv.tokens["x"]))
        mid = 0
        for k in range(KILLS):
            # New mentions keep arriving between (and during) runs.
            srv.control("add", platform="mastodon", n=rng.randint(0, 60))
            srv.control("add", platform="x", n=rng.randint(0, 30))
            p = subprocess.Popen([VIGILD, "-c", conf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, 1.2))
            if p.poll() is None:
                mid += 1
            p.send_signal(signal.SIGKILL)
            p.wait()
            r = subprocess.run([VIGILCTL, "--db", d + "/vigil.db", "verify"],
                               capture_output=True, text=True)
            if not check(r.returncode == 0, "kill %d: verify (%s %s)" % (k, r.stdout.strip(),
                                                                        r.stderr.strip())):
                break
            caps = captures(d)
            if not check(len(caps) == len(set(caps)), "kill %d: no post captured twice" % k):
                break
        # One more kill, surely inside a walk: a burst of 400 (20 pages),
        # killed once the first page is stored, then 30 more. The final
        # --once must finish that walk and then walk from the top again.
        srv.control("add", platform="mastodon", n=400)
        before = len(captures(d))
        p = subprocess.Popen([VIGILD, "-c", conf], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            line = p.stderr.readline()
            if not line or "[source m] stored" in line:
                break
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        mid_walk = len(captures(d)) - before
        check(0 < mid_walk < 400, "killed inside a walk (%d of 400 stored)" % mid_walk)
        srv.control("add", platform="mastodon", n=30)
        # One full poll: every post the platform has, exactly once.
        r = subprocess.run([VIGILD, "-c", conf, "--once"], capture_output=True, text=True,
                           timeout=300)
        check(r.returncode == 0, "final --once (%s)" % r.stderr[-300:])
        caps = captures(d)
        stats = srv.control("stats")
        want = sum(stats.get("posts", {}).get(p, 0) for p in ("mastodon", "x"))
        check(len(caps) == len(set(caps)), "no duplicates at the end")
        per = {p: sum(1 for c in caps if c[0] == p) for p in ("mastodon", "x")}
        check(want == 0 or len(caps) == want,
              "every post captured once (%d captured, the platform has %d; mastodon %d of %d,"
              " x %d of %d)" % (len(caps), want, per["mastodon"], stats["posts"]["mastodon"],
                               per["x"], stats["posts"]["x"]))
        print("kills: %d (%d while vigild was running), captures: %d" % (KILLS, mid, len(caps)))
    finally:
        srv.stop()
    pl.finish()


if __name__ == "__main__":
    sys.exit(main())
