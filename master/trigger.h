/* trigger.h - sending a service a one-byte request, as Postfix's wake-up
 * triggers do: for a unix-dgram service, a one-byte datagram; for unix and inet, a connection that
 * carries the byte; for pass, a connection that passes the service one
 * end of a socket pair whose other end wrote the byte. Never blocks: a
 * full pipe or queue, a full backlog or a refused connection fails the
 * trigger (the caller skips it). An inet connection that does not
 * complete at once is handed back to be finished when writable. A fifo's
 * byte is not sent here: a pipe write waits for the pipe's lock, which
 * others can hold, so wakeup.c hands it to offloop.h. */
#ifndef MASTER_TRIGGER_H
#define MASTER_TRIGGER_H

#include <stddef.h>

#include "config.h"

/* What a wake-up request is: Postfix's TRIGGER_REQ_WAKEUP. */
#define TRIGGER_WAKEUP_BYTE 'W'
#define TRIGGER_WHY_BYTES 128

enum trigger_result {
	TRIGGER_SENT,
	TRIGGER_PENDING, /* inet: *conn_fd is connecting; trigger_finish() when writable */
	TRIGGER_FAILED,  /* why says why; nothing left open */
};

/* To the service of configuration c whose first socket is listen_fd (an
 * inet service's actual port is read from it; a wildcard address is
 * reached on loopback). A fifo service fails (see above). */
enum trigger_result trigger_send(const struct service_config *c, int listen_fd,
				 int *conn_fd, char *why, size_t why_size);
/* The connecting inet socket is writable (or failed): sends the byte and
 * closes it either way. */
enum trigger_result trigger_finish(int conn_fd, char *why, size_t why_size);

#endif
