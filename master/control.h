/* control.h - the control socket masterctl talks to: a Unix stream socket
 * (mode 0600) in the run directory. One request line per connection, one
 * reply, then close. Callers are checked by peer credentials (root and the
 * master's own uid); requests are bounded in size and time, and every
 * client is served without blocking, so a slow or hostile client never
 * holds up the master or other clients. */
#ifndef MASTER_CONTROL_H
#define MASTER_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "list.h"

#define CONTROL_REQUEST_MAX_BYTES 1024u
#define CONTROL_CLIENT_TIMEOUT_MS 5000u
#define CONTROL_CLIENTS_MAX 64u

struct master;

struct control {
	struct master *m;
	struct event_watch watch;
	struct list clients;
	unsigned nclients;
	char *path;
};

int control_open(struct control *ctl, struct master *m, const char *path);
void control_close(struct control *ctl);
/* Drops clients past their deadline; returns the next deadline. */
uint64_t control_expire(struct control *ctl, uint64_t now_ms);

#endif
