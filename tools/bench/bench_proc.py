"""bench_proc.py - what the benchmark tools read about processes and the
machine from /proc, and how they end what they started (by pid).

Owns: a process's own CPU, the machine's busy/idle/steal time, the
descendants of a pid (with start times, so a reused pid is never signalled),
waiting for a pid with a deadline, and the wchan sampler used to see where
a server's processes wait under load. Stdlib only; nothing here starts a
process.
"""
import collections
import os
import signal
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def self_cpu_s(pid):
    """CPU seconds of pid itself (not its children), from /proc; 0 if gone."""
    f = stat_fields(pid)
    try:
        return (int(f[11]) + int(f[12])) / CLK_TCK  # utime, stime
    except (TypeError, IndexError, ValueError):
        return 0.0


def proc_start(pid):
    """Start time of pid in clock ticks since boot (tells a reused pid apart), or None."""
    f = stat_fields(pid)
    try:
        return int(f[19])
    except (TypeError, IndexError, ValueError):
        return None


def machine_times():
    """(busy, idle, steal) seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
    return busy / CLK_TCK, (v[3] + v[4]) / CLK_TCK, v[7] / CLK_TCK


def status_field(pid, name):
    """An integer field of /proc/PID/status (VmRSS in kB, voluntary_ctxt_switches...)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def descendants(pid):
    """{pid: start time} of every process whose parent chain reaches pid."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = stat_fields(d)
            if f is not None:
                try:
                    parent[int(d)] = int(f[1])
                except (IndexError, ValueError):
                    pass
    children = collections.defaultdict(list)
    for c, pp in parent.items():
        children[pp].append(c)
    out, todo = {}, [pid]
    while todo:
        for c in children.get(todo.pop(), ()):
            if c not in out:
                out[c] = proc_start(c)
                todo.append(c)
    return out


def alive(pid, start):
    """pid is still the process that started at start, and not a zombie."""
    f = stat_fields(pid)
    try:
        return f is not None and int(f[19]) == start and f[0] not in ("Z", "X")
    except (IndexError, ValueError):
        return False


def kill_survivors(tree):
    """SIGKILL the pids of tree that are still the same processes; returns them."""
    alive_pids = [p for p, st in tree.items() if st is not None and alive(p, st)]
    for p in alive_pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive_pids


def wait_exit(pid, timeout_s):
    """wait4 pid for up to timeout_s: (status, rusage) or None if still running."""
    deadline = time.monotonic() + timeout_s
    while True:
        wpid, status, ru = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            return status, ru
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


class WchanSampler(threading.Thread):
    """Samples /proc/PID/{stat,wchan} of a server's processes every
    interval_s until stop(): per role ("top" = the server process, "child"
    = any process under it), how often each was running ("R") or asleep in
    which kernel function. The sampler costs CPU itself (~0.2 ms per round
    with 20 processes): use it to find where processes wait, not for
    throughput figures."""

    def __init__(self, top_pid, interval_s=0.002):
        super().__init__(daemon=True)
        self.top = top_pid
        self.interval_s = interval_s
        self.counts = {"top": collections.Counter(), "child": collections.Counter()}
        self.rounds = 0
        self._stop_evt = threading.Event()

    def _sample(self, pid, role):
        f = stat_fields(pid)
        if f is None:
            return
        if f[0] == "R":
            self.counts[role]["(running)"] += 1
            return
        try:
            with open(f"/proc/{pid}/wchan") as w:
                name = w.read().strip() or "?"
        except OSError:
            return
        self.counts[role][name if name != "0" else "?"] += 1

    def run(self):
        kids, refresh = [], 0.0
        while not self._stop_evt.is_set():
            now = time.monotonic()
            if now >= refresh:  # workers come and go (max_use)
                kids = list(descendants(self.top))
                refresh = now + 0.1
            self._sample(self.top, "top")
            for k in kids:
                self._sample(k, "child")
            self.rounds += 1
            self._stop_evt.wait(self.interval_s)

    def stop(self):
        self._stop_evt.set()
        self.join(5)

    def report(self, top_n=6):
        """One line per role: the share of samples per state, largest first."""
        out = []
        for role, c in self.counts.items():
            total = sum(c.values())
            if total:
                parts = ", ".join(f"{k} {100.0 * v / total:.0f}%" for k, v in c.most_common(top_n))
                out.append(f"{role}: {parts} ({total} samples)")
        return out
