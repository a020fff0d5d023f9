"""spawn (one command per connection): nothing the command starts outlives
its connection, and the command knows its client.

- `sh -c 'sleep 600 & exec cat'`: the background sleep is gone, by pid,
  once the connection ends (cat exits on the client's end-of-file);
- the same with `setsid sleep 600 &` (it leaves the process group: spawn,
  a child subreaper, still ends it);
- max_busy: the master SIGTERMs the spawn worker; spawn kills the
  command's group before it goes: both sleeps of
  `sh -c 'sleep 600 & exec sleep 600'` are gone well before kill_grace;
- the command's environment holds the client's and the server's address
  (TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT, REMOTE_ADDR,
  REMOTE_PORT, PROTO=TCP; on IPv6 too), and for a unix socket the peer's
  credentials (UNIXREMOTEEUID, UNIXREMOTEEGID, UNIXREMOTEPID,
  UNIXLOCALPATH, PROTO=UNIX).

Every process is found and checked by pid (descendants of the master).
"""

import errno
import os
import socket
import time
import unittest

import harness as h

GONE_TIMEOUT_S = 5.0


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[:-1]
    except (FileNotFoundError, ProcessLookupError):
        return None


def read_env(sock, timeout=h.IO_TIMEOUT_S):
    """Reads until EOF; the `env` command's output as a dict."""
    sock.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buf += chunk
    env = {}
    for line in buf.decode(errors="replace").splitlines():
        k, _, v = line.partition("=")
        env[k] = v
    return env


class Spawn(h.MasterTestCase):
    def sleepers(self, m):
        """{pid: starttime} of every `sleep 600` under the master."""
        out = {}
        for pid in h.descendants(m.pid):
            if cmdline(pid) == [b"sleep", b"600"]:
                st = h.proc_stat(pid)
                if st is not None:
                    out[pid] = st[2]
        return out

    def wait_sleepers(self, m, n):
        return h.poll_until(lambda: (lambda s: s if len(s) >= n else None)(self.sleepers(m)),
                            10, "%d sleep 600 under the master" % n, detail=m.detail)

    def assertAllGone(self, m, procs, timeout=GONE_TIMEOUT_S):
        def gone():
            return not [p for p, t in procs.items() if h.pid_alive(p, t)]
        h.poll_until(gone, timeout, "%s gone" % sorted(procs), detail=m.detail)
        for p, t in procs.items():
            self.assertGone(p, t, "command child")

    def check_left_behind(self, command):
        m = self.master("127.0.0.1:0 inet n y n - 2 {SPAWN} argv=/bin/sh -c { %s }\n"
                        % command)
        with h.connect(m.addr()) as s:
            s.sendall(b"one\n")
            self.assertEqual(h.read_line(s), "one")
            procs = self.wait_sleepers(m, 1)
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(s.recv(100), b"", "connection not ended")
        self.assertAllGone(m, procs)
        # The worker itself lives on and serves the next client.
        self.assertEqual(h.echo_once(m.addr(), "two"), "two")

    def test_62a_background_child_gone_with_connection(self):
        self.check_left_behind("sleep 600 & exec cat")

    def test_62b_setsid_child_gone_with_connection(self):
        self.check_left_behind("setsid sleep 600 & exec cat")

    def test_62c_max_busy_kills_the_group(self):
        """The command says its pids (the background sleep's and its own,
        which becomes the second sleep's), then sleeps past max_busy: both
        are gone on the master's SIGTERM, well before kill_grace."""
        m = self.master("127.0.0.1:0 inet n y n - 2 {SPAWN} -o max_busy=1s -o kill_grace=30s"
                        " argv=/bin/sh -c { sleep 600 & echo $! $$; exec sleep 600 }\n")
        t0 = time.monotonic()
        with h.connect(m.addr()) as s:
            pids = [int(p) for p in h.read_line(s).split()]
            procs = {}
            for p in pids:
                st = h.proc_stat(p)
                if st is not None:
                    procs[p] = st[2]
            worker = h.proc_stat(pids[1])[1] if h.proc_stat(pids[1]) else None
            self.assertAllGone(m, {p: procs.get(p) for p in pids}, timeout=10)
            elapsed = time.monotonic() - t0
            s.settimeout(h.IO_TIMEOUT_S)
            self.assertEqual(s.recv(100), b"")
        # Gone on SIGTERM at max_busy, not on SIGKILL at kill_grace (30s).
        self.assertLess(elapsed, 15, "took %.1fs" % elapsed)
        m.wait_log(r"terminating worker \d+: one request took")
        if worker is not None:
            h.poll_until(lambda: not h.pid_alive(worker), 10, "spawn worker %d gone" % worker)

    def test_62h_rss_max_counts_the_command(self):
        """rss_max counts what the spawn worker runs: its leaf, not its own
        80 KiB (a tester's command held 315 MB under rss_max=50M for as
        long as it liked). Over twice the limit while busy: terminated,
        the command with it."""
        m = self.master("127.0.0.1:0 inet n y n - 1 {SPAWN} -o rss_max=20M"
                        " argv=/usr/bin/python3 -c { import os,time; b = b'x' * (100 << 20);"
                        " print(os.getpid(), flush=True); time.sleep(600) }\n")
        with h.connect(m.addr()) as s:
            pid = int(h.read_line(s))
            start = h.proc_stat(pid)[2]
            m.wait_log(r"terminating worker \d+: uses \d+ KiB, over 2 x rss_max \(20480 KiB\)")
            self.assertAllGone(m, {pid: start}, timeout=10)
            s.settimeout(h.IO_TIMEOUT_S)
            self.assertEqual(s.recv(100), b"")

    def test_62d_tcp_peer_environment(self):
        m = self.master("127.0.0.1:0 inet n y n - 1 {SPAWN} argv=/usr/bin/env\n")
        host, port = m.addr()
        with h.connect((host, port)) as s:
            me = s.getsockname()
            s.shutdown(socket.SHUT_WR)
            env = read_env(s)
        want = {"PROTO": "TCP", "TCPREMOTEIP": "127.0.0.1", "TCPREMOTEPORT": str(me[1]),
                "TCPLOCALIP": "127.0.0.1", "TCPLOCALPORT": str(port),
                "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": str(me[1])}
        self.assertEqual({k: env.get(k) for k in want}, want, env)
        for k in ("LISTEN_FDS", "MASTER_STATUS_FD", "UNIXREMOTEPID"):
            self.assertNotIn(k, env)

    def test_62e_tcp6_peer_environment(self):
        if not h.ipv6_loopback_available():
            self.skipTest("no IPv6 loopback")
        m = self.master("[::1]:0 inet n y n - 1 {SPAWN} argv=/usr/bin/env\n")
        host, port = m.addr()
        with h.connect((host, port)) as s:
            me = s.getsockname()
            s.shutdown(socket.SHUT_WR)
            env = read_env(s)
        want = {"PROTO": "TCP", "TCPREMOTEIP": "::1", "TCPREMOTEPORT": str(me[1]),
                "TCPLOCALIP": "::1", "TCPLOCALPORT": str(port), "REMOTE_ADDR": "::1"}
        self.assertEqual({k: env.get(k) for k in want}, want, env)

    def test_62f_unix_peer_environment(self):
        m = self.master("peer unix n y n - 1 {SPAWN} argv=/usr/bin/env\n")
        path = m.addr()
        with h.connect(path) as s:
            s.shutdown(socket.SHUT_WR)
            env = read_env(s)
        want = {"PROTO": "UNIX", "UNIXLOCALPATH": path,
                "UNIXREMOTEEUID": str(os.geteuid()), "UNIXREMOTEEGID": str(os.getegid()),
                "UNIXREMOTEPID": str(os.getpid())}
        self.assertEqual({k: env.get(k) for k in want}, want, env)
        self.assertNotIn("TCPREMOTEIP", env)

    def test_62g_command_cannot_take_spawns_fds(self):
        """The command runs as spawn's user: it may not take spawn's fds
        (the listening socket, the status channel) with pidfd_getfd, nor
        read its memory: spawn is not dumpable (an adversarial run had
        one client's command take the listening socket and answer the next
        clients itself)."""
        code = ("import os,ctypes;l=ctypes.CDLL(None,use_errno=True);"
                "p=os.pidfd_open(os.getppid());"
                "r=[l.syscall(438,p,f,0) for f in range(3,9)];"
                "print(max(r),ctypes.get_errno())")
        m = self.master("127.0.0.1:0 inet n y n - 1 {SPAWN} argv=%s -c { %s }\n"
                        % ("/usr/bin/python3", code))
        with h.connect(m.addr()) as s:
            s.shutdown(socket.SHUT_WR)
            got = h.read_line(s).split()
        self.assertEqual(got, ["-1", str(errno.EPERM)], "pidfd_getfd on spawn: %s" % got)
        spawn = m.worker_pids()[0]
        self.assertEqual(h.proc_status_field(spawn, "Uid")[0], "65534")


if __name__ == "__main__":
    unittest.main()
