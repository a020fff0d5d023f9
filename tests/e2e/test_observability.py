"""Observability: under -f every log line carries journald's <N> priority
when JOURNAL_STREAM names stderr (and none when it names another file);
worker births and deaths are logged, a normal end at info, an exit with a
status, a crash and a kill by the master at warning with the reason;
under max_use=1 churn normal lines are summarised past the burst, and
with -v every one is logged; a
real metricsd worker under a real master serves GET /metrics over HTTP
(workers by state, maxproc, the listen queue of a saturated service,
maxproc_reached), 404 for another path, 400 for an oversized head, in the
Prometheus text format (checked here line by line, and by promtool when it
is installed)."""

import os
import re
import shutil
import socket
import subprocess
import time

import harness as h

METRICSD = os.path.join(h.BUILD, "services", "metricsd")
HEAD_MAX_BYTES = 8192        # METRICSD_HTTP_HEAD_MAX_BYTES
SAMPLE_RX = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)'
    r'(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)\})?'
    r' (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$')
LABEL_RX = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def journal_stream(path):
    st = os.stat(path)
    return "%d:%d" % (st.st_dev, st.st_ino)


def check_exposition(text):
    """Validates the Prometheus text format 0.0.4 (what promtool checks
    that matters here): every line a HELP, a TYPE or a sample; one TYPE per
    metric, before its samples; counters named *_total; samples grouped by
    metric; no sample twice. Returns {(name, frozenset(labels)): value}."""
    types, helps, samples, done = {}, set(), {}, set()
    current = None
    if not text.endswith("\n"):
        raise AssertionError("exposition does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d: %r" % (n, line)
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            if name in helps:
                raise AssertionError("second HELP for %s, %s" % (name, where))
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge"):
                raise AssertionError("bad TYPE, " + where)
            if parts[2] in types:
                raise AssertionError("second TYPE, " + where)
            if parts[3] == "counter" and not parts[2].endswith("_total"):
                raise AssertionError("counter not named _total, " + where)
            types[parts[2]] = parts[3]
            continue
        m = SAMPLE_RX.match(line)
        if m is None:
            raise AssertionError("not a sample, " + where)
        name = m.group(1)
        if name not in types:
            raise AssertionError("sample before its TYPE, " + where)
        if name != current:
            if name in done:
                raise AssertionError("samples of %s not together, %s" % (name, where))
            if current is not None:
                done.add(current)
            current = name
        labels = frozenset(LABEL_RX.findall(m.group(2) or ""))
        if (name, labels) in samples:
            raise AssertionError("duplicate sample, " + where)
        samples[(name, labels)] = float(m.group(3))
    return samples


def sample(samples, name, **labels):
    want = frozenset(labels.items())
    for (n, ls), v in samples.items():
        if n == name and want <= ls:
            return v
    raise AssertionError("no sample %s%s in %s" % (
        name, labels, sorted(k for k in samples if k[0] == name)))


def http_get(addr, path, timeout=h.IO_TIMEOUT_S, raw=None):
    """(status, headers dict, body) of one HTTP/1.0 request."""
    req = raw if raw is not None else ("GET %s HTTP/1.0\r\nHost: x\r\n\r\n" % path).encode()
    text = h.read_all(addr, timeout, send=req)
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return status, headers, body


class Journal(h.MasterTestCase):
    CF = ("ok unix n n n - 2 {TESTWORKER} -o max_use=1 stderr\n"
          "crash unix n n n - 1 {TESTWORKER} -o throttle_min=60s crash\n"
          "slow unix n n n - 1 {TESTWORKER} -o startup_timeout=1 -o throttle_min=60s"
          " -o stop_timeout=1 noready\n"   # it ignores "stop": each stop waited 10 s
          "gone unix n n n - 1 {ECHO}\n")

    def start_journal(self, stream):
        """A master whose stderr is its log file, JOURNAL_STREAM = stream
        (a function of the log file's path, or None: unset)."""
        m = h.Master(self.CF)
        self.addCleanup(m.cleanup)
        open(m.log_path, "ab").close()
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        if stream is not None:
            env["JOURNAL_STREAM"] = stream(m.log_path)
        m.env = env
        m.start(wait=False)
        return m

    def exercise(self, m):
        """One request to the max_use=1 service (a normal exit), the crash,
        the startup_timeout kill, a kill from outside, and a reload refused
        for a bad master.cf (errors)."""
        m.wait_for(lambda st: m.service("ok", st)["workers"]["idle"] >= 1
                   and m.service("gone", st)["workers"]["idle"] >= 1, 15, "ok and gone idle")
        self.assertEqual(h.echo_once(m.path("run", "public", "ok"), "x"), "x")
        st = m.status()
        gone_pid = m.worker_pids("gone", st)[0]
        h.kill_quiet(gone_pid)
        m.wait_log(r"^.*service ok: worker \d+ exited, status 0, after 1 request$")
        m.wait_log(r"^.*service crash: worker \d+ exited, status 3, after 0 requests$")
        m.wait_log(r"^.*service slow: worker \d+ killed by signal 9, after 0 requests "
                   r"\(no \"ready\" within startup_timeout \(1s\)\)$", timeout=15)
        m.wait_log(r"^.*service gone: worker %d killed by signal 9, after 0 requests$"
                   % gone_pid)
        m.write("master.cf", self.CF + "bad line\n")
        rc, out, err = m.ctl("reload")
        self.assertNotEqual(rc, 0, out + err)
        m.wait_log(r"^.*error: .*master.cf:5: ")
        m.wait_log(r"^.*ok\[\d+\]: testworker stderr line")

    def test_journal_prefixes(self):
        """JOURNAL_STREAM = stderr's dev:ino: <3> for errors, <4> warnings,
        <6> info, on every line; worker stderr lines at <6>."""
        m = self.start_journal(journal_stream)
        self.exercise(m)
        lines = m.log().splitlines()
        bad = [l for l in lines if not re.match(r"^<[3-7]>[^<]", l)]
        self.assertEqual(bad, [], "lines without a priority prefix")
        log = "\n".join(lines)
        pid = m.pid
        for rx in (r"^<6>master\[%d\]: info: master .* started: 4 services" % pid,
                   r"^<6>master\[%d\]: info: service ok: worker \d+ started$" % pid,
                   r"^<6>master\[%d\]: info: service ok: worker \d+ exited, status 0, "
                   r"after 1 request$" % pid,
                   r"^<4>master\[%d\]: warning: service crash: worker \d+ exited, "
                   r"status 3, after 0 requests$" % pid,
                   r"^<4>master\[%d\]: warning: service slow: worker \d+ killed by "
                   r"signal 9, after 0 requests \(no \"ready\" within" % pid,
                   r"^<4>master\[%d\]: warning: service gone: worker \d+ killed by "
                   r"signal 9" % pid,
                   r"^<3>master\[%d\]: error: .*master.cf:5: " % pid,
                   r"^<6>ok\[\d+\]: testworker stderr line pid=\d+$"):
            self.assertRegex(log, re.compile(rx, re.M))

    def test_no_prefix_elsewhere(self):
        """JOURNAL_STREAM naming another file (stderr redirected under the
        unit), or unset: the lines as they were, no prefix."""
        other = h.Master("")
        self.addCleanup(other.cleanup)
        for stream in (lambda path: journal_stream(other.path("master.cf")), None):
            m = self.start_journal(stream)
            self.exercise(m)
            lines = m.log().splitlines()
            self.assertTrue(lines)
            bad = [l for l in lines if l.startswith("<")]
            self.assertEqual(bad, [], "a prefix without the journal")
            self.assertRegex(m.log(), re.compile(
                r"^master\[%d\]: warning: service crash: worker \d+ exited, status 3"
                % m.pid, re.M))
            m.stop()
            m.cleanup()


class Metrics(h.MasterTestCase):
    def metrics_master(self):
        self.require_root("metricsd runs as nobody, a member of status_group")
        if not h.can_exec_as("nobody", METRICSD):
            self.skipTest("nobody cannot execute %s (the build directory is not"
                          " searchable by others)" % METRICSD)
        m = self.master(
            "127.0.0.1:{PORT1} inet n n n - 1 {TESTWORKER} -o prefork=1 hang\n"
            "127.0.0.1:{PORT2} inet n y n - 2 metricsd -o user=nobody -o group=nogroup"
            " {DIR}/run/master.ctl\n",
            'status_group = "nogroup"\n', nports=2)
        return m, ("127.0.0.1", m.ports["PORT2"]), ("127.0.0.1", m.ports["PORT1"])

    def test_metrics_over_http(self):
        """GET /metrics from metricsd (as nobody, through the control
        socket): the text format, workers by state, maxproc, and the accept
        queue of a service whose only worker is busy."""
        m, maddr, haddr = self.metrics_master()
        hang = "127.0.0.1:%d" % m.ports["PORT1"]
        clients = []
        self.addCleanup(lambda: [c.close() for c in clients])
        clients.append(h.connect(haddr))
        m.wait_for(lambda st: m.service(hang, st)["workers"]["busy"] == 1, 10, "hang busy")
        for _ in range(3):   # queued: maxproc 1 and its worker is busy
            clients.append(h.connect(haddr))

        def scraped():
            status, headers, body = http_get(maddr, "/metrics")
            self.assertEqual(status, 200, body)
            self.assertEqual(headers.get("content-type"),
                             "text/plain; version=0.0.4; charset=utf-8")
            self.assertEqual(int(headers["content-length"]), len(body.encode()))
            s = check_exposition(body)
            return (s, body) if sample(s, "master_listen_queue", service=hang) == 3 \
                and sample(s, "master_maxproc_reached_total", service=hang) >= 1 else None
        s, body = h.poll_until(scraped, 15, "3 queued clients and maxproc_reached in /metrics")
        self.assertEqual(sample(s, "master_up"), 1)
        self.assertEqual(sample(s, "master_workers", service=hang, state="busy"), 1)
        self.assertEqual(sample(s, "master_workers", service=hang, state="idle"), 0)
        self.assertEqual(sample(s, "master_service_maxproc", service=hang), 1)
        self.assertEqual(sample(s, "master_service_maxproc",
                                service="127.0.0.1:%d" % m.ports["PORT2"]), 2)
        self.assertEqual(sample(s, "master_service_prefork", service=hang), 1)
        self.assertEqual(sample(s, "master_listen_backlog", service=hang,
                                listen=hang), 128)
        self.assertEqual(sample(s, "master_service_throttled", service=hang), 0)
        self.assertEqual(sample(s, "master_start_failures_total", service=hang), 0)
        # metricsd runs as nobody, in group nogroup.
        pid = m.worker_pids("127.0.0.1:%d" % m.ports["PORT2"])[0]
        self.assertEqual(h.proc_status_field(pid, "Uid")[0], str(__import__("pwd")
                                                               .getpwnam("nobody").pw_uid))
        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], input=body.encode(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
            self.assertEqual(r.returncode, 0, "promtool: %s" % r.stdout.decode())

    def test_metrics_refusals(self):
        """Another path is 404, a head past the bound is 400, a client that
        never finishes its head is dropped within the time bound."""
        m, maddr, _ = self.metrics_master()
        status, _, body = http_get(maddr, "/")
        self.assertEqual(status, 404, body)
        status, _, _ = http_get(maddr, "/metrics/x")
        self.assertEqual(status, 404)
        head = b"GET /metrics HTTP/1.0\r\nX: "   # exactly the bound, unfinished
        status, _, _ = http_get(maddr, None, raw=head + b"a" * (HEAD_MAX_BYTES - len(head)))
        self.assertEqual(status, 400)
        t0 = time.monotonic()
        with h.connect(maddr, timeout=15) as s:
            s.sendall(b"GET /metrics HTTP/1.0\r\n")
            self.assertEqual(s.recv(100), b"", "an unfinished head got a reply")
        self.assertLess(time.monotonic() - t0, 10, "the unfinished head was held too long")
        status, _, _ = http_get(maddr, "/metrics")
        self.assertEqual(status, 200)


class Churn(h.MasterTestCase):
    """max_use=1 under a connection loop: thousands of births and deaths."""
    CF = "churn unix n n n - 4 {ECHO} -o max_use=1 -o prefork=2\n"

    def churn(self, m, until, what, timeout=30):
        """Connections one after another until until() is true."""
        addr = m.path("run", "public", "churn")

        def one():
            h.echo_check(addr, "x")
            return until()
        h.poll_until(one, timeout, what, interval=0, detail=lambda: m.log_tail(20))

    def test_normal_lines_rate_limited(self):
        """Past the burst of 100, normal births and deaths are counted and
        summarised, not logged one by one; the status counters count them
        all."""
        m = self.master(self.CF)
        rx = re.compile(r"^master\[\d+\]: info: \((\d+) worker starts? and (\d+) exits? "
                        r"not logged in the last \d+s; -v logs each\)$", re.M)
        self.churn(m, lambda: rx.search(m.log()), "a summary line")
        log = m.log()
        started = len(re.findall(r"service churn: worker \d+ started$", log, re.M))
        exited = len(re.findall(r"service churn: worker \d+ exited, status 0", log, re.M))
        quiet = sum(int(a) + int(b) for a, b in rx.findall(log))
        spawned = m.service("churn")["spawned"]
        self.assertGreater(quiet, 0)
        self.assertLessEqual(started + exited, 100 + 10 * 30, "more lines than the rule allows")
        self.assertGreater(spawned, started, "every start was logged: no limit")

    def test_verbose_logs_each(self):
        """-v: every birth and death is logged."""
        m = h.Master(self.CF)
        self.addCleanup(m.cleanup)
        m.command = lambda *extra: h.Master.command(m, *(extra + ("-v",)))
        m.start()
        self.churn(m, lambda: m.service("churn")["spawned"] >= 150, "150 workers started")
        m.stop()
        log = m.log()
        spawned = len(re.findall(r"service churn: worker \d+ started$", log, re.M))
        ended = len(re.findall(r"service churn: worker \d+ exited, status 0", log, re.M))
        self.assertGreaterEqual(spawned, 150)
        self.assertEqual(spawned, ended, "a birth or death missing")
        self.assertNotIn("not logged", log)
