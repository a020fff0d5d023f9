"""The master's own fd limit (issue 11): raised at start to what its
configuration needs (config_fds.h: two fds per worker, one with
worker_stderr=shared, its sockets, a fixed part, room for a reload), the workers keep the limit the master was
started with unless rlimit_nofile is set, and a configuration the host
cannot hold is refused at load and at reload, with the numbers and the
master.cf line. The expected numbers are computed here from the same rule,
so a change of the rule must be made in both places.

The master is started under prlimit(1) with a lowered soft limit: 80
workers need more fds than 64, which proves the raise without 10,000
processes. The host's most (fs.nr_open with CAP_SYS_RESOURCE, else the
hard limit) is read here too, so each test holds on either kind of host.
"""

import os
import subprocess
import unittest

import harness as h

# CONFIG_FDS_FIXED: slack + CONTROL_CLIENTS_MAX + the launcher's fd block
# (LAUNCH_BLOCK_SLOTS)
FIXED = 64 + 64 + 72
PER_SERVICE = 8          # CONFIG_FDS_PER_SERVICE
CAP_SYS_RESOURCE = 24


DRAIN_LIMIT = 400         # test_reload_burst: the master's hard fd limit
DRAIN_RELOADS = 20
STDERR_SHARED = 3        # CONFIG_FDS_STDERR_SHARED: the socket's ends, its timer


def service_fds(maxproc, max_leaving=0, naddrs=1, shared=False):
    """maxproc + max_leaving (maxproc where 0) + 1 workers; with
    worker_stderr=shared 1 fd per worker (the status channel), not 2."""
    workers = maxproc + (max_leaving or maxproc) + 1
    if shared:
        return naddrs + PER_SERVICE + STDERR_SHARED + workers
    return naddrs + PER_SERVICE + 2 * workers


def may_raise_hard():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_SYS_RESOURCE & 1)
    return False


def hard_limit():
    import resource
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def host_most():
    """(most fds the master can have, the name the master gives it)."""
    if may_raise_hard():
        with open("/proc/sys/fs/nr_open") as f:
            return int(f.read()), "fs.nr_open"
    return hard_limit(), "hard RLIMIT_NOFILE"


def nofile(pid):
    """(soft, hard) 'Max open files' of pid, from /proc/PID/limits."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise AssertionError("no 'Max open files' for pid %d" % pid)


class LimitedMaster(h.Master):
    """A master run under prlimit --nofile=SOFT:HARD (prlimit execs it:
    the pid is the master's)."""

    def __init__(self, *a, limit=None, **kw):
        super().__init__(*a, **kw)
        self.limit = limit

    def command(self, *extra):
        cmd = super().command(*extra)
        if self.limit is None:
            return cmd
        return ["prlimit", "--nofile=%d:%d" % self.limit, "--"] + cmd


class FdLimitTest(h.MasterTestCase):

    def limited(self, master_cf, limit, start=True, **kw):
        m = LimitedMaster(master_cf, limit=limit, **kw)
        self.addCleanup(m.cleanup)
        if start:
            m.start()
        return m

    def test_raises_its_own_limit_workers_keep_the_original(self):
        """80 workers under a soft limit of 64: the master raises its own
        (to twice the need less the fixed part: room for a reload); the
        workers of a service without rlimit_nofile get 64:HARD back, those
        with rlimit_nofile=100 get 100:100."""
        self.require_root("workers switch to nobody; rlimits are set at launch")
        hard = hard_limit()
        cf = ("127.0.0.1:{PORT1} inet n y n - 40 {ECHO} -o prefork=40\n"
              "127.0.0.1:{PORT2} inet n y n - 40 {ECHO} -o prefork=40 -o rlimit_nofile=100\n")
        m = self.limited(cf, (64, hard), nports=2)
        need = FIXED + 2 * service_fds(40)
        target = min(2 * need - FIXED, hard)
        m.wait_log(r"needs %d file descriptors in the master \(%d fixed, 2 services, up to 162 "
                   r"workers at 2 each\); RLIMIT_NOFILE 64:%d -> %d:%d"
                   % (need, FIXED, hard, target, hard))
        self.assertEqual(nofile(m.pid), (target, hard))
        st = m.status()
        names = [s["name"] for s in st["services"]]
        plain, limited = (m.worker_pids(n, st) for n in names)
        self.assertEqual((len(plain), len(limited)), (40, 40))
        for pid in plain:
            self.assertEqual(nofile(pid), (64, hard), "worker %d of the plain service" % pid)
        for pid in limited:
            self.assertEqual(nofile(pid), (100, 100), "worker %d with rlimit_nofile=100" % pid)
        h.echo_check(m.addr(names[0]), "fd limit")

    def test_raises_the_hard_limit_when_it_may(self):
        """With CAP_SYS_RESOURCE the hard limit goes up too (64:64 -> the
        target); the workers still get 64:64."""
        self.require_root("rlimits at launch")
        if not may_raise_hard():
            self.skipTest("no CAP_SYS_RESOURCE here: the hard limit cannot go up")
        m = self.limited("127.0.0.1:{PORT1} inet n y n - 40 {ECHO} -o prefork=40\n",
                         (64, 64), nports=1)
        need = FIXED + service_fds(40)
        self.assertEqual(nofile(m.pid), (2 * need - FIXED, 2 * need - FIXED))
        for pid in m.worker_pids():
            self.assertEqual(nofile(pid), (64, 64))

    def test_reload_burst_refused_while_generations_drain(self):
        """Workers that take their time to leave ("stop" ignored: they go at
        stop_timeout's SIGTERM, 30 s) and a burst of reloads that replace
        their service each time: every reload leaves a generation
        draining. Under a hard limit of 400, once those generations may
        hold more than the host allows a reload is refused, naming them,
        instead of the master running out of fds (an adversarial run:
        399 of 400 fds, other services' launches failing). The master
        stays under its limit and the other service, one launch per
        request, keeps serving."""
        self.require_root("rlimits; workers switch to nobody")
        cf = ("127.0.0.1:{PORT1} inet n y n - 2 {ECHO} -o prefork=1 -o max_use=1\n"
              "slow unix n n n - 8 {HOSTILE} -o prefork=8 -o stop_timeout=30 "
              "-o max_use=%d say ready\n")
        m = self.limited(cf % 1000, (DRAIN_LIMIT, DRAIN_LIMIT), nports=1)
        refused = None
        for i in range(DRAIN_RELOADS):
            m.write("master.cf", cf % (1001 + i))
            rc, out, err = m.ctl("reload")
            if rc != 0:
                refused = out + err
                break
            h.echo_check(m.addr("127.0.0.1:%d" % m.ports["PORT1"]), "reload %d" % i)
        self.assertIsNotNone(refused, "%d reloads, none refused" % DRAIN_RELOADS)
        self.assertIn("the generations earlier reloads left draining may hold", refused)
        self.assertIn("more than the %d hard RLIMIT_NOFILE allows" % DRAIN_LIMIT, refused)
        self.assertLess(len(os.listdir("/proc/%d/fd" % m.pid)), DRAIN_LIMIT)
        for i in range(5):
            h.echo_check(m.addr("127.0.0.1:%d" % m.ports["PORT1"]), "after %d" % i)
        self.assertNotIn("Too many open files", m.log())

    def test_refuses_what_the_host_cannot_hold(self):
        """A configuration needing more than the host's most: `master -n`
        and a start both refuse it, naming the numbers and the line of the
        service that needs the most; nothing is started."""
        most, source = host_most()
        per = service_fds(100000)
        n = most // per + 1
        if n > 64:
            self.skipTest("%s is %d: too many services to exceed it" % (source, most))
        cf = "".join("s%d unix n y n - %d {ECHO}\n" % (i, 1000 if i else 100000)
                     for i in range(n))
        need = FIXED + per + (n - 1) * service_fds(1000)
        if need <= most:
            cf += "big unix n y n - 100000 {ECHO}\n"
            need += per
        m = self.limited(cf, None, start=False)
        rc, err = m.run_check()
        self.assertEqual(rc, 1, err)
        want = ('master.cf:1: "s0": the master would hold %d file descriptors, more than the '
                '%d %s allows; this service alone needs %d (2 per worker, up to 200001 '
                'workers: maxproc 100000, leaving 100000, starting 1)' % (need, most, source, per))
        self.assertIn(want, err)
        m.start(wait=False)
        self.assertEqual(m.wait_exit(10), 1)
        self.assertIn(want, m.log())

    def check_need(self, opts, shared):
        """`master -n` on prefork 2,500 in four services, max_leaving=2 (a
        big pool's budget: 2 leaving each, not 2,500): accepted with the
        need where the host allows it, refused with the numbers where not.
        Returns the need."""
        cf = "".join("127.0.0.1:{PORT%d} inet n y n - 2500 {ECHO} -o prefork=2500"
                     " -o max_leaving=2 %s\n" % (i + 1, opts) for i in range(4))
        need = FIXED + 4 * service_fds(2500, 2, shared=shared)
        most, source = host_most()
        m = self.limited(cf, None, start=False, nports=4)
        r = subprocess.run(m.command("-n"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=10)
        out, err = r.stdout.decode(), r.stderr.decode()
        if need <= most:
            self.assertEqual(r.returncode, 0, err)
            self.assertIn("needs %d file descriptors in the master (%d fixed, 4 services, up to "
                          "10012 workers at %d each)" % (need, FIXED, 1 if shared else 2), out)
        else:
            self.assertEqual(r.returncode, 1, out)
            self.assertIn("the master would hold %d file descriptors, more than the %d %s"
                          % (need, most, source), err)
            shared_need = FIXED + 4 * service_fds(2500, 2, shared=True)
            if not shared and shared_need <= most:   # the refusal says what would fit
                self.assertIn("with worker_stderr=shared (one master fd per worker, not two)"
                              " it would need %d" % shared_need, err)
        return need

    def test_ten_thousand_workers_need_more_than_twenty_thousand(self):
        """prefork 2,500 in four services: `master -n` says it needs more
        than 20,000 fds, and accepts it exactly where the host allows that
        many (no process is started)."""
        self.assertGreater(self.check_need("", False), 20000)

    def test_ten_thousand_workers_with_shared_stderr(self):
        """The same with worker_stderr=shared: one master fd per worker,
        10,260 in all, under 20,000 (accepted on this VM, whose hard limit
        is 20,000)."""
        self.assertEqual(self.check_need("-o worker_stderr=shared", True), 10260)

    def test_reload_refused_beyond_the_most(self):
        """A reload to a configuration the host cannot hold is refused with
        the numbers; the running service keeps its workers and answers."""
        self.require_root("workers switch to nobody")
        most, source = host_most()
        per = service_fds(100000)
        n = most // per + 1
        if n > 64:
            self.skipTest("%s is %d: too many services to exceed it" % (source, most))
        m = self.master("127.0.0.1:{PORT1} inet n y n - 4 {ECHO} -o prefork=2\n", nports=1)
        before = m.worker_pids()
        m.write("master.cf", "127.0.0.1:{PORT1} inet n y n - 4 {ECHO} -o prefork=2\n"
                + "".join("s%d unix n y n - 100000 {ECHO}\n" % i for i in range(n)))
        rc, out, err = m.ctl("reload")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("file descriptors, more than the %d %s allows" % (most, source), out + err)
        self.assertEqual(m.worker_pids(), before)
        h.echo_check(m.addr(), "still here")


if __name__ == "__main__":
    unittest.main()
