"""report.py - the verdict and the summary of a soak run: one line that
starts with "SOAK:" (CI greps it), a table per service, and the notes that
explain a failure. Pure: takes the figures, prints, returns the reasons."""

import re

from .chaos import SLOW_STATUS_MS, STALE_SNAPSHOT_MS

RSS_BOUND_KB = 8192         # master RSS growth allowed, start -> end
FDS_BOUND = 16              # master fd growth allowed, start -> end
LOG_SHAPES_MAX = 8
LEFTOVERS_SHOWN = 10


def pct(values, q):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def window_cover(kills, window_ms, seconds, nroles):
    """Percent of the kill phase inside some kill's window, per service, mean:
    a short request at x is the kill's if t0 - after <= x <= t1 + before."""
    if not kills or seconds <= 0 or nroles == 0:
        return 0.0
    before, after = (v * 1_000_000 for v in window_ms)
    total = 0
    for role in set(k[0] for k in kills):
        end = None
        for _, _, t0, t1, _ in sorted((k for k in kills if k[0] == role), key=lambda k: k[2]):
            a, b = t0 - after, t1 + before
            if end is None or a > end:
                total += b - a
            elif b > end:
                total += b - end
            end = b if end is None else max(end, b)
    return 100.0 * total / 1e9 / seconds / nroles


def log_shapes(path):
    """Warning and error lines of the master's log, digits folded: {shape: count}."""
    shapes = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if ": warning: " in line or ": error: " in line or ": fatal: " in line:
                    shape = re.sub(r"\d+", "N", line.split("]: ", 1)[-1].strip())
                    shapes[shape] = shapes.get(shape, 0) + 1
    except OSError:
        pass
    return shapes


def verdict(f):
    """Reasons the run failed (empty: it passed)."""
    why = []
    if f["interrupted"]:
        # Half a run proves nothing but what was left behind.
        why.append("interrupted")
        if f["leftovers"]:
            why.append("%d process(es) left behind" % len(f["leftovers"]))
        return why
    if f["errors"]:
        why.extend(f["errors"])
    if f["lost"]:
        why.append("%d request(s) lost" % f["lost"])
    if f["ok"] == 0 or any(r["ok"] == 0 for r in f["rows"].values()):
        why.append("a loaded service served nothing")
    if f["kills_wanted"] and not f["kills"]:
        why.append("no worker was killed (no idle worker that had served)")
    if f["reloads_failed"]:
        why.append("%d reload(s) failed" % f["reloads_failed"])
    if f["rss"][1] is None or f["rss"][1] - f["rss"][0] > RSS_BOUND_KB:
        why.append("master RSS grew past +%d kB" % RSS_BOUND_KB)
    if f["fds"][1] is None or f["fds"][1] - f["fds"][0] > FDS_BOUND:
        why.append("master fds grew past +%d" % FDS_BOUND)
    if f["leftovers"]:
        why.append("%d process(es) left behind" % len(f["leftovers"]))
    if f["master_exit"] != 0:
        why.append("master exit status %s after SIGTERM" % f["master_exit"])
    if f["status_errors"]:
        why.append("%d status call(s) failed" % f["status_errors"])
    return why


def summary_line(f, why):
    k = f["kinds"]
    st = f["status_ms"]
    rss, fds = f["rss"], f["fds"]
    d = lambda a, b: "?" if a is None or b is None else "%+d" % (b - a)  # noqa: E731
    return ("SOAK: %s %.0fs ok=%d failed=%d (refused=%d reset=%d short=%d timeout=%d"
            " mismatch=%d) kill-race=%d lost=%d | no-kill phase ok=%d lost=%d"
            " | reloads ok=%d failed=%d | kills=%d | status n=%d p50=%.1fms p99=%.1fms"
            " max=%.1fms | rss %s->%skB (%s, bound +%d) | fds %s->%s (%s, bound +%d)"
            " | leftover=%d"
            % ("PASS" if not why else "FAIL", f["seconds"], f["ok"], sum(k.values()),
               k["connect"], k["reset"], k["short"], k["timeout"], k["mismatch"],
               f["kill_race"], f["lost"], f["quiet_ok"], f["quiet_lost"],
               f["reloads_ok"], f["reloads_failed"], len(f["kills"]), len(st),
               pct(st, 0.5), pct(st, 0.99), max(st) if st else 0.0,
               rss[0], rss[1], d(*rss), RSS_BOUND_KB, fds[0], fds[1], d(*fds), FDS_BOUND,
               len(f["leftovers"])))


def print_report(f, out):
    why = verdict(f)
    p = lambda s="": print(s, file=out)  # noqa: E731
    p(summary_line(f, why))
    hdr = "%-6s %-22s %9s %7s %6s %6s %7s %8s %5s %5s %6s %7s" % (
        "role", "service", "ok", "refused", "reset", "short", "timeout", "mismatch",
        "kill", "lost", "kills", "req/s")
    p(hdr)
    p("-" * len(hdr))
    for role, r in f["rows"].items():
        k = r["kinds"]
        p("%-6s %-22s %9d %7d %6d %6d %7d %8d %5d %5d %6d %7.0f" % (
            role, f["names"][role], r["ok"], k["connect"], k["reset"], k["short"],
            k["timeout"], k["mismatch"], r["kill"], r["lost"],
            sum(1 for x in f["kills"] if x[0] == role), r["ok"] / max(f["seconds"], 1e-9)))
    ages = [x[4] for x in f["kills"]]
    cover = window_cover(f["kills"], f["window_ms"], f["kill_seconds"], len(f["rows"]))
    before_ms, after_ms = f["window_ms"]
    p("kills: %d SIGKILLs of idle workers that had served (%.1f/s while on); snapshot->kill"
      " p50=%.1fms max=%.1fms (never past %dms: %d skipped); %d time(s) no worker"
      " qualified" % (
          len(f["kills"]), len(f["kills"]) / max(f["kill_seconds"], 1e-9), pct(ages, 0.5),
          max(ages) if ages else 0.0, STALE_SNAPSHOT_MS, f["stale"], f["no_victim"]))
    p("kill-race: a reset or short read on a killed worker's service whose request ran"
      " when the kill was sent (from %dms before it began to %dms after it ended); these"
      " windows cover %.1f%% of a service's kill phase, the odds that a real loss of that"
      " kind is taken for a kill's (the no-kill phase has none)" % (before_ms, after_ms, cover))
    p("master: rss max %dkB, fds max %d, stopped in %.1fs with exit status %s; reload"
      " p50=%.0fms max=%.0fms; crashed=%d killed=%d in status (kills seen as crashes)" % (
          f["rss_max"], f["fds_max"], f["stop_s"], f["master_exit"],
          pct(f["reload_ms"], 0.5), max(f["reload_ms"]) if f["reload_ms"] else 0.0,
          f["crashed"], f["killed"]))
    p("status: %d call(s) took %dms or more, %d of them while a reload ran; a call is"
      " masterctl's whole run (exec, connect, reply)" % (
          f["slow_status"], SLOW_STATUS_MS, f["slow_in_reload"]))
    if f["crashed"] != len(f["kills"]) and not f["interrupted"]:
        p("note: the master counted %d crashes for %d kills (crashes of workers not killed"
          " by soak, or kills of workers that were exiting anyway)"
          % (f["crashed"], len(f["kills"])))
    if f["orphans"]:
        p("orphans: %s re-parented to soak dead and reaped during the run (a worker killed"
          " with a child: spawn's command dies by its parent-death signal)"
          % ", ".join("%d %s" % (n, c) for c, n in sorted(f["orphans"].items())))
    if f["escaped"]:
        p("escaped: %s re-parented to soak alive: out of the master's tree (leftovers if"
          " still alive at the end)" % ", ".join("%d %s" % (n, c)
                                                  for c, n in sorted(f["escaped"].items())))
    shapes = sorted(f["log_shapes"].items(), key=lambda kv: -kv[1])
    for shape, n in shapes[:LOG_SHAPES_MAX]:
        p("log: %6dx %s" % (n, shape[:160]))
    if len(shapes) > LOG_SHAPES_MAX:
        p("log: ... %d more kinds of warning/error lines" % (len(shapes) - LOG_SHAPES_MAX))
    for note in f["notes"]:
        p("note: %s" % note)
    for pid, how in sorted(f["leftovers"].items())[:LEFTOVERS_SHOWN]:
        p("leftover: pid %d %s (SIGKILLed)" % (pid, how))
    if len(f["leftovers"]) > LEFTOVERS_SHOWN:
        p("leftover: ... and %d more (SIGKILLed)" % (len(f["leftovers"]) - LEFTOVERS_SHOWN))
    if why:
        p("soak: FAIL: %s (files in %s)" % ("; ".join(why), f["dir"]))
    return why
