#!/usr/bin/env python3
"""run.py - runs the end-to-end tests (tests/e2e/test_*.py) with unittest.

Environment: MASTER_BUILD_DIR (the meson build dir), MASTER_SOURCE_DIR.
Usage: run.py [-k SUBSTRING]...   (only tests whose id contains one of them)
Ends with the slowest tests ("E2E: slowest: ...") and "E2E: N passed,
N failed, N skipped"; exits non-zero on any failure or error.
"""

import argparse
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


class TimedResult(unittest.TextTestResult):
    """Each test's wall time, for the slowest list at the end (CI's time
    is bounded: docs say where it goes)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.durations_s = []
        self._t0 = 0.0

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        self.durations_s.append((time.monotonic() - self._t0, test.id()))
        super().stopTest(test)


SLOWEST_SHOWN = 10


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", action="append", default=[],
                    help="run only tests whose id contains this substring")
    opts = ap.parse_args()

    import harness  # noqa: E402 - needs sys.path above
    print("E2E: build dir %s, source dir %s" % (harness.BUILD, harness.SRC),
          flush=True)
    missing = harness.check_binaries()
    if missing:
        print("E2E: missing binaries (build first): %s" % ", ".join(missing),
              flush=True)

    loader = unittest.TestLoader()
    suite = loader.discover(start_dir=HERE, pattern="test_*.py", top_level_dir=HERE)
    if opts.k:
        suite = unittest.TestSuite(t for t in iter_tests(suite)
                                   if any(k in t.id() for k in opts.k))

    t0 = time.monotonic()
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     descriptions=False, resultclass=TimedResult)
    result = runner.run(suite)
    elapsed = time.monotonic() - t0
    for secs, name in sorted(result.durations_s, reverse=True)[:SLOWEST_SHOWN]:
        print("E2E: slowest: %6.1fs %s" % (secs, name))

    failed = (len(result.failures) + len(result.errors)
              + len(result.unexpectedSuccesses))
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    print("E2E: elapsed %.1fs" % elapsed)
    print("E2E: %d passed, %d failed, %d skipped" % (passed, failed, skipped),
          flush=True)
    if result.testsRun == 0:
        print("E2E: no tests ran", flush=True)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
