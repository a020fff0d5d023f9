"""Dynamic users (user=dynamic, dynamic_user=worker): services apart.

Proven from inside the workers with the probe (tests/workers/probe.c):
a worker of one dynamic-user service cannot signal (kill -0) a worker of
another, nor read its /proc/PID/environ; with dynamic_user=worker not even
a sibling's. The uids come from dynamic_uid_min..dynamic_uid_max, none in
/etc/passwd, no supplementary groups; a uid goes back when its worker is
reaped (a range just large enough keeps serving through recycling) and
when its service is removed by a reload (the only uid of a one-uid range
serves the next service); what a released uid left in SysV IPC, POSIX
message queues and /dev/shm is removed; the state directory is made with the uid as
owner, named to the worker by STATE_DIRECTORY, writable by it alone, and
goes back to root when the service goes. A range that /etc/passwd uses is
refused at load with the passwd file and line.

Everything here needs root (the master switches ids): skipped otherwise.
"""

import ctypes
import errno
import fcntl
import glob
import json
import os
import pwd
import shutil
import stat
import tempfile
import time
import unittest

import harness as h

PROBE = os.path.join(h.BUILD, "tests", "probe")
LEAVER = os.path.join(h.BUILD, "tests", "leaver")
RANGE_MIN = 61184           # systemd's DynamicUser= range, our default
PAD_FILES = 4150            # test_60q, 60r: past ipcclean.c's 4,096 entries a release
RANGE_MAX = 65519
REGISTRY = "/run/master-dynamic-uid"   # master/dynreg.h


def passwd_uids():
    return {p.pw_uid for p in pwd.getpwall()}


def sysv_ids(kind):
    """The ids of the host's SysV objects of kind (shm, sem, msg)."""
    with open("/proc/sysvipc/" + kind) as f:
        return {int(line.split()[1]) for line in f.readlines()[1:]}


def mq_exists(name):
    """Whether POSIX message queue /name exists (whether or not the host
    mounted /dev/mqueue)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.mq_open(("/" + name).encode(), os.O_RDONLY)
    if fd >= 0:
        libc.mq_close(fd)
        return True
    return False


def remove_leavings(r):
    """What a leaver left and the master did not remove (a master killed
    before it gave the uid back, a tree too deep): the test's to remove."""
    libc = ctypes.CDLL(None, use_errno=True)
    for i in r["shm"]:
        libc.shmctl(i, 0, None)          # IPC_RMID
    libc.semctl(r["sem"], 0, 0)
    libc.msgctl(r["msg"], 0, None)
    libc.mq_unlink(("/" + r["mq"]).encode())
    base = "/dev/shm/" + r["shm_file"]
    if os.path.lexists(base):
        os.unlink(base)
    for d in (base + ".d", base + ".deep"):
        shutil.rmtree(d, True)


def left_behind(r):
    """What of a leaver's report (tests/workers/leaver.c) still exists."""
    there = []
    there += ["shm %d" % i for i in r["shm"] if i in sysv_ids("shm")]
    there += ["sem %d" % r["sem"]] if r["sem"] in sysv_ids("sem") else []
    there += ["msg %d" % r["msg"]] if r["msg"] in sysv_ids("msg") else []
    there += ["mq " + r["mq"]] if mq_exists(r["mq"]) else []
    there += [p for p in ("/dev/shm/" + r["shm_file"], "/dev/shm/%s.d" % r["shm_file"])
              if os.path.lexists(p)]
    # Too deep to remove (the master walks 16 levels): made root's, 0700,
    # nothing below it within the next holder's reach.
    deep = "/dev/shm/%s.deep" % r["shm_file"]
    if os.path.lexists(deep):
        st = os.lstat(deep)
        if (st.st_uid, stat.S_IMODE(st.st_mode)) != (0, 0o700):
            there.append(deep)
    return there


def remove_pads(r):
    """A leaver's padding (leaver.c, its argument) that the master did not
    remove: the test's to remove (the master may be removing it too)."""
    for path in glob.glob("/dev/shm/%s.pad.*" % r["shm_file"]):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def registry_owner_alive(owner):
    """Whether the master of owner file REGISTRY/owner lives: it holds the
    file's lock (master/dynreg.c)."""
    try:
        fd = os.open(os.path.join(REGISTRY, owner), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)    # and the lock with it, if it was free


def registry_holder(uid):
    """The owner.NONCE REGISTRY names as holder of uid, or None."""
    try:
        return os.readlink(os.path.join(REGISTRY, str(uid)))
    except FileNotFoundError:
        return None


class DynUser(h.MasterTestCase):
    def setUp(self):
        self.require_root("the master switches workers to the dynamic uids")
        if not os.access(PROBE, os.X_OK):
            self.skipTest("probe not built: %s" % PROBE)
        if not h.can_exec_as("nobody", PROBE):
            self.skipTest("others cannot execute %s (directory permissions)" % PROBE)

    def start(self, cf, conf="", **kw):
        conf = 'state_directory = "{DIR}/state/%n"\n' + conf
        return self.master(cf.replace("{PROBE}", PROBE), conf, **kw)

    def remove_all(self, m, pid=None):
        """Reloads m with an empty master.cf and waits until every service
        has drained (and worker pid, if given, is gone)."""
        m.write("master.cf", "")
        rc, out, err = m.ctl("reload", timeout=15)
        self.assertEqual(rc, 0, out + err)
        m.wait_for(lambda st: st.get("draining") == [] and not st["services"], 15,
                   "every service drained")
        if pid is not None:
            h.poll_until(lambda: not h.pid_alive(pid), 10, "worker %d gone" % pid)

    def probe(self, m, name=None, request=""):
        text = h.read_all(m.addr(name), send=(request + "\n").encode())
        try:
            return json.loads(text)
        except ValueError:
            self.fail("probe answer is not JSON: %r\n%s" % (text, m.log_tail()))

    def probe_other(self, m, name, pids):
        """(report, target): the probe's report on one of pids, from a
        worker of service name that is not that one (which worker accepts
        is the kernel's choice: the other is asked about)."""
        target = pids[-1]
        for _ in range(10):
            r = self.probe(m, name, "kill0=%d environ=%d" % (target, target))
            if r["pid"] != target:
                return r, target
            target = [p for p in pids if p != target][0]
        self.fail("no answer from a worker other than %d" % target)

    def uid_of(self, pid):
        return [int(x) for x in h.proc_status_field(pid, "Uid")]

    def assertDynamic(self, pid, lo=RANGE_MIN, hi=RANGE_MAX):
        uids = self.uid_of(pid)
        gids = [int(x) for x in h.proc_status_field(pid, "Gid")]
        self.assertEqual(len(set(uids)), 1, "worker %d Uid %s" % (pid, uids))
        self.assertTrue(lo <= uids[0] <= hi, "worker %d uid %d outside %d..%d"
                        % (pid, uids[0], lo, hi))
        self.assertNotIn(uids[0], passwd_uids(), "uid %d is in /etc/passwd" % uids[0])
        self.assertEqual(len(set(gids)), 1, "worker %d Gid %s" % (pid, gids))
        self.assertEqual(h.proc_status_field(pid, "Groups"), [],
                         "worker %d has supplementary groups" % pid)
        return uids[0], gids[0]

    def assertDenied(self, r, what, pid):
        got = r[what]
        self.assertEqual(got["pid"], pid)
        want = (errno.EPERM,) if what == "kill0" else (errno.EACCES, errno.EPERM)
        self.assertIn(got["errno"], want, "%s of pid %d from worker %d: %s"
                      % (what, pid, r["pid"], got))

    def test_60a_services_cannot_reach_each_other(self):
        """Two dynamic services: different uids; from a worker of one,
        kill -0 and /proc/PID/environ of the other's fail (EPERM/EACCES),
        while a sibling of the same service (same uid) can be signalled."""
        m = self.start("127.0.0.1:{PORT1} inet n y n - 2 {PROBE} -o user=dynamic"
                       " -o prefork=2\n"
                       "127.0.0.1:{PORT2} inet n y n - 1 {PROBE} -o user=dynamic\n",
                       nports=2)
        a, b = m.service_names()
        a_pids, b_pid = m.worker_pids(a), m.worker_pids(b)[0]
        ua, _ = self.assertDynamic(a_pids[0])
        ub, _ = self.assertDynamic(b_pid)
        self.assertNotEqual(ua, ub, "two services share uid %d" % ua)
        self.assertEqual(self.uid_of(a_pids[1])[0], ua, "per-service uid differs")
        r = self.probe(m, a, "kill0=%d environ=%d" % (b_pid, b_pid))
        self.assertIn(r["pid"], a_pids)
        self.assertDenied(r, "kill0", b_pid)
        self.assertDenied(r, "environ", b_pid)
        # The control: the probe can reach a process of its own uid.
        r, sib = self.probe_other(m, a, a_pids)
        self.assertEqual(r["kill0"]["errno"], 0, "sibling %d: %s" % (sib, r["kill0"]))

    def test_60b_uid_per_worker(self):
        """dynamic_user=worker: siblings have different uids, one group,
        and cannot signal or read each other."""
        m = self.start("127.0.0.1:0 inet n y n - 2 {PROBE} -o user=dynamic"
                       " -o dynamic_user=worker -o prefork=2\n")
        pids = m.worker_pids()
        self.assertEqual(len(pids), 2, pids)
        (u1, g1), (u2, g2) = self.assertDynamic(pids[0]), self.assertDynamic(pids[1])
        self.assertNotEqual(u1, u2, "siblings share uid %d" % u1)
        self.assertEqual(g1, g2, "siblings have different groups")
        r, other = self.probe_other(m, None, pids)
        self.assertDenied(r, "kill0", other)
        self.assertDenied(r, "environ", other)

    def test_60c_worker_uid_released_at_reap(self):
        """A range of 5 uids: the service's and four workers' (two, and
        their successors while they leave). With max_use=1 every request
        recycles a worker: 12 requests need 14 worker uids in all, so each
        reaped worker's uid must come back."""
        lo, n = RANGE_MIN + 100, 5
        m = self.start("127.0.0.1:0 inet n y n - 2 {PROBE} -o user=dynamic"
                       " -o dynamic_user=worker -o prefork=2 -o max_use=1\n",
                       "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo + n - 1))
        seen = set()
        for i in range(12):
            r = h.poll_until(lambda: self.probe(m), 10, "request %d answered" % i,
                             detail=m.detail)
            self.assertTrue(lo <= r["resuid"][0] < lo + n, r["resuid"])
            seen.add(r["resuid"][0])
        self.assertLessEqual(len(seen), n - 1, "worker uids used: %s" % sorted(seen))
        self.assertNotIn("every uid of", m.log())
        st = m.wait_for(lambda st: m.service(st=st)["spawned"] >= 14, 10, "14 workers")
        self.assertEqual(m.service(st=st)["launch_failed"], 0)

    def test_60d_state_directory(self):
        """Made with the service's uid as owner, mode 0700, named by
        STATE_DIRECTORY; the worker writes there and nowhere else."""
        m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=dynamic\n")
        pid = m.worker_pids()[0]
        uid, gid = self.assertDynamic(pid)
        sd = m.path("state", "inet-127.0.0.1:0")
        st = os.stat(sd)
        self.assertEqual((st.st_uid, st.st_gid), (uid, gid))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        self.assertEqual(h.proc_environ(pid).get("STATE_DIRECTORY"), sd)
        r = self.probe(m, request="write=%s/f:100" % sd)
        self.assertEqual((r["write"]["bytes"], r["write"]["errno"]), (100, 0), r["write"])
        self.assertEqual(os.stat(sd + "/f").st_uid, uid)
        r = self.probe(m, request="write=%s:100" % m.path("nope"))
        self.assertEqual(r["write"]["errno"], errno.EACCES, r["write"])

    def test_60e_released_on_removal_by_reload(self):
        """A one-uid range: the service holds it, and keeps it through a
        reload that changes it; removed by a reload and drained, its state
        directory goes back to root; a service added by the next reload
        gets that same uid."""
        lo = RANGE_MIN + 200
        conf = "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo)
        m = self.start("one unix n y n - 1 {PROBE} -o user=dynamic\n", conf)
        pid = m.worker_pids()[0]
        self.assertEqual(self.assertDynamic(pid)[0], lo)
        sd = m.path("state", "unix-one")
        self.assertEqual(os.stat(sd).st_uid, lo)
        # Changed by a reload: the new generation shares the uid (the range
        # has no other), while the old one drains.
        m.write("master.cf", "one unix n y n - 1 %s -o user=dynamic -o max_use=50\n" % PROBE)
        rc, out, err = m.ctl("reload", timeout=15)
        self.assertEqual(rc, 0, out + err + m.log_tail())
        self.assertIn("changed: one", out)
        st = m.wait_for(lambda st: st.get("draining") == [] and
                        m.worker_pids("one", st) and m.worker_pids("one", st)[0] != pid,
                        15, "the new generation of one serving")
        h.poll_until(lambda: not h.pid_alive(pid), 10, "old worker %d gone" % pid)
        pid = m.worker_pids("one", st)[0]
        self.assertEqual(self.assertDynamic(pid)[0], lo)
        self.assertEqual(os.stat(sd).st_uid, lo, "state directory given back while in use")
        self.remove_all(m, pid)
        st = os.stat(sd)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, 0, 0o700),
                         "state directory not taken back")
        m.write("master.cf", "two unix n y n - 1 %s -o user=dynamic\n" % PROBE)
        rc, out, err = m.ctl("reload", timeout=15)
        self.assertEqual(rc, 0, out + err + m.log_tail())
        st = m.wait_for(lambda st: st["services"] and m.service("two", st)["workers"]["idle"],
                        15, "service two ready")
        self.assertEqual(self.assertDynamic(m.worker_pids("two", st)[0])[0], lo)

    def leave(self, m, name=None):
        text = h.read_all(m.addr(name))
        try:
            r = json.loads(text)
        except ValueError:
            self.fail("leaver answer is not JSON: %r\n%s" % (text, m.log_tail()))
        self.assertEqual(r["errors"], "", r)
        self.addCleanup(remove_leavings, r)
        return r

    def padding_leaver(self, lo, hi, pad=PAD_FILES):
        """A master with a dynamic_user=worker max_use=1 leaver that hides
        what it left behind pad empty files of its own (leaver.c), uids
        lo..hi."""
        if not h.can_exec_as("nobody", LEAVER):
            self.skipTest("others cannot execute %s" % LEAVER)
        return self.start("127.0.0.1:0 inet n y n - 1 %s -o user=dynamic"
                          " -o dynamic_user=worker -o max_use=1 %d\n" % (LEAVER, pad),
                          "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, hi))

    def leave_and_reap(self, m):
        """A leaver worker's answer, once the worker is reaped."""
        r = h.poll_until(lambda: self.leave(m), 10, "a worker's answer", detail=m.detail)
        self.addCleanup(remove_pads, r)
        m.wait_for(lambda st: r["pid"] not in m.worker_pids(None, st), 10,
                   "worker %d reaped" % r["pid"])
        return r

    def test_60g_ipc_removed_with_service_uid(self):
        """A one-uid range: what the service's workers left in SysV IPC,
        POSIX message queues, /dev/shm (a segment given to root included)
        and the uid's kernel keyrings stays while the service holds the
        uid (its next worker finds the keys), and is gone once a reload
        removed the service and its uid came back: the next service to
        get the uid finds none of it."""
        if not h.can_exec_as("nobody", LEAVER):
            self.skipTest("others cannot execute %s" % LEAVER)
        lo = RANGE_MIN + 300
        conf = "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo)
        m = self.start("one unix n y n - 1 %s -o user=dynamic -o max_use=1\n" % LEAVER, conf)
        r = self.leave(m, "one")
        self.assertEqual((r["uid"], r["found"]), (lo, ""), r)
        h.poll_until(lambda: not h.pid_alive(r["pid"]), 10, "worker %d gone" % r["pid"])
        m.wait_for(lambda st: m.worker_pids("one", st) and
                   r["pid"] not in m.worker_pids("one", st), 10, "a new worker of one")
        self.assertEqual(len(left_behind(r)), 8, "the worker's leavings, kept while the "
                         "service holds its uid: %s" % left_behind(r))
        sibling = self.leave(m, "one")
        self.assertEqual(sibling["found"], "@u @us @p", "a sibling shares the keyrings")
        self.remove_all(m)
        self.assertEqual(left_behind(r) + left_behind(sibling), [], m.log_tail())
        self.assertIn("uid %d left" % lo, m.log())
        m.write("master.cf", "two unix n y n - 1 %s -o user=dynamic\n" % LEAVER)
        rc, out, err = m.ctl("reload", timeout=15)
        self.assertEqual(rc, 0, out + err + m.log_tail())
        m.wait_for(lambda st: st["services"] and m.service("two", st)["workers"]["idle"],
                   15, "service two ready")
        r = self.leave(m, "two")
        self.assertEqual((r["uid"], r["found"]), (lo, ""), "the next holder of uid %d" % lo)

    def test_60h_ipc_removed_with_worker_uid(self):
        """dynamic_user=worker, max_use=1, three uids (the service's and
        two for workers, reused in turn): what each worker left is gone
        once it is reaped and its uid came back, and no worker finds its
        uid's previous holder's keys."""
        if not h.can_exec_as("nobody", LEAVER):
            self.skipTest("others cannot execute %s" % LEAVER)
        lo = RANGE_MIN + 400
        m = self.start("127.0.0.1:0 inet n y n - 1 %s -o user=dynamic -o dynamic_user=worker"
                       " -o max_use=1\n" % LEAVER,
                       "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo + 2))
        reports = []
        for _ in range(4):
            r = h.poll_until(lambda: self.leave(m), 10, "a worker's answer", detail=m.detail)
            reports.append(r)
            self.assertEqual(r["found"], "", "uid %d's previous holder's keys: %s"
                             % (r["uid"], reports))
            m.wait_for(lambda st: r["pid"] not in m.worker_pids(None, st), 10,
                       "worker %d reaped" % r["pid"])
            h.poll_until(lambda: not left_behind(r), 5, "worker %d's leavings removed"
                         % r["pid"], detail=lambda: "%s\n%s" % (left_behind(r), m.log_tail()))
        self.assertLess(len({r["uid"] for r in reports}), 4, "no uid reused: %s" % reports)
        self.assertIn("uid %d left" % reports[0]["uid"], m.log())

    def test_60q_a_full_dev_shm_bounds_the_walk(self):
        """/dev/shm is anyone's to fill: a local user padded it with
        100,000 empty files and every release walked them all on the
        master's loop (49 ms each; the eighth adversarial round). A
        release reads at most IPCCLEAN_ENTRIES_MAX entries, anyone's, and
        says it stopped short. Here the start's release of the range
        meets 4,150 files of root's."""
        pad = ["/dev/shm/master-e2e-pad-%d-%d" % (os.getpid(), i) for i in range(PAD_FILES)]
        try:
            for path in pad:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            lo = RANGE_MIN + 700
            m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=dynamic\n",
                           "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo + 3))
            self.assertRegex(m.log(), r"/dev/shm or /dev/mqueue holds more entries than a "
                             r"release looks at: what uids %d\.\.%d left past them stays"
                             % (lo, lo + 3))
            self.assertTrue(all(os.path.exists(path) for path in pad), "root's files kept")
        finally:
            for path in pad:
                if os.path.lexists(path):
                    os.unlink(path)

    def test_60r_left_past_the_walk_removed_before_the_uid_is_reused(self):
        """What a worker's uid left in /dev/shm past the release's walk
        went to the uid's next holder: here each worker hides what it left
        behind 4,150 empty files of its own, made last (tmpfs lists the
        newest first; the eighth adversarial round's run_shmleft.py). The
        uid is now held back until a walk of the whole directory, a step
        each 50 ms, has removed the rest; then it serves again.
        dynamic_user=worker, max_use=1, three uids (the service's and two
        for workers, reused in turn)."""
        lo = RANGE_MIN + 800
        m = self.padding_leaver(lo, lo + 2)
        reports = []
        for _ in range(3):
            r = self.leave_and_reap(m)
            reports.append(r)
            h.poll_until(lambda: not left_behind(r), 5, "worker %d's leavings removed"
                         % r["pid"], detail=lambda: "%s\n%s" % (left_behind(r), m.log_tail()))
            self.assertEqual(glob.glob("/dev/shm/%s.pad.*" % r["shm_file"]), [])
        self.assertEqual(reports[0]["uid"], reports[2]["uid"], "the first uid serves again")
        self.assertRegex(m.log(), r"uid %d is held back until a walk of them all has removed "
                         r"what it left" % reports[0]["uid"])
        self.assertRegex(m.log(), r"dynamic users: \d+ /dev/shm or /dev/mqueue entries left "
                         r"past a release's walk: \d+ removed[^;]*; 1 uid given back")

    def test_60s_a_start_waits_for_a_held_back_uid(self):
        """Two uids for workers, each held back after its worker (which
        hides what it left behind 4,150 files of its own; the walk takes
        ~0.8 s). A max_use=1 worker's successor starts when it retires,
        while it still holds its uid, so the successor of the next one
        finds no uid until the walk gives one back. It waits for it, and
        is not counted as the service's failure: no back-off (1 s, then
        more, before), no start failure in status."""
        lo = RANGE_MIN + 810
        m = self.padding_leaver(lo, lo + 2)
        started = time.monotonic()
        for _ in range(3):
            self.leave_and_reap(m)
        elapsed = time.monotonic() - started
        svc = m.service()
        self.assertEqual((svc["start_failures"], svc["throttle"]["failures"]), (0, 0),
                         m.log_tail())
        self.assertNotIn("throttled", m.log())
        self.assertIn("no dynamic uid free until a walk of /dev/shm gives one back", m.log())
        print("\n  3 workers served in %.2f s" % elapsed)

    def test_60t_a_service_holds_back_a_quarter_of_the_range(self):
        """A worker that leaves 20,000 files of its own at each release
        keeps its uid held back for seconds; churned, such workers would
        hold the whole range from the other services. A service holds
        back at most a quarter of the range (here 9 uids: 2); past that a
        uid is given back as it is, and the log says so."""
        lo = RANGE_MIN + 820
        m = self.padding_leaver(lo, lo + 8, 20000)
        for _ in range(4):
            self.leave_and_reap(m)
        m.wait_log(r"a quarter of the dynamic uids are held back for it already: uid \d+ "
                   r"is given back with what it left past the walk", 5)
        # Each walk of ~20,000 of a worker's files takes seconds at 5 ms
        # a step: the two are still held back.
        self.assertEqual(m.status()["master"]["dynamic_uids_held_back"], 2)
        m.wait_for(lambda st: st["master"]["dynamic_uids_held_back"] == 0, 60,
                   "every uid given back")

    def test_60i_ipc_of_a_dead_master_removed_at_start(self):
        """What a uid of the range left before this master started (a
        master that died) is gone before the first uid is handed out."""
        lo = RANGE_MIN + 500
        libc = ctypes.CDLL(None, use_errno=True)
        shm = self.segment_of(lo + 1)
        shm_file = "/dev/shm/dead-master-%d" % os.getpid()
        with open(shm_file, "w") as f:
            f.write("left\n")
        os.chown(shm_file, lo + 1, lo + 1)
        self.assertIn(shm, sysv_ids("shm"))
        try:
            m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=dynamic\n",
                           "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo + 3))
            self.assertNotIn(shm, sysv_ids("shm"), m.log_tail())
            self.assertFalse(os.path.lexists(shm_file))
            self.assertIn("uids %d..%d left 2 IPC objects" % (lo, lo + 3), m.log())
        finally:
            if os.path.lexists(shm_file):
                os.unlink(shm_file)
            if shm in sysv_ids("shm"):
                libc.shmctl(shm, 0, None)   # IPC_RMID

    def test_60j_masters_share_the_range(self):
        """Two masters, the same two-uid range, the same service: the
        second gets the other uid (the host's registry, dynreg.c), a third
        gets none and says why; the first killed with SIGKILL, a new
        master gets its uid back."""
        lo = RANGE_MIN + 600
        conf = "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo + 1)
        cf = "127.0.0.1:0 inet n y n - 1 {PROBE} -o user=dynamic\n"
        a = self.start(cf, conf)
        wa = a.worker_pids()[0]
        ua = self.assertDynamic(wa, lo, lo + 1)[0]
        b = self.start(cf, conf)
        ub = self.assertDynamic(b.worker_pids()[0], lo, lo + 1)[0]
        self.assertNotEqual(ua, ub, "two masters gave uid %d to a service each" % ua)
        self.assertEqual(os.readlink("/run/master-dynamic-uid/%d" % ua)[:6], "owner.")
        c = self.start(cf, conf, wait=False)
        c.wait_log(r"every uid of %d\.\.%d is in use \(dynamic_uid_min, dynamic_uid_max\), "
                   r"some by other masters or systemd" % (lo, lo + 1), timeout=10)
        for pid in c.children():
            self.assertNotIn(self.uid_of(pid)[0], (ua, ub), "the third master's worker")
        c.stop()
        a.proc.kill()
        a.wait_exit(10)
        h.poll_until(lambda: not h.pid_alive(wa), 10, "the killed master's worker gone")
        d = self.start(cf, conf)
        self.assertEqual(self.assertDynamic(d.worker_pids()[0], lo, lo + 1)[0], ua,
                         "a dead master's uid not reclaimed")

    def test_60m_dead_masters_uid_not_free_while_it_runs(self):
        """containment = subreaper has no guard: a master killed with
        SIGKILL leaves what its workers started running. Its uid is not
        reclaimed by another master while a process runs as it."""
        lo = RANGE_MIN + 900
        conf = ('containment = "subreaper"\n'
                "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo))
        a = self.start("127.0.0.1:0 inet n y n - 1 {SPAWN} -o user=dynamic"
                       " argv=/bin/sh -c { setsid sleep 60 </dev/null >/dev/null 2>&1 &"
                       " echo ok; exec sleep 60 }\n", conf)
        held = h.connect(a.addr())   # the command runs while its client stays
        self.addCleanup(held.close)
        self.assertEqual(h.read_line(held), "ok")
        def sleeps():
            found = [p for p in h.all_pids() if h.proc_comm(p) == "sleep" and
                     int((h.proc_status_field(p, "Uid") or ["-1"])[0]) == lo]
            return found if len(found) == 2 else None
        left = h.poll_until(sleeps, 5, "the command and its setsid child, as uid %d" % lo)
        for pid in left:
            self.addCleanup(h.kill_quiet, pid)
        a.proc.kill()
        a.wait_exit(10)
        # The worker's end takes its command (spawn's parent death signal);
        # no guard here: the setsid sleep lives on.
        h.poll_until(lambda: len([p for p in left if h.pid_alive(p)]) == 1, 5,
                     "the command gone, its setsid child left")
        left = [p for p in left if h.pid_alive(p)]
        b = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=dynamic\n", conf,
                       wait=False)
        b.wait_log(r"every uid of %d\.\.%d is in use" % (lo, lo), timeout=10)
        for pid in left:
            h.kill_quiet(pid)
        h.poll_until(lambda: not any(h.pid_alive(p) for p in left), 5, "the sleep gone")

    def forget_registry(self, lo, hi):
        """To be called before the test's masters start (cleanups run last
        first: this one after the harness killed them). Returns a set for
        the test to add its masters' owner.NONCE names to: what they left
        in the host's registry goes, the entries for lo..hi (a master
        killed with SIGKILL gives nothing back) and the owner files (a
        master leaves its own for the next one to sweep)."""
        owners = set()
        def forget():
            for uid in range(lo, hi + 1):
                owner = registry_holder(uid)
                if owner is not None and not registry_owner_alive(owner):
                    os.unlink(os.path.join(REGISTRY, str(uid)))
                    owners.add(owner)
            for owner in owners:
                if owner and owner.startswith("owner.") and "/" not in owner and \
                        os.path.lexists(os.path.join(REGISTRY, owner)) and \
                        not registry_owner_alive(owner):
                    os.unlink(os.path.join(REGISTRY, owner))
        self.addCleanup(forget)
        return owners

    def test_60n_registry_entry_released_with_uid(self):
        """The host's registry entry of a uid goes when its master gives
        the uid back (dynreg_release), not when the master exits: a
        one-uid range, the service removed by a reload and drained, the
        entry /run/master-dynamic-uid/UID is gone, and a second master on
        the same range gets that uid while the first still runs. A
        mutation audit found nothing failing with the entry never removed
        (every other test's masters exit, or reuse the uid themselves):
        a master that once held a uid kept it from every other master for
        its whole life."""
        lo = RANGE_MIN + 1300
        conf = "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo)
        cf = "one unix n y n - 1 {PROBE} -o user=dynamic\n"
        owners = self.forget_registry(lo, lo)
        a = self.start(cf, conf)
        pid = a.worker_pids()[0]
        self.assertEqual(self.assertDynamic(pid, lo, lo)[0], lo)
        owner_a = registry_holder(lo)
        owners.add(owner_a)
        self.assertTrue(owner_a and registry_owner_alive(owner_a),
                        "uid %d's registry entry: %s" % (lo, owner_a))
        self.remove_all(a, pid)
        h.poll_until(lambda: registry_holder(lo) is None, 5,
                     "%s/%d removed once the uid is given back" % (REGISTRY, lo),
                     detail=lambda: "it names %s (the first master's: %s)\n%s"
                     % (registry_holder(lo), owner_a, a.log_tail()))
        b = self.start(cf, conf, wait=False)
        b.wait_ready(10)
        self.assertEqual(self.assertDynamic(b.worker_pids()[0], lo, lo)[0], lo)
        self.assertTrue(a.alive(), "the first master exited")
        owner_b = registry_holder(lo)
        owners.add(owner_b)
        self.assertNotIn(owner_b, (None, owner_a), "uid %d's registry entry" % lo)
        b.stop()
        self.assertIsNone(registry_holder(lo), "the second master's entry, at its exit")

    def test_60o_live_masters_ipc_kept_at_start(self):
        """A master's first dynamic uid sweeps the range of what dead
        masters' uids left (60i), but not a uid another live master holds
        (dynreg_held_elsewhere): that master's workers still use their
        IPC. Master A holds uid U (a one-uid range) with a worker that
        made SysV segments, a semaphore set, a message queue, a POSIX
        queue and /dev/shm entries and still runs; master B starts on
        U..U+1 (gets U+1): A's objects all stay, while a segment of U+1
        (no live holder) goes. A mutation audit found nothing failing
        with every uid counted free: a second master on an overlapping
        range destroyed a running service's shared memory and queues."""
        if not h.can_exec_as("nobody", LEAVER):
            self.skipTest("others cannot execute %s" % LEAVER)
        lo = RANGE_MIN + 1400
        libc = ctypes.CDLL(None, use_errno=True)
        owners = self.forget_registry(lo, lo + 1)
        a = self.start("one unix n y n - 1 %s -o user=dynamic\n" % LEAVER,
                       "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo))
        r = self.leave(a, "one")
        self.assertEqual(r["uid"], lo, r)
        owners.add(registry_holder(lo))
        self.assertTrue(h.pid_alive(r["pid"]), "the leaver %d left" % r["pid"])
        kept = left_behind(r)
        self.assertEqual(len(kept), 8, "the worker's objects: %s" % kept)
        dead = self.segment_of(lo + 1)
        self.addCleanup(lambda: dead in sysv_ids("shm") and libc.shmctl(dead, 0, None))
        b = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=dynamic\n",
                       "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo + 1),
                       wait=False)
        b.wait_ready(10)
        self.assertEqual(self.assertDynamic(b.worker_pids()[0], lo, lo + 1)[0], lo + 1)
        owners.add(registry_holder(lo + 1))
        self.assertNotIn(dead, sysv_ids("shm"), "uid %d's segment (no live holder) kept\n%s"
                         % (lo + 1, b.log_tail()))
        self.assertEqual(left_behind(r), kept, "what a live master's worker (uid %d, "
                         "pid %d) uses, removed by a starting master:\n%s"
                         % (lo, r["pid"], b.log_tail()))
        self.assertTrue(h.pid_alive(r["pid"]), "the leaver %d gone" % r["pid"])
        b.stop()
        a.stop()    # gives uid U back: what the leaver left goes with it
        self.assertEqual(left_behind(r), [], a.log_tail())

    def test_60p_release_walk_bounded(self):
        """The release's walk of /dev/shm looks at 20,000 entries at most
        (IPCCLEAN_ENTRIES_MAX): a tester's worker left a million files and
        the release held the master's loop 5 s. What is left at the top is
        made root's, 0700, and the log says so. A mutation audit found no
        test failing with the bound removed."""
        lo = RANGE_MIN + 1500
        owners = self.forget_registry(lo, lo)
        m = self.start("one unix n y n - 1 {PROBE} -o user=dynamic\n",
                       "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo))
        self.assertEqual(self.assertDynamic(m.worker_pids()[0], lo, lo)[0], lo)
        owners.add(registry_holder(lo))
        top = tempfile.mkdtemp(prefix="master-e2e-budget-", dir="/dev/shm")
        self.addCleanup(shutil.rmtree, top, True)
        for i in range(25000):   # past the bound, as the worker would leave them
            os.close(os.open(os.path.join(top, "f%d" % i), os.O_CREAT | os.O_WRONLY, 0o600))
            os.chown(os.path.join(top, "f%d" % i), lo, lo)
        os.chown(top, lo, lo)
        m.stop()   # the uid given back: its /dev/shm entries removed
        m.wait_log(r"uid %d left \d+ IPC objects or /dev/shm, /dev/mqueue entries: \d+ removed, "
                   r"the rest could not be \(what was left in /dev/shm made root's, 0700\)" % lo)
        st = os.lstat(top)
        self.assertEqual((st.st_uid, st.st_mode & 0o7777), (0, 0o700), "the top, sealed")
        left = len(os.listdir(top))
        self.assertTrue(5000 <= left < 25000, "%d of 25,000 files left" % left)

    def test_60k_systemd_dynamic_uid_skipped(self):
        """A uid systemd's DynamicUser= holds (its lock file in
        /run/systemd/dynamic-uid) is not handed out."""
        lo = RANGE_MIN + 700
        sd = "/run/systemd/dynamic-uid"
        made = not os.path.isdir(sd)
        os.makedirs(sd, exist_ok=True)
        lock = os.path.join(sd, str(lo))
        if os.path.lexists(lock):
            self.skipTest("systemd holds uid %d on this host" % lo)
        open(lock, "w").close()
        libc = ctypes.CDLL(None, use_errno=True)
        shm = self.segment_of(lo)
        try:
            m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=dynamic\n",
                           "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo + 1))
            self.assertEqual(self.assertDynamic(m.worker_pids()[0], lo, lo + 1)[0], lo + 1)
            # The start's sweep of the range leaves systemd's uid alone.
            self.assertIn(shm, sysv_ids("shm"), "systemd's uid's segment removed")
        finally:
            libc.shmctl(shm, 0, None)   # IPC_RMID
            os.unlink(lock)
            if made:
                os.rmdir(sd)

    def segment_of(self, uid):
        """A SysV segment made by a child as uid; its id."""
        libc = ctypes.CDLL(None, use_errno=True)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(uid)
                os.setuid(uid)
                os.write(w, b"%d" % libc.shmget(0, 4096, 0o1000 | 0o600))
            finally:
                os._exit(0)
        os.close(w)
        with os.fdopen(r) as f:
            shm = int(f.read())
        os.waitpid(pid, 0)
        self.assertGreaterEqual(shm, 0)
        return shm

    def test_60l_master_session_keyring_not_shared(self):
        """Started from a process whose session keyring holds a key (an
        administrator's login keyring, with pam_keyinit), the master joins
        an empty one of its own, which its workers may only look at: the
        key is not found from a worker, and nothing can be added there (a
        channel between services, keys planted for request_key)."""
        if not h.can_exec_as("nobody", LEAVER):
            self.skipTest("others cannot execute %s" % LEAVER)
        libc = ctypes.CDLL(None, use_errno=True)
        sys_keyctl, sys_add_key, join, session = 250, 248, 1, -3
        if libc.syscall(sys_keyctl, join, None) < 0:
            self.skipTest("no kernel keyrings: errno %d" % ctypes.get_errno())
        self.addCleanup(libc.syscall, sys_keyctl, join, None)   # a fresh one after
        self.assertGreaterEqual(libc.syscall(sys_add_key, b"user", b"leaver", b"root-token",
                                             10, session), 0)
        lo = RANGE_MIN + 800
        m = self.start("127.0.0.1:0 inet n y n - 1 %s -o user=dynamic\n" % LEAVER,
                       "dynamic_uid_min = %d\ndynamic_uid_max = %d\n" % (lo, lo))
        r = self.leave(m)
        self.assertNotIn("@s", r["found"], "the starter's key read from a worker: %s" % r)
        self.assertEqual(r["s_add"], errno.EACCES, r)

    def test_60f_range_used_by_passwd_refused(self):
        """dynamic_uid_min..max over an existing account: master -n fails
        naming /etc/passwd and the line."""
        user = pwd.getpwnam("daemon")
        with open("/etc/passwd") as f:
            line = [i + 1 for i, l in enumerate(f) if l.startswith("daemon:")][0]
        m = self.master("127.0.0.1:0 inet n y n - 1 %s -o user=dynamic\n" % PROBE,
                        "dynamic_uid_min = %d\ndynamic_uid_max = %d\n"
                        % (user.pw_uid, user.pw_uid + 1), start=False)
        rc, err = m.run_check()
        self.assertNotEqual(rc, 0, err)
        self.assertIn('/etc/passwd:%d: user "daemon" has id %d, inside the dynamic user'
                      ' range' % (line, user.pw_uid), err)
        # The same range without a dynamic service is nobody's business.
        m.write("master.cf", "127.0.0.1:0 inet n y n - 1 %s\n" % PROBE)
        rc, err = m.run_check()
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main()
