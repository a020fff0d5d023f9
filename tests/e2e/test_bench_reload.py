"""tools/bench/reload and what it stands on: bench-client's --series
(completions per 10 ms on the monotonic clock, every bucket of the run,
every thread's completions counted) and one short reload-under-load case
per kind against the real master (every reload applied, 0 failed
connections, the loaded service's workers replaced or kept as the kind
says)."""

import json
import shutil
import os
import subprocess
import sys
import tempfile
import time
import unittest

import harness as h

BENCH = os.path.join(h.BUILD, "tools", "bench")
CLIENT = os.path.join(BENCH, "bench-client")
RELOAD = os.path.join(h.SRC, "tools", "bench", "reload")
BUCKET_NS = 10_000_000
CLIENT_S = 1.0
RUN_TIMEOUT_S = 120.0


class BenchReload(h.MasterTestCase):
    def test_series_counts_every_completion(self):
        """Two threads, 1 s: the buckets are 10 ms apart with none missing,
        start at the run's start, and sum to the requests the client
        reports (both threads counted)."""
        m = self.master("127.0.0.1:{PORT1} inet n n n - 4 echo -o prefork=2\n", nports=1)
        tmp = tempfile.mkdtemp(prefix="e2e-series-")
        self.addCleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))
        series = os.path.join(tmp, "series")
        t0 = time.monotonic_ns()
        r = subprocess.run([CLIENT, "-a", "127.0.0.1:%d" % m.ports["PORT1"], "-c", "4", "-t", "2",
                            "-d", str(CLIENT_S), "-m", "conn", "--json", "--series", series],
                           capture_output=True, text=True, timeout=CLIENT_S + 30)
        t1 = time.monotonic_ns()
        self.assertEqual(r.returncode, 0, r.stderr)
        res = json.loads(r.stdout)
        with open(series) as f:
            rows = [tuple(int(x) for x in line.split()) for line in f]
        starts = [t for t, _ in rows]
        self.assertGreaterEqual(len(rows), CLIENT_S * 1e9 / BUCKET_NS)
        self.assertTrue(t0 <= starts[0] <= t1, (t0, starts[0], t1))
        self.assertEqual([b - a for a, b in zip(starts, starts[1:])],
                         [BUCKET_NS] * (len(starts) - 1))
        self.assertGreater(res["requests"], 0)
        self.assertEqual(sum(n for _, n in rows), res["requests"])

    def reload_case(self, kind, trigger):
        tmp = tempfile.mkdtemp(prefix="e2e-benchreload-")
        self.addCleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))
        out = os.path.join(tmp, "rows.json")
        r = subprocess.run([sys.executable, RELOAD, "--build", h.BUILD, "--pool", "2",
                            "--concurrency", "8", "--kinds", kind, "--triggers", trigger,
                            "--window", "1", "--interval", "0.5", "--gap", "0.3",
                            "--rounds", "1", "--json", out],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(out) as f:
            rows = json.load(f)
        self.assertEqual(len(rows), 1, r.stdout)
        row = rows[0]
        self.assertEqual(row["fails"], {}, r.stdout)
        self.assertEqual((row["reloads"], row["applied"]), (2, 2), r.stdout)
        self.assertEqual(row["bad"], [], r.stdout)
        self.assertGreater(row["med"]["steady"], 0, r.stdout)
        self.assertGreater(row["med"]["reload"], 0, r.stdout)
        return row, r.stdout

    def test_replace_via_masterctl(self):
        """A changed setting: masterctl's reply names the service changed
        (checked by the tool), its wall time is reported, nothing fails."""
        row, out = self.reload_case("replace", "masterctl")
        self.assertEqual(len(row["wall_ms"]), 2, out)
        self.assertIn("replace  masterctl", out)

    def test_service_via_sighup(self):
        """A second service added then removed by SIGHUP: both applied
        (the master's log), nothing fails, no reload time (untimed)."""
        row, out = self.reload_case("service", "sighup")
        self.assertEqual(row["wall_ms"], [], out)


if __name__ == "__main__":
    unittest.main()
