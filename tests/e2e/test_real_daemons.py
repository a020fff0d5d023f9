"""Real daemons from Debian as workers, unchanged (issue 12): lighttpd
(socket activation, no sd_notify: ready=exec) and gunicorn (socket
activation and sd_notify: ready=notify). Requests answered; max_lifetime
rotates them under load with no failed request and no capacity dip; stop
is SIGTERM first (their own shutdown line in the log); lighttpd forking
into the background is followed. .ci/run installs the packages; without
them these tests skip, saying so."""

import http.client
import os
import shutil
import unittest

import harness as h
from test_ready_daemons import rotate_under_load, running

LIGHTTPD = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
GUNICORN = shutil.which("gunicorn") or "/usr/bin/gunicorn"

LIGHTTPD_CONF = """server.document-root = "{DIR}/www"
server.bind = "127.0.0.1"
server.port = {PORT1}
server.systemd-socket-activation = "enable"
server.pid-file = "{DIR}/lighttpd.pid"
"""

WSGI_APP = """import os
def app(environ, start_response):
    body = ("hello from gunicorn %d %s\\n" % (os.getpid(), environ["PATH_INFO"])).encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
"""


def http_get(addr, tag, timeout=h.IO_TIMEOUT_S):
    """GET /TAG over a fresh connection; the body, or an exception."""
    conn = http.client.HTTPConnection(addr[0], addr[1], timeout=timeout)
    try:
        conn.request("GET", "/" + tag.replace(" ", "_"), headers={"Connection": "close"})
        r = conn.getresponse()
        body = r.read().decode()
        if r.status != 200:
            raise AssertionError("HTTP %d for %s: %r" % (r.status, tag, body))
        return body
    finally:
        conn.close()


def lighttpd_get(addr, tag):
    body = http_get(addr, "index.txt")
    if body != "hello from lighttpd\n":
        raise AssertionError("got %r" % body)


def gunicorn_get(addr, tag):
    body = http_get(addr, tag)
    if not body.startswith("hello from gunicorn"):
        raise AssertionError("got %r" % body)


@unittest.skipUnless(os.access(LIGHTTPD, os.X_OK), "lighttpd not installed (apt-get install lighttpd)")
class Lighttpd(h.MasterTestCase):
    def lighttpd(self, opts, args="-D"):
        m = self.master("127.0.0.1:{PORT1} inet n n n - - %s -o ready=exec %s %s"
                        " -f {DIR}/lighttpd.conf\n" % (LIGHTTPD, opts, args),
                        nports=1, start=False)
        m.write("lighttpd.conf", LIGHTTPD_CONF)
        os.mkdir(m.path("www"))
        m.write("www/index.txt", "hello from lighttpd\n")
        m.start(wait=False)
        return m

    def test_serves_rotates_under_load_with_sigint(self):
        # SIGTERM makes lighttpd drop the requests in hand; SIGINT is its
        # graceful shutdown (as nginx's is SIGQUIT): stop_signal says so.
        m = self.lighttpd("-o prefork=2 -o max_lifetime=3 -o lifetime_jitter=0"
                          " -o stop_signal=INT")
        st = running(m, 2)
        first = m.worker_pids(st=st)
        for i in range(5):
            lighttpd_get(m.addr(), str(i))
        rotate_under_load(self, m, 2, fn=lighttpd_get)
        for pid in first:
            m.wait_log(r"\[%d\]: .*graceful shutdown started" % pid, 5)
            m.wait_log(r"\[%d\]: .*server stopped by UID = 0 PID = %d" % (pid, m.pid), 5)
        self.assertNotIn("killing worker", m.log())

    def test_stop_is_sigterm_first(self):
        m = self.lighttpd("-o prefork=2")
        st = running(m, 2)
        lighttpd_get(m.addr(), "x")
        last = m.worker_pids(st=st)
        self.assertEqual(m.stop(), 0)
        for pid in last:
            self.assertRegex(m.log(), r"\[%d\]: .*server stopped by UID = 0 PID = %d"
                             % (pid, m.pid))
            self.assertGone(pid)
        self.assertNotIn("killing worker", m.log())

    def test_forking_into_the_background_is_followed(self):
        self.require_root("cgroup containment follows a daemon that forks away")
        m = self.lighttpd("", args="")
        # The pid it serves under, as it says itself once forked: a status
        # taken before the fork was followed shows the first one.
        def pidfile():
            with open(m.path("lighttpd.pid")) as f:
                return int(f.read())
        pid = h.poll_until(pidfile, 15, "lighttpd.pid written", detail=m.detail)
        m.wait_log(r"worker \d+ exited \(forked into the background\); its process %d "
                   r"carries on as the worker" % pid, 5)
        m.wait_for(lambda st: m.worker_pids(st=st) == [pid]
                   and m.service(st=st)["workers"]["running"] == 1, 5,
                   "status showing %d running" % pid)
        lighttpd_get(m.addr(), "bg")
        self.assertEqual(m.service()["start_failures"], 0, m.log_tail(40))
        # Its stderr is /dev/null now: no last words, but no SIGKILL either.
        self.assertEqual(m.stop(), 0)
        self.assertNotIn("killing worker", m.log())
        self.assertGone(pid)


@unittest.skipUnless(os.access(GUNICORN, os.X_OK),
                     "gunicorn not installed (apt-get install gunicorn python3-gunicorn)")
class Gunicorn(h.MasterTestCase):
    def gunicorn(self, opts):
        # --graceful-timeout below the master's stop_timeout (10 s), as a
        # unit's TimeoutStopSec must exceed it: a SIGTERM that reaches a
        # gunicorn worker between its fork and its own signal handlers is
        # lost (it still has the arbiter's), and the arbiter then waits 30 s.
        m = self.master("127.0.0.1:0 inet n n n - - %s -o ready=notify %s"
                        " --chdir {DIR} --workers 2 --graceful-timeout 5"
                        " app:app\n" % (GUNICORN, opts),
                        start=False)
        m.write("app.py", WSGI_APP)
        m.start(wait=False)
        return m

    def test_ready_by_sd_notify_rotates_under_load_and_stops_with_sigterm(self):
        m = self.gunicorn("-o prefork=2 -o max_lifetime=4 -o lifetime_jitter=0")
        st = running(m, 2, timeout=30)
        first = m.worker_pids(st=st)
        for p in m.service(st=st)["procs"]:
            self.assertEqual(p["status_text"], "Gunicorn arbiter booted")
        gunicorn_get(m.addr(), "first")
        rotate_under_load(self, m, 2, fn=gunicorn_get, seconds=12.0)
        for pid in first:
            m.wait_log(r"\[%d\]: .*Handling signal: term" % pid, 5)
        # Rotation goes on: the ones that run now (a starting one may get
        # SIGTERM before it has a handler).
        last = [p["pid"] for p in running(m, 2)["services"][0]["procs"]
                if p["state"] == "running"]
        self.assertEqual(m.stop(), 0)
        for pid in last:
            self.assertRegex(m.log(), r"\[%d\]: .*Handling signal: term" % pid)
            self.assertRegex(m.log(), r"\[%d\]: .*Shutting down: Master" % pid)
            self.assertGone(pid)
        self.assertNotIn("killing worker", m.log())
