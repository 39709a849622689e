# SPDX-License-Identifier: Apache-2.0
"""A minimal SMTP receiver on loopback for the tests: accepts every message
and keeps (from, to, data), and every AUTH PLAIN login as (user, password).
Plain SMTP, which vigil allows to loopback; or, given tls=(certificate, key),
SMTP over TLS from the first byte (smtps://)."""
import base64
import socketserver
import ssl
import threading


class SMTPSink:
    def __init__(self, tls=None):
        self.messages = []
        self.logins = []
        outer = self
        ctx = None
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls[0], tls[1])

        class H(socketserver.StreamRequestHandler):
            def setup(self):
                if ctx:
                    self.request = ctx.wrap_socket(self.request, server_side=True)
                super().setup()

            def say(self, line):
                self.wfile.write((line + "\r\n").encode())

            def handle(self):
                self.say("220 localhost vigil-test ESMTP")
                mail_from, rcpt = None, []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("utf-8", "replace").strip()
                    up = cmd.upper()
                    if up.startswith("EHLO"):
                        self.say("250-localhost")
                        self.say("250 AUTH PLAIN")
                    elif up.startswith("HELO"):
                        self.say("250 localhost")
                    elif up.startswith("AUTH PLAIN"):
                        blob = cmd[11:]
                        if not blob:  # no initial response: ask for it
                            self.say("334 ")
                            blob = self.rfile.readline().decode().strip()
                        _, user, password = base64.b64decode(blob).decode().split("\0")
                        outer.logins.append((user, password))
                        self.say("235 OK")
                    elif up.startswith("MAIL FROM:"):
                        mail_from, rcpt = cmd[10:].strip(), []
                        self.say("250 OK")
                    elif up.startswith("RCPT TO:"):
                        rcpt.append(cmd[8:].strip())
                        self.say("250 OK")
                    elif up == "DATA":
                        self.say("354 end with .")
                        data = []
                        while True:
                            l = self.rfile.readline()
                            if not l or l in (b".\r\n", b".\n"):
                                break
                            data.append(l)
                        outer.messages.append((mail_from, rcpt, b"".join(data).decode("utf-8", "replace")))
                        self.say("250 OK queued")
                    elif up == "QUIT":
                        self.say("221 bye")
                        return
                    elif up in ("RSET", "NOOP"):
                        self.say("250 OK")
                    else:
                        self.say("502 not implemented")

        self.srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.url = "%s://127.0.0.1:%d" % ("smtps" if tls else "smtp", self.srv.server_address[1])
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
