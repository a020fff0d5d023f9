"""masterctl status: text and JSON, one service or all; the control socket
is private to root."""

import json
import os
import unittest

import harness as h

CF = ("127.0.0.1:0 inet n n n - 2 echo -o prefork=1\n"
      "ctlsock unix n n n - 3 echo -o prefork=2\n")


class Control(h.MasterTestCase):
    def test_12a_status_text(self):
        m = self.master(CF)
        rc, out, err = m.ctl("status")
        self.assertEqual(rc, 0, "masterctl status: exit %d, stderr %s" % (rc, err))
        for name in m.service_names():
            self.assertIn(name, out, "text status does not name %s:\n%s" % (name, out))

    def test_12b_status_json_one_service(self):
        m = self.master(CF)
        st = m.status()
        self.assertIsInstance(st["master"]["pid"], int)
        self.assertEqual(st["master"]["pid"], m.pid)
        self.assertEqual(sorted(s["name"] for s in st["services"]),
                         sorted(["127.0.0.1:0", "ctlsock"]))
        for s in st["services"]:
            for key in ("name", "type", "listen", "state", "workers", "prefork",
                        "maxproc", "requests", "spawned", "crashed", "killed", "procs"):
                self.assertIn(key, s, "service %s lacks %r" % (s.get("name"), key))
            for key in ("total", "idle", "busy", "starting", "retiring"):
                self.assertIn(key, s["workers"], "workers of %s lack %r" % (s["name"], key))
            self.assertEqual(s["state"], "running")
            for p in s["procs"]:
                for key in ("pid", "state", "age", "requests", "state_seconds"):
                    self.assertIn(key, p, "proc of %s lacks %r" % (s["name"], key))
                self.assertIn(p["state"], ("starting", "idle", "busy", "retiring"))
        one = m.status("ctlsock")
        self.assertEqual([s["name"] for s in one["services"]], ["ctlsock"])
        svc = one["services"][0]
        self.assertEqual(svc["type"], "unix")
        self.assertEqual(svc["prefork"], 2)
        self.assertEqual(svc["maxproc"], 3)
        self.assertEqual(svc["workers"]["total"], len(svc["procs"]))
        self.assertGreaterEqual(svc["workers"]["idle"], 2)
        # JSON is the whole output: nothing else on stdout.
        rc, out, _ = m.ctl("status", "ctlsock", "--json")
        self.assertEqual(rc, 0)
        json.loads(out)

    def test_12c_control_socket_mode(self):
        m = self.master(CF)
        path = m.path("run", "master.ctl")
        is_sock, mode = h.socket_mode(path)
        self.assertTrue(is_sock, "%s is not a socket" % path)
        self.assertEqual(mode, 0o600, "control socket mode %o" % mode)
        self.assertEqual(os.stat(path).st_uid, os.geteuid())

    def test_12d_unknown_service(self):
        m = self.master(CF)
        rc, out, err = m.ctl("status", "no-such-service", "--json")
        self.assertNotEqual(rc, 0, "status of an unknown service succeeded: %s" % out)

    def test_12e_one_master_per_config_dir(self):
        """A second master on the same directory refuses to start and
        disturbs nothing."""
        m = self.master(CF)
        pids = m.worker_pids("ctlsock")
        m2 = h.Master(None, share=m)
        self.addCleanup(m2.cleanup)
        m2.start(wait=False)
        rc = m2.wait_exit(10)
        self.assertNotEqual(rc, 0, "a second master started on %s" % m.dir)
        self.assertTrue(m.alive())
        self.assertEqual(m.status()["master"]["pid"], m.pid,
                         "the control socket now leads elsewhere")
        self.assertEqual(m.worker_pids("ctlsock"), pids)
        self.assertEqual(h.echo_once(m.path("run", "public", "ctlsock"), "x"), "x")


if __name__ == "__main__":
    unittest.main()
