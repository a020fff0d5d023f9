"""master.py - the master under soak: its temp config directory, the
master.cf it runs (and the changes reloads make to it), masterctl calls,
and stopping it with every process it ever had accounted for by pid.

Fatal here: only a master that does not come up (SoakError)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from . import procs

READY_TIMEOUT_S = 20.0
CTL_TIMEOUT_S = 15.0        # one masterctl call (its own timeout is 10 s)
STOP_TIMEOUT_S = 30.0       # SIGTERM -> exit: stop_timeout 10 s + kill_grace 5 s + slack
KILL_WAIT_S = 10.0
CLEANUP_STOP_S = 15.0       # an interrupted run: SIGTERM, then SIGKILL after this
POLL_S = 0.05
OUR_COMMS = ("masterctl", "bench-client")   # reaped by subprocess, not by us


class SoakError(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Config:
    """The service table: three loaded services, the reload toggles, and
    the extra service that reloads add and remove. Roles name services for
    the tool; names are what the master calls them."""

    ROLES = ("echo", "unix", "spawn")

    def __init__(self, build, unpriv):
        self.build = build
        self.unpriv = unpriv
        self.ports = {r: free_port() for r in ("echo", "spawn", "extra")}
        self.toggled = {r: False for r in self.ROLES}
        self.extra = False
        self.names = {"echo": "127.0.0.1:%d" % self.ports["echo"], "unix": "soakunix",
                      "spawn": "127.0.0.1:%d" % self.ports["spawn"],
                      "extra": "127.0.0.1:%d" % self.ports["extra"]}

    def render(self):
        u, t = self.unpriv, self.toggled
        # max_idle is short so that workers above prefork leave soon after
        # the load: the end-of-run figures are taken with every pool at prefork.
        lines = [
            # Reload toggle: max_idle (the pool rolls over to a new generation).
            "%s inet n %s n - 8 echo -o max_use=10 -o prefork=4 -o max_idle=%s"
            % (self.names["echo"], u, "3s" if t["echo"] else "2s"),
            # The shared stderr socket (worker_stderr=shared) under kills
            # and reloads: each toggle replaces the service and its socket.
            "soakunix unix n %s n - 8 echo -o prefork=3 -o max_idle=2s -o max_use=%d"
            " -o worker_stderr=shared" % (u, 99 if t["unix"] else 100),
            "%s inet n %s n - 4 %s/services/spawn -o prefork=%d -o max_idle=2s argv=/bin/cat"
            % (self.names["spawn"], u, self.build, 2 if t["spawn"] else 1),
        ]
        if self.extra:
            lines.append("%s inet n %s n - 2 echo -o prefork=1" % (self.names["extra"], u))
        return "\n".join(lines) + "\n"

    def pristine(self):
        return not self.extra and not any(self.toggled.values())

    def restore(self):
        self.extra = False
        self.toggled = {r: False for r in self.ROLES}


class Master:
    def __init__(self, build, keep=False, verbose=False):
        self.build = build
        self.keep = keep
        self.verbose = verbose
        self.dir = tempfile.mkdtemp(prefix="soak-")
        os.chmod(self.dir, 0o755)   # unpriv workers reach their sockets' dirs
        os.mkdir(os.path.join(self.dir, "run"), 0o755)
        self.log_path = os.path.join(self.dir, "master.log")
        self.cfg = Config(build, "y" if os.geteuid() == 0 else "n")
        self.proc = None
        self.pid = None
        self.seen = {}              # pid -> starttime: every worker and descendant seen
        self.seen_lock = threading.Lock()
        self.orphans = {}           # comm -> dead processes re-parented to us, reaped
        self.escaped = {}           # comm -> live processes re-parented to us
        self.orphan_log = []        # (t_ns, pid, comm) of each orphan reaped
        with open(os.path.join(self.dir, "master.conf"), "w") as f:
            f.write('run_directory = "%s/run"\ndaemon_directory = "%s/services"\n'
                    % (self.dir, build))
        self.write_cf()

    def write_cf(self):
        """master.cf replaced atomically: a reload never reads half a file."""
        tmp = os.path.join(self.dir, "master.cf.tmp")
        with open(tmp, "w") as f:
            f.write(self.cfg.render())
        os.rename(tmp, os.path.join(self.dir, "master.cf"))

    def start(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [os.path.join(self.build, "master/master"), "-f", "-c", self.dir]
                + (["-v"] if self.verbose else []),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.pid = self.proc.pid
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SoakError("master exited with %s at start:\n%s"
                                % (self.proc.returncode, self.log_tail()))
            st = self.status_quiet()
            if st and self.settled(st):
                return st
            time.sleep(POLL_S)
        raise SoakError("master not ready within %.0fs:\n%s" % (READY_TIMEOUT_S, self.log_tail()))

    @staticmethod
    def settled(st):
        """Every service at prefork and running, nothing draining."""
        svcs = st.get("services") or []
        return svcs and not st.get("draining") and all(
            s["state"] == "running" and s["workers"]["idle"] >= s["prefork"]
            and s["workers"]["total"] == s["prefork"] for s in svcs)

    def log_tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def ctl(self, *args):
        """masterctl -c DIR ARGS: (exit status, stdout, stderr, seconds)."""
        t0 = time.monotonic()
        try:
            r = subprocess.run([os.path.join(self.build, "tools/masterctl"), "-c", self.dir]
                               + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=CTL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return -1, "", "masterctl timed out after %.0fs" % CTL_TIMEOUT_S, CTL_TIMEOUT_S
        return (r.returncode, r.stdout.decode(errors="replace"),
                r.stderr.decode(errors="replace"), time.monotonic() - t0)

    def note_pids(self, st):
        """Records every worker pid in a status reply, with its start time."""
        for lst in (st.get("services") or [], st.get("draining") or []):
            for s in lst:
                for p in s.get("procs", []):
                    pid = p.get("pid")
                    if isinstance(pid, int) and pid > 0 and pid not in self.seen:
                        start = procs.starttime(pid)
                        if start is not None:
                            with self.seen_lock:
                                self.seen.setdefault(pid, start)

    def note_descendants(self):
        tree = procs.descendants(self.pid)
        with self.seen_lock:
            for pid, start in tree.items():
                self.seen.setdefault(pid, start)

    def status_quiet(self):
        rc, out, _, _ = self.ctl("status", "--json")
        if rc != 0:
            return None
        try:
            st = json.loads(out)
        except ValueError:
            return None
        self.note_pids(st)
        return st

    def wait_settled(self, timeout_s):
        """(True, status) once settled, or (False, what is not) at the deadline."""
        deadline = time.monotonic() + timeout_s
        st = None
        while time.monotonic() < deadline:
            st = self.status_quiet() or st
            if st and self.settled(st):
                return True, st
            time.sleep(0.2)
        if st is None:
            return False, "no status"
        return False, "; ".join(
            "%s%s: %s, prefork %d, workers %s" % (
                s["name"], " (draining)" if lst == "draining" else "", s["state"], s["prefork"],
                " ".join("%s=%d" % kv for kv in s["workers"].items() if kv[1]))
            for lst in ("services", "draining") for s in st.get(lst) or [])

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """SIGTERM and wait: (exit status or None, seconds). Records the
        whole tree first, so that the leftover check knows every pid."""
        if self.proc is None or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None), 0.0
        self.status_quiet()
        self.note_descendants()
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s), time.monotonic() - t0
        except subprocess.TimeoutExpired:
            return None, time.monotonic() - t0

    def cleanup(self):
        """Always: a master still running gets SIGTERM, then SIGKILL; then
        every pid ever seen below it that still lives is a leftover, and is
        SIGKILLed. Returns {pid: what} of the leftovers."""
        if self.proc is not None and self.proc.poll() is None:
            self.stop(CLEANUP_STOP_S)
        if self.proc is not None and self.proc.poll() is None:
            procs.kill(self.pid, procs.starttime(self.pid), signal.SIGSTOP)  # no more forks
            self.note_descendants()
            self.proc.kill()
            try:
                self.proc.wait(timeout=KILL_WAIT_S)
            except subprocess.TimeoutExpired:
                pass
        self.reap_orphans()         # records what escaped the tree, alive
        with self.seen_lock:
            seen = dict(self.seen)
        leftovers = {}
        for pid, start in seen.items():
            if procs.alive(pid, start):
                leftovers[pid] = "%s, parent %s" % (self.comm(pid), (procs.stat(pid) or "??")[1])
                procs.kill(pid, start)
        deadline = time.monotonic() + KILL_WAIT_S
        for pid, start in seen.items():
            while time.monotonic() < deadline and procs.alive(pid, start):
                time.sleep(POLL_S)
        self.reap_orphans()
        return leftovers

    def reap_orphans(self):
        """Processes re-parented to us (we are a subreaper): the dead are
        reaped (spawn's commands whose worker was killed die by their
        parent-death signal), the living escaped the master's tree and are
        recorded, to be leftovers if they still live at the end. Our own
        children (master, bench-client, masterctl) are left to their
        subprocess objects."""
        me = os.getpid()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            st = procs.stat(pid)
            if st is None or st[1] != me or pid == self.pid:
                continue
            comm = self.comm(pid)
            # Ours, or one of ours between fork and exec (it has our comm).
            if comm in OUR_COMMS or comm == self.comm(me):
                continue
            if st[0] != "Z":
                with self.seen_lock:
                    if pid not in self.seen:
                        self.seen[pid] = st[2]
                        self.escaped[comm] = self.escaped.get(comm, 0) + 1
                continue
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    with self.seen_lock:
                        self.orphans[comm] = self.orphans.get(comm, 0) + 1
                        self.orphan_log.append((time.monotonic_ns(), pid, comm))
            except ChildProcessError:
                pass

    @staticmethod
    def comm(pid):
        try:
            with open("/proc/%d/comm" % pid) as f:
                return f.read().strip()
        except OSError:
            return "?"

    def remove_dir(self):
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
