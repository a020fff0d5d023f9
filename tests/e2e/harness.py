"""harness.py - shared helpers for the end-to-end tests.

Runs the real master (MASTER_BUILD_DIR/master/master) in the foreground in a
fresh temporary config directory, talks to it with masterctl, and cleans up
every process it started, by pid, whatever happens to the test.

Only loopback traffic (127.0.0.1, ::1, AF_UNIX under the temp dir). Every
wait is a poll with a deadline; nothing relies on a bare sleep.
"""

import concurrent.futures
import ctypes
import fcntl
import json
import mmap
import os
import re
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.environ.get("MASTER_SOURCE_DIR")
                      or os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("MASTER_BUILD_DIR")
                        or os.path.join(SRC, "build"))

MASTER = os.path.join(BUILD, "master", "master")
MASTERCTL = os.path.join(BUILD, "tools", "masterctl")
ECHO = os.path.join(BUILD, "services", "echo")
SPAWN = os.path.join(BUILD, "services", "spawn")
TESTWORKER = os.path.join(BUILD, "tests", "testworker")
HOSTILE = os.path.join(BUILD, "tests", "hostile")
PASSFD = os.path.join(BUILD, "tests", "passfd")
PYWORKER = os.path.join(SRC, "tests", "workers", "pyworker.py")
STDERRFLOOD = os.path.join(BUILD, "tests", "stderrflood")
TYPESWORKER = os.path.join(BUILD, "tests", "typesworker")

START_TIMEOUT_S = 15.0      # master up and every pool at prefork
CTL_TIMEOUT_S = 5.0         # one masterctl call
IO_TIMEOUT_S = 10.0         # one client request
POLL_S = 0.05

KEEP = os.environ.get("E2E_KEEP") == "1"   # keep temp dirs for debugging


def _sanitized_build():
    """Whether BUILD was configured with sanitizers (meson's b_sanitize)."""
    try:
        with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")) as f:
            opts = json.load(f)
    except (OSError, ValueError):
        return False
    return any(o.get("name") == "b_sanitize" and o.get("value") not in ("none", "")
               for o in opts)


# Latency bounds that include starting a client (masterctl) are scaled in a
# sanitized build: ASan's start-up alone costs tens of milliseconds per
# process. What the master itself does is the same; the bound is honest
# for the plain build, which is what ships.
SANITIZED = _sanitized_build()
TIME_SCALE = 4.0 if SANITIZED else 1.0


# --------------------------------------------------------------------------
# Processes

def _set_child_subreaper():
    """Orphans of the master (workers that outlive it) are re-parented to us,
    where we can see them (PPid == our pid) and reap them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


_set_child_subreaper()


def is_root():
    return os.geteuid() == 0


def proc_stat(pid):
    """(state, ppid, starttime) from /proc/PID/stat, or None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm may hold spaces and parentheses: split after the last ')'.
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[19])


def proc_comm(pid):
    """The command name of pid (/proc/PID/comm), or None if gone."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None


def proc_status_field(pid, name):
    """A line of /proc/PID/status ('Uid' -> ['0','0','0','0']), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, val = line.partition(":")
                if key == name:
                    return val.split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def proc_environ(pid):
    """The environment a process was exec'd with, as a dict."""
    with open("/proc/%d/environ" % pid, "rb") as f:
        data = f.read()
    env = {}
    for item in data.split(b"\0"):
        if item:
            k, _, v = item.decode("utf-8", "replace").partition("=")
            env[k] = v
    return env


def proc_fds(pid):
    """{fd: readlink target} of a live process."""
    d = "/proc/%d/fd" % pid
    out = {}
    for name in os.listdir(d):
        try:
            out[int(name)] = os.readlink(os.path.join(d, name))
        except FileNotFoundError:
            pass
    return out


SO_PASSRIGHTS = 83        # Linux 6.16 (asm-generic number)


def kernel_refuses_fds():
    """Whether this kernel has SO_PASSRIGHTS (the master then refuses fds
    passed to it: master/cmsg.h)."""
    a, b = socket.socketpair()
    try:
        a.setsockopt(socket.SOL_SOCKET, SO_PASSRIGHTS, 0)
        return True
    except OSError:
        return False
    finally:
        a.close()
        b.close()


def pid_alive(pid, starttime=None):
    """True if pid is a live (non-zombie) process, and, when starttime is
    given, the same process as the one seen then (not a recycled pid). A
    process whose main thread has exited shows "Z" in its stat while its
    other threads run on: alive while any of its threads is."""
    st = proc_stat(pid)
    if st is None:
        return False
    state, _, start = st
    if starttime is not None and start != starttime:
        return False
    if state not in ("Z", "X"):
        return True
    try:
        tids = [int(t) for t in os.listdir("/proc/%d/task" % pid)]
    except OSError:
        return False
    return any((proc_stat_tid(pid, t) or "Z") not in ("Z", "X") for t in tids if t != pid)


def proc_stat_tid(pid, tid):
    """The state of thread tid of pid, or None if gone."""
    try:
        with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return data[data.rindex(")") + 2:].split()[0]


def pid_is_our_zombie(pid):
    """A zombie re-parented to the test process: it outlived its master."""
    st = proc_stat(pid)
    return st is not None and st[0] in ("Z", "X") and st[1] == os.getpid()


def reap_if_ours(pid):
    st = proc_stat(pid)
    if st is not None and st[1] == os.getpid():
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def all_pids():
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


CGROUP2_ROOTS = ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")


def master_cgroup_base(pid):
    """The directory of the master's cgroup base ("master.HASH") that
    process pid (a worker, or one of its children) lives under, or None."""
    try:
        with open("/proc/%d/cgroup" % pid) as f:
            for line in f:
                if line.startswith("0::/"):
                    top = line[4:].strip().split("/")[0]
                    break
            else:
                return None
    except OSError:
        return None
    if not top.startswith("master."):
        return None
    for root in CGROUP2_ROOTS:
        if os.path.isdir(os.path.join(root, top)):
            return os.path.join(root, top)
    return None


def empty_cgroup_tree(base, timeout=5.0):
    """SIGKILLs, by pid, every process in the cgroup tree at base until
    none is left (a worker forking while it is killed leaves new children
    behind a snapshot), then removes the tree's directories, deepest
    first. For a test's own master whose guard is gone with it. Returns
    the pids killed (orphans re-parented to us: the caller reaps them)."""
    killed = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = []
        for d, _, _ in os.walk(base):
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    pids += [int(x) for x in f.read().split()]
            except OSError:
                pass
        if not pids:
            break
        for pid in pids:
            kill_quiet(pid)
        killed.update(pids)
        time.sleep(POLL_S)
    for d, _, _ in sorted(os.walk(base), key=lambda e: -e[0].count("/")):
        try:
            os.rmdir(d)
        except OSError:
            pass
    return killed


def descendants(root):
    """Pids of every live descendant of root (by PPid), deepest first."""
    children = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st is not None:
            children.setdefault(st[1], []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    out.reverse()
    return out


def kill_quiet(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class MasterError(AssertionError):
    """A failure that no amount of waiting will fix (e.g. the master died)."""


# userfaultfd(2) and pidfd_getfd(2) on x86_64, and their ioctls
SYS_USERFAULTFD_X86_64 = 323
SYS_PIDFD_GETFD_X86_64 = 438
UFFD_API = 0xAA
UFFDIO_API = 0xC018AA3F
UFFDIO_REGISTER = 0xC020AA00
UFFDIO_REGISTER_MODE_MISSING = 1
PAGE_BYTES = 4096


def slow_fault_skip_reason():
    """Why SlowFault cannot run here, or None."""
    if os.uname().machine != "x86_64":
        return "userfaultfd's number is x86_64's here"
    if os.geteuid() != 0:
        return "userfaultfd of kernel faults needs root (vm.unprivileged_userfaultfd=0)"
    return None


class SlowFault:
    """A system call that faults on a page nobody answers, on a thread of
    its own, until release(): call(addr, page) gets the page's address and
    the mmap. Whatever lock the kernel holds while it copies from or to
    that page stays held meanwhile: a hostile worker, or any local user,
    gets the same with pages it made slow to fault in (a file's dropped
    page cache, readahead off: a disk read each; docs/security.md,
    "Seventh round"). release() answers the fault (closing the
    userfaultfd gives it a zero page) and the call ends."""

    def __init__(self, call):
        libc = ctypes.CDLL(None, use_errno=True)
        self.uffd = libc.syscall(SYS_USERFAULTFD_X86_64, os.O_CLOEXEC | os.O_NONBLOCK)
        if self.uffd < 0:
            raise OSError(ctypes.get_errno(), "userfaultfd")
        fcntl.ioctl(self.uffd, UFFDIO_API, bytearray(struct.pack("QQQ", UFFD_API, 0, 0)))
        self.page = mmap.mmap(-1, PAGE_BYTES)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(self.page))
        fcntl.ioctl(self.uffd, UFFDIO_REGISTER, bytearray(
            struct.pack("QQQQ", addr, PAGE_BYTES, UFFDIO_REGISTER_MODE_MISSING, 0)))
        self.thread = threading.Thread(target=call, args=(addr, self.page), daemon=True)
        self.thread.start()

    def release(self):
        os.close(self.uffd)
        self.thread.join(IO_TIMEOUT_S)
        return not self.thread.is_alive()


def pidfd_getfd(pid, fd):
    """A copy of process pid's fd (root: any process)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        got = libc.syscall(SYS_PIDFD_GETFD_X86_64, pidfd, fd, 0)
        if got < 0:
            raise OSError(ctypes.get_errno(), "pidfd_getfd")
        return got
    finally:
        os.close(pidfd)


def poll_until(predicate, timeout, what, interval=POLL_S, detail=None):
    """Calls predicate() until it returns a true value (returned) or the
    deadline passes (AssertionError naming what and detail())."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = predicate()
            last_exc = None
            if v:
                return v
        except MasterError:
            raise
        except Exception as e:  # noqa: BLE001 - reported at the deadline
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %.1fs waiting for %s" % (timeout, what)
            if last_exc is not None:
                msg += "\nlast exception: %r" % (last_exc,)
            if detail is not None:
                msg += "\n" + detail()
            raise AssertionError(msg)
        time.sleep(interval)


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    """A port that was free a moment ago (for configs needing two distinct
    inet service names; single-service configs use port 0)."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def can_exec_as(user, path):
    """Whether user may execute path (every directory on the way searchable).
    Checked in a child that drops to the user (needs root)."""
    import pwd
    pw = pwd.getpwnam(user)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            os._exit(0 if os.access(path, os.X_OK) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


# --------------------------------------------------------------------------
# Master

def substitute(text, dirname, ports=None):
    repl = {
        "{BUILD}": BUILD, "{SRC}": SRC, "{DIR}": dirname,
        "{ECHO}": ECHO, "{SPAWN}": SPAWN, "{TESTWORKER}": TESTWORKER,
        "{HOSTILE}": HOSTILE, "{PASSFD}": PASSFD,
        "{PYWORKER}": PYWORKER, "{STDERRFLOOD}": STDERRFLOOD,
        "{TYPESWORKER}": TYPESWORKER,
    }
    for k, v in (ports or {}).items():
        repl["{%s}" % k] = str(v)
    for k, v in repl.items():
        text = text.replace(k, v)
    return text


class Master:
    """One master process in its own temporary config directory.

    master_cf / master_conf may use {BUILD} {SRC} {DIR} {ECHO} {SPAWN}
    {TESTWORKER} {HOSTILE} {PYWORKER} and {PORT1}.. (each a free port, see
    ports).
    master.conf always starts with run_directory and daemon_directory.
    """

    def __init__(self, master_cf, master_conf="", args=(), env=None, nports=0,
                 share=None, stderr_pipe=False):
        """share: another Master whose config directory this one uses
        (it writes no files and removes nothing; its log is separate).
        stderr_pipe: True (a pipe) or "socket" (a stream socket, as
        journald's): the master's stderr, which log() copies into the log
        file; hold_stderr() stops reading it (a slow reader)."""
        self.owner = share is None
        self.stderr_pipe = stderr_pipe
        self.stderr_r = None        # our end of that pipe
        self.stderr_thread = None   # its reader
        self.stderr_held = threading.Event()
        self.stderr_done = threading.Event()
        if share is not None:
            self.dir, self.run_dir, self.ports = share.dir, share.run_dir, share.ports
            self.log_path = os.path.join(self.dir, "master-%d.log" % id(self))
        else:
            self.dir = tempfile.mkdtemp(prefix="master-e2e-")
            os.chmod(self.dir, 0o755)
            self.run_dir = os.path.join(self.dir, "run")
            os.mkdir(self.run_dir, 0o755)
            self.ports = {"PORT%d" % (i + 1): free_port() for i in range(nports)}
            self.log_path = os.path.join(self.dir, "master.log")
        self.args = list(args)
        self.env = env
        self.proc = None
        self.pid = None
        self.last_status = None
        self.seen = {}          # worker pid -> starttime, every pid ever seen
        self.cleaned = False
        if self.owner:
            conf = ('run_directory = "{DIR}/run"\n'
                    'daemon_directory = "{BUILD}/services"\n' + master_conf)
            self.write("master.conf", conf)
            self.write("master.cf", master_cf)

    # --- files -----------------------------------------------------------
    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(substitute(text, self.dir, self.ports))

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, n=40):
        lines = self.log().splitlines()
        return "\n".join(lines[-n:])

    def detail(self):
        return ("last status: %s\n--- master log (tail) ---\n%s"
                % (json.dumps(self.last_status), self.log_tail()))

    # --- running ---------------------------------------------------------
    def command(self, *extra):
        cmd = [MASTER, "-c", self.dir]
        for a in self.args:
            cmd += ["-o", a]
        return cmd + list(extra)

    def run_check(self, timeout=10):
        """master -c DIR -n: (exit status, stderr)."""
        r = subprocess.run(self.command("-n"), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, env=self.env)
        return r.returncode, r.stderr.decode(errors="replace")

    def _pump_stderr(self):
        """The reader of the stderr pipe (a thread): copies it into the log
        file until end-of-file or cleanup, pausing while held."""
        with open(self.log_path, "ab", buffering=0) as logf:
            while not self.stderr_done.is_set():
                if self.stderr_held.is_set():
                    self.stderr_done.wait(POLL_S)
                    continue
                ready, _, _ = select.select([self.stderr_r], [], [], POLL_S)
                if not ready:
                    continue
                try:
                    data = os.read(self.stderr_r, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    break
                logf.write(data)

    def hold_stderr(self, held=True):
        """Stops (True) or resumes (False) reading the stderr pipe: a slow
        reader, as a stuck journald would be."""
        if held:
            self.stderr_held.set()
        else:
            self.stderr_held.clear()

    def start(self, wait=True, timeout=START_TIMEOUT_S):
        with open(self.log_path, "ab") as logf:
            err = logf
            if self.stderr_pipe == "socket":   # journald's stream socket
                a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                self.stderr_r, err = a.detach(), b.detach()
                os.set_blocking(self.stderr_r, False)
                os.set_inheritable(self.stderr_r, False)
            elif self.stderr_pipe:
                self.stderr_r, err = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
                os.set_blocking(err, True)
            try:
                self.proc = subprocess.Popen(
                    self.command("-f"), stdin=subprocess.DEVNULL,
                    stdout=logf, stderr=err, env=self.env)
            finally:
                if err is not logf:
                    os.close(err)
        if self.stderr_r is not None:
            self.stderr_thread = threading.Thread(target=self._pump_stderr, daemon=True)
            self.stderr_thread.start()
        self.pid = self.proc.pid
        if wait:
            self.wait_ready(timeout)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout):
        """Exit status of master within timeout, or MasterError."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise MasterError("master pid %d still running after %.1fs\n%s"
                              % (self.pid, timeout, self.detail()))

    def wait_ready(self, timeout=START_TIMEOUT_S):
        def ready():
            if not self.alive():
                raise MasterError("master exited with status %s during start"
                                  "\n--- master log ---\n%s"
                                  % (self.proc.returncode, self.log_tail(60)))
            st = self.status()
            svcs = st.get("services")
            if not svcs:
                return False
            return all(s["workers"]["idle"] >= s.get("prefork", 1) for s in svcs)
        poll_until(ready, timeout, "master ready with every pool at prefork",
                   detail=self.detail)
        return self.last_status

    def ctl(self, *args, timeout=CTL_TIMEOUT_S, check=False):
        """Runs masterctl -c DIR ARGS: (exit status, stdout, stderr)."""
        r = subprocess.run([MASTERCTL, "-c", self.dir] + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        out = r.stdout.decode(errors="replace")
        err = r.stderr.decode(errors="replace")
        if check and r.returncode != 0:
            raise AssertionError("masterctl %s: exit %d\nstdout: %s\nstderr: %s"
                              % (" ".join(args), r.returncode, out, err))
        return r.returncode, out, err

    def status_worst_s(self, rounds=10):
        """The longest of `rounds` `masterctl status --json` in a row, in
        seconds: whether the loop is held (each must succeed)."""
        worst = 0.0
        for _ in range(rounds):
            t = time.monotonic()
            self.ctl("status", "--json", check=True)
            worst = max(worst, time.monotonic() - t)
        return worst

    def status(self, service=None):
        """Parsed `masterctl status [SERVICE] --json`."""
        args = ["status"] + ([service] if service else []) + ["--json"]
        _, out, _ = self.ctl(*args, check=True)
        st = json.loads(out)
        if service is None:
            self.last_status = st
        for s in st.get("services", []):
            for p in s.get("procs", []):
                pid = p.get("pid")
                if isinstance(pid, int) and pid > 0 and pid not in self.seen:
                    ps = proc_stat(pid)
                    if ps is not None:
                        self.seen[pid] = ps[2]
        return st

    def service(self, name=None, st=None):
        """The status entry of service name (or of the only service)."""
        st = st if st is not None else self.status()
        svcs = st["services"]
        if name is None:
            if len(svcs) != 1:
                raise AssertionError("service(): %d services, name one" % len(svcs))
            return svcs[0]
        for s in svcs:
            if s["name"] == name:
                return s
        raise AssertionError("no service %r in status: %s"
                          % (name, [s["name"] for s in svcs]))

    def service_names(self):
        return [s["name"] for s in self.status()["services"]]

    def worker_pids(self, name=None, st=None):
        return sorted(p["pid"] for p in self.service(name, st)["procs"])

    def children(self):
        """Live direct children of the master, by PPid; not its containment
        guard (docs/security.md), which is no worker."""
        out = []
        for pid in all_pids():
            ps = proc_stat(pid)
            if ps is not None and ps[1] == self.pid and ps[0] not in ("Z", "X") \
                    and proc_comm(pid) != "master-guard":
                out.append(pid)
        return sorted(out)

    def addr(self, name=None):
        """(host, port) of an inet service, or the path of a unix one."""
        listen = self.service(name)["listen"]
        if isinstance(listen, str):
            listen = [listen]
        return parse_addr(listen[0])

    def wait_for(self, predicate, timeout=10.0, what="condition"):
        """Polls status until predicate(status) is true; returns that status."""
        def check():
            if not self.alive():
                raise MasterError("master exited (status %s) while waiting for"
                                  " %s\n%s" % (self.proc.returncode, what,
                                               self.detail()))
            st = self.status()
            return st if predicate(st) else None
        return poll_until(check, timeout, what, detail=self.detail)

    def wait_log(self, pattern, timeout=10.0, what=None):
        """Polls the log until regex pattern matches; returns the match."""
        rx = re.compile(pattern, re.M)
        return poll_until(lambda: rx.search(self.log()), timeout,
                          what or "log line matching %r" % pattern,
                          detail=lambda: "--- master log (tail) ---\n"
                          + self.log_tail(60))

    def stop(self, timeout=20.0):
        """SIGTERM, then the exit status within timeout (MasterError if not)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    # --- teardown --------------------------------------------------------
    def cleanup(self):
        """Kills the master and every process it started (by pid), always."""
        if self.cleaned:
            return
        self.cleaned = True
        victims = {}
        bases = set()
        if self.proc is not None and self.alive():
            try:
                self.status()   # record the pids the master knows of
            except Exception:   # noqa: BLE001 - best effort
                pass
            kill_quiet(self.pid, signal.SIGSTOP)   # no more forks
            for pid in descendants(self.pid):
                ps = proc_stat(pid)
                if ps is not None:
                    victims[pid] = ps[2]
                    base = master_cgroup_base(pid)
                    if base is not None:
                        bases.add(base)
        for pid, start in self.seen.items():
            victims.setdefault(pid, start)
        for pid, start in victims.items():
            if pid_alive(pid, start):
                kill_quiet(pid)
        if self.proc is not None:
            if self.alive():
                kill_quiet(self.pid, signal.SIGKILL)
                kill_quiet(self.pid, signal.SIGCONT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # The guard that would have emptied the master's cgroups died with
        # the rest: a worker that kept forking while its snapshot was
        # killed left children behind (test_retire's 1,100-child worker
        # left ~550 a run).
        for base in bases:
            for pid in empty_cgroup_tree(base):
                victims.setdefault(pid, None)
        # Orphans re-parented to us (we are a subreaper): reap them.
        deadline = time.monotonic() + 5
        for pid, start in victims.items():
            while time.monotonic() < deadline and pid_alive(pid, start):
                time.sleep(POLL_S)
            reap_if_ours(pid)
        if self.stderr_r is not None:
            self.stderr_done.set()
            if self.stderr_thread is not None:
                self.stderr_thread.join(timeout=5)
            os.close(self.stderr_r)
            self.stderr_r = None
        if self.owner and not KEEP:
            shutil.rmtree(self.dir, ignore_errors=True)


def parse_addr(s):
    """'127.0.0.1:43567' -> ('127.0.0.1', 43567); '[::1]:5' -> ('::1', 5);
    a path (unix) stays a string. Accepts a leading 'inet '/'unix ' word."""
    s = s.strip()
    if " " in s:
        s = s.split()[-1]
    if s.startswith("/"):
        return s
    m = re.match(r"^\[(.*)\]:(\d+)$", s)
    if m:
        return m.group(1), int(m.group(2))
    host, _, port = s.rpartition(":")
    return host, int(port)


# --------------------------------------------------------------------------
# Clients

def connect(addr, timeout=IO_TIMEOUT_S):
    """A connected socket to (host, port) or a unix socket path."""
    if isinstance(addr, str):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(addr)
    except BaseException:
        s.close()
        raise
    return s


def read_line(sock, timeout=IO_TIMEOUT_S):
    """One '\\n'-terminated line (without it); EOF before it raises."""
    sock.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        if time.monotonic() > deadline:
            raise TimeoutError("no full line within %.1fs (got %r)" % (timeout, buf))
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("EOF before end of line (got %r)" % buf)
        buf += chunk
    return buf.split(b"\n", 1)[0].decode(errors="replace")


def echo_once(addr, line, timeout=IO_TIMEOUT_S):
    """Connects, sends line, returns the echoed line, closes."""
    with connect(addr, timeout) as s:
        s.sendall(line.encode() + b"\n")
        return read_line(s, timeout)


def echo_check(addr, line, timeout=IO_TIMEOUT_S):
    """True if the echo came back exactly; exceptions propagate."""
    got = echo_once(addr, line, timeout)
    if got != line:
        raise AssertionError("sent %r, got %r" % (line, got))
    return True


def read_all(addr, timeout=IO_TIMEOUT_S, send=None):
    """Connects, optionally sends, reads until EOF; returns the text."""
    with connect(addr, timeout) as s:
        if send is not None:
            s.sendall(send)
        buf = b""
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("no EOF within %.1fs (got %r)" % (timeout, buf))
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors="replace")


WHOAMI_RX = re.compile(
    r"^uid=(?P<uid>[\d,]+) gid=(?P<gid>[\d,]+) groups=(?P<groups>\S*) "
    r"sid=(?P<sid>\d+) pgid=(?P<pgid>\d+) pid=(?P<pid>\d+) "
    r"fds=(?P<fds>[\d,]*) env=(?P<env>.*)$")


def parse_whoami(line):
    m = WHOAMI_RX.match(line.strip())
    if not m:
        raise AssertionError("not a whoami line: %r" % line)
    ints = lambda s: [int(x) for x in s.split(",") if x != ""]  # noqa: E731
    env = {}
    for item in m.group("env").split(";"):
        if item:
            k, _, v = item.partition("=")
            env[k] = v
    return {
        "uid": ints(m.group("uid")), "gid": ints(m.group("gid")),
        "groups": ints(m.group("groups")),
        "sid": int(m.group("sid")), "pgid": int(m.group("pgid")),
        "pid": int(m.group("pid")), "fds": ints(m.group("fds")), "env": env,
    }


def whoami(addr, timeout=IO_TIMEOUT_S):
    text = read_all(addr, timeout)
    return parse_whoami(text.splitlines()[0] if text else "")


def run_parallel(fn, items, concurrency=8):
    """Runs fn(item) for every item on a thread pool; returns a list of
    (item, result, exception) in item order."""
    out = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as ex:
        futs = [ex.submit(fn, it) for it in items]
        for it, f in zip(items, futs):
            try:
                out.append((it, f.result(), None))
            except Exception as e:  # noqa: BLE001 - counted by the caller
                out.append((it, None, e))
    return out


def failures(results):
    return [(it, e) for it, _, e in results if e is not None]


# --------------------------------------------------------------------------
# Test case base

class MasterTestCase(unittest.TestCase):
    """Starts masters with automatic cleanup (even when the test fails)."""

    def master(self, master_cf, master_conf="", start=True, wait=True, **kw):
        m = Master(master_cf, master_conf, **kw)
        self.addCleanup(m.cleanup)
        if start:
            m.start(wait=wait)
        return m

    def require_root(self, why):
        if not is_root():
            self.skipTest("needs root: " + why)

    def assertNoFailures(self, results, what="requests"):
        bad = failures(results)
        if bad:
            sample = "; ".join("%r: %r" % (it, e) for it, e in bad[:5])
            self.fail("%d of %d %s failed, e.g. %s"
                      % (len(bad), len(results), what, sample))

    def assertGone(self, pid, start=None, what="worker"):
        """pid is no live process (a zombie only if it is not ours)."""
        if pid_is_our_zombie(pid):
            reap_if_ours(pid)
            self.fail("%s pid %d outlived the master (a zombie re-parented to"
                      " the test process)" % (what, pid))
        self.assertFalse(pid_alive(pid, start), "%s pid %d still alive" % (what, pid))


def run_delay_s(path):
    """Seconds the task of path (a /proc schedstat file) has spent runnable
    but waiting for a CPU; 0 where the kernel does not say."""
    try:
        with open(path) as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def cpu_waits_s(*pids):
    """Seconds this thread and pids have spent runnable but waiting for a
    CPU so far: the difference of two calls is the machine's load's share
    of a wall time (a master that blocks or computes is not waiting)."""
    return (run_delay_s("/proc/self/task/%d/schedstat" % threading.get_native_id())
            + sum(run_delay_s("/proc/%d/schedstat" % p) for p in pids))


def own_seconds(fn, *pids):
    """(fn(), the seconds it took less those this thread and pids spent
    waiting for a CPU meanwhile)."""
    w0, t0 = cpu_waits_s(*pids), time.monotonic()
    r = fn()
    took = time.monotonic() - t0
    return r, max(0.0, took - (cpu_waits_s(*pids) - w0))


def timed_status(m, *args):
    """One `masterctl status ARGS`: (exit status, stdout, stderr, seconds
    from fork to exit less those the master, masterctl or this thread spent
    waiting for a CPU). A master that blocks or computes is not runnable-
    and-waiting: that time stays counted."""
    waited = -cpu_waits_s(m.pid)
    t0 = time.monotonic()
    p = subprocess.Popen([MASTERCTL, "-c", m.dir, "status"] + list(args),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out_fd, err_fd = p.stdout.fileno(), p.stderr.fileno()
    bufs, reading = {out_fd: b"", err_fd: b""}, {out_fd, err_fd}
    try:
        while reading:
            left = t0 + CTL_TIMEOUT_S - time.monotonic()
            if left <= 0:
                raise TimeoutError("masterctl status: no exit within %.0f s"
                                   % CTL_TIMEOUT_S)
            for fd in select.select(list(reading), [], [], left)[0]:
                chunk = os.read(fd, 65536)
                bufs[fd] += chunk
                if not chunk:
                    reading.discard(fd)
        # Exited but not reaped: its schedstat is still there.
        os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
        took = time.monotonic() - t0
        waited += run_delay_s("/proc/%d/schedstat" % p.pid)
    finally:
        p.kill()  # a no-op but on timeout: not reaped yet, the pid is ours
        rc = p.wait()
        p.stdout.close()
        p.stderr.close()
    waited += cpu_waits_s(m.pid)
    out, err = (bufs[fd].decode(errors="replace") for fd in (out_fd, err_fd))
    return rc, out, err, max(0.0, took - waited)


def status_latency_ms(m, n=5):
    """Milliseconds of n `masterctl status` calls, one by one, from fork to
    exit less the CPU waits (timed_status)."""
    out = []
    for _ in range(n):
        rc, _, err, took = timed_status(m)
        out.append(took * 1000.0)
        if rc != 0:
            raise AssertionError("masterctl status: exit %d: %s" % (rc, err))
    return out


def cpu_seconds(pid):
    """utime + stime of a live process, in seconds (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def check_binaries():
    """Names of required binaries that are missing."""
    return [p for p in (MASTER, MASTERCTL, ECHO, SPAWN, TESTWORKER, HOSTILE)
            if not os.access(p, os.X_OK)]


def socket_mode(path):
    st = os.stat(path)
    return stat.S_ISSOCK(st.st_mode), stat.S_IMODE(st.st_mode)


class LoadClient:
    """Connection-per-request load on a few threads until stopped (fn, an
    echo round trip by default, per request); counts successes and
    failures."""

    def __init__(self, addr, threads=4, fn=None):
        self.addr, self.ok, self.failed, self.errors = addr, 0, 0, []
        self.fn = fn or echo_check
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, n):
        i = 0
        while not self.stop_flag.is_set():
            i += 1
            try:
                self.fn(self.addr, "load %d %d" % (n, i))
                with self.lock:
                    self.ok += 1
            except Exception as e:  # noqa: BLE001 - counted
                with self.lock:
                    self.failed += 1
                    self.errors.append(repr(e))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(30)
