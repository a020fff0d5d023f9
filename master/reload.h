/* reload.h - `masterctl reload` and SIGHUP: load the new configuration
 * completely, off the loop thread, then diff it against the running one by
 * service identity (name and type) and apply it all or nothing:
 *
 *   unchanged  the running service keeps its sockets and workers;
 *   changed    a new generation on the same listening sockets (handed
 *              over, never closed) or on its new addresses; the old one
 *              serves until the new one has its prefork workers ready (or
 *              startup_timeout passed), then drains;
 *   removed    drains; its sockets close with its last worker;
 *   added      starts.
 *
 * Reading runs on a thread of its own (reload_load.c): a file that does
 * not answer or a slow host, user or group lookup never holds up the loop
 * (status, reaping, clients). One reload at a time: `masterctl reload`
 * during one is refused; SIGHUP during one is queued (one more reload
 * follows it). A read still running after reload_timeout is given up: the
 * reload is refused, nothing changes, and reloads are refused until that
 * read ends (a thread stuck in a lookup cannot be stopped).
 *
 * Draining generations sit on m->draining until their last worker is
 * reaped; each holds a reference to the configuration it points into
 * (reload_gen.c). Which sockets a new service borrows is reload_donor.c's. */
#ifndef MASTER_RELOAD_H
#define MASTER_RELOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

struct master;
struct outbuf;
struct reload_load;

/* Someone waiting for a reload's reply (a masterctl client). */
struct reload_waiter {
	struct outbuf *reply;                   /* the reply is appended here */
	void (*done)(struct reload_waiter *w);  /* then this is called, once */
	uint64_t deadline_ms;                   /* set by reload_request: done by then */
};

/* The reload state, in struct master (zeroed = idle). */
struct reload {
	struct master *m;
	struct reload_load *load;      /* the configuration being read, if any */
	struct event_watch watch;      /* its eventfd */
	uint64_t started_ms;
	uint64_t deadline_ms;          /* reload_timeout from the start */
	bool timed_out;                /* given up: its result will be dropped */
	bool again;                    /* SIGHUP during a reload: one more after it */
	struct reload_waiter *waiter;  /* the client that asked, if any */
	/* Called after every applied reload with the new configuration (the
	 * control socket applies admin_group): set by whoever needs it, so
	 * that reload calls nobody by name. */
	void (*applied)(void *arg, const struct config *cfg);
	void *applied_arg;
};

/* Starts a reload from m->cfg.dir with m->overrides for waiter w. Returns
 * 1: under way, w->done() will be called with the reply in w->reply
 * (added/removed/changed/unchanged lines, or "error: ..." and every
 * configuration error as FILE:LINE: message, nothing changed, or the
 * errors logged while a new service was created: a bind's "Address already
 * in use"); or 0: the
 * reply is already in w->reply (refused: stopping, or another reload). */
int reload_request(struct master *m, struct reload_waiter *w);
/* SIGHUP: the same with no waiter (the outcome is logged); queued behind
 * a reload under way. Returns -1 if refused (why in reply), else 0. */
int reload_apply(struct master *m, struct outbuf *reply);
/* The waiter is going away: no reply for it. */
void reload_forget(struct master *m, const struct reload_waiter *w);
/* Sets the hook called after every applied reload (NULL: none). */
void reload_on_applied(struct master *m, void (*fn)(void *arg, const struct config *cfg),
		       void *arg);
/* Between event batches, after dead workers are freed: ends handovers
 * that are due, frees drained generations, gives up a read past its
 * deadline. Returns the next deadline. */
uint64_t reload_tick(struct master *m, uint64_t now_ms);
/* At exit, services gone: frees every kept configuration generation and
 * lets go of a read still running. */
void reload_fini(struct master *m);

#endif
