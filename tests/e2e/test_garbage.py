"""A worker that lies on its status channel is killed and logged; the other
services never notice."""

import re
import threading
import unittest

import harness as h


class Garbage(h.MasterTestCase):
    def test_05_garbage_worker_killed(self):
        m = self.master(
            "127.0.0.1:{PORT1} inet n n n - 1 {TESTWORKER} -o prefork=1 garbage\n"
            "127.0.0.1:{PORT2} inet n n n - 4 echo -o prefork=2\n", nports=2)
        gname = "127.0.0.1:%d" % m.ports["PORT1"]
        ename = "127.0.0.1:%d" % m.ports["PORT2"]
        self.assertEqual(sorted(m.service_names()), sorted([gname, ename]))
        gaddr, eaddr = m.addr(gname), m.addr(ename)

        for i in range(10):
            self.assertEqual(h.echo_once(eaddr, "before-%d" % i), "before-%d" % i)

        # Echo traffic throughout the incident, from another thread.
        stop = threading.Event()
        served, errors = [0], []

        def background():
            i = 0
            while not stop.is_set() and i < 5000:
                try:
                    h.echo_check(eaddr, "during-%d" % i, 5)
                    served[0] += 1
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
                i += 1
        t = threading.Thread(target=background, daemon=True)
        t.start()
        try:
            pids = m.worker_pids(gname)
            self.assertEqual(len(pids), 1, "garbage service pids %s" % pids)
            victim = pids[0]
            start = m.seen.get(victim)

            # The first connection makes it send "hello garbage".
            try:
                with h.connect(gaddr, 5) as s:
                    s.sendall(b"trigger\n")
                    try:
                        h.read_line(s, 5)
                    except (OSError, ConnectionError):
                        pass   # killed before or after it answered: both fine
            except OSError:
                pass

            m.wait_for(lambda st: m.service(gname, st)["killed"] >= 1
                       and victim not in m.worker_pids(gname, st), 10,
                       "garbage worker %d killed and counted" % victim)
            h.poll_until(lambda: not h.pid_alive(victim, start), 5,
                         "garbage worker pid %d gone" % victim)
            self.assertGone(victim, start, "garbage worker")
            rx = r"^.*\b%d\b.*hello garbage.*$|^.*hello garbage.*\b%d\b.*$" % (victim, victim)
            m.wait_log(rx, 5, "a log line naming pid %d and \"hello garbage\"" % victim)
        finally:
            stop.set()
            t.join(30)
        self.assertFalse(errors, "echo failed during the incident: %r" % errors[:3])
        self.assertGreater(served[0], 0, "no echo request completed during the incident")
        for i in range(10):
            self.assertEqual(h.echo_once(eaddr, "after-%d" % i), "after-%d" % i)
        self.assertTrue(m.alive(), "master died")
        self.assertNotRegex(m.log(), re.compile(r"^master\[\d+\]: (fatal|panic)", re.M))


if __name__ == "__main__":
    unittest.main()
