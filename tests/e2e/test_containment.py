"""Containment: nothing a worker starts outlives it (docs/security.md,
"Containment"). A worker (tests/workers/forker.c) forks processes that keep
its listening socket and ignore SIGTERM; they must be gone when the worker
exits on its own, when it is retired, when the master stops, and when the
master is SIGKILLed (its guard sweeps the cgroups); after the master *and*
its guard are SIGKILLed, the next master ends them before it binds the same
port. The same with the subreaper fallback (-o containment=subreaper), where
the master kills its workers' process groups and whatever is re-parented to
it. Needs root (the workers run as root to note their children's pids in the
test's directory; cgroup containment needs a writable cgroup2)."""

import fcntl
import json
import os
import re
import signal
import time
import unittest

import harness as h

FORKER = os.path.join(h.BUILD, "tests", "forker")
GONE_S = 5.0          # a killed cgroup or process group empties within this
NOTES_S = 10.0        # the forked processes have noted their pids
BOMB = 50


def cgroup2_mount():
    """The cgroup2 mount point from /proc/self/mountinfo, or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                return left.split()[4]
    return None


def cgroup_of(pid):
    """The cgroup2 path ('0::' line) of pid, or None."""
    try:
        with open("/proc/%d/cgroup" % pid) as f:
            for line in f:
                if line.startswith("0::"):
                    return line[3:].strip()
    except FileNotFoundError:
        return None
    return None


def rmdir_tree(top):
    """Removes a cgroup and the cgroups below it (deepest first)."""
    for d, subs, _ in os.walk(top, topdown=False):
        for sub in subs:
            try:
                os.rmdir(os.path.join(d, sub))
            except OSError:
                pass
    try:
        os.rmdir(top)
    except OSError:
        pass


class Base(h.MasterTestCase):
    """Helpers; no tests of its own."""
    MODE = None   # None: the master's choice (auto); "subreaper": the fallback

    def setUp(self):
        self.require_root("workers run as root to note their children's pids in "
                          "the test directory; cgroup containment writes cgroup2")
        if not os.access(FORKER, os.X_OK):
            self.skipTest("%s not built" % FORKER)

    # --- helpers ---------------------------------------------------------
    def forker(self, mode, settings="", count=None, port="0", share=None, start=True,
               nports=0):
        """A master with one forker service (forker MODE DIR [N])."""
        cf = ("127.0.0.1:%s inet n n n - 4 %s -o prefork=1 -o stop_timeout=2 "
              "-o kill_grace=1 %s %s {DIR}/notes %s\n"
              % (port, FORKER, settings, mode, "" if count is None else count))
        run_args = [] if self.MODE is None else ["containment=%s" % self.MODE]
        m = self.master(cf, start=False, args=run_args, share=share, nports=nports)
        if share is None:
            os.makedirs(m.path("notes"), exist_ok=True)
            # Runs before the master's own cleanup removes the directory.
            self.addCleanup(self.kill_noted, m)
        if start:
            m.start()
        return m

    @staticmethod
    def noted(m):
        """{pid: (worker pid, starttime)} of every process a forker noted."""
        out = {}
        notes = m.path("notes")
        for name in os.listdir(notes) if os.path.isdir(notes) else ():
            if name.startswith("p."):
                try:
                    with open(os.path.join(notes, name)) as f:
                        worker, start = f.read().split()
                except (FileNotFoundError, ValueError):
                    continue
                out[int(name[2:])] = (int(worker), int(start))
        return out

    def kill_noted(self, m):
        """Kills every noted process still alive (same start time: never a
        recycled pid), whichever worker left it."""
        self.kill_all({pid: start for pid, (_, start) in self.noted(m).items()})

    def lingerers(self, m, worker, count):
        """{pid: starttime} of the count processes worker left (their notes),
        killed by pid at cleanup whatever happens."""
        def mine():
            out = {pid: start for pid, (w, start) in self.noted(m).items() if w == worker}
            return out if len(out) >= count else None
        procs = h.poll_until(mine, NOTES_S, "%d processes of worker %d noted" % (count, worker),
                             detail=m.detail)
        self.addCleanup(self.kill_all, procs)
        return procs

    @staticmethod
    def kill_all(procs):
        for pid, start in procs.items():
            if h.pid_alive(pid, start):
                h.kill_quiet(pid)
        deadline = time.monotonic() + GONE_S
        for pid, start in procs.items():
            while time.monotonic() < deadline and h.pid_alive(pid, start):
                time.sleep(h.POLL_S)
            h.reap_if_ours(pid)

    def assertAllGone(self, procs, what, m=None):
        def gone():
            for pid in procs:
                h.reap_if_ours(pid)   # died as an orphan of the test process
            return not any(h.pid_alive(p, s) for p, s in procs.items())
        h.poll_until(gone, GONE_S, "%s gone" % what,
                     detail=lambda: "alive: %s\n%s" % (
                         sorted(p for p, s in procs.items() if h.pid_alive(p, s)),
                         m.detail() if m is not None else ""))

    def only_worker(self, m):
        st = m.wait_for(lambda st: len(m.worker_pids(st=st)) == 1 and
                        m.service(st=st)["workers"]["idle"] == 1, 10, "one idle worker")
        return m.worker_pids(st=st)[0]



class Common:
    """Run in each mode: a worker's exit, retirement, stop."""

    def test_01_child_gone_when_worker_exits(self):
        """max_use=1: the worker leaves after one request; the child it forked
        (holding the listening socket) goes with it; the successor serves."""
        m = self.forker("child", "-o max_use=1")
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        self.assertEqual(h.read_all(m.addr()).strip(), "forker pid=%d" % w)
        self.assertAllGone(kids, "the child of worker %d after it exited" % w, m)
        self.assertGone(w)
        got = h.read_all(m.addr()).strip()
        self.assertRegex(got, r"^forker pid=\d+$")
        self.assertNotEqual(got, "forker pid=%d" % w)

    def test_02_child_gone_when_worker_retired(self):
        """`masterctl recycle`: the worker is retired (stop, make-before-break);
        the child it forked goes with it."""
        m = self.forker("child")
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        name = m.service()["name"]
        m.ctl("recycle", name, check=True)
        self.assertAllGone(kids, "the child of retired worker %d" % w, m)
        m.wait_for(lambda st: w not in m.worker_pids(st=st), GONE_S, "worker %d gone" % w)

    def test_03_fork_bomb_gone_at_retire(self):
        """50 processes (in the worker's group, setsid'd, and orphaned
        grandchildren) are all gone when the worker is retired."""
        m = self.forker("bomb", count=BOMB)
        w = self.only_worker(m)
        kids = self.lingerers(m, w, BOMB)
        m.ctl("recycle", m.service()["name"], check=True)
        self.assertAllGone(kids, "the %d processes of retired worker %d" % (BOMB, w), m)

    def test_04_children_gone_after_stop(self):
        """`masterctl stop`: the master exits 0 and nothing its workers forked
        is left."""
        m = self.forker("child", "-o prefork=2")
        st = m.wait_for(lambda st: len(m.worker_pids(st=st)) == 2, 10, "two workers")
        kids = {}
        for w in m.worker_pids(st=st):
            kids.update(self.lingerers(m, w, 1))
        m.ctl("stop", check=True)
        self.assertEqual(m.wait_exit(10), 0, m.log_tail())
        self.assertAllGone(kids, "the children after stop", m)

    def test_05_stop_is_sigterm_then_sigkill(self):
        """A worker busy past stop_timeout (2 s) gets SIGTERM first; still
        running kill_grace (1 s) later, it is killed with all it started,
        and the master exits 0."""
        m = self.forker("stubborn")
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        s = h.connect(m.addr())
        self.addCleanup(s.close)
        self.assertEqual(h.read_line(s), "forker pid=%d" % w)
        m.wait_for(lambda st: m.service(st=st)["workers"]["busy"] == 1, 5, "busy")
        t0 = time.monotonic()
        m.ctl("stop", check=True)
        m.wait_log(r"\[%d\]: forker: SIGTERM" % w, 5)
        took_term = time.monotonic() - t0
        self.assertEqual(m.wait_exit(10), 0, m.log_tail())
        took = time.monotonic() - t0
        self.assertGreaterEqual(took_term, 1.5, "SIGTERM before stop_timeout")
        self.assertGreaterEqual(took - took_term, 0.5, "SIGKILL before kill_grace")
        self.assertRegex(m.log(), r"terminating worker %d: did not stop within stop_timeout" % w)
        self.assertAllGone(kids, "the child of the stubborn worker", m)

    def test_06_zombie_leaders_gone_after_stop(self):
        """Processes whose main thread has exited while another thread runs
        on (zombie leaders, which cgroup.kill passes over on Linux 6.18):
        the worker, busy and deaf to "stop" and SIGTERM, and the child it
        forked. `masterctl stop` still ends after stop_timeout (2 s) and
        kill_grace (1 s): the master exits 0 and neither is left."""
        m = self.forker("zombie")
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        worker = {w: h.proc_stat(w)[2]}
        self.addCleanup(self.kill_all, worker)
        s = h.connect(m.addr())
        self.addCleanup(s.close)
        self.assertEqual(h.read_line(s), "forker pid=%d" % w)
        m.wait_for(lambda st: m.service(st=st)["workers"]["busy"] == 1, 5, "busy")
        m.ctl("stop", check=True)
        self.assertEqual(m.wait_exit(10), 0, m.log_tail())
        self.assertAllGone(kids, "the zombie-leader child", m)
        self.assertAllGone(worker, "the zombie-leader worker", m)


class CgroupContainment(Base, Common):
    """What only cgroups can do: a sweep when the master dies, and finding a
    previous master's leftovers."""

    def setUp(self):
        super().setUp()
        if cgroup2_mount() is None:
            self.skipTest("no cgroup2 file system mounted")

    def containment(self, m):
        c = m.status().get("containment")
        self.assertIsInstance(c, dict, "status has no containment object")
        if c.get("mode") != "cgroup":
            self.skipTest("the master chose %r: %s" % (c.get("mode"), c.get("why")))
        return c

    def test_16_cgroup_a_worker_made_does_not_wedge_its_leaf(self):
        """An unpriv=n worker makes a cgroup below its leaf (it owns the
        files) and forks a child: at its retirement the child is killed,
        the leaf is removed with what the worker made in it, the worker
        counts as gone, and the master stops in bounded time. Before, the
        leaf's rmdir failed (EBUSY) for ever: the worker stayed "stopping"
        and `stop` never ended (an adversarial run)."""
        m = self.forker("subcg")
        self.containment(m)
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        m.ctl("recycle", m.service()["name"], check=True)
        self.assertAllGone(kids, "the child of worker %d" % w, m)
        m.wait_for(lambda st: w not in m.worker_pids(st=st)
                   and m.status().get("containment", {}).get("draining", 0) == 0,
                   GONE_S, "worker %d gone, no leaf draining" % w)
        m.ctl("stop", check=True)
        self.assertEqual(m.wait_exit(10), 0, m.log_tail())

    def test_10_status_and_log_say_cgroup(self):
        m = self.forker("child")
        c = self.containment(m)
        w = self.only_worker(m)
        mnt = cgroup2_mount()
        self.assertTrue(c["path"].startswith(mnt + "/"), c)
        self.assertTrue(os.path.isdir(c["path"]), c)
        # The worker lives in a leaf of its own below its service's cgroup.
        rel = cgroup_of(w)
        self.assertRegex(mnt + rel, "^" + re.escape(c["path"]) + r"/inet-127\.0\.0\.1:0/w\d+$")
        kid = list(self.lingerers(m, w, 1))[0]
        self.assertEqual(cgroup_of(kid), rel)
        m.wait_log(r"containment: cgroup")
        _, text, _ = m.ctl("status", check=True)
        self.assertIn("containment: cgroup", text)

    def test_11_master_sigkill_sweeps(self):
        """SIGKILL the master: its workers die (parent-death signal) and its
        guard kills their cgroups: the child holding the port is gone too."""
        m = self.forker("child")
        self.containment(m)
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        m.proc.send_signal(signal.SIGKILL)
        m.wait_exit(5)
        self.assertAllGone(kids, "the child after the master's SIGKILL", m)
        self.assertAllGone({w: h.proc_stat(w)[2] if h.proc_stat(w) else None},
                           "worker %d (parent-death signal)" % w)

    def test_12_restart_after_master_and_guard_sigkill(self):
        """SIGKILL the master and its guard: the child keeps the port; a new
        master on the same configuration ends it (and says so) before it
        binds the same port, then serves."""
        m = self.forker("child", port="{PORT1}", nports=1)
        c = self.containment(m)
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        addr = m.addr()
        guard = c.get("guard")
        self.assertIsInstance(guard, int, c)
        guard_start = h.proc_stat(guard)[2]
        h.kill_quiet(m.pid, signal.SIGSTOP)   # no sweep, no respawn
        h.kill_quiet(guard, signal.SIGKILL)
        h.kill_quiet(m.pid, signal.SIGKILL)
        h.kill_quiet(m.pid, signal.SIGCONT)
        m.wait_exit(5)
        h.poll_until(lambda: not h.pid_alive(guard, guard_start), GONE_S, "guard gone")
        h.reap_if_ours(guard)
        self.assertTrue(all(h.pid_alive(p, s) for p, s in kids.items()),
                        "the child should outlive a master and guard killed together")
        m2 = self.forker("child", port="{PORT1}", share=m)
        m2.wait_log(r"containment: ended 1 process left by a previous master")
        self.assertAllGone(kids, "the previous master's child", m2)
        self.assertEqual(m2.addr(), addr)
        self.assertRegex(h.read_all(addr).strip(), r"^forker pid=\d+$")

    def test_14_guard_restarted(self):
        """The guard killed alone is replaced: the new one sweeps when the
        master is SIGKILLed."""
        m = self.forker("child")
        old = self.containment(m)["guard"]
        h.kill_quiet(old, signal.SIGKILL)
        st = m.wait_for(lambda st: st["containment"]["guard"] not in (None, old), 5,
                        "a new guard")
        new = st["containment"]["guard"]
        # The guard names itself after its fork: status may show its pid
        # first (CI saw comm "master" there once).
        h.poll_until(lambda: h.proc_comm(new) == "master-guard", 5,
                     "guard %d named master-guard" % new,
                     detail=lambda: h.proc_comm(new))
        self.assertIn("guard (pid %d) exited" % old, m.log())
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        m.proc.send_signal(signal.SIGKILL)
        m.wait_exit(5)
        self.assertAllGone(kids, "the child after the master's SIGKILL", m)

    def test_15_dead_masters_bases_removed_live_ones_kept(self):
        """A master removes the empty bases of masters that are gone, next
        to its own, and never one whose master lives: that is told by the
        lock its master holds on it, not by the pid in its owner mark (a
        master that is PID 1 of a container writes "1", which on the host
        is init, and sees no host master in its own /proc)."""
        m = self.forker("child")
        parent = os.path.dirname(self.containment(m)["path"])
        dead = os.path.join(parent, "master.e2e-dead-%d" % os.getpid())
        alive = os.path.join(parent, "master.e2e-alive-%d" % os.getpid())
        # A master of a version before the lock: no lock, but its pid lives
        # here with its start time (this test's process stands in).
        old = os.path.join(parent, "master.e2e-old-%d" % os.getpid())
        me = ("%d %d" % (os.getpid(), h.proc_stat(os.getpid())[2])).encode()
        for d, mark in ((dead, b"999999999 1"), (alive, b"1 1"), (old, me)):
            os.mkdir(d)
            self.addCleanup(rmdir_tree, d)
            os.setxattr(d, "trusted.master.owner", mark)
        fd = os.open(alive, os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, fd)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # its master lives
        # Another master next to them: it looks at its siblings as it starts.
        m2 = self.forker("child")
        self.containment(m2)
        self.assertFalse(os.path.exists(dead), "a dead master's empty base was kept")
        self.assertTrue(os.path.isdir(alive), "a live master's base was removed")
        self.assertTrue(os.path.isdir(old), "a live older master's base was removed")
        self.assertTrue(os.path.isdir(self.containment(m)["path"]))

    def test_13_delegated_base(self):
        """Started inside a cgroup delegated to it (as systemd's Delegate=yes
        marks it: xattr trusted.delegate=1), the master makes that cgroup its
        base, moves itself into BASE/supervisor, and its workers live in
        BASE/TYPE-NAME/wN; at exit it removes the services' cgroups."""
        mnt = cgroup2_mount()
        unit = "%s/e2e-unit-%d.service" % (mnt, os.getpid())
        try:
            os.mkdir(unit)
            os.setxattr(unit, "trusted.delegate", b"1")
        except OSError as e:
            self.skipTest("cannot make a delegated cgroup at %s: %s" % (unit, e))
        self.addCleanup(rmdir_tree, unit)
        m = self.forker("child", start=False)
        inner = m.command
        # Like systemd starting the unit: the master's process begins in it.
        m.command = lambda *extra: ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"',
                                    unit] + inner(*extra)
        m.start()
        c = self.containment(m)
        self.assertEqual(c["path"], unit, c)
        rel = unit[len(mnt):]
        self.assertEqual(cgroup_of(m.pid), rel + "/supervisor")
        w = self.only_worker(m)
        self.assertRegex(cgroup_of(w), "^" + re.escape(rel) + r"/inet-127\.0\.0\.1:0/w\d+$")
        kid = list(self.lingerers(m, w, 1))[0]
        self.assertEqual(cgroup_of(kid), cgroup_of(w))
        m.ctl("stop", check=True)
        self.assertEqual(m.wait_exit(10), 0, m.log_tail())
        self.assertEqual(sorted(d for d in os.listdir(unit) if os.path.isdir(
            os.path.join(unit, d))), ["supervisor"])


class SubreaperContainment(Base, Common):
    """The fallback without cgroups: the same guarantees for a worker's exit,
    retirement and stop, through process groups and the child subreaper."""
    MODE = "subreaper"

    def test_20_status_says_subreaper(self):
        m = self.forker("child")
        c = m.status().get("containment")
        self.assertIsInstance(c, dict, "status has no containment object")
        self.assertEqual(c.get("mode"), "subreaper", c)
        m.wait_log(r"containment: subreaper")
        _, text, _ = m.ctl("status", check=True)
        self.assertIn("containment: subreaper", text)

    def test_21_setsid_child_gone_when_worker_exits(self):
        """A child that left the worker's process group is killed once it is
        re-parented to the master."""
        m = self.forker("setsid", "-o max_use=1")
        w = self.only_worker(m)
        kids = self.lingerers(m, w, 1)
        self.assertEqual(h.read_all(m.addr()).strip(), "forker pid=%d" % w)
        self.assertAllGone(kids, "the setsid child of worker %d" % w, m)


if __name__ == "__main__":
    unittest.main()
