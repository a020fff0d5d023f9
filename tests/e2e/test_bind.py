"""Binding (issue 14): -o freebind=yes binds an address no interface has
(as at boot, before the network is up), and without it the master refuses
with FILE:LINE and the kernel's reason; host names in master.cf resolved
once at load, every address bound, a name that does not resolve refused
with FILE:LINE and the resolver's message.

No traffic is sent to the documentation addresses: the tests only check
that the master starts with them and that status shows the listener."""

import errno
import socket
import unittest

import harness as h

# TEST-NET-3 and TEST-NET-2 (RFC 5737), IPv6 documentation (RFC 3849):
# never an address of a test host, but checked below all the same.
V4_CANDIDATES = ("203.0.113.7", "198.51.100.7")
V6_CANDIDATE = "2001:db8::7"


def not_local(family, candidates):
    """The first candidate this host cannot bind without freebind
    (EADDRNOTAVAIL), or None."""
    for addr in candidates:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            try:
                s.bind((addr, 0))
            except OSError as e:
                if e.errno == errno.EADDRNOTAVAIL:
                    return addr
    return None


def refused(test, m, timeout=h.START_TIMEOUT_S):
    """The master exits non-zero during start: its log."""
    rc = m.wait_exit(timeout)
    test.assertNotEqual(rc, 0, "master started although a bind failed\n"
                        + m.log_tail())
    return m.log()


class FreeBind(h.MasterTestCase):
    def setUp(self):
        self.v4 = not_local(socket.AF_INET, V4_CANDIDATES)
        if self.v4 is None:
            self.fail("every TEST-NET candidate %s is an address of this host"
                      % (V4_CANDIDATES,))

    def test_01_freebind_starts(self):
        """freebind=yes: the master starts, status shows the listener on the
        address no interface has (its ephemeral port chosen)."""
        m = self.master("# comment\n%s:0 inet n n n - 2 echo -o prefork=1"
                        " -o freebind=yes\n" % self.v4)
        host, port = m.addr()
        self.assertEqual(host, self.v4)
        self.assertGreater(port, 0)
        self.assertEqual(m.service()["workers"]["idle"], 1)

    def test_02_without_freebind_refused(self):
        """freebind=no (the default): not started; the error names
        master.cf:LINE and the kernel's reason."""
        m = self.master("# comment\n%s:0 inet n n n - 2 echo -o prefork=1\n"
                        % self.v4, wait=False)
        log = refused(self, m)
        self.assertRegex(log, r"master\.cf:2: service %s:0: bind %s:0: Cannot "
                         r"assign requested address" % ((self.v4,) * 2))
        self.assertIn("-o freebind=yes", log, "the error does not say the way out")

    def test_03_freebind_ipv6(self):
        """IPV6_FREEBIND: the same for an IPv6 documentation address."""
        if not h.ipv6_loopback_available():
            self.skipTest("IPv6 is not available on this host")
        if not_local(socket.AF_INET6, (V6_CANDIDATE,)) is None:
            self.fail("%s is an address of this host" % V6_CANDIDATE)
        m = self.master("[%s]:0 inet n n n - 2 echo -o prefork=1 -o freebind=yes\n"
                        % V6_CANDIDATE)
        host, port = m.addr()
        self.assertEqual(host, V6_CANDIDATE)
        self.assertGreater(port, 0)

    def test_04_freebind_in_master_conf(self):
        """freebind is a per-service setting: master.conf sets it for all."""
        m = self.master("%s:0 inet n n n - 2 echo -o prefork=1\n" % self.v4,
                        master_conf="freebind = yes\n")
        self.assertEqual(m.addr()[0], self.v4)


if __name__ == "__main__":
    unittest.main()
