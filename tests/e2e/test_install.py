"""test_install.py - `meson install --destdir` of the build under test
gives exactly the expected files (issue 14, "Install and start").

- The installed file list equals the expected one: binaries, workers,
  libmaster, the systemd units, the example configuration, every manual
  page in man/, the README and everything in docs/, the mail example. A file
  installed that is not expected fails as much as one missing: adding an
  installed file means adding it here.
- Every worker services/meson.build builds is in build/services (the
  quick start's daemon directory) and installed.
- Shipped workers are static-pie (ELF type DYN, no PT_INTERP) in a build
  that links them statically; the master is a dynamic PIE.
- The unit runs what was installed: ExecStart= names the installed master
  and config directory, and `systemd-analyze verify` is clean with the
  install overlaid on /usr (a private mount namespace).
- No manual page points at a file that is not installed: every path a page
  names in a font macro (.I, .IR, .B, ...) under the package's own
  locations (/etc/master, docs/, etc/, README) maps to an installed file.
- The example configuration is never overwritten: a second install keeps an
  edited master.cf and puts the shipped one beside it as master.cf.dist.
"""

import glob
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import tempfile
import unittest

import harness as h

INSTALL_TIMEOUT_S = 300     # a rebuild of what is stale, then the copy
VERIFY_TIMEOUT_S = 60



def shipped_workers():
    """Every program services/meson.build builds and installs: the shipped
    workers, all in build/services and all installed in libexecdir/master.
    From meson's introspection: an executable with glibc, a custom target
    (musl-gcc's link) with worker_libc=musl."""
    with open(os.path.join(h.BUILD, "meson-info", "intro-targets.json")) as f:
        targets = json.load(f)
    services = os.path.join(h.SRC, "services", "meson.build")
    return sorted({os.path.basename(t["filename"][0]) for t in targets
                   if t["installed"] and t["type"] in ("executable", "custom")
                   and os.path.realpath(t["defined_in"]) == os.path.realpath(services)})


WORKERS = shipped_workers()
ELF_ET_DYN = 3
ELF_PT_INTERP = 3


def build_options():
    with open(os.path.join(h.BUILD, "meson-info", "intro-buildoptions.json")) as f:
        return {o["name"]: o["value"] for o in json.load(f)}


def under(prefix, d):
    """meson's rule: a relative directory option is under prefix."""
    return d if os.path.isabs(d) else os.path.join(prefix, d)


class Layout:
    """Where this build installs each kind of file (absolute, no DESTDIR)."""

    def __init__(self, opts):
        p = opts["prefix"]
        self.prefix = p
        self.sbin = under(p, opts["sbindir"])
        self.libexec = os.path.join(under(p, opts["libexecdir"]), "master")
        self.conf = os.path.join(under(p, opts["sysconfdir"]), "master")
        self.lib = under(p, opts["libdir"])
        self.include = os.path.join(under(p, opts["includedir"]), "libmaster")
        self.man = under(p, opts["mandir"])
        self.doc = os.path.join(under(p, opts["datadir"]), "doc", "master")
        unit = opts.get("systemdsystemunitdir", "")
        self.unit = None if unit == "no" else (unit or os.path.join(p, "lib", "systemd", "system"))

    def expected(self):
        files = [os.path.join(self.sbin, n) for n in ("master", "masterctl")]
        files += [os.path.join(self.libexec, n) for n in WORKERS]
        files += [os.path.join(self.conf, n) for n in ("master.cf", "master.conf")]
        files += [os.path.join(self.lib, n) for n in
                  ("libmaster.a", "libmaster.so", "libmaster.so.1", "libmaster.so.1.0.0",
                   "pkgconfig/libmaster.pc")]
        files += [os.path.join(self.include, n) for n in ("libmaster.h", "protocol.h")]
        if self.unit:
            files += [os.path.join(self.unit, n) for n in ("master.service", "master.socket")]
        # Every page in man/ and every document: "all installed".
        for page in glob.glob(os.path.join(h.SRC, "man", "*.[1-8]")):
            name = os.path.basename(page)
            files.append(os.path.join(self.man, "man" + name[-1], name))
        files.append(os.path.join(self.doc, "README.md"))
        top = os.path.join(h.SRC, "docs")
        for d, _, names in os.walk(top):
            files += [os.path.join(self.doc, "docs", os.path.relpath(os.path.join(d, n), top))
                      for n in names]
        for ex in glob.glob(os.path.join(h.SRC, "etc", "mail", "*")):
            files.append(os.path.join(self.doc, "examples", "mail", os.path.basename(ex)))
        return sorted(files)

    def source_ref(self, ref):
        """Where a page's reference to a file of the source tree is installed."""
        if ref == "README.md":
            return os.path.join(self.doc, "README.md")
        if ref.startswith("docs/"):
            return os.path.join(self.doc, ref)
        if ref.startswith("etc/mail/"):
            return os.path.join(self.doc, "examples", ref[len("etc/"):])
        if ref in ("etc/master.service", "etc/master.service.in", "etc/master.socket") \
                and self.unit:
            # The template is installed as the unit generated from it.
            return os.path.join(self.unit, ref[len("etc/"):].replace(".in", ""))
        if ref in ("etc/master.cf", "etc/master.conf"):
            return os.path.join(self.conf, ref[len("etc/"):])
        return None     # etc/NAME not installed: stays a failure


def install(build, destdir):
    r = subprocess.run(["meson", "install", "-C", build, "--destdir", destdir, "--quiet"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=INSTALL_TIMEOUT_S, universal_newlines=True)
    if r.returncode != 0:
        raise AssertionError("meson install: exit %d:\n%s" % (r.returncode, r.stdout[-3000:]))
    return r.stdout


def installed_files(destdir):
    out = []
    for d, _, names in os.walk(destdir):
        for n in names:
            out.append("/" + os.path.relpath(os.path.join(d, n), destdir))
    return sorted(out)


def elf_kind(path):
    """(e_type, has PT_INTERP) of a 64-bit little-endian ELF file."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            return None, None
        e_type = struct.unpack_from("<H", head, 16)[0]
        phoff = struct.unpack_from("<Q", head, 32)[0]
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        interp = False
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if struct.unpack("<I", f.read(4))[0] == ELF_PT_INTERP:
                interp = True
        return e_type, interp


# Font macros whose arguments are words the reader looks up: file names.
MAN_MACRO = re.compile(r"^\.(?:I|B|IR|RI|BR|RB|IB|BI)\s+(.*)$")
MAN_INLINE = re.compile(r"\\f[IB](.*?)\\f[RP]")


def man_paths(text):
    """The file-like words a page sets in italic or bold."""
    words = []
    for line in text.splitlines():
        m = MAN_MACRO.match(line)
        if m:
            try:
                words += shlex.split(m.group(1))
            except ValueError:
                words += m.group(1).split()
        words += MAN_INLINE.findall(line)
    out = []
    for w in words:
        w = w.replace("\\-", "-").replace("\\&", "")
        w = re.sub(r":\d.*$", "", w).rstrip(").,;:")
        if "/" in w or w == "README.md":
            out.append(w)
    return out


class TestInstall(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if shutil.which("meson") is None:
            raise unittest.SkipTest("meson not in PATH")
        cls.opts = build_options()
        cls.layout = Layout(cls.opts)
        cls.dest = tempfile.mkdtemp(prefix="master-install.")
        install(h.BUILD, cls.dest)
        cls.files = installed_files(cls.dest)

    @classmethod
    def tearDownClass(cls):
        # Removed even when logs are kept (h.KEEP, tools/test's ASan phase):
        # it holds no log, and its copy of docs/reliability.md names the
        # sanitizers' report lines that the phase looks for in kept logs.
        shutil.rmtree(cls.dest, ignore_errors=True)

    def at(self, path):
        return os.path.join(self.dest, path.lstrip("/"))

    def test_file_list(self):
        want = self.layout.expected()
        missing = sorted(set(want) - set(self.files))
        extra = sorted(set(self.files) - set(want))
        self.assertEqual((missing, extra), ([], []),
                         "installed file list differs (missing, unexpected)")

    def test_build_services_holds_every_worker(self):
        """build/services is the README quick start's daemon_directory."""
        self.assertIn("spawn", WORKERS)
        missing = [w for w in WORKERS
                   if not os.access(os.path.join(h.BUILD, "services", w), os.X_OK)]
        self.assertEqual(missing, [], "workers not in %s/services" % h.BUILD)

    def test_workers_static_pie(self):
        static = (self.opts.get("b_sanitize") in ("none", "")
                  and self.opts.get("static_workers") != "disabled")
        for name in WORKERS:
            e_type, interp = elf_kind(self.at(os.path.join(self.layout.libexec, name)))
            self.assertEqual(e_type, ELF_ET_DYN, "%s is not position-independent" % name)
            if static:
                self.assertFalse(interp, "%s has a program interpreter: not static-pie" % name)
        e_type, interp = elf_kind(self.at(os.path.join(self.layout.sbin, "master")))
        self.assertEqual((e_type, interp), (ELF_ET_DYN, True), "master: not a dynamic PIE")

    def test_workers_libc(self):
        """worker_libc: musl workers are musl-gcc's custom targets and hold
        no glibc code; a sanitizer build (auto) keeps glibc workers."""
        libc = self.opts.get("worker_libc", "glibc")
        with open(os.path.join(h.BUILD, "meson-info", "intro-targets.json")) as f:
            musl = any(t["type"] == "custom" and t["installed"]
                       and os.path.basename(t["filename"][0]) in WORKERS
                       for t in json.load(f))
        if libc != "auto":
            self.assertEqual(musl, libc == "musl", "worker_libc=%s" % libc)
        if self.opts.get("b_sanitize") not in ("none", ""):
            self.assertFalse(musl, "musl workers in a sanitizer build")
        for name in WORKERS:
            with open(self.at(os.path.join(self.layout.libexec, name)), "rb") as f:
                glibc = b"glibc" in f.read()
            self.assertEqual(glibc, not musl, "%s: glibc code %s" % (name, "in a musl worker"
                             if musl else "missing from a glibc worker"))

    def test_unit_runs_what_was_installed(self):
        if not self.layout.unit:
            self.skipTest("built with -Dsystemdsystemunitdir=no")
        with open(self.at(os.path.join(self.layout.unit, "master.service"))) as f:
            unit = f.read()
        self.assertIn("ExecStart=%s -f -c %s\n"
                      % (os.path.join(self.layout.sbin, "master"), self.layout.conf), unit)
        self.assertIn("ExecReload=%s -c %s reload\n"
                      % (os.path.join(self.layout.sbin, "masterctl"), self.layout.conf), unit)
        self.assertIn("LimitNOFILE=1024:", unit)
        # @NAME groups (SystemCallFilter=~@clock) aside, an @ is an
        # unsubstituted @VAR@.
        self.assertNotIn("@", re.sub(r"@[a-z-]+\b(?!@)", "", unit),
                         "an unsubstituted @VAR@ in the unit")

    def test_unit_verifies(self):
        """systemd-analyze verify with the install overlaid on /usr."""
        if not self.layout.unit:
            self.skipTest("built with -Dsystemdsystemunitdir=no")
        if shutil.which("systemd-analyze") is None or shutil.which("unshare") is None:
            self.skipTest("systemd-analyze or unshare not installed")
        if not h.is_root():
            self.skipTest("needs root: an overlay mount in a private mount namespace")
        if not self.layout.prefix.startswith("/usr"):
            self.skipTest("prefix %s is not under /usr (the overlay covers /usr)"
                          % self.layout.prefix)
        units = [os.path.join(self.layout.unit, n) for n in ("master.service", "master.socket")]
        script = ("mount -t overlay overlay -o lowerdir=%s:/usr /usr || exit 77; "
                  "exec systemd-analyze verify %s"
                  % (shlex.quote(self.at("/usr")), " ".join(shlex.quote(u) for u in units)))
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=VERIFY_TIMEOUT_S, universal_newlines=True)
        if r.returncode == 77 or "unshare failed" in r.stdout:
            self.skipTest("no overlay mount in a new mount namespace here: %s" % r.stdout.strip())
        self.assertEqual((r.returncode, r.stdout.strip()), (0, ""),
                         "systemd-analyze verify is not clean")

    def test_man_pages_point_at_installed_files(self):
        pages = [f for f in self.files if f.startswith(self.layout.man + "/")]
        self.assertTrue(pages, "no manual page installed")
        bad = []
        for page in pages:
            with open(self.at(page), errors="replace") as f:
                text = f.read()
            for ref in man_paths(text):
                if ref.startswith("/etc/master"):
                    where = self.layout.conf + ref[len("/etc/master"):]
                elif ref.startswith(("docs/", "etc/")) or ref == "README.md":
                    where = self.layout.source_ref(ref)
                elif ref.startswith(("/usr/libexec/master/", "/usr/local/libexec/master/")):
                    where = os.path.join(self.layout.libexec, os.path.basename(ref))
                elif ref.startswith(("/usr/share/doc/master", "/usr/local/share/doc/master")):
                    where = self.layout.doc + ref.split("/doc/master", 1)[1]
                else:
                    continue    # not the package's (/etc/passwd), or made at run time (/run)
                if where is None or not os.path.exists(self.at(where)):
                    bad.append("%s: %s (installed as %s?)" % (os.path.basename(page), ref, where))
        self.assertEqual(bad, [], "manual pages name files that are not installed")

    def test_config_never_overwritten(self):
        dest = tempfile.mkdtemp(prefix="master-reinstall.")
        self.addCleanup(shutil.rmtree, dest, True)
        conf = os.path.join(dest, self.layout.conf.lstrip("/"))
        os.makedirs(conf)
        with open(os.path.join(conf, "master.cf"), "w") as f:
            f.write("# the operator's own\n")
        install(h.BUILD, dest)
        with open(os.path.join(conf, "master.cf")) as f:
            self.assertEqual(f.read(), "# the operator's own\n", "master.cf overwritten")
        with open(os.path.join(conf, "master.cf.dist")) as f, \
                open(os.path.join(h.SRC, "etc", "master.cf")) as g:
            self.assertEqual(f.read(), g.read(), "master.cf.dist is not the shipped one")
        self.assertTrue(os.path.isfile(os.path.join(conf, "master.conf")),
                        "master.conf not installed where there was none")
        self.assertFalse(os.path.exists(os.path.join(conf, "master.conf.dist")),
                         "master.conf.dist made though no master.conf was there")


if __name__ == "__main__":
    unittest.main()
