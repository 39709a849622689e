#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench-vigild: vigild --once against the local platform server with many
clinicians, each watched through one Mastodon source, then vigild idle
between polls. Prints wall time, captures per second and resident memory.

    tests/bench/bench-vigild.py [CLINICIANS] [POSTS_EACH]   (default 1000 100)

Run from the top of the tree after `meson compile -C build`."""
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(top, "tests", "integration"))
os.environ.setdefault("VIGIL_SRC", top)
import platformlib as pl  # noqa: E402

clinicians = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
posts = int(sys.argv[2]) if len(sys.argv) > 2 else 100
vigild = os.path.join(top, "build", "daemon", "vigild")
vigilctl = os.path.join(top, "build", "daemon", "vigilctl")


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rollup_kb(pid):
    """Pss and private (clean + dirty) kB from smaps_rollup: shared
    library pages count fully in RSS, but mostly belong to every process
    that maps them."""
    v = {}
    for line in open("/proc/%d/smaps_rollup" % pid):
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            v[parts[0][:-1]] = int(parts[1])
    return v.get("Pss", 0), v.get("Private_Clean", 0) + v.get("Private_Dirty", 0), \
        v.get("Anonymous", 0)


d = tempfile.mkdtemp(prefix="vigil-bench-")
srv = pl.Server(posts=posts)
try:
    conf = os.path.join(d, "vigil.conf")
    with open(conf, "w") as f:
        f.write("[vigil]\ndatabase = %s/vigil.db\nsigning_key = %s/signing.key\n"
                "poll_interval = 3600\nrecheck_window = 0\n" % (d, d))
        for i in range(clinicians):
            f.write("[clinician c%d]\nname = Clinician %d\n" % (i, i))
            f.write("[source s%d]\nplatform = mastodon\nclinician = c%d\nbase_url = %s\n"
                    "token_file = %s\npage_size = 80\n" % (i, i, srv.url, srv.tokens["mastodon"]))
    t0 = time.time()
    r = subprocess.run([vigild, "-c", conf, "--once"], capture_output=True, text=True)
    wall = time.time() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = ru.ru_maxrss
    cpu = ru.ru_utime + ru.ru_stime
    if r.returncode != 0:
        print(r.stderr[-2000:])
        sys.exit(1)
    out = subprocess.run([vigilctl, "--db", d + "/vigil.db", "list", "--format", "jsonl"],
                         capture_output=True, text=True).stdout
    caps = sum(1 for l in out.splitlines() if '"kind":"capture"' in l)
    # Idle: the daemon after its first cycle, waiting for the next poll
    # (it gives memory back once the wait is longer than 5 s): the lowest
    # of samples taken once a second over the last 10 s of 25.
    p = subprocess.Popen([vigild, "-c", conf], stderr=subprocess.DEVNULL)
    time.sleep(15)
    idle = None
    for _ in range(10):
        kb = rss_kb(p.pid)
        if idle is None or kb < idle:
            idle, roll = kb, rollup_kb(p.pid)
        time.sleep(1)
    cpu0 = sum(int(x) for x in open("/proc/%d/stat" % p.pid).read().split()[13:15])
    time.sleep(5)
    cpu1 = sum(int(x) for x in open("/proc/%d/stat" % p.pid).read().split()[13:15])
    p.send_signal(signal.SIGTERM)
    p.wait()
    print("vigild --once: %d clinicians, %d mentions each" % (clinicians, posts))
    print("  captures           %d" % caps)
    print("  wall time          %.1f s" % wall)
    print("  captures/s         %.0f   (target >= 5,000)" % (caps / wall))
    print("  vigild CPU         %.1f s (%.0f captures per CPU second; the rest is the"
          " Python platform server)" % (cpu, caps / cpu if cpu else 0))
    print("  peak RSS           %.1f MB (target < 64 MB)" % (peak / 1024.0))
    print("  idle RSS           %.1f MB (target < 16 MB); PSS %.1f MB, private %.1f MB,"
          " anonymous %.1f MB" % (idle / 1024.0, roll[0] / 1024.0, roll[1] / 1024.0,
                                  roll[2] / 1024.0))
    print("  idle CPU           %.2f s of CPU in 5 s" % ((cpu1 - cpu0) / os.sysconf("SC_CLK_TCK")))
finally:
    srv.stop()
    shutil.rmtree(d, ignore_errors=True)
