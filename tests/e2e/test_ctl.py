"""masterctl: stop drains a busy worker, stop --now does not wait, recycle
replaces every worker under load, check's exit codes and messages, status
--prometheus; the control socket refuses strangers (as nobody, through
setpriv) and is not held up by an oversized request or a silent client."""

import grp
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
import unittest

import harness as h
from test_reload import Load

STATUS_BUDGET_S = 0.1        # status must answer within this while others hang
CLIENT_TIMEOUT_S = 5.0       # CONTROL_CLIENT_TIMEOUT_MS
NOBODY = ["--reuid=nobody", "--regid=nogroup"]


def raw_request(path, request, timeout=h.CTL_TIMEOUT_S):
    """One request on the control socket, without masterctl: the reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(request)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return buf.decode(errors="replace")
            buf += chunk
    finally:
        s.close()


def connect_or_none(s, path):
    """True once s is connected to path; None while the backlog is full."""
    try:
        s.connect(path)
        return True
    except BlockingIOError:
        return None


class Stop(h.MasterTestCase):
    def test_21a_stop_drains_busy_worker(self):
        """masterctl stop: a request in progress is served to its end, then
        the master exits 0 with no worker left."""
        m = self.master("127.0.0.1:0 inet n n n - 2 echo -o prefork=1 -o stop_timeout=10\n")
        s = h.connect(m.addr())
        self.addCleanup(s.close)
        s.sendall(b"one\n")
        self.assertEqual(h.read_line(s), "one")
        m.wait_for(lambda st: m.service(st=st)["workers"]["busy"] == 1, 10, "one busy")
        workers = {p: m.seen.get(p) for p in m.worker_pids()}
        rc, out, err = m.ctl("stop")
        self.assertEqual(rc, 0, "stop: %s%s" % (out, err))
        self.assertIn("stopping", out)
        m.wait_for(lambda st: st["master"]["state"] == "stopping", 5, "master stopping")
        s.sendall(b"two\n")
        self.assertEqual(h.read_line(s), "two", "the busy worker was not let finish")
        s.close()
        self.assertEqual(m.wait_exit(15), 0)
        for pid, start in workers.items():
            self.assertGone(pid, start)

    def test_21b_stop_now_does_not_wait(self):
        """stop --now with a worker hung in a request (stop_timeout=60):
        the master is gone within 3 s, and so is the worker."""
        m = self.master("127.0.0.1:0 inet n n n - 1 {TESTWORKER} -o prefork=1"
                        " -o stop_timeout=60 hang\n")
        s = h.connect(m.addr())
        self.addCleanup(s.close)
        s.sendall(b"hang\n")
        m.wait_for(lambda st: m.service(st=st)["workers"]["busy"] == 1, 10, "hung worker busy")
        workers = {p: m.seen.get(p) for p in m.worker_pids()}
        t0 = time.monotonic()
        rc, out, err = m.ctl("stop", "--now")
        self.assertEqual(rc, 0, "stop --now: %s%s" % (out, err))
        self.assertEqual(m.wait_exit(3), 0)
        self.assertLess(time.monotonic() - t0, 3)
        for pid, start in workers.items():
            self.assertGone(pid, start)

    def test_21c_usage_errors(self):
        """Usage errors are masterctl's own (exit 2, nothing sent); an
        unknown service is the master's refusal (exit 1, "error: ")."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n")
        for args in (["stop", "--later"], ["recycle"], ["frobnicate"], ["status", "a", "b"]):
            rc, out, err = m.ctl(*args)
            self.assertEqual(rc, 2, "masterctl %s: exit %d (%s%s)" % (args, rc, out, err))
            self.assertTrue(err.startswith("masterctl: "), "masterctl %s: %r" % (args, err))
        rc, out, err = m.ctl("recycle", "nosuch")
        self.assertEqual(rc, 1, "recycle nosuch: exit %d (%s%s)" % (rc, out, err))
        self.assertTrue(err.startswith("error: "), "recycle nosuch: %r" % err)
        self.assertTrue(m.alive())


class Recycle(h.MasterTestCase):
    def test_22a_recycle_all_under_load(self):
        """recycle all replaces every worker of every service, with clients
        running and not one failed connection."""
        m = self.master("127.0.0.1:0 inet n n n - 8 echo -o prefork=4 -o max_use=0"
                        " -o max_idle=0\n"
                        "other unix n n n - 4 echo -o prefork=2 -o max_use=0 -o max_idle=0\n")
        before = {p: m.seen.get(p) for n in ("127.0.0.1:0", "other")
                  for p in m.worker_pids(n)}
        load = Load([m.addr("127.0.0.1:0"), m.addr("other")]).start()
        self.addCleanup(load.stop)
        time.sleep(0.3)
        rc, out, err = m.ctl("recycle", "all")
        self.assertEqual(rc, 0, "recycle all: %s%s" % (out, err))
        self.assertIn("recycling 127.0.0.1:0", out)
        self.assertIn("recycling other", out)

        def replaced(st):
            now = {p["pid"] for s in st["services"] for p in s["procs"]}
            return (not (now & set(before))
                    and all(s["workers"]["idle"] + s["workers"]["busy"] >= s["prefork"]
                            for s in st["services"]))
        m.wait_for(replaced, 20, "every worker of %s replaced" % sorted(before))
        time.sleep(0.3)
        load.stop()
        self.assertEqual(load.failed, [], "%d connections failed during recycle, e.g. %s"
                         % (len(load.failed), load.failed[:5]))
        self.assertGreater(load.total(), 20)
        for pid, start in before.items():
            h.poll_until(lambda: not h.pid_alive(pid, start), 10, "worker %d gone" % pid)

    def test_22b_recycle_one(self):
        m = self.master("a unix n n n - 2 echo -o prefork=1 -o max_use=0 -o max_idle=0\n"
                        "b unix n n n - 2 echo -o prefork=1 -o max_use=0 -o max_idle=0\n")
        a, b = m.worker_pids("a"), m.worker_pids("b")
        rc, out, _ = m.ctl("recycle", "a")
        self.assertEqual(rc, 0)
        m.wait_for(lambda st: not set(m.worker_pids("a", st)) & set(a)
                   and m.service("a", st)["workers"]["idle"] >= 1, 10, "a recycled")
        self.assertEqual(m.worker_pids("b"), b, "recycle a touched b")


class Check(h.MasterTestCase):
    def test_23a_check(self):
        """check: exit 0 and "valid" on a good configuration; exit 1 and
        every FILE:LINE: message on a bad one; no master needed."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n", start=False)
        rc, out, err = m.ctl("check")
        self.assertEqual(rc, 0, "check of a good config: %s%s" % (out, err))
        self.assertIn("valid", out)
        m.write("master.cf", "x inett n n n - 1 echo\ny unix n n n - 1 nosuchcmd\n")
        rc, out, err = m.ctl("check")
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"master\.cf:1: unknown type \"inett\"")
        self.assertRegex(err, r"master\.cf:2: command \"nosuchcmd\"")
        self.assertRegex(err, r"has 2 errors")
        rc, _, _ = m.ctl("check", "extra")
        self.assertEqual(rc, 2)


class Prometheus(h.MasterTestCase):
    def test_24a_prometheus(self):
        """status --prometheus: HELP and TYPE lines, master_up 1, gauges and
        counters that match the JSON status, label values escaped."""
        m = self.master("127.0.0.1:0 inet n n n - 2 echo -o prefork=2\n"
                        'we"ird unix n n n - 2 echo -o prefork=1\n')
        self.assertEqual(h.echo_once(m.addr("127.0.0.1:0"), "x"), "x")
        st = m.wait_for(lambda st: m.service("127.0.0.1:0", st)["requests"] >= 1, 5,
                        "one request counted")
        rc, out, err = m.ctl("status", "--prometheus")
        self.assertEqual(rc, 0, err)
        samples = {}
        for line in out.splitlines():
            if line.startswith("#"):
                self.assertRegex(line, r"^# (HELP|TYPE) master_\w+ .+$")
                continue
            mm = re.match(r"^(master_\w+)(\{.*\})? (\S+)$", line)
            self.assertIsNotNone(mm, "not a sample line: %r" % line)
            samples[mm.group(1) + (mm.group(2) or "")] = float(mm.group(3))
        for fam, kind in (("master_up", "gauge"), ("master_workers", "gauge"),
                          ("master_requests_total", "counter"),
                          ("master_workers_spawned_total", "counter"),
                          ("master_workers_crashed_total", "counter"),
                          ("master_workers_killed_total", "counter"),
                          ("master_service_throttled", "gauge")):
            self.assertIn("# TYPE %s %s\n" % (fam, kind), out)
            self.assertIn("# HELP %s " % fam, out)
        self.assertEqual(samples["master_up"], 1)
        svc = m.service("127.0.0.1:0", st)
        lbl = 'service="127.0.0.1:0"'
        self.assertGreaterEqual(samples["master_requests_total{%s}" % lbl], 1)
        self.assertEqual(samples["master_workers_spawned_total{%s}" % lbl], svc["spawned"])
        self.assertIn('master_workers{%s,state="idle"}' % lbl, samples)
        self.assertEqual(samples["master_service_throttled{%s}" % lbl], 0)
        self.assertIn('master_workers{service="we\\"ird",state="idle"}', samples)


class Access(h.MasterTestCase):
    """Who may talk to the master. The socket is 0600, so a stranger is
    first refused by the file system; to test the master's own check (peer
    credentials), the test opens the socket's mode to 0666 and shows that
    the master still refuses, with a message masterctl prints."""

    def setUp(self):
        self.require_root("switching to nobody")
        if shutil.which("setpriv") is None:
            self.skipTest("setpriv not installed")
        if not h.can_exec_as("nobody", h.MASTERCTL):
            self.skipTest("nobody cannot execute %s" % h.MASTERCTL)

    def ctl_as(self, m, setpriv_args, *args):
        r = subprocess.run(["setpriv"] + setpriv_args + [h.MASTERCTL, "-c", m.dir] + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=h.CTL_TIMEOUT_S)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def test_25a_nobody_refused(self):
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n")
        ctl = m.path("run", "master.ctl")
        rc, out, err = self.ctl_as(m, NOBODY + ["--clear-groups"], "status")
        self.assertEqual(rc, 1, "nobody ran status: %s" % out)
        self.assertIn("Permission denied", err)
        os.chmod(ctl, 0o666)   # past the file system: the master's own check
        for verb in (["status"], ["stop"], ["reload"]):
            rc, out, err = self.ctl_as(m, NOBODY + ["--clear-groups"], *verb)
            self.assertEqual(rc, 1, "nobody ran %s: %s" % (verb, out))
            self.assertIn("error: permission denied: uid 65534", err)
            self.assertEqual(out, "")
        self.assertTrue(m.alive(), "a refused stop stopped the master")
        m.wait_log(r"refused a client: uid 65534")
        self.assertEqual(m.ctl("status")[0], 0)

    def master_with_group(self, setting):
        """A master whose `setting` (admin_group, status_group) is nogroup:
        (master, control socket path, nogroup's gid), the socket checked to
        be 0660 and nogroup's."""
        gid = grp.getgrnam("nogroup").gr_gid
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n", '%s = "nogroup"\n' % setting)
        ctl = m.path("run", "master.ctl")
        st = os.stat(ctl)
        self.assertEqual((st.st_gid, st.st_mode & 0o777), (gid, 0o660))
        return m, ctl, gid

    def test_25b_admin_group(self):
        """admin_group: its members (primary or supplementary group) may;
        others still may not. The socket is 0660, group admin_group."""
        m, ctl, gid = self.master_with_group("admin_group")
        rc, out, err = self.ctl_as(m, NOBODY + ["--clear-groups"], "status", "--json")
        self.assertEqual(rc, 0, "primary group member refused: %s" % err)
        rc, out, err = self.ctl_as(m, ["--reuid=nobody", "--regid=daemon",
                                       "--groups=%d" % gid], "status")
        self.assertEqual(rc, 0, "supplementary group member refused: %s" % err)
        os.chmod(ctl, 0o666)
        rc, out, err = self.ctl_as(m, ["--reuid=nobody", "--regid=daemon", "--clear-groups"],
                                   "status")
        self.assertEqual(rc, 1)
        self.assertIn('member of admin_group "nogroup"', err)
        # A reload that drops admin_group takes the group's access away.
        m.write("master.conf", 'run_directory = "{DIR}/run"\n'
                'daemon_directory = "{BUILD}/services"\n')
        self.assertEqual(m.ctl("reload")[0], 0)
        st = os.stat(ctl)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        os.chmod(ctl, 0o666)
        rc, _, err = self.ctl_as(m, NOBODY + ["--clear-groups"], "status")
        self.assertEqual(rc, 1, "refused after admin_group was removed")

    def test_25c_status_group(self):
        """status_group: its members may ask for status (metricsd's need),
        and nothing else: stop, reload and recycle are refused, and the
        master goes on. With admin_group as well (another group) the socket
        is 0666 and the credentials alone decide."""
        m, ctl, _ = self.master_with_group("status_group")
        rc, out, err = self.ctl_as(m, NOBODY + ["--clear-groups"], "status", "--json")
        self.assertEqual(rc, 0, "status_group member refused status: %s" % err)
        self.assertTrue(out.startswith("{"), out)
        for verb in (["stop"], ["stop", "--now"], ["reload"], ["recycle", "all"]):
            rc, out, err = self.ctl_as(m, NOBODY + ["--clear-groups"], *verb)
            self.assertEqual(rc, 1, "a status_group member ran %s: %s" % (verb, out))
            self.assertIn('error: permission denied: members of status_group "nogroup" may '
                          'ask for status only', err)
        self.assertTrue(m.alive(), "a status_group member stopped the master")
        self.assertEqual(m.ctl("status")[0], 0)
        # Both groups: 0666, each member gets its own rights.
        m.write("master.conf", 'run_directory = "{DIR}/run"\n'
                'daemon_directory = "{BUILD}/services"\n'
                'status_group = "nogroup"\nadmin_group = "daemon"\n')
        self.assertEqual(m.ctl("reload")[0], 0)
        self.assertEqual(os.stat(ctl).st_mode & 0o777, 0o666)
        rc, _, err = self.ctl_as(m, NOBODY + ["--clear-groups"], "reload")
        self.assertEqual(rc, 1, "a status_group member reloaded")
        rc, _, err = self.ctl_as(m, ["--reuid=nobody", "--regid=daemon", "--clear-groups"],
                                 "recycle", "all")
        self.assertEqual(rc, 0, "an admin_group member was refused: %s" % err)
        rc, _, err = self.ctl_as(m, ["--reuid=nobody", "--regid=%d" % os.getgid(),
                                     "--clear-groups"], "status")
        self.assertEqual(rc, 1, "a member of neither asked for status")

    def test_25d_status_group_replies_shared(self):
        """A status_group member's status costs at most 8 replies a 100 ms
        however fast it asks (the eighth round: 16 threads of it took the
        master from 65% to 92% of a CPU; varying the words, past a cache
        keyed by them, 97%): requests within 100 ms that mean the same
        (--json, --json --json) get one reply, to the millisecond of
        uptime; one after 100 ms a new one; a ninth different one within
        100 ms is refused. Root's are always new."""
        m, ctl, gid = self.master_with_group("status_group")
        nobody = pwd.getpwnam("nobody").pw_uid

        def ask(lines, uid, gids, pause_s=0.0):
            """The replies to lines (the last asked pause_s after the
            others) as uid, the seconds from the first ask to the last
            reply, and to the last ask (in a child that switched)."""
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    os.setgroups([])
                    os.setgid(gids)
                    os.setuid(uid)
                    got, t0 = [], time.monotonic()
                    for i, line in enumerate(lines):
                        if i == len(lines) - 1:
                            time.sleep(pause_s)
                            t1 = time.monotonic()
                        got.append(h.read_all(ctl, send=line.encode() + b"\n"))
                    os.write(w, json.dumps([got, time.monotonic() - t0, t1 - t0]).encode())
                finally:
                    os._exit(0)
            os.close(w)
            with os.fdopen(r, "rb") as f:   # to the child's end
                out = f.read()
            os.waitpid(pid, 0)
            return json.loads(out)

        def uptimes(replies):
            return [json.loads(text)["master"]["uptime"] for text in replies]

        same = ["status --json", "status --json --json"] * 3
        for _ in range(10):   # asked within 100 ms on a loaded machine
            got, total, _ = ask(same, nobody, gid)
            if total < 0.09:
                break
        self.assertLess(total, 0.09, "no 6 requests within 100 ms in 10 tries")
        self.assertEqual(len(set(uptimes(got))), 1, "a status_group member's replies made "
                         "anew: %s" % uptimes(got))
        got, _, apart = ask(["status --json"] * 2, nobody, gid, 0.15)
        self.assertGreaterEqual(apart, 0.1)
        a, b = uptimes(got)
        self.assertGreater(b, a, "a reply older than 100 ms given again")
        got, _, _ = ask(["status --json"] * 2, 0, 0, 0.01)
        a, b = uptimes(got)
        self.assertGreater(b, a, "root given a kept reply")
        different = ["status %s %s" % (f, svc) for svc in ("", "a", "b")
                     for f in ("", "--json", "--check", "--prometheus")]
        for _ in range(10):
            got, total, _ = ask(different, nobody, gid)
            if total < 0.09:
                break
        self.assertLess(total, 0.09, "no 12 requests within 100 ms in 10 tries")
        refused = [t for t in got if t.startswith("error: status_group members asked for "
                                                  "more than 8 different replies in 100 ms")]
        self.assertEqual(len(refused), 4, got)


class Hostile(h.MasterTestCase):
    def test_26a_slow_clients_do_not_block_status(self):
        """A client that connects and never writes, one that sends an
        oversized request and keeps the connection, and a flood of 80
        silent connections: status still answers within 100 ms."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n")
        ctl = m.path("run", "master.ctl")
        hangers = []
        self.addCleanup(lambda: [s.close() for s in hangers])
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hangers.append(silent)
        silent.connect(ctl)
        big = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hangers.append(big)
        big.connect(ctl)
        big.settimeout(5)
        big.sendall(b"status " + b"x" * 4096)
        reply = big.recv(4096).decode(errors="replace")
        self.assertIn("error: request longer than", reply)
        for _ in range(80):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            hangers.append(s)
            # On a loaded machine the master may not have accepted the
            # earlier ones yet: a full backlog says EAGAIN; retry until
            # it accepts (what is measured is status below, not this).
            h.poll_until(lambda: connect_or_none(s, ctl), 10, "control connect")
        # The same for a request: the master takes the 80 from its backlog
        # at a loaded machine's pace. Then 5 timed, less the CPU waits.
        h.poll_until(lambda: raw_request(ctl, b"status --json\n"), 10, "a status reply")
        worst = 0.0
        for _ in range(5):
            out, took = h.own_seconds(lambda: raw_request(ctl, b"status --json\n"), m.pid)
            worst = max(worst, took)
            self.assertIn('"services"', out)
        self.assertLess(worst, STATUS_BUDGET_S, "status took %.3fs while others hang" % worst)
        self.assertTrue(m.alive())

    def test_26b_silent_client_times_out(self):
        """A client that never sends its request is dropped after the
        per-client timeout (5 s), not kept forever."""
        m = self.master("127.0.0.1:0 inet n n n - 1 echo\n")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.connect(m.path("run", "master.ctl"))
        s.settimeout(CLIENT_TIMEOUT_S + 3)
        t0 = time.monotonic()
        self.assertEqual(s.recv(100), b"", "the master sent something to a silent client")
        took = time.monotonic() - t0
        self.assertGreater(took, CLIENT_TIMEOUT_S - 1, "dropped after %.1fs" % took)
        self.assertLess(took, CLIENT_TIMEOUT_S + 2, "dropped after %.1fs" % took)


if __name__ == "__main__":
    unittest.main()
