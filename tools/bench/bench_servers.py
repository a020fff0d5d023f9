"""bench_servers.py - every server tools/bench/run can measure, started as
its child on 127.0.0.1 from a private config in a temp dir, probed until it
serves, and stopped by pid.

Owns: each case's command line and configuration (our master, the bare
pool, the fork servers, and the anchors: tcpserver, xinetd, a private
Postfix master with a spawn service, Apache prefork), which anchors are
installed, and the readiness probe of each protocol. Never touches a
system service: the anchors run from their binaries with configs under
the case's temp dir, on a port picked here.

Protocols: "line" (one line, its reply, the server closes; the anchors
exec bench-oneline, our master runs bench-oneline-worker, Apache serves a
64-byte file over HTTP/1.0) and "echo" (echo until the client closes).
"""
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import bench_proc

READY_TIMEOUT_S = 10.0      # server must answer within this
READY_PROBE_TIMEOUT_S = 1.0
SETTLE_S = 0.5              # after the first answer, let the pool fill
STOP_TIMEOUT_S = 15.0       # SIGTERM -> exit, then SIGKILL
LISTEN_BACKLOG = 4096       # = net.core.somaxconn here; the bare pool's too
FORK_MAX_CONCURRENT = 1000  # tcpserver -c: never the limit at c <= 1000

TCPSERVER = "/usr/bin/tcpserver"
XINETD = "/usr/sbin/xinetd"
POSTFIX_MASTER = "/usr/lib/postfix/sbin/master"
POSTFIX_SPAWN = "/usr/lib/postfix/sbin/spawn"
APACHE = "/usr/sbin/apache2"
APACHE_MODULES = "/usr/lib/apache2/modules"

# Run once per concurrency, not per pool size: they have no pool.
POOLLESS = ("fork", "forkexec", "tcpserver", "xinetd", "tcpserver-musl")
ANCHORS = ("tcpserver", "xinetd", "postfix", "apache", "tcpserver-musl")
MASTER_CASES = ("unlimited", "life2")  # and every number: max_use
# A case named CASE-musl runs our one-line programs linked against musl
# instead of glibc (bench-oneline-worker-musl, bench-oneline-musl; built
# where musl-gcc is, Debian package musl-tools): glibc's start-up costs
# most of a launch in a VM (docs/bench.md, "Where a launch's CPU goes").
MUSL = "-musl"


def base_case(case):
    """The case without its -musl suffix."""
    return case[:-len(MUSL)] if case.endswith(MUSL) else case


def bare_max_use(case):
    """K of a bareK case (the bare pool forking a fresh child every K
    connections: bench-baseline -k K), or None."""
    k = case[len("bare"):] if case.startswith("bare") else ""
    return int(k) if k.isdigit() and int(k) > 0 else None


def is_master_case(case):
    case = base_case(case)
    return case in MASTER_CASES or case.isdigit()


def free_port():
    """A port that was free a moment ago (bound to 127.0.0.1:0, closed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def line_pattern(n):
    """bench-client's payload line with shift 0 (what Apache serves)."""
    return "".join(chr(ord("a") + i % 26) for i in range(n - 1)) + "\n"


def missing(case, build=None):
    """Why an anchor (or a -musl case) cannot run here, or None."""
    root = os.geteuid() == 0
    if case.endswith(MUSL):
        prog = "bench-oneline-worker-musl" if is_master_case(case) else "bench-oneline-musl"
        if build is not None and not os.access(os.path.join(build, "tools/bench", prog), os.X_OK):
            return f"{prog} not built (musl-gcc missing: Debian package musl-tools)"
        case = base_case(case)
    need = {"tcpserver": [TCPSERVER], "xinetd": [XINETD],
            "postfix": [POSTFIX_MASTER, POSTFIX_SPAWN],
            "apache": [APACHE, os.path.join(APACHE_MODULES, "mod_mpm_prefork.so")]}.get(case, [])
    for path in need:
        if not os.access(path, os.X_OK if not path.endswith(".so") else os.R_OK):
            pkg = {"tcpserver": "ucspi-tcp", "xinetd": "xinetd", "postfix": "postfix",
                   "apache": "apache2"}[case]
            return f"{path} not installed (Debian package {pkg})"
    if case in ("xinetd", "postfix", "apache") and not root:
        return "needs root (it switches to user nobody)"
    if case == "postfix":
        try:
            pwd.getpwnam("postfix")
        except KeyError:
            return "no user postfix (the postfix package makes it)"
    return None


def probe(port, protocol, payload):
    """One request; True when the right answer came back."""
    msg = line_pattern(payload).encode()
    http = protocol == "http"
    try:
        with socket.create_connection(("127.0.0.1", port), READY_PROBE_TIMEOUT_S) as s:
            s.settimeout(READY_PROBE_TIMEOUT_S)
            s.sendall(b"GET /line HTTP/1.0\r\n\r\n" if http else msg)
            got = b""
            while http or protocol == "line" or len(got) < len(msg):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            if http:
                return got.startswith(b"HTTP/1.") and b" 200 " in got[:16] and got.endswith(msg)
            return got == msg
    except OSError:
        return False


class Server:
    """One server case (case, pool), started as our child."""

    def __init__(self, args, case, pool):
        self.musl = MUSL if case.endswith(MUSL) else ""
        self.case, self.pool = base_case(case), pool
        self.protocol = "http" if case == "apache" else args.protocol
        self.payload = args.payload
        self.master_opts = getattr(args, "master_opts", "") or ""
        self.master_conf = getattr(args, "master_conf", "") or ""
        self.tmp = tempfile.mkdtemp(prefix=f"bench-{case}-")
        os.chmod(self.tmp, 0o755)  # workers run as nobody (Apache reads its files here)
        self.log_path = os.path.join(self.tmp, "server.log")
        self.build = os.path.abspath(args.build)
        self.bench = os.path.join(self.build, "tools/bench")
        self.note = ""
        try:
            self._start(args)
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def _path(self, name):
        return os.path.join(self.tmp, name)

    def _write(self, name, text):
        with open(self._path(name), "w") as f:
            f.write(text)

    def _program(self):
        """What the fork+exec servers run: the same one-line work, or cat."""
        return (os.path.join(self.bench, "bench-oneline" + self.musl) if self.protocol == "line"
                else "/bin/cat")

    def _start(self, args):
        log = open(self.log_path, "wb")
        new_session = False
        bare_k = bare_max_use(self.case)
        if self.case in ("baseline", "epoll", "fork", "forkexec") or bare_k:
            mode = self.case if self.case in ("epoll", "fork", "forkexec") else "prefork"
            cmd = [os.path.join(self.bench, "bench-baseline"), "-a", "127.0.0.1:0",
                   "-p", str(self.pool), "-m", mode] + (["-k", str(bare_k)] if bare_k else [])
            if self.protocol == "line":
                cmd.append("-l")
            if self.case == "forkexec":
                cmd += ["-x", self._program()]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log)
            ready, _, _ = select.select([self.proc.stdout], [], [], READY_TIMEOUT_S)
            line = self.proc.stdout.readline().decode().strip() if ready else ""
            if not line.startswith("listening on "):
                self.proc.kill()  # by pid; its children die with it (PDEATHSIG)
                self.proc.wait()
                log.close()
                raise RuntimeError(f"{self.case}: no 'listening on' line, got {line!r}")
            self.port = int(line.rsplit(":", 1)[1])
            self.cmd = cmd
            log.close()
            return
        self.port = free_port()
        if is_master_case(self.case):
            cmd = self._master_cmd()
        elif self.case == "tcpserver":
            cmd = [TCPSERVER, "-q", "-H", "-R", "-l", "0", "-c", str(FORK_MAX_CONCURRENT),
                   "-b", str(LISTEN_BACKLOG)]
            if os.geteuid() == 0:
                cmd += ["-u", "65534", "-g", "65534"]
            cmd += ["127.0.0.1", str(self.port), self._program()]
        elif self.case == "xinetd":
            cmd = self._xinetd_cmd()
        elif self.case == "postfix":
            cmd = self._postfix_cmd()
            new_session = True  # its SIGTERM handler kills its process group
        elif self.case == "apache":
            cmd = self._apache_cmd()
            new_session = True
        else:
            raise RuntimeError(f"unknown case {self.case!r}")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=new_session)
        log.close()
        self.cmd = cmd

    def _master_cmd(self):
        case, pool = self.case, self.pool
        max_use = 0 if case in MASTER_CASES else int(case)
        extra = " -o max_lifetime=2 -o lifetime_jitter=0" if case == "life2" else ""
        worker = (os.path.join(self.bench, "bench-oneline-worker" + self.musl)
                  if self.protocol == "line" else "echo")
        os.mkdir(self._path("run"))
        self._write("master.conf", f'run_directory = "{self.tmp}/run"\n'
                    f'daemon_directory = "{self.build}/services"\n{self.master_conf}\n')
        self._write("master.cf", f"127.0.0.1:{self.port} inet n y n - {pool} {worker}"
                    f" -o max_use={max_use} -o prefork={pool}"
                    f" -o listen_backlog={LISTEN_BACKLOG}{extra} {self.master_opts}\n")
        return [os.path.join(self.build, "master/master"), "-f", "-c", self.tmp]

    def _xinetd_cmd(self):
        # No per-connection log lines (our master writes none either), no
        # rate or instance limit (its defaults would refuse the load).
        self._write("xinetd.conf", f"""defaults
{{
	log_type = FILE {self._path('xinetd.log')}
	log_on_success =
	log_on_failure =
	instances = UNLIMITED
	per_source = UNLIMITED
	cps = 1000000 1
}}
service bench
{{
	type = UNLISTED
	id = bench
	socket_type = stream
	protocol = tcp
	wait = no
	user = nobody
	group = nogroup
	server = {self._program()}
	port = {self.port}
	bind = 127.0.0.1
	instances = UNLIMITED
	per_source = UNLIMITED
	cps = 1000000 1
}}
""")
        return [XINETD, "-f", self._path("xinetd.conf"), "-dontfork",
                "-pidfile", self._path("xinetd.pid")]

    def _postfix_cmd(self):
        # A private instance: its own config, queue and data directories;
        # only the spawn service (unpriv n: spawn switches to user= itself).
        # It logs to syslog, which may not exist here: nothing to read.
        pf = pwd.getpwnam("postfix")
        for d in ("conf", "queue", "queue/pid", "queue/private", "queue/public", "data"):
            os.makedirs(self._path(d), exist_ok=True)
        for d in ("queue/private", "queue/public", "data"):
            os.chown(self._path(d), pf.pw_uid, -1)
        self._write("conf/main.cf", f"""compatibility_level = 3.6
queue_directory = {self._path('queue')}
data_directory = {self._path('data')}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = localhost.localdomain
""")
        self._write("conf/master.cf", f"127.0.0.1:{self.port} inet n n n - {self.pool} spawn"
                    f" user=nobody argv={self._program()}\n")
        self.note = "Postfix kills its process group on SIGTERM without reaping: CPU partial"
        return [POSTFIX_MASTER, "-c", self._path("conf"), "-d"]

    def _apache_cmd(self):
        os.makedirs(self._path("htdocs"))
        os.makedirs(self._path("run"))
        self._write("htdocs/line", line_pattern(self.payload))
        p = self.pool
        self._write("httpd.conf", f"""ServerRoot {self.tmp}
DefaultRuntimeDir {self._path('run')}
PidFile {self._path('run/httpd.pid')}
Mutex file:{self._path('run')} default
Listen 127.0.0.1:{self.port}
ListenBacklog {LISTEN_BACKLOG}
LoadModule mpm_prefork_module {APACHE_MODULES}/mod_mpm_prefork.so
LoadModule authz_core_module {APACHE_MODULES}/mod_authz_core.so
User nobody
Group nogroup
ServerName localhost
DocumentRoot {self._path('htdocs')}
ErrorLog {self.log_path}
LogLevel crit
KeepAlive Off
StartServers {p}
MinSpareServers {p}
MaxSpareServers {p}
ServerLimit {p}
MaxRequestWorkers {p}
MaxConnectionsPerChild 0
<Directory {self._path('htdocs')}>
  Require all granted
</Directory>
""")
        return [APACHE, "-f", self._path("httpd.conf"), "-DFOREGROUND"]

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.case}: server exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            if probe(self.port, self.protocol, self.payload):
                time.sleep(SETTLE_S)
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.case}: no answer on port {self.port} within "
                           f"{READY_TIMEOUT_S:.0f}s:\n" + self.log_tail())

    def stop(self):
        """SIGTERM, wait; returns (cpu_s, note). SIGKILLs the tree on timeout."""
        pid = self.proc.pid
        if self.proc.returncode is not None:
            return 0.0, f"exited early ({self.proc.returncode})"
        tree = bench_proc.descendants(pid)
        os.kill(pid, signal.SIGTERM)
        res = bench_proc.wait_exit(pid, STOP_TIMEOUT_S)
        note = self.note
        if res is None:
            bench_proc.kill_survivors({**tree, **bench_proc.descendants(pid)})
            os.kill(pid, signal.SIGKILL)
            res = bench_proc.wait_exit(pid, STOP_TIMEOUT_S)
            note += (f"{'; ' if note else ''}no exit {STOP_TIMEOUT_S:.0f}s after SIGTERM:"
                     " SIGKILLed it and its workers")
        if self.case == "postfix":  # its group's SIGTERM ends its children: let them
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and any(
                    st is not None and bench_proc.alive(p, st) for p, st in tree.items()):
                time.sleep(0.02)
        survivors = bench_proc.kill_survivors(tree)
        if survivors:
            note += (f"{'; ' if note else ''}{len(survivors)} process(es) outlived the server"
                     f" (their CPU is not counted; SIGKILLed {survivors})")
        if res is None:
            return 0.0, note + "; still not reaped"
        status, ru = res
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        if self.proc.returncode != 0 and self.case != "postfix":
            note += f"{'; ' if note else ''}exit status {self.proc.returncode}"
        return ru.ru_utime + ru.ru_stime, note
