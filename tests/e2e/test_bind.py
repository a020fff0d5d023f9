"""Binding (issue 14): -o freebind=yes binds an address no interface has
(as at boot, before the network is up), and without it the master refuses
with FILE:LINE and the kernel's reason; host names in master.cf resolved
once at load, every address bound, a name that does not resolve refused
with FILE:LINE and the resolver's message.

No traffic is sent to the documentation addresses: the tests only check
that the master starts with them and that status shows the listener."""

import errno
import os
import shutil
import socket
import subprocess
import time
import unittest

import harness as h
import test_reload_safety as rs

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


def local_addresses(name):
    """The addresses name resolves to here (the same NSS as the master's)."""
    return sorted({ai[4][0] for ai in socket.getaddrinfo(
        name, 0, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)})


class PortHeld(h.MasterTestCase):
    def test_05_held_port_names_its_holder(self):
        """A port some process listens on: not started, and the error says
        who (a worker that gave its listening socket to a process outside
        its containment kept the port past the master's stop, and the next
        master said only "Address already in use": an adversarial run)."""
        held = socket.socket()
        self.addCleanup(held.close)
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        m = self.master("127.0.0.1:%d inet n n n - 1 echo -o prefork=1\n" % port, wait=False)
        log = refused(self, m)
        self.assertRegex(log, r"master\.cf:1: service 127\.0\.0\.1:%d: bind 127\.0\.0\.1:%d: "
                         r"Address already in use: listened on by pid %d \(python3\), uid %d"
                         % (port, port, os.getpid(), os.getuid()))


    def test_05b_holder_named_with_its_own_uid(self):
        """A socket made by one uid and held by a process of another (a
        worker's socket given away is the master's, uid 0): the holder's
        uid is named, and the socket's maker's beside it (the socket's
        uid alone said "uid 0" for a nobody holder: an adversarial run)."""
        self.require_root("the holder runs as nobody")
        held = socket.socket()
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        holder = subprocess.Popen(["sleep", "60"], pass_fds=[held.fileno()], user=65534,
                                  stdin=subprocess.DEVNULL)
        held.close()
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        m = self.master("127.0.0.1:%d inet n n n - 1 echo -o prefork=1\n" % port, wait=False)
        self.assertRegex(refused(self, m), r"Address already in use: listened on by pid %d "
                         r"\(sleep\), uid 65534, on a socket uid 0 made" % holder.pid)


class HostNames(h.MasterTestCase):
    def test_10_localhost_every_address(self):
        """localhost:0 binds every address localhost resolves to (127.0.0.1,
        and ::1 where /etc/hosts says so), each serving echo."""
        want = local_addresses("localhost")
        m = self.master("localhost:0 inet n n n - 2 echo -o prefork=1\n")
        listen = m.service()["listen"]
        listen = [listen] if isinstance(listen, str) else listen
        got = sorted(h.parse_addr(a)[0] for a in listen)
        self.assertEqual(got, want, "bound %s, localhost is %s" % (listen, want))
        for a in listen:
            self.assertEqual(h.echo_once(h.parse_addr(a), "hi"), "hi")

    def test_11_unresolvable_refused(self):
        """A name that does not resolve: `master -n`, `masterctl check` and a
        start refuse with FILE:LINE and the resolver's message."""
        cf = ("# first\n127.0.0.1:0 inet n n n - 2 echo -o prefork=1\n"
              "no-such-host.invalid:25 inet n n n - 2 echo\n")
        m = self.master(cf, start=False)
        want = ('%s:3: cannot resolve "no-such-host.invalid:25": '
                % m.path("master.cf"))
        rc, err = m.run_check()
        self.assertEqual(rc, 1, err)
        self.assertIn(want, err)
        # glibc's text for EAI_NONAME (or EAI_AGAIN without a resolver)
        self.assertRegex(err, r"invalid:25\": (Name or service not known|"
                         r"Temporary failure in name resolution)")
        rc, _, cerr = m.ctl("check")
        self.assertEqual(rc, 1, cerr)
        self.assertIn(want, cerr)
        m.start(wait=False)
        rc = m.wait_exit(h.START_TIMEOUT_S)
        self.assertNotEqual(rc, 0)
        self.assertIn(want, m.log())

    def test_12_reload_adds_name(self):
        """A reload resolves the names of the new master.cf: localhost added,
        then a bad name refused while the running services keep serving."""
        m = self.master("127.0.0.1:0 inet n n n - 2 echo -o prefork=1\n")
        port = h.free_port()
        m.write("master.cf", "127.0.0.1:0 inet n n n - 2 echo -o prefork=1\n"
                "localhost:%d inet n n n - 2 echo -o prefork=1\n" % port)
        rc, out, err = m.ctl("reload", timeout=20)
        self.assertEqual(rc, 0, out + err)
        m.wait_for(lambda st: m.service("localhost:%d" % port, st)["workers"]["idle"]
                   >= 1, 10, "the named service ready")
        self.assertEqual(h.echo_once(("127.0.0.1", port), "named"), "named")
        m.write("master.cf", "127.0.0.1:0 inet n n n - 2 echo -o prefork=1\n"
                "no-such-host.invalid:%d inet n n n - 2 echo\n" % port)
        rc, out, err = m.ctl("reload", timeout=20)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("master.cf:2: cannot resolve", m.log() + err)
        self.assertEqual(h.echo_once(("127.0.0.1", port), "kept"), "kept")


class HostsMaster(h.Master):
    """A master in a network and mount namespace of its own whose
    /etc/hosts is HOSTS (written into its directory): names with several
    addresses, without DNS. Status and the control socket are files,
    reachable from outside; its inet sockets are not."""

    HOSTS = ""

    def command(self, *extra):
        hosts = os.path.join(self.dir, "hosts")
        with open(hosts, "w") as f:
            f.write(self.HOSTS)
        script = ('ip link set lo up && mount --bind "$1" /etc/hosts && '
                  'shift && exec "$@"')
        return (["unshare", "--net", "--mount", "--propagation", "private", "--",
                 "sh", "-c", script, "sh", hosts] + super().command(*extra))


class ManyAddresses(h.MasterTestCase):
    def test_13_every_address_of_a_name(self):
        """A name with three addresses in /etc/hosts (two IPv4, one IPv6):
        all three bound, in one service."""
        self.require_root("a mount namespace with its own /etc/hosts")
        for tool in ("unshare", "ip"):
            if shutil.which(tool) is None:
                self.skipTest("needs %s(8) for a network namespace" % tool)
        if not h.ipv6_loopback_available():
            self.skipTest("IPv6 is not available on this host")

        class Three(HostsMaster):
            HOSTS = ("127.0.0.1 localhost\n127.0.0.1 multi.test\n"
                     "127.0.0.2 multi.test\n::1 multi.test\n")
        m = Three("multi.test:{PORT1} inet n n n - 2 echo -o prefork=1\n",
                  nports=1)
        self.addCleanup(m.cleanup)
        m.start()
        listen = m.service()["listen"]
        listen = [listen] if isinstance(listen, str) else listen
        port = m.ports["PORT1"]
        self.assertEqual(sorted(listen), sorted(
            ["127.0.0.1:%d" % port, "127.0.0.2:%d" % port, "[::1]:%d" % port]))


class SlowName(h.MasterTestCase):
    """resolve_timeout: a name whose lookup hangs (slowdns.py in a network
    namespace, as test_reload_safety) fails the load in time, and the
    lookup is ended: the next reload is not held up by it."""

    def test_20_slow_name_times_out(self):
        self.require_root("a network namespace with its own resolver")
        for tool in ("unshare", "ip"):
            if shutil.which(tool) is None:
                self.skipTest("needs %s(8) for a network namespace" % tool)
        cf = "stable unix n n n - 2 echo -o prefork=1\n"
        m = rs.NetnsMaster(cf, "resolve_timeout = 1s\n", nports=1)
        self.addCleanup(m.cleanup)
        m.start()
        h.poll_until(lambda: os.path.exists(m.path("dns.ready")), 10,
                     "the test DNS server ready", detail=m.detail)
        slow = "held.test:%d" % m.ports["PORT1"]
        m.write("master.cf", cf + "%s inet n n n - 1 echo -o prefork=1\n" % slow)
        t0 = time.monotonic()
        rc, out, err = m.ctl("reload", timeout=20)
        elapsed = time.monotonic() - t0
        self.assertEqual(rc, 1, out + err)
        self.assertLess(elapsed, 5.0, "the reload waited past resolve_timeout")
        self.assertGreaterEqual(elapsed, 0.9, "refused before resolve_timeout")
        m.wait_log(r'master\.cf:2: cannot resolve "%s": no answer within '
                   r'resolve_timeout \(1 s\)' % slow)
        # The stuck lookup was killed: the next reload loads at once
        # (reload_timeout would refuse it with "still running" otherwise).
        m.write("master.cf", cf + "127.0.0.1:0 inet n n n - 1 echo -o prefork=1\n")
        rc, out, err = m.ctl("reload", timeout=20)
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn(slow, m.service_names())
        self.assertEqual(h.echo_once(m.addr("stable"), "kept"), "kept")

    def test_21_slow_name_at_start(self):
        """At start and with -n the same bound holds: refused after
        resolve_timeout, well before the resolver's own 30 s timeout."""
        self.require_root("a network namespace with its own resolver")
        for tool in ("unshare", "ip"):
            if shutil.which(tool) is None:
                self.skipTest("needs %s(8) for a network namespace" % tool)
        m = HeldDnsMaster("held.test:{PORT1} inet n n n - 1 echo -o prefork=1\n",
                          "resolve_timeout = 1s\n", nports=1)
        self.addCleanup(m.cleanup)
        self.addCleanup(m.end_dns)
        want = ('master.cf:1: cannot resolve "held.test:%d": no answer within '
                'resolve_timeout (1 s)' % m.ports["PORT1"])
        t0 = time.monotonic()
        rc, err = m.run_check(timeout=HELD_S)
        self.assertEqual(rc, 1, err)
        self.assertIn(want, err)
        self.assertLess(time.monotonic() - t0, HELD_S / 2)
        t0 = time.monotonic()
        m.start(wait=False)
        self.assertEqual(m.wait_exit(HELD_S), 1, m.log_tail())
        self.assertLess(time.monotonic() - t0, HELD_S / 2)
        self.assertIn(want, m.log())


HELD_S = 30.0   # the resolver's own timeout in HeldDnsMaster (timeout:30)


class HeldDnsMaster(h.Master):
    """The master (or master -n) run by a shell in a network and mount
    namespace whose resolver is slowdns.py, holding every query; the shell
    waits for the DNS server before it runs the master, and ends it after."""

    def command(self, *extra):
        resolv = os.path.join(self.dir, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:%d attempts:1\n" % HELD_S)
        script = ('ip link set lo up && mount --bind "$1" /etc/resolv.conf || exit 9; '
                  'rm -f "$3/dns.ready"; '
                  'python3 "$2" "$3" </dev/null >/dev/null 2>&1 & dns=$!; '
                  'echo $dns >"$3/dns.pid"; i=0; '
                  'while [ ! -e "$3/dns.ready" ] && [ $i -lt 200 ]; do '
                  'sleep 0.05; i=$((i + 1)); done; '
                  'shift 3; "$@"; rc=$?; kill $dns; wait $dns; exit $rc')
        return (["unshare", "--net", "--mount", "--propagation", "private", "--",
                 "sh", "-c", script, "sh", resolv, rs.SLOWDNS, self.dir]
                + super().command(*extra))

    def end_dns(self):
        """Kills the last DNS server by its pid, if the shell could not
        (it was killed: a run past its timeout)."""
        try:
            with open(self.path("dns.pid")) as f:
                pid = int(f.read())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                mine = self.dir.encode() in f.read()
        except (OSError, ValueError):
            return
        if mine:
            h.kill_quiet(pid)
            h.poll_until(lambda: not h.pid_alive(pid), 5, "the DNS server gone")
            h.reap_if_ours(pid)


if __name__ == "__main__":
    unittest.main()
