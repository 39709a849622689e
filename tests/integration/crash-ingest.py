#!/usr/bin/env python3
"""Crash safety: kill -9 `vigilctl ingest` at random moments, many times.

After every kill, `vigilctl verify` must pass and every batch that ingest
reported as stored ("stored N entries: seq A..B") must be in the ledger with
the posts it was given. Ledgers are renewed every ROUNDS_PER_LEDGER kills so
that verify stays quick. KILLS (env VIGIL_CRASH_KILLS, default 200) sets the
count.
"""
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

VIGILCTL = os.environ["VIGILCTL"]
KILLS = int(os.environ.get("VIGIL_CRASH_KILLS", "200"))
ROUNDS_PER_LEDGER = 10
LINES = 1000
BATCH = 50
STORED = re.compile(r"^stored (\d+) entries: seq (\d+)\.\.(\d+), checkpoint size (\d+)$")


def run(args, env):
    return subprocess.run([VIGILCTL] + args, env=env, capture_output=True, text=True)


def main():
    if KILLS == 0:
        # Under valgrind the kill timing means nothing; memcheck runs the rest.
        print("crash test skipped: VIGIL_CRASH_KILLS=0")
        return 77
    rng = random.Random(int(os.environ.get("VIGIL_CRASH_SEED", "1")))
    failures = 0
    kills_mid_batch = 0
    with tempfile.TemporaryDirectory(prefix="vigil-crash-") as tmp:
        posts = os.path.join(tmp, "posts.jsonl")
        with open(posts, "w") as f:
            for i in range(LINES):
                f.write(json.dumps({"platform": "mastodon", "clinician": "c%d" % (i % 5),
                                    "post": {"id": "p%d" % i, "text": "post %d %s" % (i, "x" * (i % 300))},
                                    "author": {"id": "a%d" % (i % 17)},
                                    "raw": {"id": "p%d" % i, "pad": "y" * (i % 500)}}) + "\n")
        acked = {}  # seq -> post id, per ledger
        env = None
        for k in range(KILLS):
            if k % ROUNDS_PER_LEDGER == 0:
                d = os.path.join(tmp, "l%d" % k)
                os.mkdir(d)
                env = dict(os.environ, VIGIL_DB=os.path.join(d, "v.db"),
                           VIGIL_KEY=os.path.join(d, "k"))
                r = run(["init"], env)
                if r.returncode != 0:
                    print("FAIL init:", r.stderr)
                    return 1
                acked = {}
            p = subprocess.Popen([VIGILCTL, "ingest", "--batch", str(BATCH), posts], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0.0, 0.08))
            p.send_signal(signal.SIGKILL)
            out, _ = p.communicate()
            if p.returncode == -signal.SIGKILL:
                kills_mid_batch += 1
            batch_no = 0
            for line in out.splitlines():
                m = STORED.match(line)
                if m:
                    first, last = int(m.group(2)), int(m.group(3))
                    # Every run reads the file from its start, BATCH lines a batch.
                    for j, seq in enumerate(range(first, last + 1)):
                        acked[seq] = "p%d" % (batch_no * BATCH + j)
                    batch_no += 1
            r = run(["verify"], env)
            if r.returncode != 0:
                failures += 1
                print("FAIL kill %d: verify: %s %s" % (k, r.stdout.strip(), r.stderr.strip()))
                continue
            r = run(["list", "--format", "jsonl"], env)
            stored = {}
            for line in r.stdout.splitlines():
                e = json.loads(line)
                if e["kind"] == "capture":
                    stored[e["seq"]] = e["body"]["post"]["id"]
            wrong = [s for s, pid in acked.items() if stored.get(s) != pid]
            if wrong:
                failures += 1
                print("FAIL kill %d: acknowledged entries missing or changed: %s" % (k, wrong[:10]))
        print("kills: %d (%d while ingest was running), failures: %d" % (KILLS, kills_mid_batch, failures))
        print("%d passed, %d failed" % (KILLS - failures, failures))
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
