/* sdnotify.h - systemd's readiness protocol, by hand (it is one datagram
 * per message): when NOTIFY_SOCKET is set, "READY=1", "RELOADING=1",
 * "STOPPING=1" and "STATUS=..." lines go to that unix datagram socket
 * (a path, or an abstract name written with a leading '@'). Without
 * NOTIFY_SOCKET every call is a no-op. */
#ifndef MASTER_SDNOTIFY_H
#define MASTER_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
	int fd;                  /* -1: not under a notify-aware manager */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_ms;    /* WATCHDOG=1 every this often (half of
				  * WATCHDOG_USEC); 0: no watchdog */
	uint64_t watchdog_next_ms;
	bool stored;             /* a socket went to its fd store (FDSTORE=1) */
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
/* "FDSTORE=1" with fd passed along, named name (systemd keeps it across a
 * restart and passes it back in LISTEN_FDS; needs FileDescriptorStoreMax=
 * in the unit). Returns whether it was sent. */
bool sdnotify_store_fd(struct sdnotify *n, const char *name, int fd);
/* The service manager's watchdog (WATCHDOG_USEC, read by sdnotify_open):
 * sends WATCHDOG=1 when due; returns when it next is (UINT64_MAX: never). */
uint64_t sdnotify_tick(struct sdnotify *n, uint64_t now_ms);

#endif
