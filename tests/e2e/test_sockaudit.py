"""A worker changes the socket every worker of its service shares, in a way
that raises no hang-up (master/sockaudit.c): an adversarial run found each
change outliving the worker, `recycle` and every reload, with `status
--check` ok. tests/workers/sockchange.py's first instance makes the change
and exits 0; the master, at that reaping, puts the socket back and says
so, and its successors serve as before. Each test fails without its rule
in sockaudit.c (the successor greets nobody, or every sender is refused)."""

import ctypes
import os
import select
import socket
import struct
import unittest

import harness as h
from test_sd_restart import start_with_fds

SOCKCHANGE = os.path.join(h.SRC, "tests", "workers", "sockchange.py")
GREETING_S = 3.0   # a greeting comes at once; deferred, it never does
IP_MSFILTER = 41   # linux/in.h: copied under the socket's lock
SO_BINDTOIFINDEX = 62   # asm-generic/socket.h
TCP_TX_DELAY = 37       # linux/tcp.h


class SharedSocketChange(h.MasterTestCase):
    def start(self, cf_type, change):
        m = self.master("%s n n n - 1 %s -o ready=exec once={DIR}/once %s\n"
                        % (cf_type, SOCKCHANGE, change), wait=False)
        m.wait_log(r"sockchange (\d+): changed the shared socket", 10)
        m.wait_log(r"sockchange (\d+): serving", 10)
        return m

    def greeted(self, m):
        """The first line a client reads without sending anything."""
        with h.connect(m.addr(), GREETING_S) as s:
            return h.read_line(s, GREETING_S)

    def test_defer_accept_set_back(self):
        """TCP_DEFER_ACCEPT: a server that speaks first (smtpd) greets
        nobody, its clients wait 30 s each to be accepted."""
        m = self.start("127.0.0.1:0 inet", "defer")
        m.wait_log(r"had TCP_DEFER_ACCEPT set to \d+ by a process holding it "
                   r"\(a worker\): set back to 0", 5)
        self.assertRegex(self.greeted(m), r"^sockchange \d+ hello$")

    def test_linger_set_back(self):
        """SO_LINGER on, 0 s: every accepted connection is reset at close."""
        m = self.start("127.0.0.1:0 inet", "linger")
        m.wait_log(r"had SO_LINGER set by a process holding it \(a worker\): "
                   r"set back to off", 5)
        with h.connect(m.addr()) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
            line = h.read_line(s)
            self.assertRegex(line, r"^sockchange \d+ hello$")
            self.assertEqual(s.recv(64), b"", "closed with a reset, not a FIN")

    def test_backlog_listened_again(self):
        """listen(fd, 0): one connection queues, the rest wait for a
        SYN-ACK that does not come. Listened on again with listen_backlog
        (not logged: a backlog cannot be read back), 8 clients complete
        their handshake while the successor takes none (hold=5)."""
        m = self.start("127.0.0.1:0 inet", "backlog hold=5")
        clients = []
        for _ in range(8):
            c = socket.socket()
            self.addCleanup(c.close)
            c.setblocking(False)
            self.assertNotEqual(c.connect_ex(m.addr()), 0)
            clients.append(c)
        _, writable, _ = select.select([], clients, [], 1.0)
        self.assertEqual(len(writable), 8, "%d of 8 connected" % len(writable))

    def test_device_unbound(self):
        """SO_BINDTODEVICE to an interface that is not the loopback: every
        client on 127.0.0.1 is refused, the socket still listening."""
        others = sorted(n for n in os.listdir("/sys/class/net") if n != "lo")
        if not others:
            self.skipTest("no network interface but lo to bind the socket to")
        m = self.start("127.0.0.1:0 inet", "device=%s" % others[0])
        m.wait_log(r"was bound to interface \d+ by a process holding it \(a worker\), "
                   r"which refused every client on another: set back to 0", 5)
        self.assertRegex(self.greeted(m), r"^sockchange \d+ hello$")

    def test_binding_it_was_given_is_kept(self):
        """What the socket was given is not undone: systemd's
        BindToDevice= (here lo, on a socket the test passes as
        LISTEN_FDS) stays when the audit sets back what a worker changed
        (a minimum TTL)."""
        lo = socket.if_nametoindex("lo")
        m = self.master("127.0.0.1:0 inet n n n - 1 %s -o ready=exec once={DIR}/once minttl\n"
                        % SOCKCHANGE, start=False)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        start_with_fds(m, [listener.fileno()], ["127.0.0.1_0"], dict(os.environ), wait=False)
        m.wait_log(r"had a minimum TTL of 255 set by a process holding it \(a worker\), "
                   r"which dropped every client further away: set back to 0", 10)
        self.assertNotIn("bound to interface", m.log())
        self.assertEqual(listener.getsockopt(socket.SOL_SOCKET, SO_BINDTOIFINDEX), lo)
        with h.connect(listener.getsockname(), GREETING_S) as c:
            self.assertRegex(h.read_line(c, GREETING_S), r"^sockchange \d+ hello$")

    def minimum_set_back(self, cf_type, change):
        m = self.start(cf_type, change)
        m.wait_log(r"had a minimum TTL of 255 set by a process holding it \(a worker\), "
                   r"which dropped every client further away: set back to 0", 5)
        self.assertRegex(self.greeted(m), r"^sockchange \d+ hello$")

    def test_minimum_ttl_set_back(self):
        """IP_MINTTL 255: a local client's SYN (TTL 64) is dropped, it
        times out."""
        self.minimum_set_back("127.0.0.1:0 inet", "minttl")

    def test_minimum_hop_count_set_back(self):
        """IPV6_MINHOPCOUNT 255 on an IPv6 listener: the same, for ::1."""
        self.minimum_set_back("[::1]:0 inet", "minhops")

    def listener_option(self, m, level, name):
        """An option of the shared listener, read from a worker's fd 3."""
        fd = h.pidfd_getfd(m.worker_pids()[0], 3)
        try:
            with socket.socket(fileno=os.dup(fd)) as s:
                return s.getsockopt(level, name)
        finally:
            os.close(fd)

    def test_rcvlowat_set_back(self):
        """SO_RCVLOWAT INT_MAX (16 MiB): every accepted connection inherits
        it, and a server that reads first waits for that many bytes for
        every request (a tester's: 0 of 5 served)."""
        m = self.start("127.0.0.1:0 inet", "rcvlowat")
        m.wait_log(r"had SO_RCVLOWAT set to \d+ by a process holding it \(a worker\), "
                   r"which kept every server's read waiting: set back to 1", 5)
        self.assertEqual(self.listener_option(m, socket.SOL_SOCKET, socket.SO_RCVLOWAT), 1)

    def test_tx_delay_set_back(self):
        """TCP_TX_DELAY 100 s: every reply of every accepted connection
        delayed on an interface whose qdisc honours it (loopback does
        not: the value is what is checked)."""
        m = self.start("127.0.0.1:0 inet", "txdelay")
        m.wait_log(r"had TCP_TX_DELAY set to 100000000 us by a process holding it "
                   r"\(a worker\), which delayed every reply: set back to 0", 5)
        self.assertEqual(self.listener_option(m, socket.IPPROTO_TCP, TCP_TX_DELAY), 0)

    def test_ttl_set_back(self):
        """IP_TTL 1 on the listener: every accepted connection inherits
        it, so no reply passes a router (loopback clients do not show it:
        the connection's own TTL does)."""
        m = self.start("127.0.0.1:0 inet", "ttl")
        with open("/proc/sys/net/ipv4/ip_default_ttl") as f:
            default = int(f.read())
        fd = h.pidfd_getfd(m.worker_pids()[0], 3)
        try:
            s = socket.socket(fileno=os.dup(fd))
            h.poll_until(lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == default,
                         5, "the listener's TTL back at %d" % default, detail=m.detail)
            s.close()
        finally:
            os.close(fd)
        self.assertRegex(self.greeted(m), r"^sockchange \d+ hello$")

    def test_dgram_peer_dissolved(self):
        """A unix-dgram socket connected to the worker's own socket: every
        other sender gets EPERM. Disconnected, a client's datagram goes
        through and the successor reads it."""
        m = self.start("dg unix-dgram", "dgram")
        m.wait_log(r"was connected to a peer by a process holding it \(a worker\), "
                   r"which refuses every other sender: disconnected", 5)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as c:
            c.sendto(b"after", m.addr("dg"))
        m.wait_log(r"sockchange \d+: datagram 'after'", 5)


if __name__ == "__main__":
    unittest.main()


class HeldSocketLock(h.MasterTestCase):
    def test_audit_never_waits_for_the_socket_lock(self):
        """A worker holds the shared inet socket's lock: getsockopt of
        IP_MSFILTER copies from the caller's memory under it, and its
        fault can be made to last. The audit that follows a reaping
        listens on the socket again, which takes that lock: it is done off
        the loop (offloop.h), so status answers at once while the lock is
        held, and the repair completes once it is let go."""
        if h.slow_fault_skip_reason():
            self.skipTest(h.slow_fault_skip_reason())
        m = self.master("127.0.0.1:0 inet n n n - 2 {ECHO} -o prefork=2\n")
        pids = m.worker_pids()
        self.assertEqual(len(pids), 2)
        fd = h.pidfd_getfd(pids[0], 3)   # the shared listening socket
        libc = ctypes.CDLL(None, use_errno=True)
        size = ctypes.c_uint(256)
        try:
            holder = h.SlowFault(lambda addr, page: libc.getsockopt(
                fd, socket.IPPROTO_IP, IP_MSFILTER, ctypes.c_void_p(addr), ctypes.byref(size)))
            try:
                os.kill(pids[1], 9)   # reaped: the audit's turn
                h.poll_until(lambda: pids[1] not in m.worker_pids(), 10, "the worker reaped",
                             detail=m.detail)
                worst = m.status_worst_s()
            finally:
                self.assertTrue(holder.release(), "the held getsockopt did not end")
        finally:
            os.close(fd)
        self.assertLess(worst, 0.5, "status took %.2f s while the socket's lock was held" % worst)
        with h.connect(m.addr()) as s:
            s.sendall(b"still served\n")
            self.assertEqual(h.read_line(s), "still served")
        self.assertTrue(m.alive())
