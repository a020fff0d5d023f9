"""test_quickstart.py - the README's quick start (issue 14).

- Its master command keeps everything under the build directory: the run
  directory (not the system's /run/master), the state directories, and the
  daemon directory build/services.
- With the options of that command, every commented example service of
  etc/master.cf whose command is a shipped worker (a bare name: echo,
  spawn, smtpd, sweep), once uncommented, passes `master -n` (a jailed one
  only where the workers are static: not in a sanitizer build): the daemon
  directory holds each (uncommenting the spawn service failed with
  ".../build/services/spawn: No such file" before spawn was built there).

Checked with -n only: the example's fixed ports (7070...) are not for a
test to bind. The run directory is a temporary one, so a quick start
running beside the tests is left alone.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness as h
from test_install import elf_kind

SERVICE = re.compile(r"^#(\S+\s+(?:inet|unix|fifo|unix-dgram|pass)\s+(?:\S+\s+){5}(\S+).*)$")
CONTINUATION = re.compile(r"^#(\s+\S.*)$")


def readme_master_command():
    """The master invocation of the README's first sh block (the last
    `&&` step of the quick start's first command)."""
    with open(os.path.join(h.SRC, "README.md")) as f:
        text = f.read()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip().split(" && ")[-1].split()


def uncommented_example():
    """etc/master.cf with every shipped-worker service uncommented."""
    out, taking, taken = [], False, []
    with open(os.path.join(h.SRC, "etc", "master.cf")) as f:
        for line in f.read().splitlines():
            m = SERVICE.match(line)
            c = CONTINUATION.match(line)
            if m:
                name, command = m.group(1).split()[0], m.group(2)
                taking = "/" not in command
                if name.startswith("[::1]") and not h.ipv6_loopback_available():
                    taking = False
                # Jailed (chroot y) in the empty jail: static workers only,
                # and a sanitizer build's are dynamic.
                if taking and m.group(1).split()[4] == "y" and \
                        elf_kind(os.path.join(h.BUILD, "services", command))[1]:
                    taking = False
                if taking:
                    taken.append(name)
                    line = m.group(1)
            elif c and taking:
                line = c.group(1)
            else:
                taking = False
            out.append(line)
    return "\n".join(out) + "\n", taken


class TestQuickstart(unittest.TestCase):

    def test_command_stays_in_the_build_directory(self):
        cmd = readme_master_command()
        self.assertEqual(cmd[:4], ["build/master/master", "-f", "-c", "etc"], cmd)
        opts = dict(cmd[i + 1].split("=", 1) for i, a in enumerate(cmd) if a == "-o")
        self.assertEqual(opts.get("daemon_directory"), "$PWD/build/services")
        self.assertTrue(opts.get("run_directory", "").startswith("$PWD/build/"),
                        "the quick start's run directory is not under build/: %s" % opts)
        self.assertTrue(opts.get("state_directory", "").startswith("$PWD/build/"), opts)

    def test_every_example_service_finds_its_worker(self):
        if not h.is_root():
            self.skipTest("needs root: the example's dynamic users")
        cmd = readme_master_command()
        d = tempfile.mkdtemp(prefix="master-quickstart-")
        self.addCleanup(shutil.rmtree, d, True)
        text, taken = uncommented_example()
        # The metricsd example runs in a group the operator makes for it
        # (its comment says so); nogroup exists everywhere and stands in.
        self.assertIn("group=master-status", text, "the metricsd example changed")
        text = text.replace("group=master-status", "group=nogroup")
        self.assertIn("relay", taken, "the example's spawn service not found in etc/master.cf")
        with open(os.path.join(d, "master.cf"), "w") as f:
            f.write(text)
        shutil.copy(os.path.join(h.SRC, "etc", "master.conf"), d)
        args = [h.MASTER, "-n", "-c", d]
        for i, a in enumerate(cmd):
            if a == "-o":
                name, value = cmd[i + 1].split("=", 1)
                if name == "run_directory":
                    value = os.path.join(d, "run")
                elif name == "state_directory":
                    value = os.path.join(d, "state", "%n")
                else:
                    value = value.replace("$PWD/build", h.BUILD)
                args += ["-o", "%s=%s" % (name, value)]
        r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60, universal_newlines=True)
        self.assertEqual(r.returncode, 0, "master -n on the uncommented example (%s): %s"
                         % (", ".join(taken), r.stdout))


if __name__ == "__main__":
    unittest.main()
