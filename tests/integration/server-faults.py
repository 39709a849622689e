#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The real vigild against a platform server that misbehaves in every way
tests/RELIABILITY.md lists: an HTML page instead of JSON, invalid UTF-8,
JSON nested 100,000 deep, a redirect loop, a body that declares 10 GB, one
that never ends, gzip that inflates without end, and headers trickling in
(slowloris). One source (mastodon) meets each fault while another (x) on
the same server stays healthy: vigild keeps running, logs one line naming
the failing source and the fault, keeps capturing the other source, and
its memory stays bounded. Then `vigild --once` under a fault exits 3; and
over https with a certificate for another host, issued by a CA vigild
trusts through ca_file, the source is refused with the host named while a
certificate from the same CA for 127.0.0.1 is accepted. `vigilctl verify`
passes after each part."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platformlib as pl  # noqa: E402
from platformlib import check, wait_for  # noqa: E402

VIGILD = os.environ["VIGILD"]
VIGILCTL = os.environ["VIGILCTL"]
WRAP = os.environ.get("VIGIL_WRAPPER", "").split()
T0 = time.time()

# scenario, what the log line must say, at most how long it may take (s).
# Slowloris is logged 2.8-6.8 s after the fault on a loaded 2-core
# machine, but once took over 15 s beside other integration tests and two
# fuzzers (2026-12-04): the bound is for a hang, not a latency figure.
FAULTS = [
    ("content-type", r"not JSON: the server sent Content-Type 'text/html", 10),
    ("bad-utf8", r"invalid JSON: invalid UTF-8 in string", 10),
    ("deep", r"invalid JSON: nested too deeply", 10),
    ("redirect-loop", r"redirected \(HTTP 302\) to 'http://127\.0\.0\.1:\d+/api/v1/notifications'; "
                      r"redirects are not followed", 10),
    ("10gb", r"response larger than 16777216 bytes", 10),
    ("endless", r"response larger than 16777216 bytes", 10),
    ("gzip-bomb", r"response larger than 16777216 bytes", 10),
    ("slowloris", r"[Tt]imed out after 2000 milliseconds", 30),
]


def ctl(d, *args):
    return subprocess.run([VIGILCTL, "--db", d + "/vigil.db"] + list(args),
                          capture_output=True, text=True)


def captures(d):
    r = ctl(d, "list", "--format", "jsonl")
    out = {}
    keys = []
    for line in r.stdout.splitlines():
        e = json.loads(line)
        if e["kind"] == "capture":
            b = e["body"]
            out[b["source"]] = out.get(b["source"], 0) + 1
            keys.append((b["platform"], b["post"]["id"], b["clinician"]))
    return out, keys


def verify_ok(d, what):
    r = ctl(d, "verify")
    check(r.returncode == 0, "%s: verify passes (%s %s)" % (what, r.stdout.strip(), r.stderr.strip()))
    _, keys = captures(d)
    check(len(keys) == len(set(keys)), "%s: no post captured twice" % what)


def vm_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def write_config(d, sources, extra=""):
    path = os.path.join(d, "vigil.conf")
    with open(path, "w") as f:
        f.write("[vigil]\ndatabase = %s/vigil.db\nsigning_key = %s/signing.key\n"
                "poll_interval = 1\nrecheck_window = 0\n%s\n"
                "[clinician jroe]\nname = Dr. Jane Roe\n%s" % (d, d, extra, sources))
    return path


def plain_sources(srv):
    return ("[source m]\nplatform = mastodon\nclinician = jroe\nbase_url = %s\n"
            "token_file = %s\ntimeout = 2\n"
            "[source x]\nplatform = x\nclinician = jroe\nbase_url = %s\nuser_id = 4242\n"
            "token_file = %s\n" % (srv.url, srv.tokens["mastodon"], srv.url, srv.tokens["x"]))


def daemon_faults(d, srv):
    conf = write_config(d, plain_sources(srv))
    r = subprocess.run([VIGILD, "-n", "-c", conf], capture_output=True, text=True)
    check(r.returncode == 0, "vigild -n accepts the config (%s)" % r.stderr.strip())
    log_path = os.path.join(d, "vigild.log")
    log = open(log_path, "w")
    p = subprocess.Popen(WRAP + [VIGILD, "-c", conf], stderr=log)
    try:
        check(wait_for(lambda: captures(d)[0] == {"m": 20, "x": 20}, 30),
              "first poll: both sources captured (%s)" % captures(d)[0])
        want_m = want_x = 20
        for name, words, limit in FAULTS:
            with open(log_path) as f:
                start = len(f.read())
            srv.control("scenario", name=name, only="mastodon")
            srv.control("add", platform="mastodon", n=1)
            srv.control("add", platform="x", n=1)
            want_m += 1
            want_x += 1
            t0 = time.time()
            line_re = re.compile(r"^vigild: error: \[source m\] .*" + words, re.M)

            def seen():
                with open(log_path) as f:
                    return line_re.search(f.read()[start:])
            logged = wait_for(seen, limit)
            took = time.time() - t0
            check(logged, "%s: vigild logs one line naming source m and the fault "
                  "(after %.1f s; log: %s)" % (name, took, open(log_path).read()[start:][-600:]))
            check(p.poll() is None, "%s: vigild keeps running" % name)
            check(wait_for(lambda: captures(d)[0].get("x") == want_x, 10),
                  "%s: source x is still captured (%s)" % (name, captures(d)[0]))
            # The platform behaves again: the post it held back arrives,
            # and no request of this fault is left in flight for the next.
            srv.control("scenario", name="normal")
            check(wait_for(lambda: captures(d)[0].get("m") == want_m, 30),
                  "%s: source m recovers and captures what it missed (%s)"
                  % (name, captures(d)[0]))
            print("%s: logged after %.1f s, recovered after %.1f s"
                  % (name, took, time.time() - t0), flush=True)
        # 10 GB offered three ways and never held: the peak stays far below.
        hwm = vm_kb(p.pid, "VmHWM")
        check(0 < hwm < 512 * 1024, "peak memory of vigild stays bounded (%d kB)" % hwm)
        print("vigild peak resident memory: %d MB" % (hwm // 1024), flush=True)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        check(p.returncode == 0, "SIGTERM: vigild exits 0 (%s)" % p.returncode)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        log.close()
    with open(log_path) as f:
        errors = [l for l in f if l.startswith("vigild: error:")]
    check(errors and all(l.startswith("vigild: error: [source m] ") for l in errors),
          "every error line names the failing source (%d lines)" % len(errors))
    verify_ok(d, "after the faults")

    # --once under a fault: the healthy source is polled, exit 3.
    srv.control("scenario", name="deep", only="mastodon")
    srv.control("add", platform="x", n=2)
    r = subprocess.run(WRAP + [VIGILD, "-c", conf, "--once"], capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 3, "--once with a failing source exits 3 (%d)" % r.returncode)
    check("[source m] could not be polled" in r.stderr and "nested too deeply" in r.stderr,
          "--once names the source and the fault (%s)" % r.stderr[-400:])
    check(captures(d)[0].get("x") == 20 + len(FAULTS) + 2, "--once still captures source x")
    srv.control("scenario", name="normal")
    verify_ok(d, "after --once")


def tls_wrong_host(d):
    if not shutil.which("openssl"):
        check(False, "openssl is needed for the TLS checks (contrib/deps.sh installs it)")
        return
    ca, certs = pl.make_certs(d, {"wrong": "DNS:wrong.example", "right": "IP:127.0.0.1"})
    wrong = pl.Server(posts=5, tls=certs["wrong"])
    right = pl.Server(posts=5, tls=certs["right"])
    try:
        sources = ("[source tls-wrong]\nplatform = mastodon\nclinician = jroe\nbase_url = %s\n"
                   "token_file = %s\n"
                   "[source tls-right]\nplatform = x\nclinician = jroe\nbase_url = %s\n"
                   "user_id = 4242\ntoken_file = %s\n"
                   % (wrong.url, wrong.tokens["mastodon"], right.url, right.tokens["x"]))
        # ca_file is checked by vigild -n, with its line.
        with open(os.path.join(d, "not-pem"), "w") as f:
            f.write("hello\n")
        for bad, words in (("/nonexistent/ca.pem", "No such file"),
                           (os.path.join(d, "not-pem"), "holds no PEM certificate")):
            conf = write_config(d, sources, "ca_file = %s" % bad)
            r = subprocess.run([VIGILD, "-n", "-c", conf], capture_output=True, text=True)
            check(r.returncode == 1 and re.search(r"vigil\.conf:6: ca_file '%s'.*%s"
                                                  % (re.escape(bad), words), r.stderr),
                  "vigild -n refuses ca_file %s (%s)" % (bad, r.stderr.strip()))
        conf = write_config(d, sources, "ca_file = %s" % ca)
        r = subprocess.run([VIGILD, "-n", "-c", conf], capture_output=True, text=True)
        check(r.returncode == 0, "vigild -n accepts a readable ca_file (%s)" % r.stderr.strip())
        before = captures(d)[0]
        r = subprocess.run(WRAP + [VIGILD, "-c", conf, "--once"], capture_output=True, text=True,
                           timeout=120)
        after = captures(d)[0]
        check(r.returncode == 3, "https to the wrong host: --once exits 3 (%d)" % r.returncode)
        line = [l for l in r.stderr.splitlines() if l.startswith("vigild: error: [source tls-wrong] ")]
        check(line and re.search(r"certificate|SSL", line[0]) and "127.0.0.1" in line[0]
              and ("wrong.example" in line[0] or "host name" in line[0]),
              "the refusal names the source, the certificate and the host (%s)"
              % (line[0] if line else r.stderr[-400:]))
        print(line[0] if line else "no line", flush=True)
        check(after.get("tls-wrong", 0) == before.get("tls-wrong", 0),
              "nothing captured from the wrong host")
        check(after.get("tls-right", 0) == before.get("tls-right", 0) + 5,
              "the CA's certificate for 127.0.0.1 is accepted through ca_file (%s)" % after)
        verify_ok(d, "after TLS")
    finally:
        wrong.stop()
        right.stop()


def main():
    d = tempfile.mkdtemp(prefix="vigil-server-faults-")
    srv = pl.Server(posts=20)
    try:
        daemon_faults(d, srv)
    finally:
        srv.stop()
    tls_wrong_host(d)
    print("server-faults took %.1f s" % (time.time() - T0))
    shutil.rmtree(d, ignore_errors=True)
    pl.finish()


if __name__ == "__main__":
    main()
