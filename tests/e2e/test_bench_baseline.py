"""bench-baseline's -k (tools/bench/baseline.c): the bare pool that forks
a fresh child every K connections, docs/bench.md's ceiling for max_use=K.
Without it the bare pool keeps its children for good; with it each child
serves exactly K connections, and the pool is back to its size at once."""

import os
import select
import socket
import subprocess
import unittest

import harness as h

BASELINE = os.path.join(h.BUILD, "tools", "bench", "bench-baseline")
POOL = 2
K = 3  # with one child, 12 requests retire exactly 4 children
REQUESTS = 12
READY_S = 10.0


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return set(int(x) for x in f.read().split())


class BenchBaseline(unittest.TestCase):
    def start(self, pool, *extra):
        p = subprocess.Popen([BASELINE, "-a", "127.0.0.1:0", "-p", str(pool), "-m", "prefork",
                              "-l"] + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(self.stop, p)
        ready, _, _ = select.select([p.stdout], [], [], READY_S)
        line = p.stdout.readline().decode().strip() if ready else ""
        self.assertTrue(line.startswith("listening on 127.0.0.1:"), line)
        # It says so before it forks the pool.
        h.poll_until(lambda: len(children(p.pid)) == pool, READY_S, "%d children" % pool)
        return p, int(line.rsplit(":", 1)[1])

    def stop(self, p):
        p.terminate()  # by pid: it kills and reaps its children itself
        try:
            p.wait(timeout=h.IO_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()

    def serve(self, p, port, pool):
        """REQUESTS one-line requests, one at a time; returns every child
        pid the pool had, each time it was back at its size."""
        seen = set()
        for i in range(REQUESTS):
            with socket.create_connection(("127.0.0.1", port), timeout=h.IO_TIMEOUT_S) as s:
                line = b"request %d\n" % i
                s.sendall(line)
                got = b""
                while not got.endswith(b"\n"):
                    chunk = s.recv(100)
                    self.assertTrue(chunk, "the server closed before the reply")
                    got += chunk
                self.assertEqual(got, line)
            kids = h.poll_until(lambda: (lambda k: k if len(k) == pool else None)(children(p.pid)),
                                READY_S, "the pool back at %d children" % pool)
            seen |= kids
        return seen

    def settle(self, p, seen, least):
        """Adds the children the pool has until at least `least` pids were
        seen: the child that ended with the last request may still be
        listed (not reaped yet) when serve() last looked."""
        h.poll_until(lambda: seen.update(children(p.pid)) or len(seen) >= least, READY_S,
                     "%d children seen" % least, detail=lambda: sorted(seen))
        return seen

    def test_recycles_every_k(self):
        """-k 3, one child, 12 requests: 4 children retired and replaced,
        so 1 + 4 distinct pids (a child serving 2 or 4 would show 7 or 4;
        a replacement that never came, a timeout)."""
        p, port = self.start(1, "-k", str(K))
        before = children(p.pid)
        seen = self.settle(p, self.serve(p, port, 1) | before, 1 + REQUESTS // K)
        self.assertEqual(len(seen), 1 + REQUESTS // K, sorted(seen))

    def test_pool_refilled(self):
        """-k 3, pool 2: the pool is back at 2 after every request, with
        between 3 and 4 children retired (which child takes a request is
        the kernel's choice)."""
        p, port = self.start(POOL, "-k", str(K))
        seen = self.settle(p, self.serve(p, port, POOL), POOL + 3)
        self.assertIn(len(seen) - POOL, (3, 4), sorted(seen))

    def test_without_k_keeps_children(self):
        """No -k: the same 12 requests leave the same two children."""
        p, port = self.start(POOL)
        before = children(p.pid)
        self.assertEqual(self.serve(p, port, POOL), before)

    def test_bad_k_is_refused(self):
        r = subprocess.run([BASELINE, "-a", "127.0.0.1:0", "-p", "2", "-k", "x"],
                           capture_output=True, text=True, timeout=h.IO_TIMEOUT_S)
        self.assertEqual(r.returncode, 2)
        self.assertIn('-k: bad connection count "x"', r.stderr)


if __name__ == "__main__":
    unittest.main()
