"""The rest of issue 9's isolation and issue 8's item 9, end to end:

- private_tmp_size bounds the private /tmp: a write past it fails with
  ENOSPC inside the worker (the tmpfs was unbounded);
- the default chroot_directory is the master's own empty jail in
  run_directory, made at start (root, 0555, empty): a chroot=y service
  with no jail configured starts (the command, static, exec'd by fd) and
  is jailed there; a dynamically linked command is refused at load, as the
  empty jail has no loader;
- import_environment refuses the worker contract's own names at load
  (master -n) with FILE:LINE, from master.conf and from master.cf.

Needs root (namespaces, chroot, ids): skipped otherwise.
"""

import errno
import json
import os
import stat
import subprocess
import unittest

import harness as h

PROBE = os.path.join(h.BUILD, "tests", "probe")


def statically_linked(path):
    out = subprocess.run(["file", "-L", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    return "statically linked" in out or "static-pie linked" in out


class Confine(h.MasterTestCase):
    def setUp(self):
        self.require_root("namespaces, chroot and id changes need root")

    def probe(self, m, request=""):
        text = h.read_all(m.addr(), send=(request + "\n").encode())
        return json.loads(text)

    def test_61a_private_tmp_size(self):
        """1M of /tmp: 2M written -> ENOSPC after about 1M; the default
        (64M) takes the same 2M."""
        if not h.can_exec_as("nobody", PROBE):
            self.skipTest("nobody cannot execute %s" % PROBE)
        if PROBE.startswith("/tmp/"):
            self.skipTest("the probe is under /tmp, which private_tmp hides")
        for size, want in (("1M", errno.ENOSPC), ("", 0)):
            with self.subTest(size=size):
                opt = " -o private_tmp_size=%s" % size if size else ""
                m = self.master("127.0.0.1:0 inet n y n - 1 %s -o private_tmp=yes%s\n"
                                % (PROBE, opt))
                r = self.probe(m, "write=/tmp/big:%d" % (2 << 20))
                self.assertEqual(r["write"]["errno"], want, r["write"])
                if want:
                    self.assertLessEqual(r["write"]["bytes"], 1 << 20, r["write"])
                else:
                    self.assertEqual(r["write"]["bytes"], 2 << 20, r["write"])
                m.stop()

    def test_61b_default_chroot(self):
        """chroot=y with nothing else configured: `master -n` accepts it
        before the jail exists; at start the jail is run_directory/empty,
        root's, 0555, empty, and the worker (echo, static) serves from it."""
        if not statically_linked(h.ECHO):
            self.skipTest("%s is not statically linked (sanitizer build): the empty"
                          " jail runs static programs only" % h.ECHO)
        if not h.can_exec_as("nobody", h.ECHO):
            self.skipTest("nobody cannot execute %s" % h.ECHO)
        m = self.master("127.0.0.1:0 inet n y y - 1 echo\n", start=False)
        jail = m.path("run", "empty")
        rc, err = m.run_check()
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists(jail), "master -n made the jail")
        m.start()
        st = os.lstat(jail)
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, 0, 0o555))
        self.assertEqual(os.listdir(jail), [])
        self.assertTrue(h.echo_check(m.addr(), "jailed"))
        pid = m.worker_pids()[0]
        self.assertEqual(os.readlink("/proc/%d/root" % pid), jail)
        self.assertEqual(int(h.proc_status_field(pid, "Uid")[0]),
                         __import__("pwd").getpwnam("nobody").pw_uid)

    def test_61c_default_chroot_refuses_dynamic_command(self):
        m = self.master("127.0.0.1:0 inet n y y - 1 %s\n" % PROBE, start=False)
        rc, err = m.run_check()
        self.assertNotEqual(rc, 0, err)
        self.assertIn("master.cf:1: command \"%s\": %s: dynamically linked (its loader"
                      % (PROBE, PROBE), err)

    def test_61d_import_environment_refuses_contract(self):
        """LISTEN_FDS from master.conf, MASTER_MAX_USE=5 on a master.cf
        line: both refused by master -n, each with its file and line."""
        m = self.master("127.0.0.1:0 inet n y n - 1 echo\n"
                        "127.0.0.1:1 inet n y n - 1 echo"
                        " -o { import_environment = TZ MASTER_MAX_USE=5 }\n",
                        'import_environment = "TZ LISTEN_FDS"\n', start=False)
        rc, err = m.run_check()
        self.assertNotEqual(rc, 0, err)
        self.assertIn('master.conf:3: import_environment "TZ LISTEN_FDS": "LISTEN_FDS"'
                      ' is set by the master for every worker', err)
        self.assertIn('master.cf:2: import_environment "TZ MASTER_MAX_USE=5":'
                      ' "MASTER_MAX_USE" is set by the master', err)
        for name in ("LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "MASTER_SERVICE",
                     "STATE_DIRECTORY"):
            m.write("master.conf", 'run_directory = "{DIR}/run"\n'
                    'daemon_directory = "{BUILD}/services"\n'
                    'import_environment = "%s=x"\n' % name)
            m.write("master.cf", "127.0.0.1:0 inet n y n - 1 echo\n")
            rc, err = m.run_check()
            self.assertNotEqual(rc, 0, "%s accepted" % name)
            self.assertIn('"%s" is set by the master' % name, err)


if __name__ == "__main__":
    unittest.main()
