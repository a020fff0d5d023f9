"""test_stderr_flood.py - a worker cannot flood or block the master through
its stderr (issue 8, item 7).

A hostile worker (tests/workers/stderrflood.c) floods its stderr, writes an
endless line, or writes control characters; the master's stderr may be a
pipe or socket that nobody reads for a while (a stuck journald). Through all
of it the master's log stays bounded, its CPU stays low, another service
keeps serving with 0 failed requests and `masterctl status` answers within
STATUS_MAX_MS.
"""

import fcntl
import os
import re
import signal
import termios
import time

import harness as h

MEASURE_S = 3.0             # how long a flood is measured
WARMUP_S = 1.0              # the rate limit's burst is spent by then
# Per flooding worker: the relay's sustained limit is 200 lines/s and
# 32 KiB/s of text; a 100-byte line is ~120 bytes in the log with its
# prefix, so ~24 KB/s. Before the limit: ~100 MB/s.
LOG_MAX_BYTES_PER_S = 128 * 1024
# test_14: the service's limit, 1,000 lines/s of 100 bytes (~120 KB/s
# with their prefix), plus the master's own lines on its workers' births
# and deaths. Before it: ~100 MB/s.
CHURN_LOG_MAX_BYTES_PER_S = 1024 * 1024
MASTER_CPU_MAX_PCT = 5.0    # before: 25-30% here; draining without pausing: 13-16%
STATUS_MAX_MS = 100.0 * h.TIME_SCALE  # the median of 5 calls
STATUS_WORST_MS = 1000.0 * h.TIME_SCALE  # any one of them
REQUESTS = 200
# Unread bytes that mean "full": a Linux pipe holds 65536 bytes; a unix
# stream socket's send buffer fills at ~30 KB of short lines (each write is
# an skb with its overhead).
FULL_BYTES = {True: 60000, "socket": 16000}
FULL_STABLE_S = 1.5
FDS_MESSAGES = 500      # test_11: 16 fds each, 8,000 in all
PACED_LINES = 1000      # test_18: past the ~260 reads (4 KiB each) of a worker's 1 MiB budget

SUPPRESSED_RX = (r"master\[\d+\]: warning: service %s: worker %d: stderr over its limit: "
                 r"(\d+) bytes, (\d+) lines suppressed$")


def flood_config(mode, extra_svc=True, opts="", workers=1):
    cf = "flood unix n n n - %d {STDERRFLOOD} -o prefork=%d %s %s\n" % (
        workers, workers, opts, mode)
    if extra_svc:
        cf += "127.0.0.1:{PORT1} inet n n n - 4 echo -o prefork=2\n"
    return cf


class StderrFlood(h.MasterTestCase):
    OPTS = ""   # the flooding service's extra options

    def cf(self, mode, extra_svc=True):
        return flood_config(mode, extra_svc, self.OPTS)

    def echo_name(self, m):
        return "127.0.0.1:%d" % m.ports["PORT1"]

    def serve_and_probe(self, m, addr=None):
        """Another service keeps serving (0 failures) and status answers
        within STATUS_MAX_MS, while the flood goes on."""
        addr = addr or m.addr(self.echo_name(m))
        res = h.run_parallel(lambda i: h.echo_check(addr, "req-%d" % i),
                             list(range(REQUESTS)), concurrency=4)
        self.assertNoFailures(res, "echo requests during the flood")
        lat = sorted(h.status_latency_ms(m))
        shown = ["%.0f" % x for x in lat]
        # The median: on this shared 2-core machine (load ~8) one exec of
        # masterctl is now and then descheduled for 250 ms. A master that
        # blocks makes every call slow (seconds, before the fix).
        self.assertLess(lat[len(lat) // 2], STATUS_MAX_MS,
                        "masterctl status took %s ms during the flood" % shown)
        self.assertLess(lat[-1], STATUS_WORST_MS,
                        "masterctl status took %s ms during the flood" % shown)

    def flood_pid(self, m):
        return m.worker_pids("flood")[0]

    def measure_flood(self, m):
        """(log bytes/s, master CPU %) over MEASURE_S, serving meanwhile."""
        time.sleep(WARMUP_S)   # measured below: nothing waits on this
        size0, cpu0, t0 = os.path.getsize(m.log_path), h.cpu_seconds(m.pid), time.monotonic()
        self.serve_and_probe(m)
        while time.monotonic() - t0 < MEASURE_S:
            self.assertTrue(m.alive(), "master died during the flood")
            time.sleep(h.POLL_S)
        size1, cpu1, t1 = os.path.getsize(m.log_path), h.cpu_seconds(m.pid), time.monotonic()
        rate = (size1 - size0) / (t1 - t0)
        cpu = 100.0 * (cpu1 - cpu0) / (t1 - t0)
        print("\n  log %.0f bytes/s, master CPU %.1f%%" % (rate, cpu), flush=True)
        return rate, cpu

    def assertMasterCpuLow(self, m, cpu):
        """The master's CPU over a flood window (cpu) under
        MASTER_CPU_MAX_PCT; past it, the lower of that and a second window
        is taken: another tenant of the host only adds (a CI run on a host
        with 30-50% steal measured 6.0% once where 20 others measured
        0.7-2.0%); a master without the rule is over it in both (25-98%)."""
        if cpu >= MASTER_CPU_MAX_PCT:
            cpu = min(cpu, self.measure_flood(m)[1])
        self.assertLess(cpu, MASTER_CPU_MAX_PCT, "master CPU %.1f%%" % cpu)

    def test_01_flood_bounded(self):
        """Whole lines as fast as a worker can write them: the log grows at
        the rate limit, the master stays cool, the summary line appears."""
        m = self.master(self.cf("flood"), nports=1)
        pid = self.flood_pid(m)
        m.wait_log(r"^flood\[%d\]: x{99}$" % pid)
        rate, cpu = self.measure_flood(m)
        self.assertLess(rate, LOG_MAX_BYTES_PER_S, "log grew %.0f bytes/s" % rate)
        self.assertMasterCpuLow(m, cpu)
        mm = m.wait_log(SUPPRESSED_RX % ("flood", pid))
        self.assertGreater(int(mm.group(1)), 0)
        self.assertGreater(int(mm.group(2)), 0)
        self.assertEqual(self.flood_pid(m), pid, "the flooder was replaced")

    def test_02_endless_line(self):
        """One line without end: cut into capped pieces, and limited."""
        m = self.master(self.cf("nonl"), nports=1)
        pid = self.flood_pid(m)
        mm = m.wait_log(r"^flood\[%d\]: (x+)$" % pid)
        self.assertLessEqual(len(mm.group(1)), 1024, "a log line past the cap")
        rate, cpu = self.measure_flood(m)
        self.assertLess(rate, LOG_MAX_BYTES_PER_S, "log grew %.0f bytes/s" % rate)
        self.assertMasterCpuLow(m, cpu)
        for line in m.log().splitlines():
            self.assertLessEqual(len(line), 1024 + 64, "log line of %d bytes" % len(line))

    def test_03_summary_when_logging_resumes(self):
        """A burst, then quiet, then one line: the summary comes first."""
        m = self.master(self.cf("burst 500", extra_svc=False))
        pid = self.flood_pid(m)
        m.wait_log(r"^flood\[%d\]: after the burst pid=%d$" % (pid, pid))
        lines = m.log().splitlines()
        after = lines.index("flood[%d]: after the burst pid=%d" % (pid, pid))
        rx = re.compile(SUPPRESSED_RX % ("flood", pid))
        self.assertRegex(lines[after - 1], rx, "no summary right before the"
                         " line that follows the burst")
        self.assertEqual(sum(1 for l in lines if rx.match(l)), 1,
                         "one burst, one summary line")

    def test_04_summary_at_exit(self):
        """A worker that floods and exits: its summary line is logged."""
        m = self.master(self.cf("floodexit 300", extra_svc=False), wait=False)
        mm = m.wait_log(r"service flood: worker (\d+): stderr over its limit: (\d+) bytes, "
                        r"(\d+) lines suppressed$")
        pid = int(mm.group(1))
        self.assertGreater(int(mm.group(2)), 0)
        lines = m.log().splitlines()
        summary = [i for i, l in enumerate(lines) if re.search(SUPPRESSED_RX % ("flood", pid), l)]
        mine = [i for i, l in enumerate(lines) if l.startswith("flood[%d]: " % pid)]
        self.assertEqual(len(summary), 1)
        self.assertGreater(summary[0], mine[-1], "the summary follows the worker's last line")

    def test_14_churning_workers_share_one_limit(self):
        """Each worker writes 2,000 100-byte lines (within its own burst)
        after "busy" and "retiring", and leaves: its successor starts at
        once, with a full burst of its own. Before the service's limit
        (relaylimit.h) the log grew 103 MB/s here; now all the service's
        workers together are held to its limit, the rest is summed up
        under the service's name, and another service keeps serving."""
        m = self.master(self.cf("churn 2000"), nports=1, wait=False)
        m.wait_log(r"^flood\[\d+\]: x{99}$")
        rate, _ = self.measure_flood(m)
        self.assertLess(rate, CHURN_LOG_MAX_BYTES_PER_S, "log grew %.0f bytes/s" % rate)
        m.wait_log(r"service flood: its workers' stderr over the service's limit: "
                   r"\d+ bytes, \d+ lines suppressed", 20)

    def test_05_control_characters_escaped(self):
        """Control characters, ANSI escapes, C1 controls and invalid UTF-8
        reach the log as \\xNN; nothing can forge a line of its own."""
        m = self.master(self.cf("ansi", extra_svc=False))
        pid = self.flood_pid(m)
        m.wait_log(r"^flood\[%d\]: ansi done$" % pid)
        with open(m.log_path, "rb") as f:
            raw = f.read()
        for b in raw:
            self.assertTrue(b >= 0x20 and b != 0x7f or b in (0x0a, 0x09),
                            "raw byte 0x%02x in the log" % b)
        text = raw.decode("utf-8")   # no invalid UTF-8 either
        p = "flood[%d]: " % pid
        expect = [
            r"red \x1b[31mRED\x1b[0m bell \x07 nul-less cr \x0d over",
            r"title \x1b]0;pwned\x07 c1 \xc2\x9b31m del \x7f tab" + "\tend",
            r"invalid \xff\xfe utf8 \xc3( ok " + "\u00e9t\u00e9",
            r"fake newline\x0dmaster[1]: error: forged",
        ]
        lines = text.splitlines()
        for e in expect:
            self.assertIn(p + e, lines)
        self.assertFalse([l for l in lines if l.startswith("master[1]")])

    def slow_reader(self, kind):
        m = self.master(self.cf("flood"), nports=1, start=False,
                        stderr_pipe=kind)
        m.start()
        addr = m.addr(self.echo_name(m))
        m.hold_stderr()
        # A stuck reader: the pipe (or socket buffer) fills and stays full
        # (unread bytes unchanged for FULL_STABLE_S while the worker floods
        # and the master, rate-limited, still has lines to write).
        seen = {"n": -1, "since": time.monotonic()}
        def unread():
            n = fcntl.ioctl(m.stderr_r, termios.FIONREAD, b"\0\0\0\0")
            return int.from_bytes(n, "little")
        def full():
            n, now = unread(), time.monotonic()
            if n != seen["n"]:
                seen["n"], seen["since"] = n, now
            return n >= FULL_BYTES[kind] and now - seen["since"] >= FULL_STABLE_S
        h.poll_until(full, 15, "the master's stderr %s full" % kind)
        # The master's own fd 2 (shared with whoever started it) stays a
        # blocking one: the master writes through its own description.
        with open("/proc/%d/fdinfo/2" % m.pid) as f:
            flags = int(re.search(r"flags:\s+(\d+)", f.read()).group(1), 8)
        self.assertFalse(flags & os.O_NONBLOCK, "fd 2 was made O_NONBLOCK")
        self.serve_and_probe(m, addr)
        self.assertGreaterEqual(unread(), FULL_BYTES[kind], "the reader was not stuck")
        dropped = m.status()["master"]["log_lines_dropped"]
        self.assertGreater(dropped["workers"], 0, dropped)
        self.assertEqual(dropped["master"], 0, "the master's own lines are kept: %s" % dropped)
        m.hold_stderr(False)
        m.wait_log(r"^master\[%d\]: warning: \((\d+) log lines dropped; in all \d+ of "
                   r"workers, 0 of the master\)$" % m.pid)

    def test_06_slow_pipe_reader(self):
        """stderr on a pipe nobody reads: status still answers at once."""
        self.slow_reader(True)

    def test_07_slow_socket_reader(self):
        """stderr on a stream socket nobody reads (journald's kind)."""
        self.slow_reader("socket")

    def test_11_fds_sent_down_stderr_are_not_kept(self):
        """A worker that sends fds (SCM_RIGHTS) down its stderr socket (its
        own or the shared one): none reaches the master's fd table; its
        lines are still logged.
        Where the kernel has SO_PASSRIGHTS (6.16) every such message is
        refused (EPERM) and sent again without them."""
        m = self.master(flood_config("burst 0", False, self.OPTS, 1))
        pid = m.worker_pids("flood")[0]
        m.wait_log(r"^flood\[%d\]: after the burst pid=%d$" % (pid, pid))
        before = set(os.listdir("/proc/%d/fd" % m.pid))
        m.write("master.cf", flood_config("burst 0", False, self.OPTS, 1)
                + "sender unix n n n - 1 {STDERRFLOOD} -o prefork=1 %s fds %d\n"
                % (self.OPTS, FDS_MESSAGES))
        rc, out, err = m.ctl("reload")
        self.assertEqual(rc, 0, out + err)
        mm = m.wait_log(r"^sender\[(\d+)\]: fds sent pid=\1 refused=(\d+)$")
        sent = int(mm.group(1))
        if h.kernel_refuses_fds():
            self.assertEqual(int(mm.group(2)), FDS_MESSAGES, "messages with fds not refused")
        logged = [l for l in m.log().splitlines() if l == "sender[%d]: with fds" % sent]
        self.assertGreater(len(logged), 0)
        new = {}
        for fd in set(os.listdir("/proc/%d/fd" % m.pid)) - before:
            try:
                new[fd] = os.readlink("/proc/%d/fd/%s" % (m.pid, fd))
            except OSError:
                pass
        kept = sum(1 for v in new.values() if v == "/dev/null")
        self.assertEqual(kept, 0, "%d of the fds sent were kept" % kept)

    def test_17_one_byte_writes(self):
        """A worker writing its stderr one byte a write: the master reads
        as fast as it writes, ~10 bytes a read, within the byte budget;
        each read is charged as a read (relaylimit.h), so the master's
        CPU stays low (the eighth round: 96-98% of a CPU before)."""
        m = self.master(self.cf("onebyte"), nports=1)
        rate, cpu = self.measure_flood(m)
        self.assertLess(rate, LOG_MAX_BYTES_PER_S, "log grew %.0f bytes/s" % rate)
        self.assertMasterCpuLow(m, cpu)

    def test_18_paced_lines_all_logged_at_exit(self):
        """An honest worker logs 1,000 short lines, each once the master
        has read the one before, then exits: each read costs 4 KiB of its
        budget (test_17), so its stream is paused after a few hundred
        reads (the worker sees a line stay unread: paused=I), and what it
        queued meanwhile is read at its reaping all the same: every line
        logged, none suppressed (a tester saw the last 28 of 1,000
        lost)."""
        m = self.master(flood_config("paced %d" % PACED_LINES, False, self.OPTS))
        done = m.wait_log(r"paced done pid=(\d+) paused=(\d+)", 30)
        pid, paused = int(done.group(1)), int(done.group(2))
        self.assertTrue(0 < paused < PACED_LINES, "the stream was never paused: paused=%d"
                        % paused)
        logged = re.findall(r"^flood\[%d\]: paced (\d+) of %d$" % (pid, PACED_LINES), m.log(),
                            re.M)
        self.assertEqual(len(logged), PACED_LINES, "%d of %d lines logged (paused after %d)"
                         % (len(logged), PACED_LINES, paused))
        self.assertNotIn("suppressed", m.log())

    def test_15_own_stderr_is_a_socket_not_a_pipe(self):
        """worker_stderr=own: each worker's fd 2 is a stream socket of its
        own, not a pipe. A pipe's writer holds the pipe's mutex through the
        page faults of its write, and the master's read of it then sleeps
        uninterruptibly (the sixth adversarial round froze the master so
        with a fault the worker could make last); a socket's reader takes
        no lock its writer holds."""
        m = self.master(flood_config("burst 0", False, self.OPTS, 2))
        pids = m.worker_pids("flood")
        self.assertEqual(len(pids), 2)
        links = set()
        for pid in pids:
            m.wait_log(r"^flood\[%d\]: after the burst pid=%d$" % (pid, pid))
            link = os.readlink("/proc/%d/fd/2" % pid)
            self.assertTrue(link.startswith("socket:"), "fd 2 of %d is %s" % (pid, link))
            links.add(link)
        self.assertEqual(len(links), 2, "the workers share one fd 2: %s" % links)

    def test_16_stderr_write_held_by_a_fault(self):
        """A writer of a worker's stderr whose write faults on a page that
        takes its time (the seventh round: a file's dropped page cache, a
        disk read a page; here a userfaultfd page nobody answers): the
        master reads what was written before and answers status at once.
        On a pipe the held write kept the pipe's mutex and the master's
        read slept on it, uninterruptibly, until the fault ended. The
        master is stopped for the moment of the hold's start, so that a
        line waits to be read when it goes on."""
        if h.slow_fault_skip_reason():
            self.skipTest(h.slow_fault_skip_reason())
        m = self.master(flood_config("burst 0", False, self.OPTS, 1))
        pid = m.worker_pids("flood")[0]
        m.wait_log(r"^flood\[%d\]: after the burst pid=%d$" % (pid, pid))
        fd = h.pidfd_getfd(pid, 2)   # the worker's fd 2, as a worker holds it
        try:
            os.kill(m.pid, signal.SIGSTOP)
            try:
                os.write(fd, b"before the hold\n")
                holder = h.SlowFault(lambda addr, page: os.write(fd, memoryview(page)[:1]))
            finally:
                os.kill(m.pid, signal.SIGCONT)
            try:
                worst = m.status_worst_s()
                m.wait_log(r"^flood\[\d+\]: before the hold$", 2)
            finally:
                self.assertTrue(holder.release(), "the held write did not end")
        finally:
            os.close(fd)
        self.assertLess(worst, 0.5, "status took %.2f s while a stderr write was held" % worst)
        self.assertTrue(m.alive())


def master_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class SharedStderrFlood(StderrFlood):
    """The same hostile workers with worker_stderr=shared (relay_shared.h):
    one socket is the stderr of every worker of the service. The flood is
    bounded the same way (tests 01-05, inherited); what the master's own
    stderr does is not this option's (06, 07 not repeated)."""
    OPTS = "-o worker_stderr=shared"
    test_06_slow_pipe_reader = None
    test_07_slow_socket_reader = None
    test_15_own_stderr_is_a_socket_not_a_pipe = None  # its own test: 08
    WORKERS = 8

    def test_08_lines_under_the_writers_pid(self):
        """Each worker's lines (4, written as it starts, all at once) are
        logged under the pid that wrote them (the kernel's, from the
        socket), in order, none under a neighbour's; all share one socket
        as fd 2."""
        m = self.master(flood_config("startlines 4", False, self.OPTS, self.WORKERS))
        pids = m.worker_pids("flood")
        self.assertEqual(len(pids), self.WORKERS)
        for pid in pids:
            m.wait_log(r"^flood\[%d\]: starting line 4 of 4 pid=%d$" % (pid, pid))
        said = re.findall(r"^flood\[(\d+)\]: starting line (\d) of 4 pid=(\d+)$", m.log(), re.M)
        self.assertEqual(len(said), 4 * self.WORKERS)
        for prefix, _, content in said:
            self.assertEqual(prefix, content, "a line logged under another pid")
        for pid in pids:
            self.assertEqual([i for p, i, _ in said if p == str(pid)], ["1", "2", "3", "4"])
        self.assertEqual(m.service("flood")["stderr"], "shared")
        sockets = {os.readlink("/proc/%d/fd/2" % pid) for pid in pids}
        self.assertEqual(len(sockets), 1, "fd 2 differs: %s" % sockets)
        self.assertTrue(sockets.pop().startswith("socket:"))

    def test_09_one_master_fd_per_worker(self):
        """The master holds 1 fd per worker shared, 2 with a pipe each:
        the same configuration in both ways, WORKERS workers."""
        held = {}
        for opts in ("", self.OPTS):
            m = self.master(flood_config("burst 0", False, opts, self.WORKERS))
            pids = m.worker_pids("flood")
            for pid in pids:   # idle and logged: no pause timer, no partial line
                m.wait_log(r"^flood\[%d\]: after the burst pid=%d$" % (pid, pid))
            held[opts] = master_fds(m.pid)
            m.stop()
        # Shared: WORKERS own sockets fewer, the shared one's two ends more.
        self.assertEqual(held[""] - held[self.OPTS], self.WORKERS - 2, held)

    def test_10_reload_between_own_and_shared(self):
        """A reload that changes worker_stderr replaces the service: the
        new workers get the other kind of fd 2 and are still logged under
        their pids; the old generation's socket closes with it (no fd
        left behind, the master goes on)."""
        m = self.master(flood_config("burst 0", False, self.OPTS, 2))
        old = set(m.worker_pids("flood"))
        for pid in old:
            m.wait_log(r"^flood\[%d\]: after the burst pid=%d$" % (pid, pid))
        fds_before = master_fds(m.pid)
        m.write("master.cf", flood_config("burst 0", False, "", 2))
        rc, out, err = m.ctl("reload")
        self.assertEqual(rc, 0, out + err)
        m.wait_for(lambda st: not old & set(m.worker_pids("flood")) and
                   len(m.worker_pids("flood")) == 2, what="a new generation of 2")
        for pid in m.worker_pids("flood"):
            m.wait_log(r"^flood\[%d\]: after the burst pid=%d$" % (pid, pid))
            self.assertTrue(os.readlink("/proc/%d/fd/2" % pid).startswith("socket:"))
        self.assertEqual(m.service("flood")["stderr"], "own")
        # 2 sockets of their own in, the shared one's 2 ends out (once
        # the old one is gone).
        m.wait_for(lambda st: master_fds(m.pid) == fds_before, what="the shared socket closed")
        self.assertTrue(m.alive())

    def test_12_two_writers_of_tiny_lines(self):
        """A worker and its child writing 2-byte lines in turn: every read
        is one line, so the read budget counts reads, not only bytes; the
        master's CPU stays low and status answers."""
        m = self.master(self.cf("tiny"), nports=1)
        rate, cpu = self.measure_flood(m)
        self.assertLess(rate, LOG_MAX_BYTES_PER_S, "log grew %.0f bytes/s" % rate)
        self.assertMasterCpuLow(m, cpu)

    def test_13_shut_down_socket_is_replaced(self):
        """A worker shuts the shared socket down (its siblings' stderr goes
        with it: shutdown acts on the socket): the master says so, replaces
        the workers that hold it (make-before-break), and their successor
        gets a new socket, whose lines are logged."""
        m = self.master(self.cf("shutdown {DIR}/shut-down-once", extra_svc=False))
        # The first worker shuts it down as it starts: it may be gone by
        # the first status, so it is known by its line.
        first = int(m.wait_log(r"^flood\[(\d+)\]: before shutdown pid=\1$").group(1))
        m.wait_log(r"warning: service flood: the workers' shared stderr was shut down")
        st = m.wait_for(lambda st: [p for p in m.worker_pids("flood", st) if p != first],
                        what="a successor")
        second = [p for p in m.worker_pids("flood", st) if p != first][0]
        m.wait_log(r"^flood\[%d\]: before shutdown pid=%d$" % (second, second))
        # The successor was not handed the dead socket (a write to it
        # would have killed it with SIGPIPE before its line).
        self.assertNotIn("signal 13", m.log())
        self.assertTrue(m.alive())
