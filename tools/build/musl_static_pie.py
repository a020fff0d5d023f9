#!/usr/bin/env python3
"""musl_static_pie.py MUSL_GCC - how to link a static-pie program with musl.

meson.build runs this at setup for worker_libc (docs/security.md, "Shipped
workers"). musl-gcc's specs file knows -static but not -static-pie: it
always names Scrt1.o and a dynamic loader. A static-pie program needs
musl's rcrt1.o (which relocates the program before anything else runs)
and no PT_INTERP, so the link names its start and end files itself.

Prints five lines: rcrt1.o, crti.o, crtbeginS.o, crtendS.o, crtn.o (the
first two and the last from musl's library directory, where musl-gcc's
link command finds crti.o; the crtbegin/crtend pair from gcc). Before printing, links a small
program that way and runs it twice: it must exit 0, its ELF must have no
PT_INTERP, and its load address must differ between the runs (ASLR).
Exit 1 with the reason on stderr when any of that fails.
"""
import os
import re
import subprocess
import sys
import tempfile

PROBE_C = r"""
#include <stdio.h>
int main(void) { printf("%p\n", (void *)main); return 0; }
"""


def fail(why):
    sys.stderr.write("musl_static_pie: %s\n" % why)
    sys.exit(1)


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def start_end_files(musl_gcc):
    # -###: the commands the driver would run, with musl's specs applied
    # (-dumpspecs shows gcc's own).
    plan = run([musl_gcc, "-###", "-x", "c", os.devnull, "-o", os.devnull])
    m = re.search(r"(/[^\s\"]+)/crti\.o", plan.stderr)
    if not m:
        fail("no crti.o path in `%s -###`" % musl_gcc)
    libdir = m.group(1)
    files = [os.path.join(libdir, "rcrt1.o"), os.path.join(libdir, "crti.o")]
    for name in ("crtbeginS.o", "crtendS.o"):
        files.append(run([musl_gcc, "-print-file-name=" + name]).stdout.strip())
    files.append(os.path.join(libdir, "crtn.o"))
    for f in files:
        if not os.path.isfile(f):
            fail("missing %s" % f)
    return files


def has_interp(path):
    out = run(["readelf", "-lW", path])
    if out.returncode != 0:
        fail("readelf -l %s failed (binutils)" % path)
    return "INTERP" in out.stdout


def main():
    if len(sys.argv) != 2:
        fail("usage: musl_static_pie.py MUSL_GCC")
    musl_gcc = sys.argv[1]
    rcrt1, crti, crtbegin, crtend, crtn = files = start_end_files(musl_gcc)
    with tempfile.TemporaryDirectory(prefix="musl-static-pie.") as tmp:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(PROBE_C)
        link = run([musl_gcc, "-fPIE", "-nostdlib", "-static-pie",
                    "-Wl,-static,-pie,--no-dynamic-linker,-z,text",
                    rcrt1, crti, crtbegin, src,
                    "-Wl,--start-group", "-lc", "-lgcc", "-lgcc_eh", "-Wl,--end-group",
                    crtend, crtn, "-o", exe])
        if link.returncode != 0:
            fail("link failed: %s" % link.stderr.strip())
        if has_interp(exe):
            fail("the probe has a PT_INTERP: not static")
        addrs = set()
        for _ in range(2):
            r = run([exe])
            if r.returncode != 0:
                fail("the probe exited %d" % r.returncode)
            addrs.add(r.stdout.strip())
        if len(addrs) != 2:
            fail("the probe loaded at one address twice: no ASLR")
    print("\n".join(files))


if __name__ == "__main__":
    main()
