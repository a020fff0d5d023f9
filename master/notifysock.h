/* notifysock.h - a ready=notify worker's NOTIFY_SOCKET: a datagram socket
 * of its own, bound to an abstract name the kernel picks (autobind: unique,
 * nothing left in the file system), and reading one datagram with the
 * sender's credentials. What a datagram says and whether its sender may
 * say it is the monitor's (monitor_notify.c); this is the mechanism only.
 *
 * Abstract names belong to a network namespace: a worker in another one
 * (private_network) cannot reach it (refused at load, config_ready.c). */
#ifndef MASTER_NOTIFYSOCK_H
#define MASTER_NOTIFYSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Room for NOTIFY_SOCKET's value ("@" and the name; a sun_path's size). */
#define NOTIFYSOCK_NAME_BYTES 108

struct notifysock_dgram {
	size_t len;      /* bytes in the buffer */
	bool truncated;  /* longer than the buffer: refuse it */
	pid_t pid;       /* sender, as the kernel vouches (0: no credentials) */
	uid_t uid;
	unsigned fds;    /* descriptors it passed along: closed at once */
};

/* A non-blocking, close-on-exec datagram socket with SO_PASSCRED, bound
 * to a fresh abstract name, written to name as "@NAME" (NOTIFY_SOCKET's
 * form). Returns the fd, or -1 (errno). */
int notifysock_open(char *name, size_t size);
/* One datagram into buf. Returns 1, 0 if none is waiting, -1 on an error
 * (errno). Any descriptors passed with it are closed: a worker cannot fill
 * the master's fd table this way. */
int notifysock_recv(int fd, char *buf, size_t size, struct notifysock_dgram *d);

#endif
