/* libmaster.h - the worker side of the master: the loop a C service links to.
 *
 * A service supplies a per-connection handler; libmaster_run() does the
 * rest: it finds the listening sockets (LISTEN_FDS) and the status channel
 * (MASTER_STATUS_FD), says "ready", accepts connections, reports busy/idle
 * around each, counts requests and retires after MASTER_MAX_USE, obeys
 * "stop" from the master, and exits after the current request when the
 * master goes away (end-of-file on the channel). */
#ifndef MASTER_LIBMASTER_H
#define MASTER_LIBMASTER_H

/* Serves one accepted connection. fd is blocking; libmaster closes it when
 * the handler returns. */
typedef void (*libmaster_handler)(int fd, void *ctx);

/* Runs the worker loop until retirement, stop or master death.
 * Returns the process exit status to use (0 after a normal retirement);
 * on a broken environment (not started by master) it logs to stderr and
 * returns 1. */
int libmaster_run(libmaster_handler handler, void *ctx);

#endif
