"""chaos.py - what tools/soak does to the master while the load runs, one
thread each: the status loop (times every `masterctl status --json` and,
from the snapshot it just read, SIGKILLs a random idle worker when one is
due), the reloader (a real change every few seconds), and the sampler
(the master's memory and fds, and every process below it, once a second).

Nothing here raises out of a thread: failures are counted and kept as text
for the summary."""

import json
import random
import socket
import threading
import time

from . import procs

STATUS_GAP_S = 0.01         # between two status calls: the loop is not a busy loop
SAMPLE_INTERVAL_S = 1.0
PROBE_TIMEOUT_S = 5.0       # an added service must answer an echo within this
NOTES_MAX = 10
SLOW_STATUS_MS = 100        # status calls this slow are checked against reloads
TURN_WAIT_S = 0.5           # a service's turn waits this long for a victim
STALE_SNAPSHOT_MS = 20      # no kill from a snapshot older than this


def _note(lst, text):
    if len(lst) < NOTES_MAX:
        lst.append(text)


class StatusKiller(threading.Thread):
    """Status in a loop; a SIGKILL every kill_interval_s while kills are on.

    Victims: workers of the loaded services that this very snapshot shows
    idle and that have served at least one request. A worker killed before
    its first request is, by design, a crash loop to the master (the
    service is throttled, DESIGN.md), which is not what is being tested."""

    def __init__(self, m, roles, kill_interval_s, stop, seed):
        super().__init__(name="status", daemon=True)
        self.m = m
        self.roles = roles          # service name -> role, for the loaded services
        self.kill_interval_s = kill_interval_s
        self.stop = stop
        self.rng = random.Random(seed)
        self.kills_on = threading.Event()
        self.latencies_ms = []
        self.slow = []              # (t_call_ns, t_reply_ns) of calls past SLOW_STATUS_MS
        self.errors = 0
        self.notes = []
        self.kills = []             # (role, pid, t_before_ns, t_after_ns, snapshot_age_ms)
        self.no_victim = 0          # a kill was due and no worker qualified
        self.stale = 0              # kills skipped: the snapshot had grown old
        self.turn = 0               # the service whose worker goes next
        self.turn_since = None      # when that service's kill fell due

    def run(self):
        next_kill = time.monotonic()
        while not self.stop.is_set():
            t_call = time.monotonic_ns()
            rc, out, err, secs = self.m.ctl("status", "--json")
            t_read = time.monotonic_ns()
            self.latencies_ms.append(secs * 1000.0)
            if secs * 1000.0 >= SLOW_STATUS_MS:
                self.slow.append((t_call, t_read))
            st = None
            if rc == 0:
                try:
                    st = json.loads(out)
                except ValueError as e:
                    _note(self.notes, "status: bad JSON: %s" % e)
            if st is None:
                self.errors += 1
                _note(self.notes, "status: exit %d: %s" % (rc, err.strip()[:200]))
            else:
                self.m.note_pids(st)
                if self.kills_on.is_set() and time.monotonic() >= next_kill and \
                        self.kill_one(st, t_read):
                    next_kill = max(next_kill + self.kill_interval_s, time.monotonic())
            self.stop.wait(STATUS_GAP_S)

    def kill_one(self, st, t_read):
        """Services take turns: a busy pool (echo with max_use=10 lives
        ~30 ms per worker) rarely shows an idle worker that has served and
        would hardly ever be picked at random among all idle workers. The
        turn waits up to TURN_WAIT_S of snapshots for such a worker, then
        passes. Within a service, a random qualifying worker. Returns True
        when the kill that was due is done (or given up)."""
        by_role = {}
        for s in st.get("services", []):
            if s["name"] in self.roles:
                by_role.setdefault(self.roles[s["name"]], []).extend(
                    p["pid"] for p in s.get("procs", [])
                    if p.get("state") == "idle" and p.get("requests", 0) > 0)
        order = sorted(set(self.roles.values()))
        now = time.monotonic()
        if self.turn_since is None:
            self.turn_since = now
        waited = now - self.turn_since >= TURN_WAIT_S
        for i in range(len(order) if waited else 1):
            role = order[(self.turn + i) % len(order)]
            pids = by_role.get(role, [])
            self.rng.shuffle(pids)
            for pid in pids:
                if self.kill_pid(role, pid, t_read):
                    self.turn = (self.turn + i + 1) % len(order)
                    self.turn_since = None
                    return True
        if not waited:
            return False
        self.no_victim += 1
        self.turn = (self.turn + 1) % len(order)
        self.turn_since = None
        return True

    def kill_pid(self, role, pid, t_read):
        with self.m.seen_lock:
            start = self.m.seen.get(pid)
        ps = procs.stat(pid)
        # Still the worker status named: same start time, the master's child.
        if start is None or ps is None or ps[2] != start or ps[1] != self.m.pid:
            return False
        t0 = time.monotonic_ns()
        if t0 - t_read > STALE_SNAPSHOT_MS * 1_000_000:
            # "Idle" that old says little (the tool was not scheduled):
            # wait for a fresh snapshot rather than widen the race.
            self.stale += 1
            return False
        if not procs.kill(pid, start):
            return False
        t1 = time.monotonic_ns()
        self.kills.append((role, pid, t0, t1, (t0 - t_read) / 1e6))
        return True


class Reloader(threading.Thread):
    """Every interval_s one real change, then `masterctl reload`: odd steps
    add or remove the extra service, even ones flip a setting of echo,
    unix, spawn in turn. A reload is ok when masterctl exits 0, the reply
    names exactly the expected change, and an added service answers."""

    def __init__(self, m, interval_s, stop):
        super().__init__(name="reload", daemon=True)
        self.m = m
        self.interval_s = interval_s
        self.stop = stop
        self.ok = 0
        self.failed = 0
        self.notes = []
        self.latencies_ms = []
        self.events = []            # (t_begin_ns, t_end_ns, "changed NAME"...)
        self.step = 0

    def run(self):
        while not self.stop.wait(self.interval_s):
            self.reload_once()

    def change(self):
        cfg = self.m.cfg
        if self.step % 2 == 1:
            cfg.extra = not cfg.extra
            return ("added" if cfg.extra else "removed"), cfg.names["extra"]
        role = cfg.ROLES[(self.step // 2) % len(cfg.ROLES)]
        cfg.toggled[role] = not cfg.toggled[role]
        return "changed", cfg.names[role]

    def reload_once(self, restore=False):
        """One reload; restore=True puts every change back (the end of the run)."""
        cfg = self.m.cfg
        if restore:
            expect = {"added": set(), "removed": set(), "changed": set()}
            if cfg.extra:
                expect["removed"].add(cfg.names["extra"])
            expect["changed"] = {cfg.names[r] for r in cfg.ROLES if cfg.toggled[r]}
            cfg.restore()
        else:
            kind, name = self.change()
            self.step += 1
            expect = {"added": set(), "removed": set(), "changed": set()}
            expect[kind].add(name)
        self.m.write_cf()
        t0 = time.monotonic_ns()
        rc, out, err, secs = self.m.ctl("reload")
        self.latencies_ms.append(secs * 1000.0)
        self.events.append((t0, time.monotonic_ns(), " ".join(
            "%s %s" % (k, " ".join(sorted(v))) for k, v in expect.items() if v) or "nothing"))
        got = {}
        for line in out.splitlines():
            key, _, rest = line.partition(":")
            got[key.strip()] = set(w for w in rest.split() if w != "-")
        why = None
        if rc != 0:
            why = "exit %d: %s" % (rc, (err or out).strip()[:300])
        elif any(got.get(k, set()) != v for k, v in expect.items()):
            why = "expected %s, reply: %s" % (
                {k: sorted(v) for k, v in expect.items()}, out.strip().replace("\n", "; "))
        elif expect["added"] and not self.probe(cfg.ports["extra"]):
            why = "added service %s did not answer within %.0fs" % (
                cfg.names["extra"], PROBE_TIMEOUT_S)
        if why:
            self.failed += 1
            _note(self.notes, "reload %d: %s" % (self.ok + self.failed, why))
        else:
            self.ok += 1

    def probe(self, port):
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while time.monotonic() < deadline and not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), 1.0) as s:
                    s.settimeout(1.0)
                    s.sendall(b"soak-probe\n")
                    got = b""
                    while not got.endswith(b"\n"):
                        chunk = s.recv(64)
                        if not chunk:
                            break
                        got += chunk
                    if got == b"soak-probe\n":
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return self.stop.is_set()


class Sampler(threading.Thread):
    """Once a second: the master's RSS and fds (highs kept), every process
    below it recorded for the leftover check, and whether it still runs."""

    def __init__(self, m, stop):
        super().__init__(name="sampler", daemon=True)
        self.m = m
        self.stop = stop
        self.rss_max_kb = 0
        self.fds_max = 0
        self.master_died = None

    def run(self):
        while not self.stop.wait(SAMPLE_INTERVAL_S):
            if self.m.proc.poll() is not None:
                self.master_died = self.m.proc.returncode
                return
            self.m.note_descendants()
            self.m.reap_orphans()
            rss, _ = procs.memory_kb(self.m.pid)
            fds = procs.fd_count(self.m.pid)
            self.rss_max_kb = max(self.rss_max_kb, rss or 0)
            self.fds_max = max(self.fds_max, fds or 0)
