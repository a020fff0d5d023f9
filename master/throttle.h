/* throttle.h - a service's crash-loop back-off, pure.
 *
 * A worker that leaves before it began its first request without being
 * asked to (it crashed, exited after "ready", was killed for never saying
 * "ready" or for a violation, or could not be launched at all) is a start
 * failure: the service stops
 * starting workers for throttle_min, then twice that after the next
 * failure, up to throttle_max. A failure while already throttled changes
 * nothing (the workers of one round fail together). Crashes of workers
 * that served requests never throttle: a client able to crash its own
 * session must not stall everyone. The first request served resets it. */
#ifndef MASTER_THROTTLE_H
#define MASTER_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

struct throttle {
	unsigned failures;   /* start failures since the service last proved healthy */
	unsigned interval_s; /* the current back-off */
	uint64_t until_ms;   /* no start before this */
};

/* How a worker ended, as far as throttling cares. */
struct throttle_exit {
	bool asked;        /* the master told it to stop (not for cause) */
	bool clean;        /* exit status 0 */
	bool killed;       /* the master killed it for cause */
	bool never_ready;  /* it never said "ready" */
	unsigned requests; /* requests it began */
};

/* Whether that exit is a start failure: gone before its first request
 * without being asked, whatever the exit status.
 * A worker that began a request never counts (the healthy-service rule). */
bool throttle_is_start_failure(const struct throttle_exit *e);

/* Records a start failure. Returns true when it began a new back-off
 * period (false when one was already running). */
bool throttle_failure(struct throttle *t, unsigned min_s, unsigned max_s, uint64_t now_ms);
/* No worker may start now. */
bool throttle_active(const struct throttle *t, uint64_t now_ms);
/* The service proved healthy. Returns true if it was backing off. */
bool throttle_reset(struct throttle *t);

#endif
