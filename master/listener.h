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
#include "sockrepair.h"

/* What listener_open() made besides the fd the workers get. */
struct listener_made {
	int wake_fd;  /* fifo: the master's own write end (wake-ups); else -1 */
	dev_t dev;    /* local types: the file made, so that only its maker */
	ino_t ino;    /* removes it (0/0: none) */
	bool staged;  /* still in run_directory/.new: listener_commit() moves it */
	struct service_addr bound; /* inet: the address bound (its port, for port
				    * 0), for service_mend.c; len 0 if unknown */
	struct sockrepair_base base; /* inet: how it filters clients, as made
				      * (sockaudit.c sets it back to this) */
};

/* Opens, binds and listens (non-blocking, close-on-exec): an inet or unix
 * stream socket, a pass service's unix stream socket, a unix datagram
 * socket, or a fifo (made anew, mode 0622, opened read-write so that it
 * never reports end-of-file; listener_fifo.c). A local service's file is
 * made at its path, a socket or fifo there removed first (left by a master
 * that died); with stage (a running service of another type has its file
 * there: a reload that changes a type), it is made in run_directory/.new
 * instead and put in place by listener_commit(), replacing the running
 * one's in one step (a worker's getsockname() then names the staging
 * path). A file other than a socket or fifo at the path is refused. desc
 * receives the address actually bound ("127.0.0.1:41234" for port 0), or
 * the path. Returns the fd, or -1 with the reason logged, nothing left. */
int listener_open(const struct service_config *c, const struct service_addr *a, bool stage,
		  struct listener_made *made, char *desc, size_t desc_size);
/* Renames a staged file into place (the service is committed); nothing if
 * none is staged. Logged if that fails (the service then serves only
 * clients that already have its fd). */
void listener_commit(const struct service_config *c, struct listener_made *made);
/* Removes a local service's file (at stop, or a service never committed)
 * if it is still the one made. */
void listener_unlink(const struct service_config *c, const struct listener_made *made);


/* listener_fifo.c: makes the fifo base in the checked directory dirfd.
 * Returns the workers' fd, or -1 (logged, nothing left behind). */
int listener_fifo_open(const struct service_config *c, int dirfd, const char *base,
		       struct listener_made *made);
/* The socket's O_NONBLOCK, on its one open file description, which every
 * worker of the service shares: blocking for daemons started as systemd
 * would (ready=notify|exec), non-blocking for protocol workers. Logged if
 * it cannot be set. */
void listener_set_blocking(const struct service_config *c, int fd, const char *addr,
			   bool blocking);

#endif
