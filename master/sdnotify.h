/* sdnotify.h - systemd's readiness protocol, by hand (it is one datagram
 * per message): when NOTIFY_SOCKET is set, "READY=1", "RELOADING=1",
 * "STOPPING=1" and "STATUS=..." lines go to that unix datagram socket
 * (a path, or an abstract name written with a leading '@'). Without
 * NOTIFY_SOCKET every call is a no-op. */
#ifndef MASTER_SDNOTIFY_H
#define MASTER_SDNOTIFY_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
	int fd;                  /* -1: not under a notify-aware manager */
	struct sockaddr_un addr;
	socklen_t addr_len;
};

/* Reads and unsets NOTIFY_SOCKET (workers must not inherit it: only the
 * master speaks for the service). Returns 0, or -1 with the reason logged
 * (the master goes on without notifications). */
int sdnotify_open(struct sdnotify *n);
void sdnotify_close(struct sdnotify *n);
/* Sends one message: newline-separated VAR=VALUE assignments. Never
 * blocks; a lost notification is logged, not fatal. */
void sdnotify_send(struct sdnotify *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "RELOADING=1" with MONOTONIC_USEC, as systemd wants it before a reload. */
void sdnotify_reloading(struct sdnotify *n);
bool sdnotify_enabled(const struct sdnotify *n);

#endif
