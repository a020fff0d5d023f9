"""Configuration errors and the configuration as an operator sees it
(issue 14): every master.conf error at once with its line, an inherited
master.conf value reported once against master.conf, `masterctl config`
with each value's origin, `check` refusing what would fail at start
(spawn's relative argv=, a run directory that cannot be made, an
address not on this host), service names that are not UTF-8 refused, and a
reload refused at run time telling masterctl why."""

import re
import socket
import unittest

import harness as h

ECHO_LINE = "127.0.0.1:0 inet n n n - 2 echo\n"


def error_lines(err):
    """The FILE:LINE: lines of masterctl's stderr."""
    return [l for l in err.splitlines() if re.match(r"^/\S+:\d+: ", l)]


class ConfigCli(h.MasterTestCase):
    def test_every_masterconf_error_at_once(self):
        # master.conf: run_directory (1), daemon_directory (2), then these.
        m = self.master(ECHO_LINE, "max_idel = 5m\nprefork = -1\nmax_use = abc\n",
                        start=False)
        conf = m.path("master.conf")
        for rc, err in (m.ctl("check")[::2], m.run_check()):
            self.assertEqual(rc, 1, err)
            self.assertIn('%s:3: unknown setting "max_idel"' % conf, err)
            self.assertIn('%s:4: prefork "-1"' % conf, err)
            self.assertIn('%s:5: max_use "abc"' % conf, err)
            self.assertEqual(len(error_lines(err)), 3, err)

    def test_inherited_masterconf_error_reported_once(self):
        m = self.master(ECHO_LINE + "#\n" + "127.0.0.2:0 inet n n n - 2 echo\n" +
                        "a unix n n n - 2 echo\n", "capabilities = cap_foo\n",
                        start=False)
        rc, _, err = m.ctl("check")
        self.assertEqual(rc, 1, err)
        lines = error_lines(err)
        self.assertEqual(lines, ['%s:3: capabilities "cap_foo": unknown capability '
                                 '"cap_foo"' % m.path("master.conf")], err)
        self.assertIn("has 1 error", err)

    def test_config_shows_values_and_origins(self):
        m = self.master("127.0.0.1:0 inet n n n - 2 echo -o max_use=7\n"
                        "a unix n n n - - echo\n"
                        "    -o prefork=2\n", "max_idle = 5m\n", start=False)
        rc, out, err = m.ctl("-o", "max_lifetime=2h", "config")
        self.assertEqual(rc, 0, err)

        def line(name, value, origin):
            return re.compile(r"^%s = %s +# %s$" % (re.escape(name), re.escape(value),
                                                  re.escape(origin)), re.M)
        self.assertRegex(out, line("run_directory", m.path("run"), "master.conf:1"))
        self.assertRegex(out, line("default_user", "nobody", "default"))
        svc = "127.0.0.1:0/inet/"
        self.assertRegex(out, line(svc + "max_idle", "300s", "master.conf:3"))
        self.assertRegex(out, line(svc + "max_use", "7", "master.cf:1"))
        self.assertRegex(out, line(svc + "maxproc", "2", "master.cf:1"))
        self.assertRegex(out, line(svc + "max_lifetime", "7200s", "command line"))
        self.assertRegex(out, line(svc + "prefork", "1", "default"))
        self.assertRegex(out, line("a/unix/prefork", "2", "master.cf:3"))
        self.assertRegex(out, line("a/unix/max_use", "100", "default"))

        rc, out, err = m.ctl("config", "a")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, line("a/unix/prefork", "2", "master.cf:3"))
        self.assertRegex(out, line("a/unix/max_idle", "300s", "master.conf:3"))
        self.assertIn("# a/unix (master.cf:2): private=n unpriv=n chroot=n wakeup=- "
                      "command=%s: echo\n" % h.ECHO, out)
        self.assertNotIn("127.0.0.1:0", out)
        self.assertNotIn("run_directory", out)
        self.assertEqual(m.ctl("config", "a/unix")[0], 0)
        rc, out, err = m.ctl("config", "nosuch")
        self.assertEqual((rc, out), (1, ""), err)
        self.assertIn('no service "nosuch"', err)
        self.assertEqual(m.ctl("config", "a", "b")[0], 2)

    def test_check_refuses_relative_spawn_argv(self):
        m = self.master("a unix n n n - 2 {SPAWN} argv=cat\n"
                        "b unix n n n - 2 {SPAWN} argv=/nonexistent/cat\n"
                        "c unix n n n - 2 {SPAWN} -o prefork=1 argv=/bin/cat\n",
                        start=False)
        rc, _, err = m.ctl("check")
        self.assertEqual(rc, 1, err)
        cf = m.path("master.cf")
        self.assertIn("%s:1: spawn argv=cat: the command must be an absolute path" % cf, err)
        self.assertIn("%s:2: spawn argv=/nonexistent/cat" % cf, err)
        self.assertEqual(len(error_lines(err)), 2, err)

    def test_check_refuses_run_directory_that_cannot_be_made(self):
        """Passed check, then failed at start: "No such file or directory"."""
        m = self.master(ECHO_LINE, "run_directory = /proc/nonexistent/run\n", start=False)
        rc, _, err = m.ctl("check")
        self.assertEqual(rc, 1, err)
        self.assertIn('%s:3: run_directory "/proc/nonexistent/run": cannot be made: /proc: '
                      % m.path("master.conf"), err)

    def test_check_refuses_address_not_on_this_host(self):
        """Passed check, then failed at start: bind "Cannot assign requested address".
        192.0.2.1 is TEST-NET-1 (RFC 5737): on no host's interfaces."""
        m = self.master(ECHO_LINE + "192.0.2.1:7070 inet n n n - 2 echo\n", start=False)
        rc, _, err = m.ctl("check")
        self.assertEqual(rc, 1, err)
        self.assertIn("%s:2: service 192.0.2.1:7070: bind 192.0.2.1:7070: Cannot assign "
                      "requested address (not an address of this host" % m.path("master.cf"),
                      err)
        self.assertEqual(len(error_lines(err)), 1, err)
        # freebind=yes binds an address that is not up yet: no error.
        m.write("master.cf", ECHO_LINE + "192.0.2.1:7070 inet n n n - 2 echo "
                "-o freebind=yes\n")
        rc, out, err = m.ctl("check")
        self.assertEqual(rc, 0, err)

    def test_latin1_service_name_refused(self):
        m = self.master("", start=False)
        with open(m.path("master.cf"), "wb") as f:
            f.write(ECHO_LINE.encode() + b"caf\xe9 unix n n n - 2 echo\n")
        for rc, err in (m.ctl("check")[::2], m.run_check()):
            self.assertEqual(rc, 1, err)
            self.assertIn("%s:2: service name: not valid UTF-8" % m.path("master.cf"), err)

    def test_reload_tells_why_it_failed(self):
        m = self.master("127.0.0.1:{PORT1} inet n n n - 2 echo\n", nports=2)
        busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", m.ports["PORT2"]))
        busy.listen(1)
        m.write("master.cf", "127.0.0.1:{PORT1} inet n n n - 2 echo\n"
                "127.0.0.1:{PORT2} inet n n n - 2 echo\n")
        rc, out, err = m.ctl("reload", timeout=h.CTL_TIMEOUT_S + 30)
        self.assertEqual(rc, 1, "stdout: %s\nstderr: %s" % (out, err))
        self.assertIn("Address already in use", err)
        self.assertIn("127.0.0.1:%d" % m.ports["PORT2"], err)
        self.assertIn("nothing changed", err)
        # The old configuration still serves.
        self.assertEqual(m.service_names(), ["127.0.0.1:%d" % m.ports["PORT1"]])
        h.echo_check(m.addr(), "still here")


if __name__ == "__main__":
    unittest.main()
