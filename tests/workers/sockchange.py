#!/usr/bin/python3
"""sockchange.py - a socket-activated daemon (ready=exec) whose first
instance changes the listening socket every worker of its service shares,
in a way that raises no hang-up, then exits 0; its successors serve
(test_hostile SharedSocketChange, master/sockaudit.c). Arguments:
  once=FILE     only the first instance (FILE absent; it creates it)
                makes the change
  defer         TCP_DEFER_ACCEPT 30 on fd 3: connections are not
                accepted until the client sends
  linger        SO_LINGER on, 0 s: accepted connections close with RST
  backlog       listen(fd 3, 0)
  device=IF     SO_BINDTODEVICE IF (allowed to anyone while the socket
                has no device): clients on any other interface refused
  minttl        IP_MINTTL 255: every SYN with a lower TTL dropped
  ttl           IP_TTL 1: the accepted connections inherit it
  minhops       IPV6_MINHOPCOUNT 255 (an IPv6 socket): IP_MINTTL's twin
  rcvlowat      SO_RCVLOWAT INT_MAX: a server's read of an accepted
                connection waits for 16 MiB
  txdelay       TCP_TX_DELAY 100 s: every segment sent delayed (where the
                qdisc honours it; loopback does not)
  hold=S        successors wait S seconds before their first accept
  dgram         connect(2) fd 3 (a unix-dgram socket) to a socket of its
                own, then close that: every other sender gets EPERM
A stream successor greets each client first ("sockchange PID hello"), as
smtpd does; a dgram one logs each datagram it reads. Every instance logs
to stderr as "sockchange PID: ...". """
import os, socket, struct, sys

args = dict(a.partition("=")[::2] for a in sys.argv[1:])


def log(msg):
    print("sockchange %d: %s" % (os.getpid(), msg), file=sys.stderr, flush=True)


first = False
try:
    os.close(os.open(args["once"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    first = True
except FileExistsError:
    pass
sock = socket.socket(fileno=3)
kind = sock.type
if first:
    if "defer" in args:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 30)
    if "linger" in args:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if "backlog" in args:
        sock.listen(0)
    if "device" in args:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args["device"].encode())
    if "minttl" in args:
        sock.setsockopt(socket.IPPROTO_IP, 21, 255)   # IP_MINTTL
    if "rcvlowat" in args:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 2**31 - 1)
    if "txdelay" in args:
        sock.setsockopt(socket.IPPROTO_TCP, 37, 100000000)   # TCP_TX_DELAY, us
    if "minhops" in args:
        sock.setsockopt(socket.IPPROTO_IPV6, 73, 255)   # IPV6_MINHOPCOUNT
    if "ttl" in args:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
    if "dgram" in args:
        own = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        own.bind("\0sockchange-%d" % os.getpid())
        sock.connect("\0sockchange-%d" % os.getpid())
        own.close()
    log("changed the shared socket: %s" % " ".join(sorted(args)))
    sys.exit(0)
log("serving")
if "hold" in args:
    import time
    time.sleep(float(args["hold"]))
while True:
    if kind == socket.SOCK_DGRAM:
        data = sock.recv(512)
        log("datagram %r" % data.decode(errors="replace"))
        continue
    conn, _ = sock.accept()
    with conn:
        conn.sendall(b"sockchange %d hello\n" % os.getpid())
