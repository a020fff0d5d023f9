"""Serving: the echo service under load, unix and IPv6 sockets, other
worker kinds (a Python worker, spawn running /bin/cat)."""

import os
import socket
import unittest

import harness as h


class EchoLoad(h.MasterTestCase):
    def test_01_thousand_requests(self):
        """1,000 echo requests, one connection each, 8 at a time: every one
        answered exactly; status counts them all."""
        m = self.master(
            "# echo under load\n"
            "127.0.0.1:0 inet n n n - 8 echo -o prefork=4\n")
        addr = m.addr()
        lines = ["req-%04d-%s" % (i, "x" * (i % 50)) for i in range(1000)]
        res = h.run_parallel(lambda ln: h.echo_check(addr, ln), lines, 8)
        self.assertNoFailures(res)
        st = m.wait_for(lambda st: m.service(st=st)["requests"] >= 1000, 10,
                        "status requests >= 1000")
        svc = m.service(st=st)
        self.assertLessEqual(svc["workers"]["total"], 8, "more than maxproc workers")
        self.assertTrue(m.alive(), "master died under load")
        self.assertEqual(svc["crashed"], 0, "workers crashed under plain load")


class Sockets(h.MasterTestCase):
    def test_10a_unix_public(self):
        """A unix service with private=n listens on DIR/run/public/NAME."""
        m = self.master("echosock unix n n n - 2 echo -o prefork=1\n")
        path = m.path("run", "public", "echosock")
        is_sock, _ = h.socket_mode(path)
        self.assertTrue(is_sock, "%s is not a socket" % path)
        for i in range(5):
            self.assertEqual(h.echo_once(path, "unix-%d" % i), "unix-%d" % i)

    def test_10b_unix_private(self):
        """A unix service with private=y listens on DIR/run/private/NAME."""
        m = self.master("privsock unix y n n - 2 echo -o prefork=1\n")
        path = m.path("run", "private", "privsock")
        is_sock, _ = h.socket_mode(path)
        self.assertTrue(is_sock, "%s is not a socket" % path)
        self.assertFalse(os.path.exists(m.path("run", "public", "privsock")))
        self.assertEqual(h.echo_once(path, "private"), "private")

    def test_10c_ipv6(self):
        """[::1]:0 binds an ephemeral IPv6 port and serves on it."""
        if not h.ipv6_loopback_available():
            self.skipTest("::1 is not available on this host")
        m = self.master("[::1]:0 inet n n n - 2 echo -o prefork=1\n")
        host, port = m.addr()
        self.assertEqual(host, "::1")
        self.assertGreater(port, 0)
        for i in range(5):
            self.assertEqual(h.echo_once((host, port), "v6-%d" % i), "v6-%d" % i)


class OtherWorkers(h.MasterTestCase):
    def test_11a_python_worker(self):
        """tests/workers/pyworker.py (absolute path) is a working worker."""
        self.assertTrue(os.access(h.PYWORKER, os.X_OK),
                        "%s missing or not executable" % h.PYWORKER)
        m = self.master("127.0.0.1:0 inet n n n - 2 {PYWORKER} -o prefork=2\n")
        addr = m.addr()
        res = h.run_parallel(lambda ln: h.echo_check(addr, ln),
                             ["py-%d" % i for i in range(20)], 4)
        self.assertNoFailures(res)
        m.wait_for(lambda st: m.service(st=st)["requests"] >= 20, 10,
                   "status requests >= 20")

    def test_11b_spawn_cat(self):
        """spawn with argv=/bin/cat: each connection is echoed by a cat."""
        m = self.master("127.0.0.1:0 inet n n n - 2 {SPAWN} -o prefork=1 argv=/bin/cat\n")
        addr = m.addr()
        for i in range(5):
            with h.connect(addr) as s:
                s.sendall(b"cat-%d\n" % i)
                self.assertEqual(h.read_line(s), "cat-%d" % i)
                s.shutdown(socket.SHUT_WR)
                # cat sees EOF and exits: the connection closes.
                s.settimeout(h.IO_TIMEOUT_S)
                self.assertEqual(s.recv(100), b"")
        m.wait_for(lambda st: m.service(st=st)["requests"] >= 5, 10,
                   "status requests >= 5")


if __name__ == "__main__":
    unittest.main()
