/* ratelimit.c - owns the ramped fork limiter (see ratelimit.h). */
#include "ratelimit.h"

void ratelimit_init(struct ratelimit *r, unsigned max_per_s)
{
	r->max_per_window = max_per_s ? max_per_s : 1;
	r->allowance = 1;
	r->used = 0;
	r->window_start_ms = 0;
	r->started = false;
}

/* Moves to the window holding now_ms, adjusting the ramp on the way. */
static void ratelimit_roll(struct ratelimit *r, uint64_t now_ms)
{
	if (!r->started) {
		r->started = true;
		r->window_start_ms = now_ms;
		return;
	}
	if (now_ms < r->window_start_ms + RATELIMIT_WINDOW_MS)
		return;
	uint64_t windows = (now_ms - r->window_start_ms) / RATELIMIT_WINDOW_MS;
	if (windows > 1 || r->used == 0) {
		r->allowance = 1; /* a quiet window: the next burst ramps again */
	} else if (r->used >= r->allowance) {
		unsigned next = r->allowance * 2;
		r->allowance = next > r->max_per_window ? r->max_per_window : next;
	}
	r->used = 0;
	r->window_start_ms += windows * RATELIMIT_WINDOW_MS;
}

bool ratelimit_take(struct ratelimit *r, uint64_t now_ms)
{
	ratelimit_roll(r, now_ms);
	if (r->used >= r->allowance)
		return false;
	r->used++;
	return true;
}

uint64_t ratelimit_next_ms(const struct ratelimit *r, uint64_t now_ms)
{
	if (!r->started || now_ms >= r->window_start_ms + RATELIMIT_WINDOW_MS ||
	    r->used < r->allowance)
		return now_ms;
	return r->window_start_ms + RATELIMIT_WINDOW_MS;
}

bool ratelimit_window_take(struct ratelimit_window *w, unsigned max, uint64_t window_ms,
			   uint64_t now_ms)
{
	if (!w->started || now_ms - w->start_ms >= window_ms) {
		w->started = true;
		w->start_ms = now_ms;
		w->used = 0;
	}
	if (w->used >= max)
		return false;
	w->used++;
	return true;
}

unsigned ratelimit_window_used(const struct ratelimit_window *w)
{
	return w->used;
}
