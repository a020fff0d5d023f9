"""The shipped workers as worker_libc builds them (docs/security.md,
"Shipped workers"): with musl or glibc, a running worker's RELRO (the
relocated data a call can go through: .init_array, .data.rel.ro, the GOT)
is read-only. glibc's start-up protects it; musl's static-pie start-up does
not, and libmaster does it before the first request (libmaster_relro.c).
The workers' other behaviour under musl is what the rest of the suite
tests: it runs the workers build/services holds."""

import os
import struct
import unittest

import harness as h

ELF_PT_GNU_RELRO = 0x6474E552
PAGE = os.sysconf("SC_PAGE_SIZE")


def relro_span(path):
    """(start, end) of the page-rounded PT_GNU_RELRO of a 64-bit
    little-endian ELF, relative to its load address; None if it has none."""
    with open(path, "rb") as f:
        head = f.read(64)
        phoff = struct.unpack_from("<Q", head, 32)[0]
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, _, p_vaddr, _, _, p_memsz = struct.unpack("<IIQQQQQ", f.read(48))
            if p_type == ELF_PT_GNU_RELRO:
                return (p_vaddr & ~(PAGE - 1), (p_vaddr + p_memsz) & ~(PAGE - 1))
    return None


def mappings(pid, path):
    """[(start, end, perms, offset)] of the mappings of file path in pid."""
    out = []
    real = os.path.realpath(path)
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == real:
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                out.append((lo, hi, fields[1], int(fields[2], 16)))
    return out


class WorkerRelro(h.MasterTestCase):
    def test_relro_read_only(self):
        """echo, serving: no page of its RELRO is writable."""
        span = relro_span(h.ECHO)
        self.assertIsNotNone(span, "%s has no PT_GNU_RELRO" % h.ECHO)
        self.assertLess(span[0], span[1], "RELRO shorter than a page")
        m = self.master("127.0.0.1:0 inet n n n - 1 echo -o prefork=1\n")
        self.assertEqual(h.echo_once(m.addr(), "relro"), "relro")
        # The pid and its state from one snapshot: an idle worker has been
        # through libmaster_run's start.
        st = m.wait_for(lambda st: any(p["state"] == "idle"
                                       for p in m.service(st=st)["procs"]),
                        10, "an idle echo worker")
        pid = [p["pid"] for p in m.service(st=st)["procs"] if p["state"] == "idle"][0]
        maps = mappings(pid, h.ECHO)
        self.assertTrue(maps, "no mapping of %s in worker %d" % (h.ECHO, pid))
        base = min(lo - off for lo, _, _, off in maps if off == 0)
        start, end = base + span[0], base + span[1]
        writable = [(hex(lo), hex(hi), perms) for lo, hi, perms, _ in maps
                    if lo < end and hi > start and "w" in perms]
        self.assertEqual(writable, [], "RELRO %#x-%#x of worker %d is writable"
                         % (start, end, pid))


if __name__ == "__main__":
    unittest.main()
