/* control.h - the control socket masterctl talks to: a Unix stream socket
 * in the run directory (mode 0600; 0660 with the group of admin_group or
 * status_group when one is set; 0666 with both: control_auth.h). One
 * request line per connection, one reply, then close. Callers are checked
 * by peer credentials (root, the master's own uid, members of admin_group;
 * members of status_group for `status` only: control_auth.c); requests are
 * bounded in size and time, and every client is served without blocking,
 * so a slow or hostile client never holds up the master or other clients;
 * clients are bounded in number, per uid, and accepted a few per loop
 * turn, so a flood of connections neither grows the master nor stalls its
 * loop. */
#ifndef MASTER_CONTROL_H
#define MASTER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "statuscache.h"
#include "event.h"
#include "list.h"

#define CONTROL_REQUEST_MAX_BYTES 1024u
#define CONTROL_CLIENT_TIMEOUT_MS 5000u
#define CONTROL_CLIENTS_MAX 64u
/* One caller's share: a flood from one uid only ever pushes out that
 * uid's own clients, never root's `status`. */
#define CONTROL_CLIENTS_PER_UID_MAX 16u
/* Accepted per loop turn: a flood cannot hold the loop (reaping, workers'
 * messages) in one callback; the rest wait in the backlog. */
#define CONTROL_ACCEPTS_PER_TURN 16u
#define CONTROL_REFUSAL_LOG_MS 1000u /* refusals: one log line a second */

struct master;
struct control_client;

/* A group of callers, resolved (set) or not. */
struct control_group {
	bool set;
	gid_t gid;
	char *name;
};

struct control {
	struct master *m;
	struct event_watch watch;
	/* The clients live in a table allocated once: a closed client's slot
	 * is free at once, memory stays bounded whatever the flood. */
	struct control_client *slots; /* CONTROL_CLIENTS_MAX */
	struct list clients;  /* in use, oldest first */
	struct list free;     /* slots not in use */
	unsigned nclients;
	char *path;
	/* The socket file is created, checked and changed through a checked
	 * directory fd, never by following its path (control_sock.c). */
	char *dir;            /* its directory */
	const char *name;     /* its name in there (points into path) */
	int dir_fd;           /* O_PATH fd of dir, checked (rundir.h) */
	dev_t dev;            /* the file bound: the only one whose mode and */
	ino_t ino;            /* group the master changes */
	uint64_t refused_log_ms;
	unsigned refused_quiet; /* refusals not logged since */
	struct control_group admin;  /* admin_group: may do anything */
	struct control_group status; /* status_group: may ask for status only */
	struct statuscache status_reply; /* the last made for status_group */
};

/* Opens the socket at path, for m->cfg's admin_group and status_group. */
int control_open(struct control *ctl, struct master *m, const char *path);
void control_close(struct control *ctl);
/* Drops clients past their deadline; returns the next deadline. */
uint64_t control_expire(struct control *ctl, uint64_t now_ms);
/* Checks the socket's directory again and, if the socket file is gone or
 * is not the one bound, listens on a new one (logged). Returns 0 or -1
 * (logged). */
int control_repair(struct control *ctl);

#endif
