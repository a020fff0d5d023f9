"""Stopping: SIGTERM ends the master with exit 0 and no worker left, lets a
request in progress finish, and SIGKILLs a stuck worker at stop_timeout."""

import signal
import time
import unittest

import harness as h

STOP_TIMEOUT_S = 3


class Stop(h.MasterTestCase):
    def gather(self, m):
        """Worker pids (status and /proc children) -> start time."""
        pids = set(m.worker_pids()) | set(m.children())
        out = {}
        for pid in pids:
            st = h.proc_stat(pid)
            if st is not None:
                out[pid] = st[2]
        return out

    def assertAllGone(self, workers):
        for pid, start in workers.items():
            self.assertGone(pid, start)

    def test_06_sigterm(self):
        """prefork=3: SIGTERM -> exit 0 within stop_timeout+5 s, no worker left."""
        m = self.master("127.0.0.1:0 inet n n n - 4 echo -o prefork=3 -o stop_timeout=%d\n"
                        % STOP_TIMEOUT_S)
        self.assertEqual(h.echo_once(m.addr(), "hello"), "hello")
        workers = self.gather(m)
        self.assertGreaterEqual(len(workers), 3, "expected >= 3 workers: %s" % workers)
        t0 = time.monotonic()
        m.proc.send_signal(signal.SIGTERM)
        rc = m.wait_exit(STOP_TIMEOUT_S + 5)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, "master exit status %s after SIGTERM\n%s"
                         % (rc, m.log_tail()))
        self.assertAllGone(workers)
        # Idle workers stop at once: no reason to wait for stop_timeout.
        self.assertLess(took, STOP_TIMEOUT_S + 5, "stop took %.1fs" % took)

    def test_06b_sigterm_finishes_current_request(self):
        """A connection in progress at SIGTERM is served to its end; the
        listening socket stops accepting."""
        m = self.master("127.0.0.1:0 inet n n n - 2 echo -o prefork=2 -o stop_timeout=%d\n"
                        % STOP_TIMEOUT_S)
        addr = m.addr()
        s = h.connect(addr)
        self.addCleanup(s.close)
        s.sendall(b"one\n")
        self.assertEqual(h.read_line(s), "one")
        st = m.wait_for(lambda st: m.service(st=st)["workers"]["busy"] == 1
                        and m.service(st=st)["workers"]["idle"] >= 1, 10,
                        "one busy and one idle worker")
        procs = m.service(st=st)["procs"]
        idle = [p["pid"] for p in procs if p["state"] == "idle"]
        workers = self.gather(m)
        m.proc.send_signal(signal.SIGTERM)
        # The idle worker going away shows the stop is under way...
        h.poll_until(lambda: not any(h.pid_alive(p, workers.get(p)) for p in idle),
                     STOP_TIMEOUT_S + 2, "idle workers %s to exit after SIGTERM" % idle,
                     detail=lambda: m.log_tail())
        # ...and the busy one still serves its client to the end.
        s.sendall(b"two\n")
        self.assertEqual(h.read_line(s, STOP_TIMEOUT_S), "two")
        s.close()
        rc = m.wait_exit(STOP_TIMEOUT_S + 5)
        self.assertEqual(rc, 0, "master exit status %s\n%s" % (rc, m.log_tail()))
        self.assertAllGone(workers)
        with self.assertRaises(OSError, msg="still accepting after stop"):
            h.echo_once(addr, "late", 2)

    def test_06c_stop_timeout_kills_stuck_worker(self):
        """A worker stuck in a request is SIGKILLed at stop_timeout; the
        master still exits 0 within stop_timeout+5 s."""
        m = self.master("127.0.0.1:0 inet n n n - 1 {TESTWORKER} -o prefork=1"
                        " -o stop_timeout=2 hang\n")
        addr = m.addr()
        s = h.connect(addr)
        self.addCleanup(s.close)
        s.sendall(b"hang\n")
        m.wait_for(lambda st: m.service(st=st)["workers"]["busy"] == 1, 10,
                   "the hang worker busy")
        workers = self.gather(m)
        t0 = time.monotonic()
        m.proc.send_signal(signal.SIGTERM)
        rc = m.wait_exit(2 + 5)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, "master exit status %s\n%s" % (rc, m.log_tail()))
        self.assertGreaterEqual(took, 1.5, "stuck worker not given stop_timeout (%.1fs)" % took)
        self.assertAllGone(workers)


if __name__ == "__main__":
    unittest.main()
