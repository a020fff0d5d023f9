"""What a worker gets: its user (unpriv), its own session, exactly the
contract's fds and environment, no privileges; and its stderr relayed to
the master's log under its service name and pid."""

import os
import pwd
import re
import unittest

import harness as h

ALLOWED_ENV = {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "TZ"}


def env_allowed(name):
    return name in ALLOWED_ENV or name.startswith("MASTER_")


class Unpriv(h.MasterTestCase):
    def check_user(self, cf, user):
        self.require_root("workers change to user %s" % user)
        pw = pwd.getpwnam(user)
        if os.path.exists(h.TESTWORKER) and not h.can_exec_as(user, h.TESTWORKER):
            self.skipTest("user %s cannot execute %s (directory permissions)"
                          % (user, h.TESTWORKER))
        m = self.master(cf)
        pids = m.worker_pids()
        self.assertGreaterEqual(len(pids), 2)
        for pid in pids:
            uids = [int(x) for x in h.proc_status_field(pid, "Uid")]
            gids = [int(x) for x in h.proc_status_field(pid, "Gid")]
            groups = [int(x) for x in h.proc_status_field(pid, "Groups") or []]
            self.assertEqual(uids, [pw.pw_uid] * 4, "worker %d Uid: %s" % (pid, uids))
            self.assertEqual(gids, [pw.pw_gid] * 4, "worker %d Gid: %s" % (pid, gids))
            self.assertTrue(all(uids) and all(gids), "worker %d has a zero id" % pid)
            self.assertNotIn(0, groups, "worker %d keeps group 0: %s" % (pid, groups))
        w = h.whoami(m.addr())
        self.assertEqual(w["uid"], [pw.pw_uid] * 3, "whoami %s" % w)
        self.assertEqual(w["gid"], [pw.pw_gid] * 3, "whoami %s" % w)
        self.assertNotIn(0, w["groups"], "whoami %s" % w)

    def test_08a_unpriv_runs_as_nobody(self):
        self.check_user("127.0.0.1:0 inet n y n - 2 {TESTWORKER} -o prefork=2 whoami\n",
                        "nobody")

    def test_08b_user_override(self):
        self.check_user("127.0.0.1:0 inet n y n - 2 {TESTWORKER} -o prefork=2"
                        " -o user=daemon whoami\n", "daemon")

    def test_08c_priv_runs_as_root(self):
        self.require_root("unpriv=n means root workers")
        m = self.master("127.0.0.1:0 inet n n n - 2 {TESTWORKER} -o prefork=2 whoami\n")
        for pid in m.worker_pids():
            uids = [int(x) for x in h.proc_status_field(pid, "Uid")]
            self.assertEqual(uids, [0] * 4, "worker %d Uid: %s" % (pid, uids))
        w = h.whoami(m.addr())
        self.assertEqual(w["uid"], [0, 0, 0], "whoami %s" % w)


class StderrRelay(h.MasterTestCase):
    def test_09_stderr_relayed(self):
        """Each worker's stderr line appears as SERVICE[PID]: line."""
        m = self.master("errsvc unix n n n - 2 {TESTWORKER} -o prefork=2 stderr\n")
        pids = m.worker_pids()
        self.assertEqual(len(pids), 2, "prefork=2 but pids %s" % pids)
        for pid in pids:
            m.wait_log(r"errsvc\[%d\]: testworker stderr line pid=%d$" % (pid, pid), 10)
        for line in m.log().splitlines():
            mm = re.search(r"(\w+)\[(\d+)\]: testworker stderr line pid=(\d+)", line)
            if mm:
                self.assertEqual(mm.group(1), "errsvc", line)
                self.assertEqual(mm.group(2), mm.group(3), "pid mismatch: %s" % line)
        # The worker still serves after writing to stderr.
        path = m.path("run", "public", "errsvc")
        self.assertEqual(h.echo_once(path, "after-stderr"), "after-stderr")


class Contract(h.MasterTestCase):
    ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC",
           "E2E_LEAK": "must-not-reach-workers"}

    def start(self):
        m = self.master("127.0.0.1:0 inet n n n - 2 {TESTWORKER} -o prefork=1 whoami\n",
                        env=self.ENV)
        return m, m.worker_pids()

    def test_13a_own_session(self):
        m, pids = self.start()
        w = h.whoami(m.addr())
        self.assertEqual(w["sid"], w["pid"], "worker not a session leader: %s" % w)
        self.assertEqual(w["pgid"], w["pid"], "worker not a group leader: %s" % w)
        self.assertNotEqual(w["sid"], os.getsid(m.pid), "worker shares the master's session")

    def test_13b_fds(self):
        """fds 0,1 on /dev/null, 2 a pipe, 3 the listener, 4 the status
        channel, and nothing else."""
        m, pids = self.start()
        w = h.whoami(m.addr())
        # whoami lists the fds >= 3 it was exec'd with (a startup snapshot,
        # without the one it used to read /proc/self/fd).
        self.assertEqual(w["fds"], [3, 4], "worker exec'd with fds >= 3: %s" % w["fds"])
        self.assertEqual(w["env"].get("MASTER_STATUS_FD"), "4", "whoami %s" % w)
        self.assertEqual(w["env"].get("LISTEN_FDS"), "1", "whoami %s" % w)
        # From the outside: what 0-4 are. (Later fds are the worker's own,
        # e.g. libmaster's epoll fd.)
        pid = m.worker_pids()[0]
        fdmap = h.proc_fds(pid)
        self.assertEqual(fdmap.get(0), "/dev/null", "fds %s" % fdmap)
        self.assertEqual(fdmap.get(1), "/dev/null", "fds %s" % fdmap)
        # fd 2: a stream socket of its own, not a pipe (relay.h)
        self.assertTrue(fdmap.get(2, "").startswith("socket:"), "fds %s" % fdmap)
        self.assertTrue(fdmap.get(3, "").startswith("socket:"), "fds %s" % fdmap)
        self.assertTrue(fdmap.get(4, "").startswith("socket:"), "fds %s" % fdmap)
        self.assertEqual(len({fdmap[2], fdmap[3], fdmap[4]}), 3, "fds %s" % fdmap)

    def test_13c_environment(self):
        m, pids = self.start()
        w = h.whoami(m.addr())
        env = w["env"]
        bad = sorted(k for k in env if not env_allowed(k))
        self.assertFalse(bad, "worker environment has %s: %s" % (bad, env))
        self.assertNotIn("E2E_LEAK", env)
        self.assertEqual(env.get("LISTEN_PID"), str(w["pid"]), "env %s" % env)
        self.assertEqual(env.get("LISTEN_FDS"), "1", "env %s" % env)
        self.assertIn("LISTEN_FDNAMES", env)
        self.assertIn("MASTER_SERVICE", env)
        self.assertEqual(env.get("TZ"), "UTC", "TZ not imported: %s" % env)
        # The exec-time environment, from the outside.
        for pid in m.worker_pids():
            penv = h.proc_environ(pid)
            bad = sorted(k for k in penv if not env_allowed(k))
            self.assertFalse(bad, "worker %d exec'd with %s" % (pid, bad))
            self.assertEqual(penv.get("LISTEN_PID"), str(pid))

    def test_13d_no_privileges(self):
        """no_new_privs set and no capabilities, even for a root worker."""
        m, pids = self.start()
        for pid in pids:
            self.assertEqual(h.proc_status_field(pid, "NoNewPrivs"), ["1"],
                             "worker %d" % pid)
            for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                val = h.proc_status_field(pid, cap)
                self.assertEqual(int(val[0], 16), 0, "worker %d %s=%s" % (pid, cap, val))


if __name__ == "__main__":
    unittest.main()
