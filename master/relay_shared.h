/* relay_shared.h - worker_stderr=shared: one stream socket that is the
 * stderr of every worker of a service, read with each writer's pid.
 *
 * With worker_stderr=own (the default) each worker has a socket of its
 * own (relay_open_own) and the master holds the other end: two master fds per worker with the
 * status channel. Shared, the master holds two fds per service (both ends
 * of the socket: it gives the write end to each new worker) and one per
 * worker. Lines are still logged as "SERVICE[PID]: line" with the pid the
 * kernel attached to the bytes (SCM_CREDENTIALS), each worker's
 * unfinished line and log limits kept in its own relay (route). What is
 * shared is the read budget: a worker that floods has the socket paused
 * (relay.h), and its siblings then wait in their own stderr writes once
 * the socket's buffer is full. A worker could already deny its own
 * service; no other service shares the socket.
 *
 * Mechanism only: which relay a pid's bytes go to is the caller's route. */
#ifndef MASTER_RELAY_SHARED_H
#define MASTER_RELAY_SHARED_H

#include <stdbool.h>

#include "event.h"
#include "relay.h"

/* Told when the stream ends (a worker shut the socket down): the workers
 * holding it have lost their stderr. */
typedef void relay_shared_end_fn(void *ctx);

struct relay_shared {
	bool open;
	int write_fd;             /* each worker's fd 2 */
	struct event_watch watch; /* the read end, in the loop */
	struct relay own;         /* the read budget; writers route does not name */
	const char *service;      /* the name lines are logged under */
	struct event_loop *loop;
	relay_route_fn *route;
	relay_shared_end_fn *ended;
	void *ctx;               /* route's and ended's */
};

/* Opens the socket and watches its read end in loop. 0, or -1 with errno
 * (s stays closed). service must outlive s. When the stream ends, s is
 * closed (logged), then ended(ctx) is called. */
int relay_shared_open(struct relay_shared *s, struct event_loop *loop, const char *service,
		      relay_route_fn *route, relay_shared_end_fn *ended, void *ctx);
/* Reads what is queued, at most `reads` times the per-wake-up budget: once
 * a wake-up, and at a worker's reaping, so its last lines are logged
 * under it. The stream's end closes s (see relay_shared_open). */
void relay_shared_drain(struct relay_shared *s, unsigned reads);
/* Logs what is left, stops watching, closes both ends. Safe on a closed s. */
void relay_shared_close(struct relay_shared *s);

#endif
