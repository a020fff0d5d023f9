/* listener.h - opening a service's listening sockets. The master opens
 * them and keeps them for the service's whole life: workers come and go,
 * the queue of waiting clients stays. */
#ifndef MASTER_LISTENER_H
#define MASTER_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Opens, binds and listens (non-blocking, close-on-exec). desc receives
 * the address actually bound ("127.0.0.1:41234" for port 0). Returns the
 * fd, or -1 with the reason logged. */
int listener_open(const struct service_config *c, const struct service_addr *a,
		  char *desc, size_t desc_size);
/* The socket's O_NONBLOCK, on its one open file description, which every
 * worker of the service shares: blocking for daemons started as systemd
 * would (ready=notify|exec), non-blocking for protocol workers. Logged if
 * it cannot be set. */
void listener_set_blocking(const struct service_config *c, int fd, const char *addr,
			   bool blocking);
/* Removes a unix service's socket file (at stop). */
void listener_unlink(const struct service_config *c);

#endif
