"""The command line of master and masterctl (issue 14, "Commands"):
--help and --version of both, the long options of their SYNOPSIS,
masterctl's exit statuses (0 done, 1 refused, 2 usage, 3 no master), the
human status (the master's line, columns aligned with a long service name,
the master's word on an oom_score_adj its workers inherit,
each worker's rss and cpu, the last failure and when) and status --check
for probes."""

import os
import re
import subprocess
import time

import harness as h

LONG_NAME = "a-unix-service-with-a-rather-long-name-for-columns-x"  # 52 characters
HEADER = ["SERVICE", "TYPE", "STATE", "TOTAL", "IDLE", "BUSY", "START", "RETIRE",
          "REQUESTS", "SPAWNED", "CRASHED", "KILLED"]
LEFT_ALIGNED = {"SERVICE", "TYPE", "STATE"}
MASTER_LINE = re.compile(r"^master: pid (\d+), version (\S+), up (\d+[smhd]\S*), (running|stopping),"
                         r" config (.+), containment (cgroup|subreaper)$")


def project_version():
    with open(os.path.join(h.SRC, "meson.build")) as f:
        return re.search(r"version\s*:\s*'([^']+)'", f.read()).group(1)


def run(*cmd, timeout=h.CTL_TIMEOUT_S):
    r = subprocess.run(list(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def rss_bytes(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE")


def cpu_ticks(pid):
    """(utime, stime) of pid in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]), int(rest[12])


def service_rows(text, names):
    """{name: its row} of the text status."""
    rows = {}
    for line in text.splitlines():
        for n in names:
            if line.startswith(n + " "):
                rows[n] = line
    return rows


class Help(h.MasterTestCase):
    def test_01_help_and_version(self):
        """--help and -h print the usage on stdout, --version and -V the
        version; exit 0, nothing on stderr; every option of the usage is
        named with its long form."""
        version = project_version()
        for prog, name in ((h.MASTER, "master"), (h.MASTERCTL, "masterctl")):
            for opt in ("--help", "-h"):
                rc, out, err = run(prog, opt)
                self.assertEqual((rc, err), (0, ""), "%s %s" % (name, opt))
                self.assertTrue(out.startswith("usage: %s " % name), out)
                for long_opt in ("--config", "--override", "--help", "--version"):
                    self.assertIn(long_opt, out, "%s %s" % (name, opt))
            for opt in ("--version", "-V"):
                rc, out, err = run(prog, opt)
                self.assertEqual((rc, out, err), (0, "%s %s\n" % (name, version), ""),
                                 "%s %s" % (name, opt))
        rc, out, _ = run(h.MASTER, "--help")
        for long_opt in ("--foreground", "--check", "--verbose"):
            self.assertIn(long_opt, out)

    def test_02_long_options_work(self):
        """The long options do what the short ones do: master --config DIR
        --override ... --check, masterctl --config DIR --override ... check."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n", start=False)
        rc, out, err = run(h.MASTER, "--config", m.dir, "--override", "max_idle=7s", "--check")
        self.assertEqual(rc, 0, err)
        self.assertIn("valid: 1 service", out)
        rc, out, err = run(h.MASTER, "--config=" + m.dir, "--override=max_idle=-1", "--check")
        self.assertEqual(rc, 1, "a bad --override was not applied: %s%s" % (out, err))
        rc, out, err = run(h.MASTERCTL, "--config", m.dir, "--override", "max_idle=7s", "check")
        self.assertEqual(rc, 0, err)
        rc, out, err = run(h.MASTERCTL, "--config=" + m.dir, "--override=max_idle=-1", "check")
        self.assertEqual(rc, 1, "a bad --override was not applied: %s%s" % (out, err))

    def test_03_master_usage_errors(self):
        """master: an unknown option, a missing argument, a stray word: exit
        2, the offending word named on stderr."""
        for args, word in ((["--bogus"], "--bogus"), (["-x"], "-x"), (["-c"], "-c"),
                           (["--config"], "--config"), (["-f", "extra"], "extra")):
            rc, out, err = run(h.MASTER, *args)
            self.assertEqual(rc, 2, "master %s: %s%s" % (args, out, err))
            self.assertIn('"%s"' % word, err)
            self.assertEqual(out, "")

    def test_04_oom_score_adj_inherited_is_said(self):
        """A master the OOM killer spares (oom_score_adj below 0) says at
        start that every worker inherits that; at 0 or above it says
        nothing. choom sets the value; lowering it takes CAP_SYS_RESOURCE."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n", start=False)

        def start_with(adj):
            return run("choom", "-n", str(adj), "--", *m.command("-n"))
        rc, out, err = start_with(100)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("oom_score_adj", err)
        rc, out, err = start_with(-100)
        if rc != 0 and "Permission denied" in err:
            self.skipTest("lowering oom_score_adj needs CAP_SYS_RESOURCE, which this "
                          "machine's root lacks: " + err.strip())
        self.assertEqual(rc, 0, err)
        self.assertIn("oom_score_adj is -100, and every worker inherits it", err)


class ExitStatus(h.MasterTestCase):
    def test_10_no_master_is_3(self):
        """No master: status, status --check, reload, stop exit 3; a usage
        error is still 2 (decided before any connection)."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n", start=False)
        for args in (["status"], ["status", "--check"], ["reload"], ["stop"]):
            rc, out, err = m.ctl(*args)
            self.assertEqual(rc, 3, "masterctl %s without a master: %s%s" % (args, out, err))
            self.assertIn("cannot reach the master", err)
        rc, _, err = m.ctl("frobnicate")
        self.assertEqual(rc, 2, err)

    def test_11_usage_is_2(self):
        """Unknown command, unknown option (global or the command's), a
        missing argument, two format options, too many words: exit 2 and
        nothing reaches the master (its log shows no request)."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n")
        for args in (["frobnicate"], ["--bogus", "status"], ["-x", "status"], ["-c"],
                     ["status", "--bogus"], ["status", "--json", "--check"],
                     ["status", "a", "b"], ["recycle"], ["reload", "now"], ["stop", "--later"],
                     []):
            rc, out, err = m.ctl(*args)
            self.assertEqual(rc, 2, "masterctl %s: exit %d (%s%s)" % (args, rc, out, err))
            self.assertTrue(err.startswith("masterctl: "), "masterctl %s: %r" % (args, err))
            self.assertIn("usage: masterctl", err)
            self.assertEqual(out, "")
        self.assertTrue(m.alive())

    def test_12_done_0_refused_1(self):
        """0: a status; 1: an unknown service (the master's "error: "), a
        reload refused for a bad master.cf (nothing changes)."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n")
        rc, out, err = m.ctl("status")
        self.assertEqual(rc, 0, err)
        for args in (["status", "nosuch"], ["status", "nosuch", "--json"],
                     ["recycle", "nosuch"]):
            rc, out, err = m.ctl(*args)
            self.assertEqual(rc, 1, "masterctl %s: %s%s" % (args, out, err))
            self.assertIn('error: no service "nosuch"', err)
        before = m.worker_pids()
        m.write("master.cf", "x inett n n n - 1 echo\n")
        rc, out, err = m.ctl("reload", timeout=15)
        self.assertEqual(rc, 1, "reload of a bad master.cf: %s%s" % (out, err))
        self.assertRegex(err, r"master\.cf:1: unknown type")
        self.assertEqual(m.worker_pids(), before)
        rc, _, err = m.ctl("check")
        self.assertEqual(rc, 1, err)


class HumanStatus(h.MasterTestCase):
    def test_20_columns_aligned_with_a_long_name(self):
        """A 45- to 52-character service name: every row's columns start (text) or
        end (numbers) where the header's do, and the header is as wide as
        the name."""
        # As much of it as its socket's path holds (107 bytes) under this
        # run's TMPDIR: tools/test's ASan phase runs deeper than /tmp.
        m = self.master("", start=False)
        long_name = LONG_NAME[:107 - len(os.path.join(m.run_dir, "public", ""))]
        self.assertGreaterEqual(len(long_name), 45, "TMPDIR too deep: %s" % m.dir)
        names = ["127.0.0.1:0", long_name, "b"]
        m.write("master.cf", "127.0.0.1:0 inet n n n - 1 echo -o prefork=1\n"
                "%s unix n n n - 2 echo -o prefork=2\n"
                "b unix n n n - 1 echo -o prefork=1\n" % long_name)
        m.start()
        rc, out, err = m.ctl("status", check=True)
        lines = out.splitlines()
        header = lines[1]
        self.assertEqual(header.split(), HEADER, out)
        spans = {}
        for word in re.finditer(r"\S+", header):
            spans[word.group()] = (word.start(), word.end())
        self.assertGreaterEqual(spans["TYPE"][0], len(long_name) + 1, out)
        rows = service_rows(out, names)
        self.assertEqual(sorted(rows), sorted(names), out)
        for name, row in rows.items():
            words = list(re.finditer(r"\S+", row))
            self.assertEqual(len(words), len(HEADER), row)
            for col, word in zip(HEADER, words):
                start, end = spans[col]
                if col in LEFT_ALIGNED:
                    self.assertEqual(word.start(), start, "%s: column %s\n%s" % (name, col, out))
                else:
                    self.assertEqual(word.end(), end, "%s: column %s\n%s" % (name, col, out))
        # The one-service view is aligned to its own name.
        rc, out, err = m.ctl("status", "b", check=True)
        self.assertEqual(out.splitlines()[1].split(), HEADER)
        self.assertTrue(out.splitlines()[1].startswith("SERVICE TYPE"), out)

    def test_21_master_line(self):
        """The first line: the master's pid, version, uptime, state, config
        directory and containment, as the JSON says them."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n")
        st = m.status()
        rc, out, _ = m.ctl("status", check=True)
        match = MASTER_LINE.match(out.splitlines()[0])
        self.assertIsNotNone(match, out)
        pid, version, _, state, config, containment = match.groups()
        self.assertEqual(int(pid), m.pid)
        self.assertEqual(version, project_version())
        self.assertEqual(state, "running")
        self.assertEqual(config, m.dir)
        self.assertEqual(containment, st["containment"]["mode"])
        self.assertEqual(st["master"]["config_directory"], m.dir)
        # Also on the one-service view.
        rc, out, _ = m.ctl("status", "127.0.0.1:0", check=True)
        self.assertRegex(out.splitlines()[0], MASTER_LINE)

    def test_22_worker_rss_and_cpu(self):
        """Each worker's rss and cpu: in the text, and in the one-service
        JSON (not in the whole JSON, kept cheap); between what /proc said
        just before and just after, for a Python worker that has used some
        CPU to start."""
        m = self.master("py unix n n n - 1 {PYWORKER} -o prefork=1\n")
        pid = m.worker_pids("py")[0]
        # Echo lines until it has user and system time both (each counts).
        s = h.connect(m.addr("py"))
        self.addCleanup(s.close)

        def busy_enough():
            for _ in range(200):
                s.sendall(b"x\n")
                self.assertEqual(h.read_line(s), "x")
            return min(cpu_ticks(pid)) >= 2
        h.poll_until(busy_enough, 30, "the worker to have used user and system time")
        rss0, cpu0 = rss_bytes(pid), h.cpu_seconds(pid)
        st = m.status("py")
        rss1, cpu1 = rss_bytes(pid), h.cpu_seconds(pid)
        proc = st["services"][0]["procs"][0]
        self.assertEqual(proc["pid"], pid)
        # /proc/PID/stat's rss and statm's resident may differ by the
        # kernel's per-thread counter caches (up to 64 pages a thread).
        slack = 512 * 1024
        self.assertTrue(min(rss0, rss1) - slack <= proc["rss"] <= max(rss0, rss1) + slack,
                        "rss %r, /proc said %d then %d" % (proc["rss"], rss0, rss1))
        self.assertGreater(proc["rss"], 1024 * 1024, "a Python worker in under 1 MiB?")
        # Both in clock ticks: the master's reading lies between ours.
        self.assertTrue(cpu0 - 0.001 <= proc["cpu"] <= cpu1 + 0.001,
                        "cpu %r, /proc said %.2f then %.2f" % (proc["cpu"], cpu0, cpu1))
        self.assertGreater(proc["cpu"], 0.0, "a Python worker started without CPU time?")
        whole = m.status()
        self.assertNotIn("rss", whole["services"][0]["procs"][0])
        rc, out, _ = m.ctl("status", check=True)
        row = [line for line in out.splitlines() if line.strip().startswith("pid %d " % pid)]
        self.assertEqual(len(row), 1, out)
        found = re.search(r"rss +(\d+(?:\.\d)?)([KMG]) +cpu +(\d+\.\d\d)s", row[0])
        self.assertIsNotNone(found, row[0])
        scale = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}[found.group(2)]
        text_rss = float(found.group(1)) * scale
        self.assertLess(abs(text_rss - rss_bytes(pid)), 0.1 * rss_bytes(pid) + slack, row[0])
        self.assertGreater(float(found.group(3)), 0.0, row[0])

    def test_22b_small_worker_rss_not_zero(self):
        """A small static worker's rss is statm's, not /proc/PID/stat's
        per-CPU estimate, which said 0 for the echo worker's 80 KiB (a
        tester saw rss 0K in status)."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo -o prefork=1\n")
        pid = m.worker_pids()[0]
        proc = m.status(m.service_names()[0])["services"][0]["procs"][0]
        self.assertEqual(proc["pid"], pid)
        self.assertGreater(proc["rss"], 0)
        self.assertEqual(proc["rss"], rss_bytes(pid))

    def test_23_last_failure_after_a_crash_loop(self):
        """A service whose command exits at once: its last failure (which
        worker, how it ended) and when, in the text and in the JSON."""
        m = self.master("ok unix n n n - 1 echo -o prefork=1\n"
                        "bad unix n n n - 1 {TESTWORKER} -o prefork=1 -o throttle_min=1s crash\n",
                        wait=False)
        t0 = time.time()
        st = m.wait_for(lambda st: m.service("bad", st)["start_failures"] >= 2, 15,
                        "bad to fail twice")
        bad = m.service("bad", st)
        self.assertRegex(bad["last_failure"], r"^worker \d+ exited with status 3 before serving")
        self.assertTrue(int(t0) <= bad["last_failure_time"] <= time.time() + 1, bad)
        self.assertIsNone(m.service("ok", st)["last_failure_time"])
        rc, out, _ = m.ctl("status", "bad", check=True)
        self.assertRegex(out, r"\n    last failure \d+s ago \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\):"
                         r" worker \d+ exited with status 3 before serving")
        rc, out, _ = m.ctl("status", "ok", check=True)
        self.assertNotIn("last failure", out)

    def test_24_last_failure_names_a_kill(self):
        """A worker terminated for cause (a request past max_busy): the last
        failure says so, not only "died on signal"."""
        m = self.master("h unix n n n - 1 {TESTWORKER} -o prefork=1 -o max_busy=1s"
                        " -o kill_grace=1s hang\n")
        s = h.connect(m.addr("h"))
        self.addCleanup(s.close)
        s.sendall(b"hang\n")
        st = m.wait_for(lambda st: m.service("h", st)["last_failure"] is not None, 15,
                        "the hung worker killed")
        self.assertRegex(m.service("h", st)["last_failure"],
                         r"^worker \d+ terminated: one request took \d+\.\ds \(max_busy 1s\)")


class Check(h.MasterTestCase):
    def test_30_check_ready(self):
        """status --check: 0 with "ok: " when every service is at prefork;
        its one-service form looks at that service only."""
        m = self.master("a unix n n n - 2 echo -o prefork=2\nb unix n n n - 1 echo\n")
        rc, out, err = m.ctl("status", "--check")
        self.assertEqual((rc, err), (0, ""), out)
        self.assertTrue(out.startswith("ok: 2 services at prefork"), out)
        rc, out, err = m.ctl("status", "a", "--check")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("ok: 1 service at prefork"), out)

    def test_31_check_throttled_or_short(self):
        """status --check: 1 and one "error: service NAME: why" line per
        failing service: one throttled (crash loop), one short of prefork
        (a worker that never says ready); the healthy one is not named."""
        m = self.master("ok unix n n n - 1 echo -o prefork=1\n"
                        "crashing unix n n n - 1 {TESTWORKER} -o prefork=1 crash\n"
                        "slow unix n n n - 2 {TESTWORKER} -o prefork=2"
                        " -o startup_timeout=300s noready\n", wait=False)
        m.wait_for(lambda st: m.service("crashing", st)["state"] == "throttled"
                   and m.service("ok", st)["workers"]["idle"] == 1, 15, "crashing throttled")
        rc, out, err = m.ctl("status", "--check")
        self.assertEqual(rc, 1, "%s%s" % (out, err))
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertEqual(len(lines), 2, err)
        self.assertRegex(lines[0], r"^error: service crashing: throttled: \d+ start failures?,"
                         r" last: worker \d+ exited with status 3")
        self.assertEqual(lines[1], "error: service slow: 0 of 2 prefork workers ready")
        rc, out, err = m.ctl("status", "ok", "--check")
        self.assertEqual(rc, 0, err)
        rc, out, err = m.ctl("status", "slow", "--check")
        self.assertEqual(rc, 1, out)
