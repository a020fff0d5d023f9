/* sdlisten.h - listening sockets from systemd: the master's own socket
 * activation. When systemd starts the master with sockets (a .socket
 * unit's, or the ones the master handed to its fd store before a restart),
 * they arrive as LISTEN_FDS at fd 3 and up, named in LISTEN_FDNAMES. Each
 * goes to the service it belongs to, instead of a socket of its own:
 *  - by address: a listening stream socket bound to exactly one of the
 *    service's addresses (not port 0);
 *  - else by name: FileDescriptorName= (or FDNAME= of the fd store) equal
 *    to the service's name as LISTEN_FDNAMES writes it (':' and '=' as
 *    '_'), for a service of one address.
 * Sockets no service claims are closed, each logged. A socket the master
 * opens itself goes to the fd store (sdnotify_store_fd) when systemd
 * watches: `systemctl restart master` then keeps every listening socket
 * open and its clients queue instead of being refused. */
#ifndef MASTER_SDLISTEN_H
#define MASTER_SDLISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define SDLISTEN_NAME_BYTES 256 /* systemd's FDNAME limit is 255 */
#define SDLISTEN_FDS_MAX 4096

struct sdlisten_fd {
	int fd;            /* -1 once claimed or closed */
	char name[SDLISTEN_NAME_BYTES];
};

struct sdlisten {
	struct sdlisten_fd *fds;
	size_t n;
};

/* Takes the sockets systemd passed (LISTEN_PID ours), marks them
 * close-on-exec and unsets LISTEN_*. Call it first thing: nothing may have
 * opened (or closed) a descriptor yet. Logs nothing (the log is not open
 * yet): sdlisten_done says what came. */
void sdlisten_take(struct sdlisten *l);
/* An inherited socket for address a of service c (rules above): its fd,
 * made non-blocking with c's backlog, desc naming it; -1 if none. */
int sdlisten_claim(struct sdlisten *l, const struct service_config *c,
		   const struct service_addr *a, char *desc, size_t desc_size);
/* Closes what no service claimed (each logged); frees the list. */
void sdlisten_done(struct sdlisten *l);
/* A service's name as LISTEN_FDNAMES and FDNAME= write it. */
void sdlisten_fdname(const char *service, char *out, size_t size);

#endif
