"""Reload never blocks the loop: a FIFO (or any non-regular file) in place
of master.cf or master.conf is refused at once, naming the file, by reload,
check and `master -n`; a reload whose name lookups hang (a DNS server that
holds its answers, in a network namespace of the test's own) leaves
`status` answering within 100 ms, refuses a second `masterctl reload`,
queues a SIGHUP, and is refused after reload_timeout with the old
configuration serving; once the stuck lookup ends, reloads work again.

What the DNS tests prove: config_load (every host, user and group lookup,
and the file reads) runs off the loop thread, and the loop applies its
result or its timeout. A slow LDAP user lookup goes through the same
thread; it is not simulated here."""

import os
import shutil
import signal
import threading
import time
import unittest

import harness as h
from test_ctl import raw_request

STATUS_BUDGET_S = 0.1       # status must answer within this during a reload
PROBES = 10                 # status requests timed while a reload hangs
REFUSAL_BUDGET_S = 2.0      # a refused reload answers at once
SLOWDNS = os.path.join(h.HERE, "slowdns.py")
DNS_WAIT_S = 10.0           # the held query reaches our DNS server


class Background:
    """`masterctl reload` on a thread: (exit status, stdout, stderr) and how
    long it took, once done()."""

    def __init__(self, m, *args):
        self.m, self.args = m, args or ("reload",)
        self.result, self.elapsed = None, None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        t0 = time.monotonic()
        try:
            self.result = self.m.ctl(*self.args, timeout=60)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.result = (-1, "", repr(e))
        self.elapsed = time.monotonic() - t0

    def start(self):
        self.thread.start()
        return self

    def done(self, timeout):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError("masterctl %s still running after %.1fs"
                                 % (" ".join(self.args), timeout))
        return self.result


def timed_status(m):
    """(seconds not spent waiting for a CPU, reply) of one raw `status`
    request; a reply that does not come within 2 s counts as 2 s."""
    def request():
        try:
            return raw_request(m.path("run", "master.ctl"), b"status\n", timeout=2.0)
        except OSError as e:
            return "no reply: %r" % (e,)
    text, took = h.own_seconds(request, m.pid)
    return (2.0 if text.startswith("no reply") else took), text


class SafetyCase(h.MasterTestCase):
    def assert_status_answers(self, m, what):
        slow = []
        for _ in range(PROBES):
            took, text = timed_status(m)
            if took >= STATUS_BUDGET_S or "stable" not in text:
                slow.append("%.0f ms: %r" % (took * 1000, text[:120]))
        self.assertEqual(slow, [], "status during %s: %d of %d slow or wrong\n%s"
                         % (what, len(slow), PROBES, m.log_tail()))


class Fifo(SafetyCase):
    CF = "stable unix n n n - 2 echo -o prefork=1\n"

    def test_fifo_master_cf_refused_at_once(self):
        """master.cf replaced by a FIFO: status answers within 100 ms while
        the reload runs, the reload is refused at once naming the file, the
        old configuration keeps serving; check and master -n refuse it too."""
        m = self.master(self.CF)
        cf = m.path("master.cf")
        os.remove(cf)
        os.mkfifo(cf)
        bg = Background(m).start()
        self.assert_status_answers(m, "a reload on a FIFO")
        rc, out, err = bg.done(REFUSAL_BUDGET_S + 5)
        self.assertEqual(rc, 1, "reload: %s%s" % (out, err))
        self.assertLess(bg.elapsed, REFUSAL_BUDGET_S, "the refusal took %.1fs" % bg.elapsed)
        self.assertIn("%s: not a regular file" % cf, err)
        self.assertIn("nothing changed", err)
        self.assertEqual(h.echo_once(m.addr("stable"), "kept"), "kept")
        self.assertEqual(m.status()["master"]["reloads"], 0)
        t0 = time.monotonic()
        crc, _, cerr = m.ctl("check", timeout=10)
        self.assertEqual(crc, 1)
        self.assertIn("%s: not a regular file" % cf, cerr)
        nrc, nerr = m.run_check(timeout=10)
        self.assertEqual(nrc, 1)
        self.assertIn("%s: not a regular file" % cf, nerr)
        self.assertLess(time.monotonic() - t0, REFUSAL_BUDGET_S * 2)

    def test_fifo_master_conf_refused_at_once(self):
        """master.conf replaced by a FIFO: the same, naming master.conf."""
        m = self.master(self.CF)
        conf = m.path("master.conf")
        os.remove(conf)
        os.mkfifo(conf)
        t0 = time.monotonic()
        try:
            reply = raw_request(m.path("run", "master.ctl"), b"reload\n", timeout=5)
        except OSError as e:
            reply = "no reply: %r" % (e,)
        self.assertLess(time.monotonic() - t0, REFUSAL_BUDGET_S, reply)
        self.assertIn("%s: not a regular file" % conf, reply)
        self.assertIn("nothing changed", reply)
        self.assert_status_answers(m, "after a refused reload")
        # masterctl reads master.conf to find the socket: speak to it directly.
        self.assertEqual(h.echo_once(m.path("run", "public", "stable"), "kept"), "kept")


class NetnsMaster(h.Master):
    """A master in a network and mount namespace of its own, whose
    /etc/resolv.conf names slowdns.py on the namespace's 127.0.0.1. The
    control socket and unix services are files: reachable from outside."""

    def command(self, *extra):
        resolv = os.path.join(self.dir, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:30 attempts:1\n")
        script = ('ip link set lo up && mount --bind "$1" /etc/resolv.conf && '
                  '{ python3 "$2" "$3" </dev/null >/dev/null 2>&1 & } && '
                  'shift 3 && exec "$@"')
        return (["unshare", "--net", "--mount", "--propagation", "private", "--",
                 "sh", "-c", script, "sh", resolv, SLOWDNS, self.dir]
                + super().command(*extra))


class SlowLookup(SafetyCase):
    CF = "stable unix n n n - 2 echo -o prefork=1\n"
    SLOW = "reload-slow.test:{PORT1} inet n n n - 1 echo -o prefork=1\n"

    def netns_master(self, conf=""):
        self.require_root("a network namespace with its own resolver")
        for tool in ("unshare", "ip"):
            if shutil.which(tool) is None:
                self.skipTest("needs %s(8) for a network namespace" % tool)
        m = NetnsMaster(self.CF, conf, nports=1)
        self.addCleanup(m.cleanup)
        m.start()
        h.poll_until(lambda: os.path.exists(m.path("dns.ready")), 10,
                     "the test DNS server ready", detail=m.detail)
        self.slow_name = "reload-slow.test:%d" % m.ports["PORT1"]
        return m

    def queries(self, m):
        try:
            with open(m.path("dns.log")) as f:
                return [ln for ln in f if "reload-slow.test" in ln]
        except FileNotFoundError:
            return []

    def hold_reload(self, m):
        """Starts a reload that hangs in the DNS lookup of the new service."""
        m.write("master.cf", self.CF + self.SLOW)
        bg = Background(m).start()
        h.poll_until(lambda: self.queries(m), DNS_WAIT_S,
                     "the reload's lookup held by the DNS server", detail=m.detail)
        return bg

    def release(self, m):
        open(m.path("dns.release"), "w").close()

    def test_slow_lookup_status_answers_second_reload_refused(self):
        """While a reload waits for a host-name lookup: status answers
        within 100 ms, a second masterctl reload is refused at once, a
        SIGHUP is queued; once the answer comes the reload completes (the
        waiting masterctl gets its diff) and the SIGHUP reload follows."""
        m = self.netns_master()
        bg = self.hold_reload(m)
        self.assert_status_answers(m, "a reload held in a DNS lookup")
        t0 = time.monotonic()
        rc, out, err = m.ctl("reload", timeout=10)
        self.assertEqual(rc, 1, "a reload during a reload: %s%s" % (out, err))
        self.assertIn("already in progress", err)
        self.assertLess(time.monotonic() - t0, REFUSAL_BUDGET_S)
        m.proc.send_signal(signal.SIGHUP)
        m.wait_log(r"SIGHUP during a reload")
        self.assertNotIn(self.slow_name, m.service_names())
        self.assertIsNone(bg.result, "the first reload returned before its lookup ended")
        self.release(m)
        rc, out, err = bg.done(20)
        self.assertEqual(rc, 0, "the held reload: %s%s\n%s" % (out, err, m.log_tail()))
        self.assertIn("added: %s" % self.slow_name, out)
        m.wait_for(lambda st: st["master"]["reloads"] == 2, 15,
                   "the queued SIGHUP reload done too")
        m.wait_for(lambda st: m.service(self.slow_name, st)["workers"]["idle"] >= 1, 10,
                   "the added service ready")

    def test_slow_lookup_times_out(self):
        """reload_timeout passes while the lookup hangs: the reload is refused
        with a message naming it, nothing changed, status answers; further
        reloads are refused until the stuck lookup ends; then they work."""
        m = self.netns_master('reload_timeout = 1s\n')
        bg = self.hold_reload(m)
        self.assert_status_answers(m, "a reload held in a DNS lookup")
        rc, out, err = bg.done(15)
        self.assertEqual(rc, 1, "a timed-out reload: %s%s" % (out, err))
        self.assertIn("reload_timeout", err)
        self.assertIn("nothing changed", err)
        self.assertLess(bg.elapsed, 5.0)
        self.assertNotIn(self.slow_name, m.service_names())
        rc, out, err = m.ctl("reload", timeout=10)
        self.assertEqual(rc, 1, "a reload while the timed-out one runs: %s%s" % (out, err))
        self.assertIn("still running", err)
        self.assert_status_answers(m, "a timed-out reload still running")
        self.assertEqual(h.echo_once(m.addr("stable"), "kept"), "kept")
        self.release(m)
        m.wait_log(r"timed out ended after")
        rc, out, err = m.ctl("reload", timeout=20)
        self.assertEqual(rc, 0, "a reload after the stuck one ended: %s%s" % (out, err))
        self.assertIn("added: %s" % self.slow_name, out)
        self.assertEqual(m.status()["master"]["reloads"], 1)


if __name__ == "__main__":
    unittest.main()
