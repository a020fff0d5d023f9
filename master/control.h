/* control.h - the control socket masterctl talks to: a Unix stream socket
 * in the run directory (mode 0600; 0660 with group admin_group when that is
 * set). One request line per connection, one reply, then close. Callers are
 * checked by peer credentials (root, the master's own uid, members of
 * admin_group: control_auth.c); requests are bounded in size and time, and
 * every client is served without blocking, so a slow or hostile client
 * never holds up the master or other clients. */
#ifndef MASTER_CONTROL_H
#define MASTER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
	bool admin_set;      /* admin_group resolved */
	gid_t admin_gid;
	char *admin_name;
};

/* Opens the socket at path; admin_group may be NULL or "". */
int control_open(struct control *ctl, struct master *m, const char *path,
		 const char *admin_group);
void control_close(struct control *ctl);
/* (Re)resolves admin_group and sets the socket's group and mode. */
void control_set_admin_group(struct control *ctl, const char *admin_group);
/* Drops clients past their deadline (and those evicted to make room);
 * returns the next deadline. */
uint64_t control_expire(struct control *ctl, uint64_t now_ms);

#endif
