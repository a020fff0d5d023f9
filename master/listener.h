/* listener.h - opening a service's listening sockets (and a fifo
 * service's named pipe). The master opens them and keeps them for the
 * service's whole life: workers come and go, the queue of waiting clients
 * stays. */
#ifndef MASTER_LISTENER_H
#define MASTER_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* What listener_open() made besides the fd the workers get. */
struct listener_made {
	int wake_fd;  /* fifo: the master's own write end (wake-ups); else -1 */
	dev_t dev;    /* local types: the file made, so that only its maker */
	ino_t ino;    /* removes it (0/0: none) */
	bool staged;  /* still in run_directory/.new: listener_commit() moves it */
};

/* Opens, binds and listens (non-blocking, close-on-exec): an inet or unix
 * stream socket, a pass service's unix stream socket, a unix datagram
 * socket, or a fifo (made anew, mode 0622, opened read-write so that it
 * never reports end-of-file; listener_fifo.c). A local service's file is
 * made in run_directory/.new (a worker's getsockname() names that path)
 * and put in place by listener_commit(). A file other than a socket or
 * fifo at the path is refused; a socket or fifo there is replaced at
 * commit (left by a master that died, or the file of a service of
 * another type that the same reload removes). desc receives the address
 * actually bound ("127.0.0.1:41234" for port 0), or the final path.
 * Returns the fd, or -1 with the reason logged and nothing left. */
int listener_open(const struct service_config *c, const struct service_addr *a,
		  struct listener_made *made, char *desc, size_t desc_size);
/* Renames a staged file into place (the service is committed); logged if
 * that fails (the service then serves only the clients that have its fd). */
void listener_commit(const struct service_config *c, struct listener_made *made);
/* Removes a local service's file (at stop, or a service never committed)
 * if it is still the one made. */
void listener_unlink(const struct service_config *c, const struct listener_made *made);

/* listener_fifo.c: makes the fifo base in the checked directory dirfd.
 * Returns the workers' fd, or -1 (logged, nothing left behind). */
int listener_fifo_open(const struct service_config *c, int dirfd, const char *base,
		       struct listener_made *made);

#endif
