"""load.py - the load: one bench-client per loaded service and phase, each
logging its failed requests with their monotonic start and end times, and
the attribution of those failures to the kills that may explain them.

A failure is the kill's when it is a reset or a short read (what a client
sees when its worker dies under it), on the service of a killed worker,
and the kill was sent while the request ran: at most KILL_AFTER_MS after
its end (clock slack) and at most KILL_BEFORE_MS before its start (a
victim not yet scheduled to die still dequeues a connection from the
kernel's accept queue). Everything else is lost: the master could have
kept it. Measured: every kill-race failure had its kill sent 0.3-6 ms
after the request began."""

import bisect
import json
import os
import signal
import subprocess

from . import procs

KILL_BEFORE_MS = 50         # a kill this long before a request began may still hit it
KILL_AFTER_MS = 1           # clock slack after the request's end
KILL_CALL_MAX_NS = 1_000_000_000
CLIENT_SLACK_S = 30.0       # beyond the phase's duration before a client is killed
KILL_KINDS = ("reset", "short")
KINDS = ("connect", "reset", "short", "timeout", "mismatch")


class Client:
    """One bench-client run against addr for duration_s."""

    def __init__(self, build, workdir, role, phase, addr, concurrency, duration_s):
        self.role, self.phase = role, phase
        self.duration_s = duration_s
        self.fail_path = os.path.join(workdir, "failures-%s-%s.txt" % (role, phase))
        cmd = [os.path.join(build, "tools/bench/bench-client"), "-a", addr,
               "-c", str(concurrency), "-d", "%.3f" % duration_s, "-m", "conn",
               "--json", "--failures", self.fail_path]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.start = procs.starttime(self.proc.pid)
        self.result = None
        self.error = None
        self.failures = []          # (start_ns, end_ns, kind, errno)

    def wait(self):
        try:
            out, err = self.proc.communicate(timeout=self.duration_s + CLIENT_SLACK_S)
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.proc.communicate()
            self.error = "bench-client did not finish in time"
        if self.error is None and self.proc.returncode not in (0, 1):
            self.error = "bench-client exit %d: %s" % (self.proc.returncode,
                                                       err.decode(errors="replace").strip())
        try:
            self.result = json.loads(out.decode())
        except ValueError:
            self.error = self.error or "bench-client: no JSON report"
        try:
            with open(self.fail_path) as f:
                for line in f:
                    s, e, kind, err = line.split()
                    self.failures.append((int(s), int(e), kind, int(err)))
        except (OSError, ValueError) as e:
            self.error = self.error or "failure log: %s" % e

    def kill(self):
        if self.proc.poll() is None and self.start is not None:
            procs.kill(self.proc.pid, self.start, signal.SIGKILL)


def run_phase(clients, stop):
    """Waits for every client of the phase; stop (a threading.Event) set
    early means an interrupted run: the clients are killed by pid."""
    while any(c.proc.poll() is None for c in clients):
        if stop.wait(0.2):
            for c in clients:
                c.kill()
    for c in clients:
        c.wait()


def attribute(clients, kills):
    """Per role: ok, failures by kind, failures explained by a kill, lost;
    and the lost ones: [(role, phase, start_ns, end_ns, kind, errno)]."""
    before_ns, after_ns = KILL_BEFORE_MS * 1_000_000, KILL_AFTER_MS * 1_000_000
    by_role = {}
    for role, _, t0, t1, _ in kills:
        by_role.setdefault(role, []).append((t0, t1))
    for v in by_role.values():
        v.sort()
    rows, lost = {}, []
    for c in clients:
        row = rows.setdefault(c.role, {"ok": 0, "kinds": dict.fromkeys(KINDS, 0),
                                       "kill": 0, "lost": 0, "quiet_ok": 0, "quiet_lost": 0})
        ok = c.result["requests"] if c.result else 0
        row["ok"] += ok
        if c.phase == "quiet":
            row["quiet_ok"] += ok
        times = by_role.get(c.role, [])
        starts = [t0 for t0, _ in times]
        for s, e, kind, err in c.failures:
            row["kinds"][kind] = row["kinds"].get(kind, 0) + 1
            # Kills sent before the request ended and done after it began,
            # widened as above (one kill() takes far less than
            # KILL_CALL_MAX_NS, which bounds the look-back).
            lo = bisect.bisect_left(starts, s - before_ns - KILL_CALL_MAX_NS)
            hi = bisect.bisect_right(starts, e + after_ns)
            hit = kind in KILL_KINDS and any(times[j][1] >= s - before_ns
                                             for j in range(lo, hi))
            if hit:
                row["kill"] += 1
            else:
                row["lost"] += 1
                lost.append((c.role, c.phase, s, e, kind, err))
                if c.phase == "quiet":
                    row["quiet_lost"] += 1
    return rows, sorted(lost, key=lambda x: x[2])
