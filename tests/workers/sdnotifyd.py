#!/usr/bin/python3
"""sdnotifyd.py - a socket-activated daemon that speaks sd_notify(3) as it
would to systemd (tests of ready=notify). Echoes one line per connection
(blocking accept on fd 3). Arguments:
  delay=S       say READY=1 only after S seconds (default 0)
  noready       never say READY=1
  pings=N       send WATCHDOG=1 N times (every WATCHDOG_USEC/4), then stop
  fork          double-fork first; the daemon announces MAINPID=
  flood         after READY=1, send STATUS= datagrams as fast as it can
  floods=F:N    the same for the first N daemons (counted in file F)
  steal=FILE    wait for FILE ("NAME PID": another worker's NOTIFY_SOCKET
                and pid), send READY=1 to that socket, then try the same
                with that pid forged in SCM_CREDENTIALS; then its own READY=1
"""
import os, signal, socket, struct, sys, threading, time

args = dict(a.partition("=")[::2] for a in sys.argv[1:])


def log(msg):
    print("sdnotifyd %d: %s" % (os.getpid(), msg), file=sys.stderr, flush=True)


def notify(text, addr=None, creds=None):
    addr = addr or os.environ["NOTIFY_SOCKET"]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        target = "\0" + addr[1:] if addr.startswith("@") else addr
        anc = [] if creds is None else [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
                                        struct.pack("iII", *creds))]
        s.sendmsg([text.encode()], anc, 0, target)


if "fork" in args:
    if os.fork():
        os._exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)
    notify("MAINPID=%d" % os.getpid())
assert "MASTER_STATUS_FD" not in os.environ and os.environ["LISTEN_FDS"] == "1"
signal.signal(signal.SIGTERM, lambda *_: sys.exit("sdnotifyd %d: SIGTERM, shutting down" % os.getpid()))
if "steal" in args:
    while not os.path.exists(args["steal"]):
        time.sleep(0.05)
    name, pid = open(args["steal"]).read().split()
    notify("READY=1\nSTATUS=stolen", name)
    log("sent READY=1 to %s" % name)
    try:
        notify("READY=1\nSTATUS=forged", name, (int(pid), os.getuid(), os.getgid()))
        log("forged credentials: sent")
    except OSError as e:
        log("forged credentials: %s" % os.strerror(e.errno))
time.sleep(float(args.get("delay", 0)))
if "noready" not in args:
    notify("READY=1\nSTATUS=serving on fd 3")
    log("READY=1 sent")
if "floods" in args:
    path, _, n = args["floods"].rpartition(":")
    done = len(open(path).read()) if os.path.exists(path) else 0
    if done < int(n):
        with open(path, "a") as f:
            f.write("x")
        args["flood"] = ""
if "flood" in args:
    for i in range(100000):
        notify("STATUS=flood %d" % i)
usec = int(os.environ.get("WATCHDOG_USEC", "0"))
if usec:
    def pinger(n=int(args.get("pings", 1 << 30))):
        for _ in range(n):
            notify("WATCHDOG=1")
            time.sleep(usec / 4e6)
        log("watchdog pings stopped")
    threading.Thread(target=pinger, daemon=True).start()
listener = socket.fromfd(3, socket.AF_INET, socket.SOCK_STREAM)
while True:
    conn, _ = listener.accept()
    with conn:
        conn.sendall(conn.makefile("rb").readline())
