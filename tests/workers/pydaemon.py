#!/usr/bin/python3
"""pydaemon.py - a plain socket-activated daemon (no master protocol): takes
fd 3 as systemd hands it over (blocking), accept() on it, echoes one line
per connection. SIGTERM: exits at once when waiting, else after the
connection in hand. Arguments: "grow" (keeps 2 MiB more per connection),
"fork" (double-forks into the background first)."""
import os, select, signal, socket, sys

if "fork" in sys.argv[1:]:
    if os.fork():
        os._exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)
assert os.environ["LISTEN_FDS"] == "1" and "MASTER_STATUS_FD" not in os.environ
listener, hoard, state = socket.fromfd(3, socket.AF_INET, socket.SOCK_STREAM), [], {"busy": 0}
bye = "pydaemon %d: SIGTERM, shutting down" % os.getpid()
def term(*_):
    state["stop"] = 1
    if not state["busy"]:  # waiting for a client: nothing taken yet
        sys.exit(bye)
signal.signal(signal.SIGTERM, term)
print("pydaemon %d: serving, blocking=%s" % (os.getpid(), listener.getblocking()), file=sys.stderr, flush=True)
while "stop" not in state:
    select.select([listener], [], [])  # a client waits (no connection taken)
    state["busy"] = 1
    conn, _ = listener.accept()  # blocking, as systemd hands sockets over
    with conn:
        conn.sendall(conn.makefile("rb").readline())
    state["busy"] = 0
    if "grow" in sys.argv[1:]:
        hoard.append(bytearray(2 << 20))
sys.exit(bye)
