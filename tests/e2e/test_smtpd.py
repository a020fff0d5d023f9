"""smtpd, the shipped SMTP service (issue 13), driven by real mail
clients: Postfix's smtp-source (500 messages in 5 parallel sessions,
workers recycled every 10; the same across a reload that changes the
service), swaks (EHLO and PIPELINING, dot-stuffing, an oversized message,
a bad command sequence, an idle client), raw pipelined dialogues, the
chroot jail, sink mode and the spool sweeper. Skips, saying why, when a
client is not installed. Loopback only; every run bounded."""

import os
import pwd
import re
import shutil
import threading
import time

import harness as h
import smtphelp as sh

SOURCE_ARGS = ["-s", "5", "-m", "500", "-l", "4096", "-N",
               "-f", "sender@test.example", "-t", "rcpt@test.example"]


class SmtpSource(h.MasterTestCase):
    """smtp-source against smtpd with max_use=10: everything arrives, once,
    byte for byte, while the workers are recycled."""

    def setUp(self):
        why = sh.missing("smtp-source")
        if why:
            self.skipTest(why)

    def start(self, args="hostname=mx.test"):
        m = self.master("", start=False, nports=1)
        spool, unpriv = sh.make_spool(m.dir)
        self.cf = ("127.0.0.1:{PORT1} inet n %s n - 8 smtpd -o max_use=10 -o prefork=2"
                   " spool=%s " % (unpriv, spool))
        m.write("master.cf", self.cf + args + "\n")
        m.start()
        return m, spool

    def expected_text(self):
        """What smtp-source sends for one message, as a capture server saw it."""
        cap = sh.CaptureServer()
        rc, out = sh.run([sh.tool("smtp-source"), "-m", "1", "-l", "4096",
                          "-f", "sender@test.example", "-t", "rcpt@test.example",
                          "127.0.0.1:%d" % cap.port], timeout=30)
        self.assertEqual(rc, 0, out)
        return cap.text()

    def check_spool(self, spool, expected, count=500):
        """Every message once (the -N recipients 1..count), each the text
        smtp-source sends: its four headers, then the payload exactly."""
        want_head, _, want_body = expected.partition(b"\r\n\r\n")
        self.assertEqual([ln.split(b":")[0] for ln in want_head.split(b"\r\n")],
                         [b"From", b"To", b"Date", b"Message-Id"])
        # -l 4096 bytes of payload (smtp-source ends its last line with a
        # CRLF of its own).
        self.assertIn(len(want_body), (4096, 4098))
        self.assertEqual(os.listdir(os.path.join(spool, "tmp")), [],
                         "debris left in tmp/")
        files = sh.maildir(spool)
        self.assertEqual(len(files), count, "%d messages in new/, want %d"
                         % (len(files), count))
        rcpts, ids, hosts = [], set(), {}
        for name, data in files.items():
            trace, text = sh.split_trace(data)
            self.assertEqual(trace["id"], name)
            self.assertEqual(trace["from"], "sender@test.example")
            self.assertEqual(trace["client"], "[127.0.0.1]")
            hosts[trace["by"]] = hosts.get(trace["by"], 0) + 1
            m = re.match(r"^(\d+)rcpt@test\.example$", trace["rcpt"] or "")
            self.assertIsNotNone(m, "recipient %r" % trace["rcpt"])
            rcpts.append(int(m.group(1)))
            head, sep, body = text.partition(b"\r\n\r\n")
            self.assertEqual(sep, b"\r\n\r\n")
            names = [ln.split(b":")[0] for ln in head.split(b"\r\n")]
            self.assertEqual(names, [b"From", b"To", b"Date", b"Message-Id"], name)
            ids.add(head.split(b"\r\n")[3])
            if body != want_body:
                self.fail("%s: the body differs from what smtp-source sends "
                          "(%d bytes, want %d)" % (name, len(body), len(want_body)))
        self.assertEqual(len(set(rcpts)), count, "duplicated messages")
        self.assertEqual(sorted(rcpts), list(range(min(rcpts), min(rcpts) + count)),
                         "lost messages")
        self.assertEqual(len(ids), count, "Message-Ids repeat")
        return hosts

    def test_90a_500_messages_recycled(self):
        """smtp-source -s 5 -m 500 -l 4096 with max_use=10: exit 0, all 500
        in new/, every body as sent, ~50 workers used (spawned >> prefork)."""
        expected = self.expected_text()
        m, spool = self.start()
        rc, out = sh.run([sh.tool("smtp-source")] + SOURCE_ARGS
                         + ["127.0.0.1:%d" % m.addr()[1]])
        self.assertEqual(rc, 0, "smtp-source failed:\n%s\n%s" % (out, m.log_tail()))
        self.check_spool(spool, expected)
        st = m.wait_for(lambda st: m.service(st=st)["requests"] >= 500, 10,
                        "status requests >= 500")
        svc = m.service(st=st)
        self.assertEqual(svc["requests"], 500)
        self.assertGreaterEqual(svc["spawned"], 40, "workers were not recycled")
        self.assertEqual(svc["crashed"], 0)
        if h.is_root():
            pid = m.worker_pids(st=st)[0]
            self.assertEqual(h.proc_status_field(pid, "Uid")[0], "65534",
                             "smtpd does not run as nobody")

    def test_90b_reload_in_the_middle(self):
        """The same run with a `masterctl reload` that changes the service
        (its hostname argument) once 150 messages are in: smtp-source sees
        no error, 500 distinct messages arrive (0 lost, 0 duplicated), and
        both generations delivered some."""
        expected = self.expected_text()
        m, spool = self.start()
        result = {}

        def client():
            result["rc"], result["out"] = sh.run(
                [sh.tool("smtp-source")] + SOURCE_ARGS + ["127.0.0.1:%d" % m.addr()[1]])
        t = threading.Thread(target=client)
        t.start()
        try:
            m.wait_for(lambda st: m.service(st=st)["requests"] >= 150, 60,
                       "150 messages before the reload")
            m.write("master.cf", self.cf + "hostname=mx2.test\n")
            rc, out, err = m.ctl("reload")
            self.assertEqual(rc, 0, out + err)
            self.assertIn("changed:", out)
            self.assertRegex(out, r"changed: .*127\.0\.0\.1:")
        finally:
            t.join(sh.CLIENT_TIMEOUT_S + 10)
        self.assertFalse(t.is_alive(), "smtp-source did not finish")
        self.assertEqual(result["rc"], 0, "smtp-source failed:\n%s\n%s"
                         % (result["out"], m.log_tail()))
        hosts = self.check_spool(spool, expected)
        self.assertGreater(hosts.get("mx.test", 0), 0, hosts)
        self.assertGreater(hosts.get("mx2.test", 0), 0, "the reload took no effect: %s" % hosts)
        self.assertEqual(sum(hosts.values()), 500)

    def test_90c_sink_mode(self):
        """mode=sink: 100 messages accepted, nothing written; each worker's
        summary, logged when it retires, adds up to 100."""
        m = self.master("127.0.0.1:0 inet n n n - 4 smtpd -o max_use=10 mode=sink\n")
        rc, out = sh.run([sh.tool("smtp-source"), "-s", "2", "-m", "100", "-l", "1000",
                          "127.0.0.1:%d" % m.addr()[1]])
        self.assertEqual(rc, 0, out)
        self.assertEqual(m.stop(), 0)
        counts = [int(n) for n in re.findall(
            r"smtpd: sink: \d+ connections, (\d+) messages accepted", m.log())]
        self.assertEqual(sum(counts), 100, m.log_tail())


class Swaks(h.MasterTestCase):
    """Sessions with swaks, the SMTP test client."""

    def setUp(self):
        why = sh.missing("swaks")
        if why:
            self.skipTest(why)

    def start(self, args=""):
        m = self.master("", start=False)
        self.spool, unpriv = sh.make_spool(m.dir)
        m.write("master.cf", "127.0.0.1:0 inet n %s n - 4 smtpd -o prefork=1 spool=%s "
                "hostname=mx.test %s\n" % (unpriv, self.spool, args))
        m.start()
        return m

    def test_91a_ehlo_pipelining_dot_leading_8bit(self):
        """EHLO shows PIPELINING, SIZE and 8BITMIME; a pipelined message with
        dot-leading lines and 8-bit text is stored byte for byte as written
        (swaks stuffs the dots, smtpd removes them)."""
        m = self.start()
        data = "Subject: dots\n\n.leading dot\n..two dots\n.\n...\nh\u00e9llo w\u00f6rld\nend"
        rc, out = sh.swaks(m.addr(), "--ehlo", "client.test", "--pipeline",
                           "--from", "a@test.example", "--to", "b@test.example",
                           "--data", data)
        self.assertEqual(rc, 0, out)
        for ext in ("250-PIPELINING", "250-SIZE 10240000", "250-8BITMIME"):
            self.assertIn(ext, out)
        self.assertIn(" -> ..leading dot", out)     # stuffed on the wire
        files = sh.maildir(self.spool)
        self.assertEqual(len(files), 1, out)
        trace, text = sh.split_trace(list(files.values())[0])
        self.assertEqual((trace["helo"], trace["proto"], trace["rcpt"]),
                         ("client.test", "ESMTP", "b@test.example"))
        self.assertEqual(text, data.replace("\n", "\r\n").encode() + b"\r\n")

    def test_91b_oversized_552(self):
        """A message past max_size is read to its end and refused with 552;
        nothing is stored, and the session goes on."""
        m = self.start("max_size=2000")
        rc, out = sh.swaks(m.addr(), "--from", "a@test.example", "--to", "b@test.example",
                           "--data", "Subject: big\n\n" + ("x" * 70 + "\n") * 100)
        self.assertNotEqual(rc, 0)
        self.assertIn("<** 552 5.3.4 Error: message file too big", out)
        self.assertIn("<-  221 2.0.0 Bye", out)
        self.assertEqual(sh.maildir(self.spool), {})
        self.assertEqual(os.listdir(os.path.join(self.spool, "tmp")), [])
        self.assertIn("250-SIZE 2000", out)

    def test_91c_bad_sequence_503(self):
        """A pipelined group whose only recipient is refused: DATA gets 503
        (no valid recipient), and nothing is stored."""
        m = self.start()
        rc, out = sh.swaks(m.addr(), "--pipeline", "--from", "a@test.example",
                           "--to", "not an address")
        self.assertIn("<** 501 5.1.3 Bad recipient address syntax", out)
        self.assertIn("<** 503 5.5.1 Error: need RCPT command", out)
        self.assertEqual(sh.maildir(self.spool), {})

    def test_91d_idle_client_closed(self):
        """swaks falls silent after EHLO (a relay holds its bytes): smtpd
        answers 421 4.4.2 at its 2 s limit and closes; swaks sees it."""
        m = self.start("timeout=2")
        relay = sh.StallingRelay(m.addr())
        rc, out = sh.swaks(relay.addr, "--from", "a@test.example", "--to", "b@test.example",
                           timeout=30)
        self.assertIn("421 4.4.2 mx.test Error: timeout exceeded", out)
        relay.thread.join(10)
        self.assertIsNotNone(relay.closed_at, "smtpd did not close the connection")
        waited = relay.closed_at - relay.held_at
        self.assertGreater(waited, 1.5, "closed before the limit")
        self.assertLess(waited, 6.0, "closed long after the limit")


class Raw(h.MasterTestCase):
    """Dialogues written by hand: pipelining in one write, the idle limit
    in the middle of a message, a spool smtpd cannot use."""

    def start(self, args=""):
        m = self.master("", start=False)
        self.spool, unpriv = sh.make_spool(m.dir)
        m.write("master.cf", "127.0.0.1:0 inet n %s n - 4 smtpd -o prefork=1 spool=%s "
                "hostname=mx.test %s\n" % (unpriv, self.spool, args))
        m.start()
        return m

    def test_92a_whole_session_in_one_write(self):
        """Two messages, a refused recipient and QUIT in a single write: the
        replies come back in order, both messages are stored."""
        m = self.start()
        msg = (b"EHLO raw.test\r\nMAIL FROM:<a@test.example>\r\nRCPT TO:<b@test.example>\r\n"
               b"RCPT TO:<bad>\r\nDATA\r\n")
        send = (msg + b"one\r\n..\r\n.\r\n" + msg + b"two\r\n.\r\nRSET\r\nQUIT\r\n")
        # DATA is the last command of a group (RFC 2920): a client waits
        # for 354, but smtpd must cope with one that does not.
        out = sh.dialogue(m.addr(), send)
        codes = [ln[:4] for ln in out.split("\r\n") if ln]
        self.assertEqual(codes, ["220 ", "250-", "250-", "250-", "250-", "250 ", "250 ",
                                 "250 ", "501 ", "354 ", "250 ",
                                 "250-", "250-", "250-", "250-", "250 ", "250 ",
                                 "250 ", "501 ", "354 ", "250 ", "250 ", "221 "], out)
        bodies = sorted(sh.split_trace(d)[1] for d in sh.maildir(self.spool).values())
        self.assertEqual(bodies, [b"one\r\n.\r\n", b"two\r\n"])

    def test_92b_idle_in_data_drops_message(self):
        """A client that stops in the middle of its text gets 421 at the
        limit; the partial message is removed from tmp/, nothing in new/."""
        m = self.start("timeout=1")
        with h.connect(m.addr()) as s:
            s.sendall(b"HELO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"
                      b"partial text\r\n")
            t0 = time.monotonic()
            buf = b""
            while not buf.endswith(b"\r\n") or b"421" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            waited = time.monotonic() - t0
            self.assertIn(b"421 4.4.2 mx.test Error: timeout exceeded\r\n", buf)
            self.assertEqual(s.recv(10), b"", "not closed after the 421")
        self.assertGreater(waited, 0.8)
        self.assertLess(waited, 5.0)
        h.poll_until(lambda: os.listdir(os.path.join(self.spool, "tmp")) == [], 5,
                     "tmp/ emptied")
        self.assertEqual(sh.maildir(self.spool), {})

    def test_92c_unusable_spool_is_logged(self):
        """A spool that does not exist: the worker says so and exits; the
        master throttles the service (no message is ever accepted)."""
        m = self.master("127.0.0.1:0 inet n n n - 1 smtpd spool={DIR}/nonexistent\n",
                        wait=False)
        m.wait_log(r"smtpd: maildir: spool \S+/nonexistent: No such file or directory")
        m.wait_for(lambda st: m.service(st=st)["state"] == "throttled", 15,
                   "the service throttled")


class Jail(h.MasterTestCase):
    def test_93a_chroot_unprivileged(self):
        """chroot=y with -o chroot=JAIL: the static smtpd runs as nobody with
        JAIL as its root and delivers into JAIL/spool, the only place it
        can write."""
        self.require_root("chroot and id changes need root")
        if not sh.smtpd_is_static():
            self.skipTest("smtpd is not linked statically in this build (sanitizers):"
                          " it cannot run in a bare jail")
        m = self.master("", start=False)
        jail = m.path("jail")
        os.mkdir(jail, 0o755)
        shutil.copyfile(sh.SMTPD, os.path.join(jail, "smtpd"))
        os.chmod(os.path.join(jail, "smtpd"), 0o755)
        sh.make_spool(jail)
        m.write("master.cf", "127.0.0.1:0 inet n y y - 2 /smtpd -o prefork=1 -o chroot=%s"
                " spool=/spool hostname=jailed.test\n" % jail)
        m.start()
        pid = m.worker_pids()[0]
        self.assertEqual(os.readlink("/proc/%d/root" % pid), jail)
        self.assertEqual(h.proc_status_field(pid, "Uid")[0], "65534")
        out = sh.dialogue(m.addr(), b"HELO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
                          b"DATA\r\nin jail\r\n.\r\nQUIT\r\n")
        self.assertIn("250 2.0.0 Ok: queued as", out)
        files = sh.maildir(os.path.join(jail, "spool"))
        self.assertEqual([sh.split_trace(d)[1] for d in files.values()], [b"in jail\r\n"])


    def test_93b_sink_in_the_masters_empty_jail(self):
        """chroot=y with nothing else: sink mode needs no file at all, so it
        runs in the master's own empty jail (root's, 0555) as nobody."""
        self.require_root("chroot and id changes need root")
        if not sh.smtpd_is_static():
            self.skipTest("smtpd is not linked statically in this build (sanitizers)")
        m = self.master("127.0.0.1:0 inet n y y - 1 smtpd -o prefork=1 mode=sink\n")
        pid = m.worker_pids()[0]
        self.assertEqual(os.readlink("/proc/%d/root" % pid), m.path("run", "empty"))
        out = sh.dialogue(m.addr(), b"HELO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
                          b"DATA\r\nsunk\r\n.\r\nQUIT\r\n")
        self.assertRegex(out, r"250 2\.0\.0 Ok: queued as sink\.%d\.1\r\n" % pid)


class Sweeper(h.MasterTestCase):
    def test_94a_sweep_on_trigger(self):
        """The sweeper as a unix service (the example runs it as a fifo
        service with a wake-up; test_95a): each connection is a trigger; it counts the spool, ages out old mail and
        tmp/ debris, logs and answers one summary line."""
        m = self.master("", start=False)
        spool, unpriv = sh.make_spool(m.dir)
        m.write("master.cf",
                "127.0.0.1:0 inet n %s n - 2 smtpd -o prefork=1 spool=%s\n"
                "sweep unix y %s n - 1 sweep spool=%s max_age=3600\n"
                % (unpriv, spool, unpriv, spool))
        m.start()
        addr = [s for s in m.status()["services"] if s["type"] == "inet"][0]["listen"][0]
        out = sh.dialogue(h.parse_addr(addr),
                          b"HELO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n"
                          b"DATA\r\nkeep\r\n.\r\nQUIT\r\n")
        self.assertIn("250 2.0.0", out)
        old = os.path.join(spool, "new", "1.M1P1Q1.old")
        debris = os.path.join(spool, "tmp", "2.M1P1Q1.debris")
        for p in (old, debris):
            with open(p, "w") as f:
                f.write("x")
            os.utime(p, (1000, 1000))
            if h.is_root():
                os.chown(p, 65534, 65534)
        line = h.read_all(m.path("run", "private", "sweep"), send=b"\x00")
        self.assertEqual(line.strip(), "sweep: new=1 cur=0 tmp=0 bytes=%d removed=1 "
                         "tmp_removed=1 errors=0" % os.path.getsize(
                             os.path.join(spool, "new", os.listdir(os.path.join(spool, "new"))[0])))
        self.assertFalse(os.path.exists(old) or os.path.exists(debris))
        m.wait_log(r"sweep\[\d+\]: sweep: new=1 cur=0 tmp=0 bytes=\d+ removed=1")


class MailExample(h.MasterTestCase):
    def test_95a_shipped_example_runs(self):
        """etc/mail/ as shipped, with only its port, spool and run directory
        moved into the test's temporary directory: both services run as
        mail, a message is delivered and the sweeper counts it."""
        self.require_root("the example runs its services as the mail account")
        with open(os.path.join(h.SRC, "etc", "mail", "master.cf")) as f:
            cf = f.read()
        with open(os.path.join(h.SRC, "etc", "mail", "master.conf")) as f:
            conf = "".join(ln for ln in f if not ln.startswith("run_directory"))
        self.assertIn("127.0.0.1:2525", cf)
        m = self.master("", start=False, nports=1)
        spool = m.path("spool")
        os.mkdir(spool, 0o700)
        mail = pwd.getpwnam("mail")
        os.chown(spool, mail.pw_uid, mail.pw_gid)
        m.write("master.cf", cf.replace("127.0.0.1:2525", "127.0.0.1:{PORT1}")
                .replace("/var/spool/master-mail", spool))
        with open(m.path("master.conf"), "a") as f:
            f.write(conf)
        m.start()
        st = m.status()
        self.assertEqual(sorted(s["name"] for s in st["services"]),
                         ["127.0.0.1:%d" % m.ports["PORT1"], "sweep"])
        for s in st["services"]:
            for p in s["procs"]:
                self.assertEqual(h.proc_status_field(p["pid"], "Uid")[0], str(mail.pw_uid))
        out = sh.dialogue(("127.0.0.1", m.ports["PORT1"]),
                          b"EHLO x\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<postmaster>\r\n"
                          b"DATA\r\nhello\r\n.\r\nQUIT\r\n")
        self.assertIn("250 2.0.0 Ok: queued as", out)
        self.assertIn("mail.localhost", out)
        # A fifo service: a write to the fifo is a trigger (the wakeup
        # column's 60 s is too long to wait for here).
        fd = os.open(m.path("run", "private", "sweep"), os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"W")
        finally:
            os.close(fd)
        m.wait_log(r"sweep\[\d+\]: sweep: new=1 cur=0 tmp=0 bytes=\d+ removed=0 ", 10)
