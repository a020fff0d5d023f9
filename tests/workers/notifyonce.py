#!/usr/bin/python3
"""notifyonce.py - a socket-activated sd_notify(3) daemon (tests of
ready=notify, test_ready_daemons) whose first instance misbehaves once and
whose successors just serve. Echoes one line per connection (blocking
accept on fd 3) once it has said READY=1. Arguments:
  once=FILE     only the first daemon (FILE absent; it creates it) does
                what the arguments below ask; later ones READY=1 and serve
  trigger       after READY=1, send WATCHDOG=trigger
  mainpid=PID   say MAINPID=PID in its READY=1 datagram (a process that is
                not its own); exit 0 on SIGUSR1
  fork          fork a child (`sleep 60`, in its cgroup leaf), say
                MAINPID=child in its READY=1 datagram; exit 0 on SIGUSR1
Every instance logs to stderr as "notifyonce PID: ..." and shuts down on
SIGTERM, saying so.
"""
import os, signal, socket, sys

args = dict(a.partition("=")[::2] for a in sys.argv[1:])


def log(msg):
    print("notifyonce %d: %s" % (os.getpid(), msg), file=sys.stderr, flush=True)


def notify(text):
    addr = os.environ["NOTIFY_SOCKET"]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(text.encode(), "\0" + addr[1:] if addr.startswith("@") else addr)


assert os.environ["LISTEN_FDS"] == "1"
signal.signal(signal.SIGTERM, lambda *_: sys.exit("notifyonce %d: SIGTERM, shutting down"
                                                  % os.getpid()))
first = False
if "once" in args:
    try:
        os.close(os.open(args["once"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        first = True
    except FileExistsError:
        pass

if first and ("mainpid" in args or "fork" in args):
    if "fork" in args:
        child = os.fork()
        if child == 0:   # holds nothing of the daemon's (its stderr, fd 3)
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 1 << 16)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.execv("/bin/sleep", ["sleep", "60"])
        log("child %d" % child)
    else:
        child = int(args["mainpid"])

    def leave(*_):
        log("SIGUSR1, exiting 0")
        os._exit(0)
    signal.signal(signal.SIGUSR1, leave)
    # One datagram: the master has applied MAINPID= once it shows us ready.
    notify("READY=1\nMAINPID=%d\nSTATUS=mainpid %d" % (child, child))
    log("READY=1 MAINPID=%d sent" % child)
    while True:
        signal.pause()

notify("READY=1\nSTATUS=serving on fd 3")
log("READY=1 sent")
if first and "trigger" in args:
    notify("WATCHDOG=trigger")
    log("WATCHDOG=trigger sent")
listener = socket.fromfd(3, socket.AF_INET, socket.SOCK_STREAM)
while True:
    conn, _ = listener.accept()
    with conn:
        conn.sendall(conn.makefile("rb").readline())
