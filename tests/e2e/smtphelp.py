"""smtphelp.py - helpers for the smtpd end-to-end tests (test_smtpd.py):
the real mail clients (Postfix's smtp-source and smtp-sink, swaks), a
one-shot capture server that records what a client sends, a relay that
stalls a client's bytes, a raw SMTP dialogue, and a Maildir reader that
splits off smtpd's trace lines. Loopback only; every wait has a deadline.
"""

import os
import pwd
import re
import select
import shutil
import socket
import subprocess
import threading
import time

import harness as h

SMTPD = os.path.join(h.BUILD, "services", "smtpd")
SWEEP = os.path.join(h.BUILD, "services", "sweep")
CLIENT_TIMEOUT_S = 180      # one smtp-source or swaks run, at most


def tool(name):
    """Path of a client program, or None (they live in /usr/sbin too)."""
    return shutil.which(name) or next(
        (p for p in ("/usr/sbin/" + name, "/usr/bin/" + name) if os.access(p, os.X_OK)), None)


def missing(*names):
    """The reason to skip when one of the programs is not installed."""
    gone = [n for n in names if tool(n) is None]
    if not gone:
        return None
    return ("%s not installed (Debian: apt-get install postfix swaks; .ci/run does)"
            % ", ".join(gone))


def smtpd_is_static():
    """Whether build/services/smtpd is a static executable (not in the
    sanitizer builds): only then can it run in a jail without libraries."""
    with open(SMTPD, "rb") as f:
        head = f.read(1 << 20)
    return b"/lib64/ld-linux" not in head and b"/lib/ld-linux" not in head


def make_spool(parent, name="spool"):
    """A spool directory the workers may write: as root, owned by nobody
    (the default_user the unpriv=y workers run as). Returns (path, unpriv
    column)."""
    path = os.path.join(parent, name)
    os.mkdir(path, 0o700)
    if h.is_root():
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
        return path, "y"
    return path, "n"


def maildir(spool, sub="new"):
    """{name: bytes} of the files in spool/sub."""
    d = os.path.join(spool, sub)
    out = {}
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n), "rb") as f:
            out[n] = f.read()
    return out


TRACE_RX = re.compile(
    rb"^Return-Path: <(?P<from>[^>]*)>\r\n"
    rb"Received: from (?P<helo>\S+) \((?P<client>[^)]*)\)\r\n"
    rb"\tby (?P<by>\S+) \(master smtpd\) with (?P<proto>E?SMTP) id (?P<id>\S+?)"
    rb"(?:\r\n\tfor <(?P<rcpt>[^>]*)>)?;\r\n"
    rb"\t(?P<date>[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000)\r\n")


def split_trace(data):
    """(trace fields as a dict of str, the message as the client sent it)."""
    m = TRACE_RX.match(data)
    if not m:
        raise AssertionError("no trace lines at the start of %r" % data[:300])
    fields = {k: (v.decode() if v is not None else None) for k, v in m.groupdict().items()}
    return fields, data[m.end():]


def run(cmd, timeout=CLIENT_TIMEOUT_S):
    """Runs a client: (exit status, stdout+stderr as text)."""
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def swaks(addr, *args, timeout=60):
    host, port = addr
    return run([tool("swaks"), "--server", "%s:%d" % (host, port),
                "--timeout", "30"] + list(args), timeout=timeout)


class CaptureServer:
    """A one-message SMTP server on loopback that records the text of the
    first message exactly as it arrives (dot-stuffed, CRLF), then quits:
    what a client sends, seen by something that is not smtpd."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(h.IO_TIMEOUT_S)
        self.port = self.sock.getsockname()[1]
        self.raw = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        c, _ = self.sock.accept()
        c.settimeout(h.IO_TIMEOUT_S)
        c.sendall(b"220 capture ESMTP\r\n")
        buf, text, in_data = b"", None, False
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while True:
                    if in_data:
                        end = buf.find(b"\r\n.\r\n")
                        if end < 0:
                            break
                        text, buf, in_data = buf[:end + 2], buf[end + 5:], False
                        self.raw = text
                        c.sendall(b"250 ok\r\n")
                        continue
                    if b"\r\n" not in buf:
                        break
                    line, buf = buf.split(b"\r\n", 1)
                    verb = line[:4].upper()
                    if verb == b"DATA":
                        in_data = True
                        buf = b"\r\n" + buf     # the text starts after a CRLF
                        c.sendall(b"354 go\r\n")
                    elif verb == b"QUIT":
                        c.sendall(b"221 bye\r\n")
                        return
                    else:
                        c.sendall(b"250 ok\r\n")
        finally:
            c.close()
            self.sock.close()

    def text(self):
        """The message's text, dot-unstuffed (RFC 5321 4.5.2)."""
        self.thread.join(h.IO_TIMEOUT_S)
        if self.raw is None:
            raise AssertionError("the capture server got no message")
        lines = self.raw[2:].split(b"\r\n")
        return b"\r\n".join(ln[1:] if ln.startswith(b".") else ln for ln in lines)


class StallingRelay:
    """Relays one client to upstream, but stops passing the client's bytes
    on after the first line that matches hold_after: from the server's side
    the client goes quiet, while the client itself still sees every reply.
    (swaks cannot be told to fall silent; this makes it.)"""

    def __init__(self, upstream, hold_after=rb"^EHLO "):
        self.upstream = upstream
        self.hold_rx = re.compile(hold_after, re.M)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(h.IO_TIMEOUT_S)
        self.addr = self.sock.getsockname()
        self.held_at = None         # monotonic time the client's bytes stopped
        self.closed_at = None       # ... and the server closed
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        client, _ = self.sock.accept()
        server = socket.create_connection(self.upstream, timeout=h.IO_TIMEOUT_S)
        pending, holding = b"", False
        try:
            while True:
                r, _, _ = select.select([client, server], [], [], 60)
                if not r:
                    return
                if server in r:
                    data = server.recv(65536)
                    if not data:
                        self.closed_at = time.monotonic()
                        return
                    client.sendall(data)
                if client in r:
                    data = client.recv(65536)
                    if not data:
                        return
                    if holding:
                        continue
                    pending += data
                    while b"\n" in pending and not holding:
                        line, pending = pending.split(b"\n", 1)
                        server.sendall(line + b"\n")
                        if self.hold_rx.search(line):
                            holding = True
                            self.held_at = time.monotonic()
        finally:
            client.close()
            server.close()
            self.sock.close()


def dialogue(addr, data, timeout=h.IO_TIMEOUT_S):
    """Sends data in one write (a pipelined client), reads until the server
    closes: the replies as text."""
    with h.connect(addr, timeout) as s:
        s.sendall(data)
        buf = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors="replace")
