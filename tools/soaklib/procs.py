"""procs.py - what tools/soak reads from /proc and how it kills: a pid is
always paired with its start time, so a recycled pid is never signalled
nor counted as a leftover. Nothing here is fatal: a process that vanished
between two reads is simply gone."""

import ctypes
import os
import signal

PR_SET_CHILD_SUBREAPER = 36


def set_child_subreaper():
    """Orphans of the master (workers that outlive it, spawn's commands)
    are re-parented to us, where the leftover check sees and reaps them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def stat(pid):
    """(state, ppid, starttime) of pid, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    # comm may hold blanks and parentheses: split after the last ')'.
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[19])


def starttime(pid):
    st = stat(pid)
    return st[2] if st else None


def alive(pid, start):
    """pid is still the process first seen with start time start, not a zombie."""
    st = stat(pid)
    return st is not None and st[2] == start and st[0] not in ("Z", "X")


def same(pid, start):
    """pid is still that process, a zombie included (not yet reaped)."""
    st = stat(pid)
    return st is not None and st[2] == start


def memory_kb(pid):
    """(VmRSS, VmHWM) in kB, or (None, None)."""
    rss = hwm = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


def descendants(root):
    """{pid: starttime} of every process below root (by PPid)."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = stat(int(name))
            if st is not None:
                children.setdefault(st[1], []).append((int(name), st[2]))
    out, todo = {}, [root]
    while todo:
        for pid, start in children.get(todo.pop(), []):
            if pid not in out:
                out[pid] = start
                todo.append(pid)
    return out


def kill(pid, start, sig=signal.SIGKILL):
    """Signals pid only if it is still the process seen with start time
    start. True if the signal was sent."""
    if not same(pid, start):
        return False
    try:
        os.kill(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False

