"""Secure launch (issue 3), proven from inside the worker: the probe worker
(tests/workers/probe.c) reports its ids, capabilities, securebits, fds,
environment, session, cwd and root, rlimits, interfaces, /tmp and cgroup;
one service per feature. Plus: bad users, groups, jails and capability
names rejected at load with master.cf:LINE; rlimit_nproc stops forks;
private_network stops outbound connects while the service answers;
private_tmp hides the host's /tmp; a failing launch step is logged.

Everything here needs root (the master switches ids, makes namespaces,
jails): skipped otherwise. cgroup limits need cgroup2 controllers: where
the host has none, the test asserts the master's reason and skips with it.
"""

import grp
import json
import os
import re
import pwd
import shutil
import subprocess
import tempfile
import unittest

import harness as h

PROBE = os.path.join(h.BUILD, "tests", "probe")
ZERO_CAPS = "0000000000000000"
CAP_NET_BIND_SERVICE = 10
# NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, NO_CAP_AMBIENT_RAISE: each locked.
SECUREBITS_LOCKED = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80
CONTRACT_ENV = {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"}
NPROC_USER = "irc"          # a system user nothing else runs as
RUN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC",
           "E2E_LEAK": "must-not-reach-workers"}


def sanitized():
    """Whether the probe is built with ASan (it then installs signal
    handlers and reserves terabytes of address space itself)."""
    out = subprocess.run(["ldd", PROBE], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    return "libasan" in out


def cgroup2_mount():
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "cgroup2":
                return parts[1]
    return None


def groups_of(user, gid):
    return sorted(set(os.getgrouplist(user, gid)))


class Probe(h.MasterTestCase):
    def setUp(self):
        self.require_root("the master switches ids, makes namespaces and jails")
        if not os.access(PROBE, os.X_OK):
            self.skipTest("probe not built: %s" % PROBE)
        if not h.can_exec_as("nobody", PROBE):
            self.skipTest("nobody cannot execute %s (directory permissions)" % PROBE)

    def start(self, cf, conf="", **kw):
        kw.setdefault("env", RUN_ENV)
        return self.master(cf.replace("{PROBE}", PROBE), conf, **kw)

    def probe(self, m, request="", name=None):
        text = h.read_all(m.addr(name), send=(request + "\n").encode())
        try:
            return json.loads(text)
        except ValueError:
            self.fail("probe answer is not JSON: %r\n%s" % (text, m.log_tail()))

    def assertCaps(self, r, want):
        for f in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            self.assertEqual(r["status"][f], want, "%s in %s" % (f, r["status"]))
        self.assertEqual(r["status"]["CapBnd"], ZERO_CAPS, "bounding set: %s" % r["status"])
        self.assertEqual(r["status"]["NoNewPrivs"], "1")
        self.assertEqual(r["securebits"], SECUREBITS_LOCKED, "securebits %#x" % r["securebits"])


class Identity(Probe):
    def test_20a_default_worker(self):
        """unpriv=y: nobody's three uids, gids and groups, no way back to
        root, no capabilities, own session, clean signals, contract fds
        and environment only, umask, cwd and root "/"."""
        m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE}\n")
        r = self.probe(m)
        pw = pwd.getpwnam("nobody")
        self.assertEqual(r["resuid"], [pw.pw_uid] * 3)
        self.assertEqual(r["resgid"], [pw.pw_gid] * 3)
        self.assertEqual(r["status"]["Uid"].split(), [str(pw.pw_uid)] * 4)
        self.assertEqual(r["status"]["Gid"].split(), [str(pw.pw_gid)] * 4)
        self.assertEqual(sorted(r["groups"]), groups_of("nobody", pw.pw_gid))
        self.assertEqual(r["setuid0"]["rc"], -1, "setuid(0) worked: %s" % r["setuid0"])
        self.assertEqual(r["setuid0"]["errno"], 1, "EPERM expected: %s" % r["setuid0"])
        self.assertCaps(r, ZERO_CAPS)
        # filter mode: the user-namespace filter (UserNamespaces below)
        self.assertEqual(r["status"]["Seccomp"], "2")
        # session and process group of its own
        self.assertEqual(r["sid"], r["pid"])
        self.assertEqual(r["pgid"], r["pid"])
        self.assertNotEqual(r["sid"], os.getsid(m.pid))
        # signals as the master handed them over
        st = r["startup"]
        self.assertEqual(int(st["SigBlk"], 16), 0, "blocked at start: %s" % st["SigBlk"])
        self.assertEqual(int(st["SigIgn"], 16), 0, "ignored at start: %s" % st["SigIgn"])
        if not sanitized():
            self.assertEqual(int(st["SigCgt"], 16), 0, "handlers at start: %s" % st["SigCgt"])
        # fds: exactly the contract's
        self.assertEqual(st["fds"], [0, 1, 2, 3, 4], "fds at start: %s" % st["fd_targets"])
        t = st["fd_targets"]
        self.assertEqual((t["0"], t["1"]), ("/dev/null", "/dev/null"))
        self.assertTrue(t["2"].startswith("socket:"), t)  # not a pipe (relay.h)
        self.assertTrue(t["3"].startswith("socket:") and t["4"].startswith("socket:"), t)
        self.assertEqual(len({t["2"], t["3"], t["4"]}), 3, t)
        # environment: import_environment (TZ) plus the contract's
        env = st["env"]
        extra = sorted(k for k in env if k not in CONTRACT_ENV | {"TZ"}
                       and not k.startswith("MASTER_"))
        self.assertFalse(extra, "unexpected environment: %s" % env)
        self.assertEqual(env.get("TZ"), "UTC")
        self.assertEqual(env.get("LISTEN_PID"), str(r["pid"]))
        self.assertEqual(env.get("MASTER_STATUS_FD"), "4")
        self.assertEqual(st["umask"], 0o077)
        self.assertEqual((r["cwd"], r["root"]), ("/", "/"))

    def test_20b_user_group_umask(self):
        """-o user= and -o group=: that uid, that gid (all three), the
        user's supplementary groups; -o umask= applies."""
        dgid = grp.getgrnam("daemon").gr_gid
        m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=nobody -o group=daemon"
                       " -o umask=027\n")
        r = self.probe(m)
        self.assertEqual(r["resuid"], [pwd.getpwnam("nobody").pw_uid] * 3)
        self.assertEqual(r["resgid"], [dgid] * 3)
        self.assertEqual(sorted(r["groups"]), groups_of("nobody", dgid))
        self.assertEqual(r["startup"]["umask"], 0o027)

    def test_20c_root_worker_gains_nothing(self):
        """unpriv=n: uid 0 but no capability in any set, bounding set
        empty, securebits locked so exec and setuid give nothing back."""
        m = self.start("127.0.0.1:0 inet n n n - 1 {PROBE}\n")
        r = self.probe(m)
        self.assertEqual(r["resuid"], [0, 0, 0])
        self.assertEqual(r["groups"], [], "a root worker keeps no supplementary groups")
        self.assertCaps(r, ZERO_CAPS)

    def test_20d_capability_kept(self):
        """-o capabilities=cap_net_bind_service: exactly that bit in
        ambient, permitted, effective (and inheritable), nothing else;
        bounding set empty. For nobody and for a root worker."""
        want = "%016x" % (1 << CAP_NET_BIND_SERVICE)
        for unpriv in ("y", "n"):
            with self.subTest(unpriv=unpriv):
                m = self.start("127.0.0.1:0 inet n %s n - 1 {PROBE}"
                               " -o capabilities=cap_net_bind_service\n" % unpriv)
                r = self.probe(m)
                self.assertCaps(r, want)
                if unpriv == "y":
                    self.assertEqual(r["setuid0"]["rc"], -1)
                m.stop()


class Limits(Probe):
    def test_21c_small_fd_limit_in_a_busy_master(self):
        """rlimit_nofile=16 while the master holds many fds (40 other
        workers: 80+ channel and stderr fds): the worker still starts, and
        it gets exactly the limit. Placing its fds needs a few free ones,
        so the limit is set after them."""
        m = self.start("127.0.0.1:0 inet n n n - 40 echo -o prefork=40\n"
                       "127.0.0.1:{PORT1} inet n y n - 1 {PROBE} -o rlimit_nofile=16\n",
                       nports=1)
        r = self.probe(m, name=m.service_names()[1])
        self.assertEqual(r["rlimits"]["nofile"], [16, 16], r["rlimits"])
        self.assertEqual(m.service(m.service_names()[1])["launch_failed"], 0)

    def test_21a_rlimits(self):
        m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o rlimit_nofile=64"
                       " -o rlimit_core=0 -o rlimit_cpu=3600 -o rlimit_nproc=5000\n")
        r = self.probe(m)["rlimits"]
        self.assertEqual(r["nofile"], [64, 64])
        self.assertEqual(r["core"], [0, 0])
        self.assertEqual(r["cpu"], [3600, 3600])
        self.assertEqual(r["nproc"], [5000, 5000])

    def test_21b_rlimit_as(self):
        if sanitized():
            self.skipTest("ASan reserves terabytes of address space: rlimit_as would stop it")
        m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o rlimit_as=1G\n")
        self.assertEqual(self.probe(m)["rlimits"]["as"], [1 << 30, 1 << 30])

    def test_21c_rlimit_nproc_stops_forks(self):
        try:
            pw = pwd.getpwnam(NPROC_USER)
        except KeyError:
            self.skipTest("no user %s to run the rlimit_nproc worker as" % NPROC_USER)
        if not h.can_exec_as(NPROC_USER, PROBE):
            self.skipTest("%s cannot execute the probe" % NPROC_USER)
        limit = 4
        m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=%s -o rlimit_nproc=%d\n"
                       % (NPROC_USER, limit))
        r = self.probe(m, "forks=10")
        forks = r["forks"]
        self.assertEqual(r["resuid"], [pw.pw_uid] * 3)
        # The worker is one of the user's processes: at most limit-1 more.
        self.assertLessEqual(forks["ok"], limit - 1, "forked past rlimit_nproc: %s" % forks)
        self.assertEqual(forks["errno"], 11, "fork should fail with EAGAIN: %s" % forks)

    def test_21d_failing_step_is_logged(self):
        """A step that fails in the child (here: an rlimit above the
        kernel's fs.nr_open) is logged with its name and errno, counts as
        a start failure, and leaves no process behind."""
        m = self.start("127.0.0.1:0 inet n y n - 1 {PROBE} -o rlimit_nofile=1073741824"
                       " -o throttle_min=60s\n", wait=False)
        m.wait_log(r"cannot start %s: rlimit_nofile failed: Operation not permitted"
                   % PROBE, 10)
        self.assertTrue(m.alive(), m.log_tail())
        self.assertEqual(m.children(), [], "a failed launch left a process")


class Namespaces(Probe):
    def listener(self):
        s = __import__("socket").socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        self.addCleanup(s.close)
        return s.getsockname()[1]

    def test_22a_private_network(self):
        """No interfaces but a down loopback; an outbound connect to a
        listening port on 127.0.0.1 fails; the service itself answers
        (its socket was inherited). A service without it connects fine.
        Both workers share one namespace, which is not the master's."""
        port = self.listener()
        m = self.start("127.0.0.1:0 inet n y n - 2 {PROBE} -o private_network=yes -o prefork=2\n"
                       "127.0.0.1:{PORT1} inet n y n - 1 {PROBE}\n", nports=1)
        names = m.service_names()
        jailed = self.probe(m, "connect=%d" % port, names[0])
        self.assertFalse(jailed["connect"]["ok"], "outbound connect worked: %s" % jailed["connect"])
        self.assertTrue(set(jailed["interfaces"]) <= {"lo"}, jailed["interfaces"])
        free = self.probe(m, "connect=%d" % port, names[1])
        self.assertTrue(free["connect"]["ok"], "control connect failed: %s" % free["connect"])
        pids = m.worker_pids(names[0])
        nets = {os.readlink("/proc/%d/ns/net" % p) for p in pids}
        self.assertEqual(len(pids), 2)
        self.assertEqual(len(nets), 1, "one namespace per service, not per worker: %s" % nets)
        self.assertNotIn(os.readlink("/proc/%d/ns/net" % m.pid), nets)

    def probe_outside_tmp(self):
        """A copy of the probe where a private /tmp cannot hide it (the
        build tree itself may live under /tmp)."""
        d = tempfile.mkdtemp(prefix="master-e2e-bin-", dir="/var/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        shutil.copy2(PROBE, d + "/probe")
        return d + "/probe"

    def test_22b_private_tmp(self):
        """private_tmp: /tmp, and /var/tmp, /dev/shm and /run/lock (places
        any user may write, where a dynamic uid's next holder read what the
        last one left: adversarial runs) are empty tmpfs of the service's
        own; a service without it sees the host's files there."""
        dirs = [d for d in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock") if os.path.isdir(d)]
        host = {}
        for d in dirs:
            fd, path = tempfile.mkstemp(prefix="master-e2e-host-", dir=d)
            os.close(fd)
            self.addCleanup(os.unlink, path)
            host[d] = os.path.basename(path)
        probe = self.probe_outside_tmp()
        m = self.start("127.0.0.1:0 inet n y n - 1 %s -o private_tmp=yes\n"
                       "127.0.0.1:{PORT1} inet n y n - 1 {PROBE}\n" % probe, nports=1)
        names = m.service_names()
        private, shared = self.probe(m, name=names[0]), self.probe(m, name=names[1])
        for d in dirs:
            key = d.strip("/").replace("/", "_")   # tmp, var_tmp, dev_shm, run_lock
            self.assertEqual(private[key], [], "private %s is not empty" % d)
            self.assertEqual(private[key + "_error"], 0)
            self.assertIn(host[d], shared[key], "%s: the host's file not seen" % d)


    def test_22c_private_tmp_command_under_tmp_rejected(self):
        d = tempfile.mkdtemp(prefix="master-e2e-bin-", dir="/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        shutil.copy2(PROBE, d + "/probe")
        m = h.Master("127.0.0.1:0 inet n y n - 1 %s/probe -o private_tmp=yes\n" % d)
        self.addCleanup(m.cleanup)
        rc, err = m.run_check()
        self.assertNotEqual(rc, 0, err)
        self.assertIn("master.cf:1:", err)
        self.assertIn("under /tmp, which private_tmp hides", err)


NSPROBE = os.path.join(h.SRC, "tests", "workers", "nsprobe.py")
NSPROBE32 = os.path.join(h.BUILD, "tests", "nsprobe32")
SOCKOPTPROBE = os.path.join(h.BUILD, "tests", "sockoptprobe")


class UserNamespaces(h.MasterTestCase):
    """user_namespaces=no (the default): a worker, and all it starts, can
    neither make a user namespace nor join one (launch_seccomp.c). With
    one, an unprivileged worker mounts a FUSE file system of its own, and
    a write to its stderr pipe from a page of it that it never serves
    held the pipe's mutex, and the master's next read slept in D state
    for good (an adversarial run; docs/security.md). tests/workers/
    nsprobe.py tries each call in a forked child (so the filter is seen
    inherited) and says what the kernel answered."""

    def setUp(self):
        self.require_root("the worker runs as nobody")
        for path in (NSPROBE, NSPROBE32, SOCKOPTPROBE):
            if not h.can_exec_as("nobody", path):
                self.skipTest("nobody cannot execute %s (directory permissions)" % path)

    NATIVE = {"unshare", "clone", "clone3", "setns", "files", "md5", "ao", "nodelay", "uring"}
    I386 = {"unshare32", "clone32", "clone3_32", "setns32", "md5_32", "sockcall32"}

    def answer(self, opts=""):
        m = self.master("127.0.0.1:0 inet n y n - 1 %s -o ready=exec%s %s %s\n"
                        % (NSPROBE, opts, NSPROBE32, SOCKOPTPROBE), wait=False)
        m.wait_log(r"worker \d+ started", 10)
        text = h.read_all(m.addr(), 10).strip()
        got = dict(w.split("=", 1) for w in text.split()[1:])
        self.assertIn(set(got), (self.NATIVE | self.I386, self.NATIVE | {"i386"}), text)
        return got

    def native(self, got):
        return {k: v for k, v in got.items() if k in self.NATIVE}

    def test_23a_denied_by_default(self):
        """Refused: making or joining a user namespace, TCP's MD5 and AO
        keys (a key on the shared listener drops every client), io_uring
        (whose setsockopt passes no filter). Allowed: an unshare of no
        namespace, another TCP option (the filter looks at the
        arguments)."""
        self.assertEqual(self.native(self.answer()),
                         {"unshare": "EPERM", "clone": "EPERM", "clone3": "ENOSYS",
                          "setns": "EPERM", "files": "ok", "md5": "EPERM", "ao": "EPERM",
                          "nodelay": "ok", "uring": "ENOSYS"})

    def test_23c_denied_through_the_i386_entry(self):
        """The same calls through int $0x80 of an x86_64 worker: the
        filter sees another architecture and the i386 table's numbers
        (tests/workers/nsprobe32.c). A filter that knew only the x86_64
        numbers would let a user namespace through here."""
        got = self.answer()
        if got.get("i386") == "none":
            self.skipTest("no i386 entry here (not x86_64, or ia32 emulation off)")
        self.assertEqual({k: v for k, v in got.items() if k in self.I386},
                         {"unshare32": "EPERM", "clone32": "EPERM", "clone3_32": "ENOSYS",
                          "setns32": "EPERM", "md5_32": "EPERM", "sockcall32": "EPERM"})

    def test_23b_allowed_when_set(self):
        """The same calls with user_namespaces=yes: what the kernel says
        without the filter (setns: EINVAL, the worker is in its own user
        namespace already)."""
        with open("/proc/sys/user/max_user_namespaces") as f:
            off = f.read().strip() == "0"
        if off:
            self.skipTest("user namespaces are off on this host (user.max_user_namespaces=0)")
        got = self.answer(" -o user_namespaces=yes")
        native = self.native(got)
        # What the kernel says, not the filter's answer (a host may turn
        # io_uring off: EPERM then).
        self.assertNotEqual(native.pop("md5"), "EPERM", got)
        self.assertNotEqual(native.pop("ao"), "EPERM", got)
        self.assertNotEqual(native.pop("uring"), "ENOSYS", got)
        self.assertEqual(native, {"unshare": "ok", "clone": "ok", "clone3": "ok",
                                  "setns": "EINVAL", "files": "ok", "nodelay": "ok"})
        if got.get("i386") != "none":   # the i386 entry's, where there is one (23c)
            self.assertEqual({k: v for k, v in got.items() if k in self.I386},
                             {"unshare32": "ok", "clone32": "ok", "clone3_32": "EINVAL",
                              "setns32": "EINVAL", "md5_32": "EINVAL", "sockcall32": "EFAULT"})


class Jail(Probe):
    def make_jail(self):
        """A root-owned 0755 jail with the probe at /probe, its libraries
        (ldd) and /proc mounted (the probe reports from /proc)."""
        jail = tempfile.mkdtemp(prefix="master-e2e-jail-")
        self.addCleanup(shutil.rmtree, jail, True)
        os.chmod(jail, 0o755)
        out = subprocess.run(["ldd", PROBE], stdout=subprocess.PIPE, check=True).stdout.decode()
        libs = [w for line in out.splitlines() for w in line.split() if w.startswith("/")]
        for src in [PROBE] + libs:
            dst = jail + ("/probe" if src == PROBE else src)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
        os.mkdir(jail + "/proc")
        for d, _, _ in os.walk(jail):
            os.chmod(d, 0o755)
        subprocess.run(["mount", "-t", "proc", "proc", jail + "/proc"], check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", jail + "/proc"])
        return jail

    def test_23a_chroot_option_and_column(self):
        jail = self.make_jail()
        st = os.stat(jail)
        for cf, conf in (("127.0.0.1:0 inet n y n - 1 /probe -o chroot=%s\n" % jail, ""),
                         ("127.0.0.1:0 inet n y y - 1 /probe\n",
                          'chroot_directory = "%s"\n' % jail)):
            with self.subTest(cf=cf):
                m = self.start(cf, conf)
                r = self.probe(m)
                self.assertEqual((r["root_dev"], r["root_ino"]), (st.st_dev, st.st_ino),
                                 "not jailed: / is not %s" % jail)
                self.assertEqual(r["cwd"], "/")
                pid = m.worker_pids()[0]
                self.assertEqual(os.readlink("/proc/%d/root" % pid), jail)
                self.assertCaps(r, ZERO_CAPS)
                m.stop()


class LoadErrors(Probe):
    def check_fails(self, cf, want, conf=""):
        m = self.master(cf.replace("{PROBE}", PROBE), conf, start=False)
        rc, err = m.run_check()
        self.assertNotEqual(rc, 0, "master -n accepted:\n%s" % cf)
        self.assertIn("master.cf:1: " + want, err)
        return err

    def test_24a_unknown_user_group_capability(self):
        self.check_fails("127.0.0.1:0 inet n y n - 1 {PROBE} -o user=nosuchuser_e2e\n",
                         'unknown user "nosuchuser_e2e"')
        self.check_fails("127.0.0.1:0 inet n y n - 1 {PROBE} -o group=nosuchgroup_e2e\n",
                         'unknown group "nosuchgroup_e2e"')
        self.check_fails("127.0.0.1:0 inet n y n - 1 {PROBE} -o capabilities=cap_bogus\n",
                         'capabilities "cap_bogus": unknown capability "cap_bogus"')

    def test_24b_bad_jails(self):
        base = tempfile.mkdtemp(prefix="master-e2e-badjail-")
        self.addCleanup(shutil.rmtree, base, True)
        os.chmod(base, 0o755)
        missing = base + "/missing"
        self.check_fails("127.0.0.1:0 inet n y n - 1 /probe -o chroot=%s\n" % missing,
                         'chroot "%s": No such file or directory' % missing)
        self.check_fails("127.0.0.1:0 inet n y y - 1 /probe\n",
                         'chroot "%s": No such file or directory' % missing,
                         'chroot_directory = "%s"\n' % missing)
        notroot = base + "/notroot"
        os.mkdir(notroot, 0o755)
        os.chown(notroot, pwd.getpwnam("nobody").pw_uid, 0)
        self.check_fails("127.0.0.1:0 inet n y n - 1 /probe -o chroot=%s\n" % notroot,
                         'chroot "%s": owned by uid %d, not root'
                         % (notroot, pwd.getpwnam("nobody").pw_uid))
        writable = base + "/writable"
        os.mkdir(writable)
        os.chmod(writable, 0o777)
        self.check_fails("127.0.0.1:0 inet n y n - 1 /probe -o chroot=%s\n" % writable,
                         'chroot "%s": writable by others (mode 0777)' % writable)


class Cgroups(Probe):
    LIMITS = " -o memory_max=64M -o pids_max=32 -o cpu_weight=50\n"

    def test_25_cgroup_limits(self):
        mnt = cgroup2_mount()
        parents = ["/sys/fs/cgroup/master-e2e-%d" % os.getpid()]
        if mnt is not None:
            parents.insert(0, "%s/master-e2e-%d" % (mnt, os.getpid()))
        cf = "127.0.0.1:0 inet n y n - 1 {PROBE}" + self.LIMITS
        reasons = []
        for parent in parents:
            conf = 'cgroup_parent = "%s"\n' % parent
            m = self.master(cf.replace("{PROBE}", PROBE), conf, start=False)
            rc, err = m.run_check()
            if rc == 0:
                return self.check_cgroup(cf, conf, parent)
            self.assertIn("master.cf:1: memory_max: cgroup v2 controller \"memory\" "
                          "unavailable: ", err)
            reasons.append(err.splitlines()[0].split("master.cf:1: ", 1)[1])
        self.skipTest("; ".join(reasons))

    def check_cgroup(self, cf, conf, parent):
        self.addCleanup(lambda: subprocess.run(["find", parent, "-depth", "-type", "d",
                                                "-exec", "rmdir", "{}", ";"]))
        m = self.start(cf, conf)
        r = self.probe(m)
        name = "inet-127.0.0.1:0"
        # containment: each worker in a leaf of its own below the service's
        self.assertRegex(r["cgroup"].strip(), "/" + re.escape(name) + r"/w\d+$")
        with open("%s/%s/memory.max" % (parent, name)) as f:
            self.assertEqual(f.read().strip(), str(64 << 20))
        with open("%s/%s/pids.max" % (parent, name)) as f:
            self.assertEqual(f.read().strip(), "32")
        with open("%s/%s/cpu.weight" % (parent, name)) as f:
            self.assertEqual(f.read().strip(), "50")


if __name__ == "__main__":
    unittest.main()
