#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Key and secret hygiene of the real vigild: a known signing key and known
tokens, app passwords, Reddit credentials, an API key and an SMTP password
in secret files, right ones and wrong ones, polled with -v while the
platform server refuses logins and tokens (401s). Then:

- no line vigild wrote holds the key (raw, hex, base64) or any secret;
- vigild runs with RLIMIT_CORE 0 (though its parent allowed cores) and is
  not dumpable (/proc/PID is root's while vigild runs as another user);
- a gcore of the running vigild holds its public key (the search works)
  but not the signing key, which lives in sodium_malloc() memory marked
  MADV_DONTDUMP, nor any token, password or session token in any form:
  those live in sodium_malloc() memory too, every transient copy
  (libcurl's included) is wiped when it is freed, and so are the vector
  registers (the core's register notes) before vigild sleeps;
- SIGSEGV, after raising its core limit from outside, and SIGABRT leave no
  core, while a control process in the same place dumps one;
- secret files group or others may read are refused.

All of it twice: with the platform and SMTP servers on plain http and
smtp, then on https and smtps with a certificate from a throwaway CA that
vigild trusts through ca_file. Over TLS, OpenSSL's read buffers hold the
plaintext of every answer (session tokens) unless it wipes them
(SSL_OP_CLEANSE_PLAINTEXT); each secret found is named with where it was:
a mapping's memory or the registers.

Run as root (CI): vigild then runs as nobody (setpriv) so that /proc shows
whether it is dumpable, and gcore may attach. glibc's MALLOC_PERTURB_ (set
by meson) is removed from vigild's environment: freed memory keeps what a
production vigild's would."""
import base64
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platformlib as pl  # noqa: E402
from platformlib import check, server  # noqa: E402
from smtpsink import SMTPSink  # noqa: E402

VIGILD = os.environ["VIGILD"]
VIGILCTL = os.environ["VIGILCTL"]
ROOT = os.geteuid() == 0
UID = 65534 if ROOT else os.getuid()
GID = 65534 if ROOT else os.getgid()
AS_USER = (["setpriv", "--reuid=%d" % UID, "--regid=%d" % GID, "--clear-groups", "--"]
           if ROOT else [])
ENV = {k: v for k, v in os.environ.items() if k != "MALLOC_PERTURB_"}
# A sanitizer build would catch SIGSEGV itself; the kernel's handling is
# what is under test.
ENV["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "handle_segv=0"]))
# gcore writes every mapping; a sanitizer's shadow memory is terabytes.
# Never more than this much core on disk.
CORE_MAX = 1 << 30

SEED = os.urandom(32)
WRONG = {"mw": "mastodon-wrong-SECRET-8", "xw": "x-wrong-SECRET-9", "bw": "bsky-wrong-SECRET-10",
         "rw": "client_id=rid\nclient_secret=rsecret-wrong-SECRET-11\nusername=vigil_test\n"
               "password=rpass-wrong-SECRET-12"}
SMTP_PASSWORD = "smtp-pass-SECRET-13"


def put(d, name, data, mode=0o600):
    path = os.path.join(d, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.write(fd, data if isinstance(data, bytes) else (data + "\n").encode())
    os.close(fd)
    os.chmod(path, mode)
    os.chown(path, UID, GID)
    return path


def secrets():
    """Every secret vigild holds or is given, and the forms it may take;
    with how many secrets that is."""
    reddit = "%s:%s" % (server.REDDIT["client_id"], server.REDDIT["client_secret"])
    plain = list(server.TOKENS.values()) + [server.BSKY_PASSWORD, server.REDDIT["client_secret"],
                                            server.REDDIT["password"], "reddit-bearer-SECRET-7",
                                            SMTP_PASSWORD]
    plain += [v.split("=", 1)[1] for w in WRONG.values() for v in w.split("\n")
              if "=" in v and "SECRET" in v] + [w for w in WRONG.values() if "\n" not in w]
    forms = {}
    for s in plain:
        forms[s] = s.encode()
        if urllib.parse.quote(s, safe="") != s:
            forms[s + " (url-encoded)"] = urllib.parse.quote(s, safe="").encode()
    forms["reddit Basic credentials"] = base64.b64encode(reddit.encode())
    forms["SMTP AUTH PLAIN"] = base64.b64encode(b"\0vigil\0" + SMTP_PASSWORD.encode())
    # Bluesky sessions handed out by the server: access-jwt-N, refresh-jwt-N.
    for n in range(1, 6):
        for kind in ("access", "refresh"):
            t = "%s-jwt-%d" % (kind, n)
            forms[t] = t.encode()
    return forms, len(plain) + 10


def key_forms(pub):
    sk = SEED + pub
    out = {}
    for name, raw in (("seed", SEED), ("secret key", sk)):
        out[name + " (raw)"] = raw
        out[name + " (hex)"] = raw.hex().encode()
        out[name + " (HEX)"] = raw.hex().upper().encode()
        out[name + " (base64)"] = base64.b64encode(raw).rstrip(b"=")
        out[name + " (base64url)"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
    return out


def write_config(d, srv, mail, ca=None):
    t = {p: put(d, p + ".token", v) for p, v in (
        ("m", server.TOKENS["mastodon"]), ("x", server.TOKENS["x"]), ("b", server.BSKY_PASSWORD),
        ("r", "".join("%s=%s\n" % kv for kv in server.REDDIT.items()).strip()),
        ("y", server.TOKENS["youtube"]))}
    t.update({p: put(d, p + ".token", v) for p, v in WRONG.items()})
    smtp = put(d, "smtp.pass", SMTP_PASSWORD)
    src = ""
    for name, tok in (("m", "m"), ("mw", "mw")):
        src += ("[source %s]\nplatform = mastodon\nclinician = jroe\nbase_url = %s\n"
                "token_file = %s\n" % (name, srv.url, t[tok]))
    for name, tok in (("x", "x"), ("xw", "xw")):
        src += ("[source %s]\nplatform = x\nclinician = jroe\nbase_url = %s\nuser_id = 4242\n"
                "token_file = %s\n" % (name, srv.url, t[tok]))
    for name, tok in (("b", "b"), ("bw", "bw")):
        src += ("[source %s]\nplatform = bluesky\nclinician = jroe\nbase_url = %s\n"
                "identifier = drsynthetic.test\npassword_file = %s\n" % (name, srv.url, t[tok]))
    for name, tok in (("r", "r"), ("rw", "rw")):
        src += ("[source %s]\nplatform = reddit\nclinician = jroe\nbase_url = %s\nauth_url = %s\n"
                "username = vigil_test\ntoken_file = %s\n" % (name, srv.url, srv.url, t[tok]))
    src += ("[source y]\nplatform = youtube\nclinician = jroe\nbase_url = %s/youtube/v3\n"
            "channel_id = UCclinician\napi_key_file = %s\n" % (srv.url, t["y"]))
    conf = os.path.join(d, "vigil.conf")
    with open(conf, "w") as f:
        f.write("[vigil]\ndatabase = %s/vigil.db\nsigning_key = %s/signing.key\n"
                "poll_interval = 1\nrecheck_interval = 1\nalert_labels = insult\n"
                "alert_group_window = 0\nsmtp_url = %s\nsmtp_from = vigil@test.invalid\n"
                "smtp_user = vigil\nsmtp_password_file = %s\n%s"
                "[clinician jroe]\nname = Dr. Jane Roe\nalert_email = sec@hospital.invalid\n%s"
                % (d, d, mail.url, smtp, "ca_file = %s\n" % ca if ca else "", src))
    os.chown(conf, UID, GID)
    return conf


def found_in(core, names, forms):
    """Which of names have their form in core, each with where: in the
    memory of a mapping, or in the notes (the threads' registers)."""
    phoff, = struct.unpack_from("<Q", core, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", core, 0x36)
    segs = []
    for i in range(phnum):
        typ, _, off, _, _, size = struct.unpack_from("<IIQQQQ", core, phoff + i * phentsize)
        segs.append(("memory" if typ == 1 else "registers" if typ == 4 else "type %d" % typ,
                     off, size))
    out = {}
    for n in names:
        at, i = set(), core.find(forms[n])
        while i >= 0:
            at |= {w for w, off, size in segs if off <= i < off + size} or {"outside"}
            i = core.find(forms[n], i + 1)
        if at:
            out[n] = "/".join(sorted(at))
    return out


def allow_cores():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def start(cmd, d, log):
    return subprocess.Popen(AS_USER + cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=log,
                            env=ENV, preexec_fn=allow_cores)


def cores_in(d):
    return [n for n in os.listdir(d) if n == "core" or n.startswith("core.")]


def limits_core(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max core file size"):
                return line.split()[4:6]
    return None


def crash(p, sig, d, what):
    p.send_signal(sig)
    _, status = os.waitpid(p.pid, 0)
    p.returncode = -sig
    check(os.WIFSIGNALED(status) and os.WTERMSIG(status) == sig,
          "%s: vigild died of signal %d (status %#x)" % (what, sig, status))
    check(not os.WCOREDUMP(status), "%s: the kernel dumped no core" % what)
    check(not cores_in(d), "%s: no core file in vigild's directory (%s)" % (what, cores_in(d)))


def control_core(d):
    """The same uid, directory and limit dump a core when dumpable: the
    checks above could see one."""
    pattern = open("/proc/sys/kernel/core_pattern").read().strip()
    p = subprocess.Popen(AS_USER + ["sleep", "30"], cwd=d, env=ENV, preexec_fn=allow_cores)
    time.sleep(0.3)
    owner = os.stat("/proc/%d/status" % p.pid).st_uid
    p.send_signal(signal.SIGSEGV)
    _, status = os.waitpid(p.pid, 0)
    p.returncode = -signal.SIGSEGV
    found = cores_in(d)
    print("core_pattern %r; control process: core dumped %s, files %s"
          % (pattern, bool(os.WCOREDUMP(status)), found), flush=True)
    if not pattern.startswith("|"):
        check(os.WCOREDUMP(status) and found, "control: a dumpable process leaves a core here")
    for n in found:
        os.unlink(os.path.join(d, n))
    return owner


def run(tls):
    """All of the above with vigild talking plain http and smtp to the
    local servers, or (tls) https and smtps with a CA of its ca_file."""
    print("== %s ==" % ("https and smtps" if tls else "http and smtp"), flush=True)
    d = tempfile.mkdtemp(prefix="vigil-secrets-")
    os.chown(d, UID, GID)
    ca, certs = pl.make_certs(d, {"local": "IP:127.0.0.1"}) if tls else (None, {})
    srv = pl.Server(posts=12, tls=certs.get("local"), ca=ca)
    mail = SMTPSink(tls=certs.get("local"))
    log_path = os.path.join(d, "vigild.log")
    log = open(log_path, "w")
    p = None
    try:
        # Secret files others may read are refused, naming the mode.
        conf = write_config(d, srv, mail, ca)
        os.chmod(os.path.join(d, "m.token"), 0o644)
        r = subprocess.run(AS_USER + [VIGILD, "-n", "-c", conf], capture_output=True, text=True)
        check(r.returncode == 1 and "m.token' has mode 0644" in r.stderr,
              "vigild -n refuses a token file of mode 0644 (%s)" % r.stderr.strip())
        os.chmod(os.path.join(d, "m.token"), 0o600)
        key = put(d, "signing.key", SEED, 0o644)
        r = subprocess.run(AS_USER + [VIGILD, "-c", conf, "--once"], capture_output=True,
                           text=True, cwd=d, env=ENV)
        check(r.returncode == 1 and "has mode 0644" in r.stderr and "signing.key" in r.stderr,
              "vigild refuses a signing key of mode 0644 (%s)" % r.stderr.strip()[-300:])
        os.chmod(key, 0o600)

        p = start([VIGILD, "-v", "-c", conf], d, log)

        # vigilctl reads the ledger as vigild's user, as an operator
        # should: root's SQLite creates the -shm file first as root and
        # only then hands it to the database's owner, and a vigild opening
        # the ledger in that moment was refused it ("unable to open
        # database file") once, on a loaded machine.
        def n_captures():
            r = subprocess.run(AS_USER + [VIGILCTL, "--db", d + "/vigil.db", "list",
                                          "--format", "jsonl"],
                               capture_output=True, text=True)
            return {json.loads(l)["body"].get("source") for l in r.stdout.splitlines()
                    if '"capture"' in l}
        ok = pl.wait_for(lambda: {"m", "x", "b", "r", "y"} <= n_captures() and mail.logins, 30)
        check(ok, "every right source captured and an alert mailed with SMTP AUTH (%s, %d logins)"
              % (n_captures(), len(mail.logins)))
        check(mail.logins and mail.logins[0] == ("vigil", SMTP_PASSWORD),
              "the SMTP password reached the server")
        # Now the platform refuses every token: errors with the right ones.
        srv.control("scenario", name="unauthorized")
        time.sleep(3)
        check(p.poll() is None, "vigild keeps running")
        pid = p.pid

        # The running process: no core limit, not dumpable.
        check(limits_core(pid) == ["0", "0"],
              "vigild set RLIMIT_CORE to 0 though its parent allowed cores (%s)" % limits_core(pid))
        owner = os.stat("/proc/%d/status" % pid).st_uid
        control_owner = control_core(d)
        check(control_owner == UID, "control: /proc of a dumpable process is its user's")
        check(owner == 0, "vigild is not dumpable: /proc/%d is root's, not uid %d's (%d)"
              % (pid, UID, owner))
        pub = None
        r = subprocess.run(AS_USER + [VIGILCTL, "--db", d + "/vigil.db", "show", "0"],
                           capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if "public_key" in line:
                pub = base64.b64decode(line.split('"public_key"')[1].split('"')[1])
        check(pub is not None and len(pub) == 32, "entry 0 names the public key")
        try:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
            mine = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes(
                Encoding.Raw, PublicFormat.Raw)
            check(mine == pub, "vigild signs with the key in the key file")
        except ImportError:
            print("python3-cryptography absent: the key's public half is taken from entry 0")
        keys = key_forms(pub or b"")
        tokens, n_secrets = secrets()

        # gcore of the running vigild (not of a sanitizer build: its
        # shadow memory would make a core of terabytes).
        in_core = []
        sanitized = any(n in open("/proc/%d/maps" % pid).read() for n in ("libasan", "asan_rt"))
        if sanitized:
            print("vigild is built with AddressSanitizer: no gcore (the normal build takes one)")
        elif shutil.which("gcore") and ROOT:
            def take_core():
                r = subprocess.run(["gcore", "-o", os.path.join(d, "gcore"), str(pid)],
                                   capture_output=True, text=True, timeout=120,
                                   preexec_fn=lambda: resource.setrlimit(
                                       resource.RLIMIT_FSIZE, (CORE_MAX, CORE_MAX)))
                path = os.path.join(d, "gcore.%d" % pid)
                core = b""
                if os.path.exists(path):
                    if os.path.getsize(path) < CORE_MAX:
                        core = open(path, "rb").read()
                    os.unlink(path)  # never left behind, whatever happens next
                check(r.returncode == 0 and core, "gcore of vigild (%s)" % r.stderr[-300:])
                return core
            core = take_core()
            check(pub and pub in core, "control: the core holds vigild's public key (%d MB core)"
                  % (len(core) >> 20))
            found = [n for n, b in keys.items() if b in core]
            check(not found, "the core holds no form of the signing key (found: %s)" % found)
            in_core = found_in(core, tokens, tokens)
            print("gcore: %d MB; signing key: not found; secrets found: %d of %d forms: %s"
                  % (len(core) >> 20, len(in_core), len(tokens), in_core), flush=True)
            if in_core:
                # A transfer in flight holds its headers and body in
                # libcurl's live buffers for a millisecond or two: look
                # again. A copy that stays is in both cores.
                time.sleep(0.5)
                again = take_core()
                in_core = found_in(again, in_core, tokens)
                print("second gcore: still there: %s" % in_core, flush=True)
            # Secrets live in sodium_malloc() memory (not dumped); every
            # transient copy (secret file reads, login answers, request
            # headers and bodies, libcurl's buffers, OpenSSL's read
            # buffers) is wiped when freed, and the vector registers the
            # copies went through are zeroed before vigild sleeps.
            check(not in_core, "the core holds no secret (found: %s)" % in_core)
        elif not ROOT:
            print("not root: gcore cannot attach to a process that is not dumpable; "
                  "the core search runs as root (CI)")
        else:
            check(False, "gcore (gdb) is needed for the core search (contrib/deps.sh installs it)")

        # A real crash: no core. Where we may (CAP_SYS_RESOURCE), raise
        # vigild's core limit from outside first, so that not being
        # dumpable is all that stands in the way.
        raised = False
        try:
            resource.prlimit(pid, resource.RLIMIT_CORE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            raised = limits_core(pid) == ["unlimited", "unlimited"]
            check(raised, "core limit raised from outside")
        except PermissionError:
            print("cannot raise vigild's core limit from here (no CAP_SYS_RESOURCE): "
                  "the crash meets both defences", flush=True)
        crash(p, signal.SIGSEGV, d, "SIGSEGV" + (" with the core limit raised" if raised else ""))
        p2 = start([VIGILD, "-c", conf], d, log)
        time.sleep(1.5)
        crash(p2, signal.SIGABRT, d, "SIGABRT")
    finally:
        for proc in (p,):
            if proc and proc.returncode is None and proc.poll() is None:
                proc.kill()
                proc.wait()
        log.close()
        srv.stop()

    # Every line vigild wrote, searched.
    text = open(log_path, "rb").read()
    lines = text.count(b"\n")
    errors = [l for l in text.decode(errors="replace").splitlines() if ": error: " in l]
    check(any("[source mw]" in l and "token rejected" in l for l in errors) and
          any("[source bw]" in l and "login refused" in l for l in errors) and
          any("[source rw]" in l for l in errors) and
          any("[source m] " in l and "HTTP 401" in l for l in errors),
          "wrong and refused tokens were logged as errors (%d error lines)" % len(errors))
    leaked = [n for n, b in list(tokens.items()) + list(keys.items()) if b in text]
    check(not leaked, "no log line holds a secret or the key (found: %s)" % leaked)
    print("log: %d lines (%d errors) searched for %d forms of %d secrets and the key: %d found"
          % (lines, len(errors), len(tokens) + len(keys), n_secrets, len(leaked)))
    if not pl.FAILED:
        shutil.rmtree(d, ignore_errors=True)


def main():
    if not shutil.which("openssl"):
        check(False, "openssl is needed for the https run (contrib/deps.sh installs it)")
    run(False)
    if shutil.which("openssl"):
        run(True)
    pl.finish()


if __name__ == "__main__":
    main()
