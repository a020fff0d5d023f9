/* ratelimit.h - the per-service fork limiter with a ramp, and a plain
 * fixed-window count (what a hostile act may cost the master: the mends
 * of a socket a worker shut down, service_mend.c).
 *
 * Time is cut into one-second windows. A window allows `allowance` forks;
 * the allowance starts at 1 and doubles after every window that used all of
 * it (1, 2, 4, ... per second) up to spawn_rate, and falls back to 1 after
 * a window with no fork at all. So a crash loop or a sudden surge ramps up
 * instead of forking hundreds of processes in one go. Pure: the caller
 * passes the time. */
#ifndef MASTER_RATELIMIT_H
#define MASTER_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_WINDOW_MS 1000u

struct ratelimit {
	unsigned max_per_window;  /* spawn_rate */
	unsigned allowance;       /* this window's allowance */
	unsigned used;            /* forks taken in this window */
	uint64_t window_start_ms;
	bool started;
};

void ratelimit_init(struct ratelimit *r, unsigned max_per_s);
/* Takes one fork if the limiter allows it now. */
bool ratelimit_take(struct ratelimit *r, uint64_t now_ms);
/* When ratelimit_take() can next succeed (now_ms if it can now). */
uint64_t ratelimit_next_ms(const struct ratelimit *r, uint64_t now_ms);

/* At most `max` takes in any window of window_ms begun by a take. Zeroed
 * memory is a fresh one. */
struct ratelimit_window {
	uint64_t start_ms;
	unsigned used;
	bool started;
};

/* Takes one if this window has room; a window over, the next begins. */
bool ratelimit_window_take(struct ratelimit_window *w, unsigned max, uint64_t window_ms,
			   uint64_t now_ms);
/* How many this window has taken (for the log's "N of max"). */
unsigned ratelimit_window_used(const struct ratelimit_window *w);

#endif
