"""The master under systemd, simulated (issue 12): the test plays systemd.
It catches FDSTORE=1 on a NOTIFY_SOCKET of its own (the listening socket,
passed along), stops the master, connects a client while no master runs,
and starts the next master with that socket as LISTEN_FDS: the client is
served, not refused. Also: sockets from a .socket unit matched by name,
an unclaimed one closed, and WATCHDOG=1 sent at half of WATCHDOG_USEC."""

import os
import socket
import subprocess
import time

import harness as h


class FakeSystemd:
    """A NOTIFY_SOCKET (a path in dirname) that keeps what the master says,
    and the descriptors it stores (FDSTORE=1)."""

    def __init__(self, dirname):
        self.path = os.path.join(dirname, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)  # recv_fds() drops its flags (3.11)
        self.messages, self.stored = [], {}

    def pump(self):
        while True:
            try:
                msg, fds, _, _ = socket.recv_fds(self.sock, 4096, 8)
            except BlockingIOError:
                return
            text = msg.decode()
            self.messages.append(text)
            fields = dict(line.partition("=")[::2] for line in text.split("\n"))
            for fd in fds:
                if fields.get("FDSTORE") == "1":
                    old = self.stored.pop(fields.get("FDNAME", ""), None)
                    if old is not None:
                        os.close(old)
                    self.stored[fields.get("FDNAME", "")] = fd
                else:
                    os.close(fd)

    def wait(self, pred, timeout, what):
        def check():
            self.pump()
            return pred()
        return h.poll_until(check, timeout, what, detail=lambda: repr(self.messages))

    def close(self):
        for fd in self.stored.values():
            os.close(fd)
        self.sock.close()


def start_with_fds(m, fds, names, env, wait=True):
    """Starts master m (harness.Master, not started) with fds as LISTEN_FDS
    3.., LISTEN_PID its own pid (set by a shell that execs it)."""
    env = dict(env, LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=":".join(names))

    def place():
        for i, fd in enumerate(fds):
            os.dup2(fd, 100 + i)
        for i in range(len(fds)):
            os.dup2(100 + i, 3 + i)
            os.close(100 + i)
    with open(m.log_path, "ab") as logf:
        m.proc = subprocess.Popen(
            ["/bin/sh", "-c", 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"']
            + m.command("-f"), stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
            env=env, preexec_fn=place, pass_fds=tuple(range(3, 3 + len(fds))))
    m.pid = m.proc.pid
    if wait:
        m.wait_ready()
    return m


class Restart(h.MasterTestCase):
    def test_restart_keeps_the_socket_clients_queue(self):
        m = self.master("127.0.0.1:{PORT1} inet n n n - - {ECHO}\n", nports=1, start=False)
        sd = FakeSystemd(m.dir)
        self.addCleanup(sd.close)
        env = dict(os.environ, NOTIFY_SOCKET=sd.path, WATCHDOG_USEC="400000")
        m.env = env
        m.start()
        name = "127.0.0.1_%d" % m.ports["PORT1"]
        sd.wait(lambda: name in sd.stored and any("READY=1" in t for t in sd.messages), 5,
                "FDSTORE=1 and READY=1")
        # The systemd watchdog: WATCHDOG=1 every 200 ms.
        t0 = time.monotonic()
        sd.wait(lambda: sum(t == "WATCHDOG=1" for t in sd.messages) >= 3, 5, "WATCHDOG=1 x3")
        self.assertLess(time.monotonic() - t0, 2.0)
        addr = ("127.0.0.1", m.ports["PORT1"])
        h.echo_check(addr, "first master")
        self.assertEqual(m.stop(), 0)

        # No master now: the stored socket still listens; a client queues.
        client = h.connect(addr)
        client.sendall(b"during the restart\n")
        m2 = h.Master("", share=m)
        self.addCleanup(m2.cleanup)
        env.pop("WATCHDOG_USEC")
        start_with_fds(m2, [sd.stored[name]], [name], env, wait=False)
        self.assertEqual(h.read_line(client), "during the restart")
        client.close()
        m2.wait_ready()
        h.echo_check(addr, "second master")
        self.assertRegex(m2.log(), r"listening on 127.0.0.1:%d, a socket from systemd \(%s\)"
                         % (m.ports["PORT1"], name))
        self.assertNotIn("bind", m2.log())

    def test_socket_unit_by_name_and_unclaimed_closed(self):
        m = self.master("127.0.0.1:0 inet n n n - - {ECHO}\n", start=False)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        stray = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(stray.close)
        stray.bind(("127.0.0.1", 0))
        stray.listen(16)
        start_with_fds(m, [listener.fileno(), stray.fileno()],
                       ["127.0.0.1_0", "stray"], dict(os.environ))
        port = listener.getsockname()[1]
        self.assertEqual(m.addr(), ("127.0.0.1", port))
        h.echo_check(("127.0.0.1", port), "socket unit")
        self.assertRegex(m.log(), r"socket \d+ \(stray\) that no service listens on: closed")
        # Neither the master nor its workers keep the stray one open.
        st = os.fstat(stray.fileno())
        for pid in [m.pid] + m.worker_pids():
            for fd, target in h.proc_fds(pid).items():
                self.assertNotEqual(target, "socket:[%d]" % st.st_ino, (pid, fd))
