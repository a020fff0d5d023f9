"""Service types and wake-up triggers (issue 13): fifo, unix-dgram and pass
services each serve a request; the wakeup column sends a one-byte trigger
("W") every N seconds to every type, "N?" only after the first request,
and a busy service skips a wake-up instead of queueing it; reload adds,
changes and removes these services like unix ones, the fifo kept.

The worker is tests/workers/typesworker.c: it appends one line per request
to a record file, "MONOTONIC_MS PID TYPE HEX", so the test sees what each
request held and when (CLOCK_MONOTONIC, as time.monotonic())."""

import os
import socket
import stat
import time

import harness as h

WAKE = b"W"                  # what a wake-up request holds (Postfix's trigger)
SERVE_TIMEOUT_S = 10.0       # one request recorded
RECORD = "{DIR}/rec"


def records(m):
    """[(seconds, pid, type, data)] from the record file, in order."""
    try:
        with open(m.path("rec")) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        ms, pid, typ, hexdata = line.split()
        data = b"" if hexdata == "-" else bytes.fromhex(hexdata)
        out.append((int(ms) / 1000.0, int(pid), typ, data))
    return out


def wait_record(m, typ, data, timeout=SERVE_TIMEOUT_S):
    """The first record of type typ holding exactly data."""
    def find():
        for r in records(m):
            if r[2] == typ and r[3] == data:
                return r
        return None
    return h.poll_until(find, timeout, "a %s request holding %r" % (typ, data),
                        detail=lambda: "records: %r\n%s" % (records(m), m.detail()))


def wakes(m, typ=None):
    return [r for r in records(m) if r[3] == WAKE and (typ is None or r[2] == typ)]


def send_fd(path, fd):
    """Connects to a pass service's socket and passes fd over it."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as carrier:
        carrier.settimeout(h.IO_TIMEOUT_S)
        carrier.connect(path)
        socket.send_fds(carrier, [b"x"], [fd])


class Types(h.MasterTestCase):
    def test_01_fifo(self):
        """A fifo service: the master makes public/NAME a fifo (mode 0622,
        owned by the master's user); what a client writes there is one
        request that a worker reads."""
        m = self.master("trig fifo n n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        path = m.path("run", "public", "trig")
        st = os.lstat(path)
        self.assertTrue(stat.S_ISFIFO(st.st_mode), "%s is not a fifo" % path)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o622)
        self.assertEqual(st.st_uid, os.geteuid())
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"hello-fifo")
            wait_record(m, "fifo", b"hello-fifo")
            os.write(fd, b"again")
            wait_record(m, "fifo", b"again")
        finally:
            os.close(fd)
        m.wait_for(lambda st: m.service(st=st)["requests"] >= 2, 10, "2 requests counted")
        self.assertEqual(m.service()["type"], "fifo")

    def test_02_unix_dgram(self):
        """A unix-dgram service: each datagram is one request, delivered
        whole and alone (three datagrams, three records)."""
        m = self.master("dg unix-dgram n n n - 2 {TYPESWORKER} -o prefork=2 " + RECORD + "\n")
        path = m.path("run", "public", "dg")
        self.assertTrue(stat.S_ISSOCK(os.lstat(path).st_mode))
        sent = [b"one", b"two-two", b"x" * 3000]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            for d in sent:
                s.sendto(d, path)
        for d in sent:
            wait_record(m, "unix-dgram", d)
        self.assertEqual(sorted(r[3] for r in records(m)), sorted(sent))
        m.wait_for(lambda st: m.service(st=st)["requests"] >= 3, 10, "3 requests counted")

    def test_03_pass(self):
        """A pass service: a connection accepted by another process (here
        the test) and passed over private/NAME is served by a worker as if
        it had accepted it; the client talks to the worker directly."""
        m = self.master("p pass y n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        path = m.path("run", "private", "p")
        self.assertTrue(stat.S_ISSOCK(os.lstat(path).st_mode))
        with socket.socket() as lst:
            lst.bind(("127.0.0.1", 0))
            lst.listen(1)
            client = socket.create_connection(lst.getsockname(), timeout=h.IO_TIMEOUT_S)
            with client:
                conn, _ = lst.accept()
                with conn:
                    send_fd(path, conn.fileno())
                client.sendall(b"hello-pass")
                line = h.read_line(client)
        fields = line.split()
        self.assertEqual(fields[0], "ok", line)
        self.assertEqual(fields[3], "pass", line)
        self.assertEqual(bytes.fromhex(fields[4]), b"hello-pass", line)
        self.assertIn(int(fields[2]), m.worker_pids())
        wait_record(m, "pass", b"hello-pass")


class Wakeup(h.MasterTestCase):
    def test_10_interval(self):
        """wakeup 1: a trigger every second; over 3.5 s, 3 (or 4, the
        schedule starts as the service does, a moment before it is ready),
        about a second apart, each holding one "W"."""
        m = self.master("wk fifo n n n 1 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        t0 = time.monotonic()
        time.sleep(3.5)  # the measurement window itself, not a wait for state
        got = [r for r in wakes(m, "fifo") if t0 <= r[0] <= t0 + 3.5]
        self.assertIn(len(got), (3, 4), "wake-ups in 3.5 s: %r\n%s" % (got, m.detail()))
        for a, b in zip(got, got[1:]):
            self.assertGreater(b[0] - a[0], 0.7, "wake-ups too close: %r" % got)
            self.assertLess(b[0] - a[0], 1.5, "wake-ups too far apart: %r" % got)
        self.assertEqual([r for r in records(m) if r[3] != WAKE], [])
        w = m.service()["wakeup"]
        self.assertEqual(w["interval"], 1)
        self.assertGreaterEqual(w["sent"], 3)

    def test_11_every_type(self):
        """Every type gets its wake-up the way Postfix sends one: a byte
        into the fifo, a datagram, a connection carrying it (inet, unix),
        a connection passed over the pass socket."""
        m = self.master(
            "127.0.0.1:0 inet n n n 1 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
            "u unix n n n 1 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
            "f fifo n n n 1 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
            "d unix-dgram n n n 1 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
            "p pass n n n 1 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        types = ["inet", "unix", "fifo", "unix-dgram", "pass"]
        h.poll_until(lambda: all(wakes(m, t) for t in types), 10,
                     "a wake-up for every type",
                     detail=lambda: "records: %r\n%s" % (records(m), m.detail()))
        self.assertEqual([r for r in records(m) if r[3] != WAKE], [])

    def test_12_after_first_use(self):
        """wakeup 1?: nothing until the service's first request, then a
        trigger every second."""
        m = self.master("wq unix n n n 1? 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        time.sleep(2.5)  # 2.5 wake-up intervals that must stay silent
        self.assertEqual(wakes(m), [], "a wake-up before the first use")
        w = m.service()["wakeup"]
        self.assertEqual((w["after_use"], w["sent"], w["next_in"]), (True, 0, None))
        with h.connect(m.path("run", "public", "wq")) as s:
            s.sendall(b"first")
            h.read_line(s)
        t_used = wait_record(m, "unix", b"first")[0]
        got = h.poll_until(lambda: wakes(m), 5, "a wake-up after the first use",
                           detail=m.detail)
        self.assertGreater(got[0][0], t_used + 0.5, "woken too soon after first use")

    def test_13_busy_skips(self):
        """maxproc 1, wakeup 1: while the only worker is busy for 3.3 s the
        wake-ups that fall due are skipped (counted), not queued: no burst
        of triggers when it is free again."""
        m = self.master("wb unix n n n 1 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        path = m.path("run", "public", "wb")
        h.poll_until(lambda: wakes(m), 5, "the first wake-up", detail=m.detail)
        skipped0 = m.service()["wakeup"]["skipped"]
        with h.connect(path) as s:
            s.sendall(b"sleep 3300")
            h.read_line(s)            # recorded: now busy for 3.3 s
            s.settimeout(10)
            while s.recv(4096):       # EOF: the request ended
                pass
        t_end = time.monotonic()
        time.sleep(2.2)  # two more intervals after the busy spell
        w = m.service()["wakeup"]
        self.assertGreaterEqual(w["skipped"] - skipped0, 2, "skips not counted: %r" % w)
        got = wakes(m)
        for a, b in zip(got, got[1:]):
            self.assertGreater(b[0] - a[0], 0.6,
                               "a burst of wake-ups (queued while busy): %r" % got)
        after = [r for r in got if r[0] > t_end]
        self.assertIn(len(after), (2, 3), "wake-ups after the busy spell: %r" % got)


    def test_14_fifo_lock_held_by_an_outsider(self):
        """A fifo's wake-ups while someone else holds the pipe's lock (any
        local user may write to a public fifo; a worker reads it): the
        master's wake-up write would wait for the lock, uninterruptibly,
        O_NONBLOCK or not, and the whole loop with it (the seventh
        adversarial round: 1.4 s at a time). It is written off the loop
        (offloop.h): status answers at once throughout, the wake-ups
        that fall due meanwhile are skipped, not queued, and they go on
        once the lock is let go."""
        if h.slow_fault_skip_reason():
            self.skipTest(h.slow_fault_skip_reason())
        m = self.master("wk fifo n n n 1 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        h.poll_until(lambda: wakes(m, "fifo"), 5, "the first wake-up", detail=m.detail)
        fd = os.open(m.path("run", "public", "wk"), os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            holder = h.SlowFault(lambda addr, page: os.write(fd, memoryview(page)[:1]))
            held_since = time.monotonic()
            worst = 0.0
            try:
                # Three wake-ups fall due while the lock is held.
                while time.monotonic() - held_since < 3.5:
                    t = time.monotonic()
                    rc, out, err = m.ctl("status", "--json")
                    worst = max(worst, time.monotonic() - t)
                    self.assertEqual(rc, 0, out + err)
                w = m.service()["wakeup"]
            finally:
                self.assertTrue(holder.release(), "the held write did not end")
            t_free = time.monotonic()
        finally:
            os.close(fd)
        self.assertLess(worst, 0.5, "status took %.2f s while the fifo's lock was held" % worst)
        self.assertGreaterEqual(w["skipped"], 2, "wake-ups due meanwhile not skipped: %r" % w)
        h.poll_until(lambda: [r for r in wakes(m, "fifo") if r[0] > t_free + 0.1], 5,
                     "a wake-up after the lock was let go", detail=m.detail)
        self.assertTrue(m.alive())


    def test_15_fifo_given_up_while_its_lock_is_held(self):
        """A reload removes a fifo service while someone holds its
        pipe's lock: the last close of the master's own ends takes that
        lock too, and is done off the loop (offloop.h): status answers
        at once while the service goes, and the master's fds of it are
        closed once the lock is let go."""
        if h.slow_fault_skip_reason():
            self.skipTest(h.slow_fault_skip_reason())
        keep = "k unix n n n - 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
        m = self.master(keep + "gone fifo n n n - 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        path = m.path("run", "public", "gone")
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            ino = os.fstat(fd).st_ino
            def master_holds_it():
                n = 0
                for f in os.listdir("/proc/%d/fd" % m.pid):
                    try:
                        n += os.stat("/proc/%d/fd/%s" % (m.pid, f)).st_ino == ino
                    except OSError:
                        pass
                return n
            self.assertGreater(master_holds_it(), 0)
            holder = h.SlowFault(lambda addr, page: os.write(fd, memoryview(page)[:1]))
            try:
                m.write("master.cf", keep)
                rc, out, err = m.ctl("reload")
                self.assertEqual(rc, 0, out + err)
                h.poll_until(lambda: "gone" not in [s["name"] for s in m.status()["services"]],
                             10, "the fifo service gone", detail=m.detail)
                worst = m.status_worst_s()
            finally:
                self.assertTrue(holder.release(), "the held write did not end")
            self.assertLess(worst, 0.5, "status took %.2f s while the fifo was given up" % worst)
            h.poll_until(lambda: master_holds_it() == 0, 5, "the master's ends of the fifo closed",
                         detail=m.detail)
        finally:
            os.close(fd)
        self.assertTrue(m.alive())


class Reload(h.MasterTestCase):
    def reload(self, m):
        """masterctl reload's reply as {'added': [names], 'removed': ...}."""
        rc, out, err = m.ctl("reload", timeout=15)
        self.assertEqual(rc, 0, "reload failed: %s%s\n%s" % (out, err, m.log_tail()))
        diff = {}
        for line in out.splitlines():
            kind, _, names = line.partition(":")
            diff[kind] = sorted(n for n in names.split() if n != "-")
        return diff

    def test_20_add_change_remove(self):
        """fifo, unix-dgram and pass services added, changed and removed by
        reloads: the fifo survives unchanged and changed reloads (the same
        file, so writers keep it), removed services' files go, and a type
        change at one path leaves the new type's file in place."""
        line_f = "f fifo n n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
        line_x = "x unix n n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
        m = self.master(line_f + line_x)
        fpath = m.path("run", "public", "f")
        ino = os.lstat(fpath).st_ino
        m.write("master.cf", line_f + line_x
                + "d unix-dgram n n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
                + "p pass n n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        diff = self.reload(m)
        self.assertEqual((diff["added"], diff["unchanged"]), (["d", "p"], ["f", "x"]))
        self.assertEqual(os.lstat(fpath).st_ino, ino, "unchanged fifo made anew")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(b"dg-after-add", m.path("run", "public", "d"))
        wait_record(m, "unix-dgram", b"dg-after-add")

        m.write("master.cf", line_f.replace("prefork=1", "prefork=1 -o max_use=50")
                + "x fifo n n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n")
        diff = self.reload(m)
        self.assertEqual((diff["changed"], diff["added"], diff["removed"]),
                         (["f"], ["x"], ["d", "p", "x"]))
        self.assertEqual(os.lstat(fpath).st_ino, ino, "changed fifo made anew")
        m.wait_for(lambda st: st.get("draining") == [], 20, "earlier generations drained")
        for gone in ("d", "p"):
            self.assertFalse(os.path.lexists(m.path("run", "public", gone)),
                             "removed service's %s still there" % gone)
        xpath = m.path("run", "public", "x")
        self.assertTrue(stat.S_ISFIFO(os.lstat(xpath).st_mode),
                        "x is no fifo after the unix service x drained")
        fd = os.open(fpath, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"f-after-change")
        finally:
            os.close(fd)
        wait_record(m, "fifo", b"f-after-change")
        self.assertLessEqual(m.service("f")["procs"][0]["max_use"], 50)

    def test_21_type_change_in_failed_reload(self):
        """A reload that replaces unix service x by fifo service x at the
        same path but fails (another new address is taken) changes
        nothing: x is still the unix socket and serves; nothing is left
        staged. The same reload once the port is free puts the fifo there."""
        line_x = "x unix n n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
        m = self.master(line_x)
        xpath = m.path("run", "public", "x")
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        m.write("master.cf", "x fifo n n n - 2 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
                "127.0.0.1:%d inet n n n - 2 {TYPESWORKER} %s\n" % (port, RECORD))
        rc, out, err = m.ctl("reload", timeout=15)
        self.assertEqual(rc, 1, "reload onto a taken port: exit %d\n%s%s" % (rc, out, err))
        self.assertTrue(stat.S_ISSOCK(os.lstat(xpath).st_mode), "x replaced by a failed reload")
        with h.connect(xpath) as s:
            s.sendall(b"still-unix")
            self.assertTrue(h.read_line(s).startswith("ok "))
        self.assertEqual(os.listdir(m.path("run", ".new")), [], "a staged file left behind")
        taken.close()
        diff = self.reload(m)
        self.assertEqual(diff["removed"], ["x"])
        self.assertTrue(stat.S_ISFIFO(os.lstat(xpath).st_mode), "x is no fifo after the reload")
        m.wait_for(lambda st: st.get("draining") == [], 20, "earlier generations drained")
        self.assertTrue(stat.S_ISFIFO(os.lstat(xpath).st_mode), "the drained unix x removed it")

    def test_23_type_there_and_back_while_the_first_drains(self):
        """unix q, then unix-dgram q, then unix q again, while a client
        holds the first generation's worker (so it drains meanwhile), for
        each other type in the middle: the last unix q is reachable at its
        path, and stays so once everything earlier drained. (It borrowed
        the first generation's socket, whose path the middle type's file
        had taken: unreachable for good, with nothing said.)"""
        line_q = "q unix n n n - 2 {TESTWORKER} -o prefork=1 slow %d\n"
        for middle in ("unix-dgram", "fifo", "pass"):
            with self.subTest(middle=middle):
                m = self.master(line_q % 2000)   # the held request: 2 s
                qpath = m.path("run", "public", "q")
                hold = h.connect(qpath)
                self.addCleanup(hold.close)
                hold.sendall(b"held\n")
                m.wait_for(lambda st: m.service("q", st)["workers"]["busy"] == 1, 10,
                           "the first worker busy with the held client")
                m.write("master.cf", (line_q % 10).replace("unix", middle, 1))
                diff = self.reload(m)
                self.assertEqual((diff["removed"], diff["added"]), (["q"], ["q"]))
                m.write("master.cf", line_q % 10)
                diff = self.reload(m)
                self.assertEqual((diff["removed"], diff["added"]), (["q"], ["q"]))
                m.wait_for(lambda st: any(s["name"] == "q" and s["type"] == "unix" and
                                          s["workers"]["idle"] >= 1 for s in st["services"]),
                           10, "the last unix q ready")
                self.assertTrue([d for d in m.status()["draining"] if d["type"] == "unix"],
                                "the first generation drains (it holds its client)")
                for when in ("while the first drains", "after"):
                    self.assertTrue(stat.S_ISSOCK(os.lstat(qpath).st_mode),
                                    "q is no socket %s" % when)
                    self.assertEqual(h.echo_once(qpath, "after"), "after", when)
                    if when == "after":
                        break
                    # The held client ends: the first generation drains
                    # by itself (not at stop_timeout, 10 s later).
                    self.assertEqual(h.read_line(hold), "held")
                    hold.close()
                    m.wait_for(lambda st: st.get("draining") == [], 20,
                               "earlier generations drained")
                self.assertNotRegex(m.log(), r"did not stop within stop_timeout")
                m.cleanup()

    def test_22_wakeup_column_change(self):
        """Changing only the wakeup column is a change (a new generation on
        the same fifo), and the new schedule runs at once: wake-ups every
        second after the reload, none before it."""
        line = "wk fifo n n n %s 1 {TYPESWORKER} -o prefork=1 " + RECORD + "\n"
        m = self.master(line % "-")
        fpath = m.path("run", "public", "wk")
        ino = os.lstat(fpath).st_ino
        self.assertEqual(m.service()["wakeup"]["next_in"], None)
        m.write("master.cf", line % "1")
        t_reload = time.monotonic()
        diff = self.reload(m)
        self.assertEqual((diff["changed"], diff["unchanged"]), (["wk"], []))
        self.assertEqual(os.lstat(fpath).st_ino, ino, "changed fifo made anew")
        got = h.poll_until(lambda: len(wakes(m)) >= 2 and wakes(m), 6,
                           "two wake-ups after the reload", detail=m.detail)
        self.assertGreater(got[0][0], t_reload, "a wake-up before the reload: %r" % got)
        self.assertEqual(m.service()["wakeup"]["interval"], 1)
