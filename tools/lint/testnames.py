#!/usr/bin/env python3
"""testnames.py - finds end-to-end tests that never run.

Usage: testnames.py DIR

A module that defines two classes of one name keeps only the last, and a
class that defines two methods of one name keeps only the last: the
first is never collected, and no report says so (a mutation audit found
a hostile-worker test that had not run since its class name was reused).
Every test_*.py in DIR is parsed; each such shadowed name is printed as
FILE:LINE. Exit 1 if any is found. Stdlib only.
"""

import ast
import glob
import os
import sys


def shadowed(body):
    """(name, line) of each definition in body that a later one of the
    same name replaces."""
    seen, out = {}, []
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name in seen:
                out.append((node.name, seen[node.name]))
            seen[node.name] = node.lineno
    return out


def main():
    if len(sys.argv) != 2:
        print("usage: testnames.py DIR", file=sys.stderr)
        return 2
    found = 0
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "test_*.py"))):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        scopes = [("", tree.body)] + [(c.name + ".", c.body) for c in tree.body
                                      if isinstance(c, ast.ClassDef)]
        for prefix, body in scopes:
            for name, line in shadowed(body):
                print("%s:%d: %s%s is defined again below: this one never runs"
                      % (path, line, prefix, name))
                found += 1
    print("testnames: %d shadowed definition%s" % (found, "" if found == 1 else "s"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
