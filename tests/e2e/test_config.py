"""Configuration errors name file and line, for `master -n` and at start,
and a bad configuration starts nothing."""

import os
import unittest

import harness as h

GOOD_LINE = "127.0.0.1:0 inet n n n - 2 echo -o prefork=1\n"


class BadConfig(h.MasterTestCase):
    def start_fails(self, m, timeout=10):
        """Starts master -f; returns its log once it has exited non-zero."""
        m.start(wait=False)
        rc = m.wait_exit(timeout)
        log = m.log()
        self.assertNotEqual(rc, 0, "master started on a bad config\n%s" % log)
        # Nothing half-started: no worker left behind (we are a subreaper,
        # so a worker orphaned by the exit would now be our child).
        ours = [p for p, st in ((p, h.proc_stat(p)) for p in h.all_pids())
                if st and st[1] == os.getpid() and h.pid_alive(p)]
        self.assertFalse(ours, "processes left behind by a failed start: %s" % ours)
        return log

    def test_07a_good_config_checks_ok(self):
        m = self.master("# fine\n" + GOOD_LINE, start=False)
        rc, err = m.run_check()
        self.assertEqual(rc, 0, "master -n on a good config: exit %d, stderr:\n%s" % (rc, err))

    def test_07b_unknown_type(self):
        m = self.master("# line 1\n" + GOOD_LINE +
                        "badsvc inett n n n - 2 echo\n", start=False)
        rc, err = m.run_check()
        self.assertNotEqual(rc, 0, "master -n accepted type inett")
        self.assertIn("master.cf:3:", err)
        self.assertIn("inett", err)
        self.assertIn(m.path("master.cf") + ":3:", err,
                      "error does not name the file by its path")
        log = self.start_fails(m)
        self.assertIn("master.cf:3:", log)
        self.assertIn("inett", log)

    def test_07c_unknown_setting(self):
        m = self.master(GOOD_LINE +
                        "127.0.0.1:0 inet n n n - 2 echo -o no_such_setting=1\n",
                        start=False)
        rc, err = m.run_check()
        self.assertNotEqual(rc, 0, "master -n accepted -o no_such_setting=1")
        self.assertIn("master.cf:2:", err)
        self.assertIn("no_such_setting", err)
        log = self.start_fails(m)
        self.assertIn("master.cf:2:", log)
        self.assertIn("no_such_setting", log)

    def test_07d_every_error_reported(self):
        """Loading does not stop at the first error."""
        m = self.master("# errors on lines 2 and 4\n"
                        "a inett n n n - 2 echo\n" + GOOD_LINE +
                        "b unix n n n - 2 echo -o bogus_knob=3\n", start=False)
        rc, err = m.run_check()
        self.assertNotEqual(rc, 0)
        self.assertIn("master.cf:2:", err)
        self.assertIn("master.cf:4:", err)
        self.assertIn("bogus_knob", err)


if __name__ == "__main__":
    unittest.main()
