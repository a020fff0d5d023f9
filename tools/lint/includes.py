#!/usr/bin/env python3
"""includes.py - finds import circles between the master's files.

Usage: includes.py [--known A,B,C]... [--list] DIR

A file X.c uses file Y.c when it includes Y.h or names a function that Y.c
defines (not static): a call through master.h or a callback table counts,
since the dependency is the same. Files of one family, Y_Z.c beside Y.c
(control_auth.c, settings_conf.c), count as Y: they share its struct on
purpose. Every strongly connected set of two or more families is a circle.

--known A,B,C accepts that exact circle (one being removed elsewhere);
a known circle that is gone is reported so the option can be dropped.
--list prints every edge. Exit 1 if any unknown circle exists.
Stdlib only; reads sources as text (comments and strings blanked).
"""

import argparse
import os
import re
import sys

DEF_RX = re.compile(r"^(?!static\b)[A-Za-z_][\w \t\*]*?\b([a-z][a-z0-9_]*)\s*\([^;{]*\)\s*\{",
                    re.M)
INCLUDE_RX = re.compile(r'#include\s+"([a-z0-9_]+)\.h"')
IDENT_RX = re.compile(r"\b[a-z][a-z0-9_]*\b")


def blank(text):
    """Comments and string/char literals replaced by spaces."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"'(\\.|[^'\\\n])*'", "''", text)


def families(mods):
    """module -> family: the longest other module name it extends."""
    fam = {}
    for m in mods:
        best = m
        for other in mods:
            if other != m and m.startswith(other + "_") and len(other) < len(best):
                best = other
        fam[m] = best
    # A chain (a_b_c -> a_b -> a) ends at its root.
    for m in mods:
        while fam[fam[m]] != fam[m]:
            fam[m] = fam[fam[m]]
    return fam


def edges(d):
    mods = sorted(f[:-2] for f in os.listdir(d) if f.endswith(".c"))
    src = {m: open(os.path.join(d, m + ".c"), encoding="utf-8", errors="replace").read()
           for m in mods}
    defs = {}
    for m in mods:
        for name in DEF_RX.findall(blank(src[m])):
            defs[name] = m
    fam = families(mods)
    out = {fam[m]: set() for m in mods}
    why = {}
    for m in mods:
        a = fam[m]
        for inc in INCLUDE_RX.findall(src[m]):
            if inc in fam and fam[inc] != a:
                out[a].add(fam[inc])
                why.setdefault((a, fam[inc]), "%s.c includes %s.h" % (m, inc))
        for ident in set(IDENT_RX.findall(blank(src[m]))):
            y = defs.get(ident)
            if y is not None and fam[y] != a:
                out[a].add(fam[y])
                why.setdefault((a, fam[y]), "%s.c uses %s() of %s.c" % (m, ident, y))
    return out, why


def circles(graph):
    """Strongly connected sets of two or more nodes (Tarjan, iterative)."""
    index, low, on, stack, found = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--known", action="append", default=[])
    ap.add_argument("--list", action="store_true")
    opts = ap.parse_args()
    graph, why = edges(opts.dir)
    if opts.list:
        for a in sorted(graph):
            print("%s -> %s" % (a, " ".join(sorted(graph[a])) or "-"))
    known = [sorted(k.split(",")) for k in opts.known]
    found = circles(graph)
    bad = [c for c in found if c not in known]
    for c in known:
        if c not in found:
            print("includes: the known circle %s is gone: drop its --known" % ",".join(c))
    for c in found:
        print("includes: %scircle: %s" % ("known " if c in known else "", " <-> ".join(c)))
        for a in c:
            for b in c:
                if b in graph[a]:
                    print("  %s -> %s: %s" % (a, b, why[(a, b)]))
    if bad:
        return 1
    print("includes: no unknown import circle among %d families" % len(graph))
    return 0


if __name__ == "__main__":
    sys.exit(main())
