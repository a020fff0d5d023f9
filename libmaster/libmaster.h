/* libmaster.h - the worker side of the master: the loop a C service links to.
 *
 * A service supplies a per-request handler; libmaster_run() does the
 * rest: it finds the listening sockets (LISTEN_FDS) and the status channel
 * (MASTER_STATUS_FD), says "ready", takes requests (connections, passed
 * connections, datagrams or fifo input), reports busy/idle around each,
 * counts requests and retires after MASTER_MAX_USE, obeys
 * "stop" from the master, and exits after the current request when the
 * master goes away (end-of-file on the channel). */
#ifndef MASTER_LIBMASTER_H
#define MASTER_LIBMASTER_H

/* Serves one request. What fd is depends on the service's type
 * (MASTER_SERVICE_TYPE; docs/protocol.md, "Service types"):
 *   inet, unix  the accepted connection (blocking);
 *   pass        the connection another process passed to the service
 *               (blocking), as if this worker had accepted it;
 *   unix-dgram  a private socket holding one datagram: one recv() returns
 *               it whole (at most 64 KiB), the next returns 0;
 *   fifo        the fifo itself, non-blocking and shared by every worker:
 *               read what is there until EAGAIN; never close it. A
 *               request is "the fifo became readable".
 * libmaster reports "busy" before the call and "idle" (or "next") after
 * it, and closes fd when the handler returns (not the fifo). */
typedef void (*libmaster_handler)(int fd, void *ctx);

/* Runs the worker loop until retirement, stop or master death.
 * Returns the process exit status to use (0 after a normal retirement);
 * on a broken environment (not started by master) it logs to stderr and
 * returns 1. */
int libmaster_run(libmaster_handler handler, void *ctx);

#endif
