"""test_pid1.py - the master as a container's PID 1 (docs/deploy.md,
"As a container's PID 1").

In a new PID namespace (`unshare --pid --fork --mount-proc`, what a
container runtime does) the master is process 1: every orphan of the
namespace is re-parented to it and only it can reap them, and the runtime
stops the container with SIGTERM to it, then SIGKILL after a grace period.

- A worker (tests/workers/forker.c, mode orphan) double-forks: its
  grandchild is re-parented to the master. Killed from outside, it must be
  reaped (gone from /proc, not a zombie), and no process of the namespace
  is a zombie.
- SIGTERM to the master: it exits 0 within Docker's default grace period
  (10 s; Kubernetes gives 30 s), and the namespace is empty afterwards.

Processes of the namespace are watched from outside by their host pids
(/proc/PID/status NSpid maps them); the master's status reports pids as the
namespace sees them, so no pid from it is ever signalled here. Cleanup:
SIGKILL to the master's host pid, which ends the whole namespace.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness as h

FORKER = os.path.join(h.BUILD, "tests", "forker")
GRACE_S = 10.0            # docker stop's default; Kubernetes' is 30 s
REAP_TIMEOUT_S = 10.0     # a killed orphan gone from /proc


def unshare_problem():
    """Why a PID namespace cannot be made here, or None."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) not installed"
    if not h.is_root():
        return "needs root: unshare --pid --mount-proc"
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    if r.returncode != 0:
        return "unshare --pid --fork --mount-proc not permitted here: %s" % (
            r.stdout.decode(errors="replace").strip())
    return None


def nspid(pid):
    """pid as its innermost PID namespace sees it (NSpid's last field)."""
    f = h.proc_status_field(pid, "NSpid")
    return int(f[-1]) if f else None


class TestPid1(unittest.TestCase):

    def setUp(self):
        why = unshare_problem()
        if why:
            self.skipTest(why)
        self.dir = tempfile.mkdtemp(prefix="master-pid1-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.left = os.path.join(self.dir, "left")
        os.mkdir(self.left, 0o755)
        with open(os.path.join(self.dir, "master.conf"), "w") as f:
            f.write('run_directory = "%s/run"\ndaemon_directory = "%s/services"\n'
                    % (self.dir, h.BUILD))
        with open(os.path.join(self.dir, "master.cf"), "w") as f:
            f.write("127.0.0.1:0 inet n n n - 1 %s orphan %s\n" % (FORKER, self.left))
        self.log = open(os.path.join(self.dir, "master.log"), "wb")
        self.addCleanup(self.log.close)
        self.unshare = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", h.MASTER, "-f", "-c", self.dir],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.master = None
        self.addCleanup(self.kill_namespace)

    def kill_namespace(self):
        """SIGKILL to the namespace's init ends every process in it."""
        if self.master is not None and h.pid_alive(self.master, self.master_start):
            h.kill_quiet(self.master, signal.SIGKILL)
        if self.unshare.poll() is None:
            # No master seen yet: unshare's own child is the only one.
            for pid in h.descendants(self.unshare.pid):
                h.kill_quiet(pid, signal.SIGKILL)
            try:
                self.unshare.wait(timeout=10)
            except subprocess.TimeoutExpired:
                h.kill_quiet(self.unshare.pid, signal.SIGKILL)
                self.unshare.wait(timeout=10)

    def logtail(self):
        with open(os.path.join(self.dir, "master.log"), errors="replace") as f:
            return "--- master log ---\n" + "\n".join(f.read().splitlines()[-30:])

    def status(self):
        r = subprocess.run([h.MASTERCTL, "-c", self.dir, "status", "--json"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=h.CTL_TIMEOUT_S)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def namespace_pids(self):
        """Host pids of the namespace's processes but the master."""
        return h.descendants(self.master)

    def test_reaps_orphans_and_stops_on_sigterm(self):
        def master_up():
            if self.unshare.poll() is not None:
                raise AssertionError("unshare exited %s\n%s"
                                     % (self.unshare.returncode, self.logtail()))
            kids = [p for p in h.descendants(self.unshare.pid)
                    if h.proc_stat(p) and h.proc_stat(p)[1] == self.unshare.pid]
            return kids[0] if kids else None
        self.master = h.poll_until(master_up, h.START_TIMEOUT_S, "the master started")
        self.master_start = h.proc_stat(self.master)[2]
        self.assertEqual(nspid(self.master), 1, "the master is not PID 1 of its namespace")

        def ready():
            st = self.status()
            return st if st and st["services"] and \
                st["services"][0]["workers"]["idle"] >= 1 else None
        h.poll_until(ready, h.START_TIMEOUT_S, "the forker worker ready", detail=self.logtail)
        # The orphan noted itself as left/p.NSPID.
        left = h.poll_until(lambda: os.listdir(self.left), 10, "the orphan's note")
        self.assertEqual(len(left), 1, left)
        orphan_ns = int(left[0].split(".")[1])

        def orphan_host_pid():
            for pid in self.namespace_pids():
                if nspid(pid) == orphan_ns:
                    return pid
            return None
        orphan = h.poll_until(orphan_host_pid, 10, "the orphan's host pid")
        state, ppid, start = h.proc_stat(orphan)
        self.assertEqual(ppid, self.master,
                         "the orphan was not re-parented to the master (PID 1)")
        self.assertTrue(h.pid_alive(orphan, start))

        # It dies: only its parent, the master, can reap it.
        os.kill(orphan, signal.SIGKILL)
        h.poll_until(lambda: h.proc_stat(orphan) is None or h.proc_stat(orphan)[2] != start,
                     REAP_TIMEOUT_S, "the killed orphan reaped by PID 1",
                     detail=lambda: "orphan state %s\n%s" % (h.proc_stat(orphan), self.logtail()))

        def no_zombie():
            zombies = [p for p in self.namespace_pids()
                       if (h.proc_stat(p) or ("?",))[0] in ("Z", "X")]
            return not zombies
        h.poll_until(no_zombie, REAP_TIMEOUT_S, "no zombie in the namespace")
        inside = {p: h.proc_stat(p)[2] for p in self.namespace_pids() if h.proc_stat(p)}
        self.assertTrue(inside, "the worker is gone too")

        # The runtime's stop: SIGTERM to PID 1, SIGKILL after the grace period.
        t0 = time.monotonic()
        os.kill(self.master, signal.SIGTERM)
        try:
            rc = self.unshare.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            self.fail("the master (PID 1) still running %.0f s after SIGTERM\n%s"
                      % (GRACE_S, self.logtail()))
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, "the master exited %d on SIGTERM\n%s" % (rc, self.logtail()))
        left_alive = [p for p, s in inside.items() if h.pid_alive(p, s)]
        self.assertEqual(left_alive, [], "processes of the namespace outlived its init")
        print("pid1: orphan reaped, SIGTERM to exit %.2fs" % took)


if __name__ == "__main__":
    unittest.main()
