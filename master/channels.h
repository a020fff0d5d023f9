/* channels.h - the workers' status channels, read in coalesced batches.
 *
 * Every channel sits in an epoll set of its own, nested in the master's
 * loop. When the set turns readable the master drains it, then stops
 * watching it for CHANNELS_COALESCE_MS: messages that arrive meanwhile are
 * read together at the next turn (recvmmsg takes a worker's whole queue in
 * one call). Under load the master thus wakes a few hundred times a second
 * instead of once per request, which is most of its CPU; signals, the
 * control socket and waiting clients still wake it at once. The cost is at
 * most that delay on a status change: below a human's or a timer's notice,
 * and far below a worker's start-up time. */
#ifndef MASTER_CHANNELS_H
#define MASTER_CHANNELS_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

#define CHANNELS_COALESCE_MS 2u

struct channels {
	struct event_loop set;     /* the channels' own epoll set */
	struct event_watch watch;  /* that set, in the master's loop */
	struct event_loop *outer;
	bool paused;
	uint64_t resume_ms;
};

int channels_init(struct channels *ch, struct event_loop *outer);
void channels_fini(struct channels *ch);
int channels_add(struct channels *ch, struct event_watch *w, int fd, event_cb cb);
void channels_del(struct channels *ch, struct event_watch *w);
/* Resumes watching when the pause is over; returns when it will be
 * (CLOCK_NEVER_MS when not paused), for the loop's timeout. */
uint64_t channels_tick(struct channels *ch, uint64_t now_ms);

#endif
