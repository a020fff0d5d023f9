#!/usr/bin/python3
"""pyworker.py - a complete master worker in plain Python (protocol v2),
written from docs/protocol.md alone. Echoes what each client sends."""
import os, select, socket, sys

env = os.environ
if int(env.get("LISTEN_PID") or os.getpid()) != os.getpid():
    sys.exit("pyworker: LISTEN_PID is not mine")
status = socket.socket(fileno=int(env["MASTER_STATUS_FD"]))
max_use = int(env.get("MASTER_MAX_USE") or 0)  # 0: unlimited
listeners = {fd: socket.socket(fileno=fd) for fd in range(3, 3 + int(env["LISTEN_FDS"]))}
poller = select.poll()
poller.register(status, select.POLLIN)
for fd, sock in listeners.items():
    sock.setblocking(False)  # shared by the whole pool: EAGAIN is normal
    poller.register(fd, select.POLLIN)
gone, served = False, 0  # gone: the master went away (EPIPE on send)

def say(*words):
    global gone
    try:
        for word in words:
            status.send(word.encode())  # one send = one packet = one message
    except OSError:
        gone = True  # finish the current request, then exit

def stop_pending():  # "stop" or EOF (master gone) waiting on the channel?
    try:
        while status.recv(64, socket.MSG_DONTWAIT) not in (b"", b"stop", b"stop\n"):
            pass  # nothing else is meant for workers: ignore it
        return True
    except BlockingIOError:
        return False
    except OSError:  # ECONNRESET: the master is gone
        return True

say("ready")
while not gone:
    for fd, _ in poller.poll():
        if fd == status.fileno() and stop_pending() or gone:
            sys.exit(0)
        if fd == status.fileno():
            continue
        try:
            conn, _ = listeners[fd].accept()
        except (BlockingIOError, ConnectionAbortedError):
            continue  # a sibling worker took it
        last = served + 1 == max_use  # last request: master starts my successor now
        say("busy", "retiring") if last else say("busy")
        with conn:
            conn.setblocking(True)
            try:
                while data := conn.recv(16384):
                    conn.sendall(data)
            except OSError:
                pass  # the client went away
        served += 1
        if last or gone or stop_pending():
            sys.exit(0)
        say("idle")
