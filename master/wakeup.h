/* wakeup.h - a service's wake-up timer (master.cf's wakeup column): the
 * schedule and the send/skip decision are wakeup_policy.h's, the one-byte
 * request itself trigger.h's; this part keeps the per-service state, runs
 * the decision from the pool's turn (pool.c folds the next wake-up into
 * the service's deadline), finishes an inet trigger that is still
 * connecting, and logs each wake-up at debug. It knows nothing of the
 * service struct: the pool hands it what it needs. */
#ifndef MASTER_WAKEUP_H
#define MASTER_WAKEUP_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "offloop.h"
#include "wakeup_policy.h"

/* An inet trigger still connecting is given up after this long. */
#define WAKEUP_CONNECT_TIMEOUT_MS 1000u
#define WAKEUP_NAME_BYTES 128

struct wakeup {
	struct event_loop *loop;
	/* The service's name for the log, copied: a reload may free the
	 * configuration it came from before a connecting trigger ends. */
	const char *name_src;
	char name[WAKEUP_NAME_BYTES];
	uint64_t next_ms;          /* the schedule; CLOCK_NEVER_MS: not started */
	bool connecting;           /* an inet trigger waits for its connection */
	struct event_watch conn;   /* its socket, watched for writable */
	uint64_t conn_deadline_ms;
	uint64_t sent, skipped;    /* counters, for status */
	struct offloop_slot *fifo; /* fifo: its byte's writer (offloop.h), NULL: none yet */
};

/* What the pool knows about the service at this turn. */
struct wakeup_service {
	const struct service_config *cfg;
	int listen_fd;             /* the first socket, -1: none (handed on) */
	int wake_fd;               /* fifo: the master's write end */
	struct wakeup_state st;    /* interval, use, busy/idle, throttle */
};

void wakeup_init(struct wakeup *wk, struct event_loop *loop);
/* Runs the decision at now_ms and carries it out. Returns when it wants to
 * run next (CLOCK_NEVER_MS: no wake-ups scheduled). */
uint64_t wakeup_tick(struct wakeup *wk, const struct wakeup_service *s, uint64_t now_ms);
/* Gives up a connecting trigger (the service is freed). */
void wakeup_fini(struct wakeup *wk);

#endif
