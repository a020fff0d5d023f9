#!/usr/bin/python3
"""nsprobe.py - a socket-activated daemon (ready=exec) that tells each
client which namespace calls the kernel let it make (test_secure_launch:
user_namespaces). Blocking accept on fd 3; for each connection it tries,
in a child of its own each time (a call that works changes the caller):
  unshare   unshare(CLONE_NEWUSER)
  clone     clone(CLONE_NEWUSER|SIGCHLD), the child exits at once
  clone3    clone3() with no flags (a plain fork)
  setns     setns() of its own user namespace (EINVAL where allowed:
            it is in it already)
  files     unshare(CLONE_FILES): a namespace-free unshare stays allowed
and answers one line, "nsprobe unshare=R clone=R clone3=R setns=R
files=R", R being "ok" or the errno's name. Given paths (the built
tests/workers/nsprobe32.c: the same calls through the i386 entry;
sockoptprobe.c: TCP's keys and io_uring), it runs each too for each
client and adds its words. Python's threads
and subprocesses are not used: libc's own fallback from clone3 would
hide the answer."""
import ctypes, errno, os, socket, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
CLONE_FILES = 0x400
SIGCHLD = 17
SYS_CLONE3, SYS_CLONE, SYS_SETNS = 435, 56, 308   # x86_64


def in_child(call):
    """Runs call() in a forked child; its result: "ok" or an errno name."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            rc = call()
            err = ctypes.get_errno()
            word = "ok" if rc >= 0 else errno.errorcode.get(err, str(err))
        except Exception as e:  # a bug here must show as an answer
            word = "error:%s" % e
        os.write(w, word.encode())
        os._exit(0)
    os.close(w)
    word = os.read(r, 64).decode()
    os.close(r)
    os.waitpid(pid, 0)
    return word


def forked(rc):
    """A clone's return: the child ends at once, the parent reaps it."""
    if rc == 0:
        os._exit(0)
    if rc > 0:
        os.waitpid(rc, 0)
    return rc


def clone_newuser():
    return forked(libc.syscall(SYS_CLONE, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0))


def clone3_plain():
    args = ctypes.create_string_buffer(struct.pack("QQQQQQQQ", 0, 0, 0, 0, SIGCHLD, 0, 0, 0))
    return forked(libc.syscall(SYS_CLONE3, args, ctypes.c_size_t(64)))


def setns_own():
    fd = os.open("/proc/self/ns/user", os.O_RDONLY)
    try:
        return libc.syscall(SYS_SETNS, fd, CLONE_NEWUSER)
    finally:
        os.close(fd)


def run_words(path):
    """The words path prints (run in a child: fork and exec)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        try:
            os.execv(path, [path])
        finally:
            os._exit(127)
    os.close(w)
    with os.fdopen(r, "rb") as f:   # to the child's end
        out = f.read()
    os.waitpid(pid, 0)
    return out.decode().split()


listener = socket.socket(fileno=3)
while True:
    conn, _ = listener.accept()
    with conn:
        words = [(name, in_child(call)) for name, call in (
            ("unshare", lambda: libc.unshare(CLONE_NEWUSER)),
            ("clone", clone_newuser), ("clone3", clone3_plain), ("setns", setns_own),
            ("files", lambda: libc.unshare(CLONE_FILES)))]
        more = [w for path in sys.argv[1:] for w in run_words(path)]
        conn.sendall(("nsprobe %s\n" % " ".join(["%s=%s" % w for w in words] + more)).encode())
