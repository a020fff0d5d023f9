"""Reload (masterctl reload, SIGHUP): unchanged services keep their sockets
and workers, changed ones roll over on the same socket, removed ones drain,
added ones start; a bad configuration or a new address that cannot be bound
changes nothing; the printed diff is right; clients of services that exist
throughout see no failed connection."""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest

import harness as h

RELOADS = 20
RELOAD_PAUSE_S = 0.25       # between reloads, while the load runs
DRAIN_TIMEOUT_S = 20.0      # earlier generations gone after the last reload


class Load:
    """Clients that echo continuously against some addresses, each on its
    own thread, counting successes and failures, until stop()."""

    def __init__(self, addrs, threads_per_addr=2, timeout=h.IO_TIMEOUT_S):
        self.addrs = list(addrs)
        self.timeout = timeout
        self.ok = {a: 0 for a in self.addrs}
        self.failed = []            # (addr, repr(exception))
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(a, i), daemon=True)
                        for a in self.addrs for i in range(threads_per_addr)]

    def run(self, addr, idx):
        n = 0
        while not self.halt.is_set():
            line = "t%d-%d" % (idx, n)
            n += 1
            try:
                h.echo_check(addr, line, self.timeout)
                with self.lock:
                    self.ok[addr] += 1
            except Exception as e:  # noqa: BLE001 - counted, reported
                with self.lock:
                    self.failed.append((addr, repr(e)))

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(self.timeout + 5)

    def total(self):
        with self.lock:
            return sum(self.ok.values())


def parse_diff(out):
    """masterctl reload's reply -> {'added': [...], 'removed': [...], ...}."""
    diff = {}
    for line in out.splitlines():
        m = re.match(r"^(added|removed|changed|unchanged):(.*)$", line)
        if m:
            names = m.group(2).split()
            diff[m.group(1)] = [] if names == ["-"] else sorted(names)
    return diff


def error_lines(text):
    """The FILE:LINE: message lines of a configuration error report."""
    return sorted(ln for ln in text.splitlines() if re.match(r"^/.*:\d+: ", ln))


class Reload(h.MasterTestCase):
    def reload(self, m, expect_ok=True):
        rc, out, err = m.ctl("reload", timeout=15)
        if expect_ok:
            self.assertEqual(rc, 0, "reload failed: %s%s\n%s" % (out, err, m.log_tail()))
        return rc, out, err

    def wait_drained(self, m, timeout=DRAIN_TIMEOUT_S):
        return m.wait_for(lambda st: st.get("draining") == [], timeout,
                          "every earlier generation drained")

    def test_20a_reloads_under_load(self):
        """20 reloads mixing unchanged, changed, added and removed services
        while clients run: 0 failed connections on the services that exist
        throughout; the diff printed each time is the expected one; the
        unchanged service keeps its worker pids."""
        base = ("127.0.0.1:{PORT1} inet n n n - 8 echo -o prefork=2 -o max_use=%d\n"
                "stable unix n n n - 4 echo -o prefork=2 -o max_use=0 -o max_idle=0\n"
                "flip unix n n n - 4 echo -o prefork=1 -o max_idle=%d\n")
        extra = "127.0.0.1:{PORT2} inet n n n - 2 echo -o prefork=1\n"
        m = self.master(base % (50, 100), nports=2)
        a_name = "127.0.0.1:%d" % m.ports["PORT1"]
        c_name = "127.0.0.1:%d" % m.ports["PORT2"]
        addrs = {n: m.addr(n) for n in (a_name, "stable", "flip")}
        stable_pids = m.worker_pids("stable")
        load = Load(addrs.values()).start()
        self.addCleanup(load.stop)
        have_c, a_use, f_idle = False, 50, 100
        try:
            for i in range(RELOADS):
                step = i % 4
                expect = {"added": [], "removed": [], "changed": [],
                          "unchanged": ["stable"]}
                if step == 0:       # add C
                    have_c = True
                    expect["added"].append(c_name)
                elif step == 1:     # change A, C unchanged
                    a_use = 60 if a_use == 50 else 50
                    expect["changed"].append(a_name)
                elif step == 2:     # change flip, remove C
                    f_idle = 90 if f_idle == 100 else 100
                    have_c = False
                    expect["changed"].append("flip")
                    expect["removed"].append(c_name)
                else:               # nothing at all changes
                    pass
                for n in (a_name, "flip"):
                    if n not in expect["changed"]:
                        expect["unchanged"].append(n)
                if have_c and c_name not in expect["added"]:
                    expect["unchanged"].append(c_name)
                m.write("master.cf", base % (a_use, f_idle) + (extra if have_c else ""))
                _, out, _ = self.reload(m)
                got = parse_diff(out)
                want = {k: sorted(v) for k, v in expect.items()}
                self.assertEqual(got, want, "reload %d: printed %r" % (i, out))
                if have_c:
                    self.assertEqual(h.echo_once(m.addr(c_name), "c"), "c")
                time.sleep(RELOAD_PAUSE_S)
        finally:
            load.stop()
        self.assertEqual(load.failed, [], "%d of %d connections failed, e.g. %s"
                         % (len(load.failed), load.total() + len(load.failed),
                            load.failed[:5]))
        for a, n in load.ok.items():
            self.assertGreater(n, 20, "only %d requests served on %s" % (n, a))
        st = self.wait_drained(m)
        # It may have grown under the load (max_use and max_idle are off);
        # its first workers were never replaced.
        self.assertLessEqual(set(stable_pids), set(m.worker_pids("stable", st)),
                             "the unchanged service's workers were replaced")
        self.assertEqual(m.addr("flip"), addrs["flip"])
        # Nothing left over: every child of the master is a worker it lists.

        def no_strays():
            st = m.status()
            listed = {p["pid"] for s in st["services"] for p in s["procs"]}
            return set(m.children()) <= listed
        h.poll_until(no_strays, 5, "every child of the master listed in status",
                     detail=m.detail)
        self.assertEqual(st["master"]["reloads"], RELOADS)

    def test_20b_changed_keeps_ephemeral_port(self):
        """A changed service on port 0 keeps its socket (same port), its old
        worker drains, the new one serves; SIGHUP reloads too."""
        m = self.master("127.0.0.1:0 inet n n n - 2 echo -o prefork=1 -o max_use=10\n")
        addr = m.addr()
        old = m.worker_pids()
        m.write("master.cf", "127.0.0.1:0 inet n n n - 2 echo -o prefork=1 -o max_use=11\n")
        m.proc.send_signal(signal.SIGHUP)
        st = m.wait_for(lambda st: m.service(st=st)["max_use"] == 11
                        and st["draining"] == [] and m.service(st=st)["workers"]["idle"] >= 1,
                        10, "the new generation alone, idle")
        self.assertEqual(m.addr(), addr, "the listening socket changed")
        self.assertNotEqual(m.worker_pids(st=st), old)
        for pid in old:
            h.poll_until(lambda: not h.pid_alive(pid), 5, "old worker %d gone" % pid)
        self.assertEqual(h.echo_once(addr, "after"), "after")
        m.wait_log(r"reload: changed: 127\.0\.0\.1:0")

    def test_20b2_changed_backlog_applies_to_the_kept_socket(self):
        """listen_backlog changed by a reload: the kept socket is listened
        on again with the new backlog (off the loop: offloop.h), as `ss`
        shows it (Send-Q of a listening socket)."""
        if shutil.which("ss") is None:
            self.skipTest("no ss (iproute2) to read a listening socket's backlog")
        line = "127.0.0.1:0 inet n n n - 2 echo -o prefork=1 -o listen_backlog=%d\n"
        m = self.master(line % 8)
        addr = m.addr()
        port = addr[1]

        def backlog():
            out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port], stdout=subprocess.PIPE,
                                 text=True, timeout=10).stdout.split()
            return int(out[2]) if len(out) > 2 else None

        self.assertEqual(backlog(), 8)
        m.write("master.cf", line % 100)
        m.ctl("reload", check=True)
        h.poll_until(lambda: backlog() == 100, 10, "backlog 100 on the kept socket",
                     detail=lambda: "ss: %r\n%s" % (backlog(), m.detail()))
        self.assertEqual(m.addr(), addr, "the listening socket changed")
        self.assertEqual(h.echo_once(addr, "after"), "after")

    def test_20c_bad_reload_changes_nothing(self):
        """Errors in both files: reload exits non-zero, prints every error
        as FILE:LINE: message (the same lines as check), and the running
        configuration keeps serving, untouched."""
        cf = "127.0.0.1:0 inet n n n - 2 echo -o prefork=2 -o max_use=0 -o max_idle=0\n"
        m = self.master(cf)
        addr = m.addr()
        before = m.status()
        pids = m.worker_pids(st=before)
        m.write("master.cf", cf + "other unix n n n - 2 echo\nbad inett n n n - 2 echo\n"
                "worse unix n n n - 2 echo -o max_use=abc\n")
        m.write("master.conf", 'run_directory = "{DIR}/run"\n'
                'daemon_directory = "{BUILD}/services"\nmax_idle = forever\n')
        rc, out, err = self.reload(m, expect_ok=False)
        self.assertEqual(rc, 1, "bad reload: exit %d\n%s%s" % (rc, out, err))
        self.assertIn("nothing changed", err)
        lines = error_lines(err)
        self.assertTrue(any("master.cf:3: unknown type \"inett\"" in ln for ln in lines), err)
        self.assertTrue(any("master.cf:4: max_use \"abc\"" in ln for ln in lines), err)
        self.assertTrue(any("master.conf:3: max_idle" in ln for ln in lines), err)
        crc, _, cerr = m.ctl("check")
        self.assertEqual(crc, 1)
        self.assertEqual(error_lines(cerr), lines, "check and reload disagree")
        after = m.status()
        self.assertEqual([s["name"] for s in after["services"]], ["127.0.0.1:0"])
        self.assertEqual(m.worker_pids(st=after), pids)
        self.assertEqual(after["master"]["reloads"], 0)
        self.assertEqual(h.echo_once(addr, "still"), "still")
        m.wait_log(r"reload refused")

    def test_20d_unbindable_address_rolls_back(self):
        """A reload whose new address is taken fails as a whole: the service
        changed in the same reload keeps its workers, the unix service added
        in it leaves no socket file, and everything keeps serving."""
        cf = "127.0.0.1:0 inet n n n - 2 echo -o prefork=1 -o max_use=0 -o max_idle=0\n"
        m = self.master(cf)
        addr = m.addr()
        before = m.status()
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        m.write("master.cf", cf.replace("max_use=0", "max_use=7")
                + "added unix n n n - 2 echo\n"
                + "127.0.0.1:%d inet n n n - 2 echo\n" % port)
        rc, out, err = self.reload(m, expect_ok=False)
        self.assertEqual(rc, 1, "reload onto a taken port: exit %d\n%s%s" % (rc, out, err))
        self.assertIn("127.0.0.1:%d" % port, err)
        self.assertIn("nothing changed", err)
        after = m.status()
        self.assertEqual([s["name"] for s in after["services"]], ["127.0.0.1:0"])
        self.assertEqual(after["draining"], [])
        self.assertEqual(m.worker_pids(st=after), m.worker_pids(st=before))
        self.assertEqual(m.service(st=after)["max_use"], 0)
        self.assertEqual(m.service(st=after)["spawned"], m.service(st=before)["spawned"])
        self.assertFalse(os.path.exists(m.path("run", "public", "added")),
                         "the rolled-back unix service left its socket file")
        self.assertEqual(h.echo_once(addr, "kept"), "kept")
        # The same reload succeeds once the port is free.
        taken.close()
        _, out, _ = self.reload(m)
        diff = parse_diff(out)
        self.assertEqual(diff["added"], sorted(["added", "127.0.0.1:%d" % port]))
        self.assertEqual(diff["changed"], ["127.0.0.1:0"])

    def test_20e_removed_unix_service_drains_and_unlinks(self):
        """A removed service's busy worker finishes its request; then its
        socket file is gone."""
        m = self.master("keep unix n n n - 2 echo\n"
                        "gone unix n n n - 2 echo -o prefork=1\n")
        path = m.addr("gone")
        s = h.connect(path)
        self.addCleanup(s.close)
        s.sendall(b"one\n")
        self.assertEqual(h.read_line(s), "one")
        m.write("master.cf", "keep unix n n n - 2 echo\n")
        _, out, _ = self.reload(m)
        self.assertEqual(parse_diff(out)["removed"], ["gone"])
        st = m.status()
        self.assertEqual([d["name"] for d in st["draining"]], ["gone"])
        self.assertEqual(st["draining"][0]["state"], "draining")
        s.sendall(b"two\n")
        self.assertEqual(h.read_line(s), "two")
        s.close()
        self.wait_drained(m)
        h.poll_until(lambda: not os.path.exists(path), 5, "%s removed" % path)


if __name__ == "__main__":
    unittest.main()
