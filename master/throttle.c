/* throttle.c - owns the crash-loop back-off (see throttle.h). */
#include "throttle.h"

bool throttle_is_start_failure(const struct throttle_exit *e)
{
	/* Clean or not: a worker that says "ready" and exits 0 before any
	 * request, unasked, loops as surely as one that crashes. */
	return !e->asked && e->requests == 0;
}

bool throttle_failure(struct throttle *t, unsigned min_s, unsigned max_s, uint64_t now_ms)
{
	if (min_s == 0)
		min_s = 1;
	if (max_s < min_s)
		max_s = min_s;
	t->failures++;
	if (now_ms < t->until_ms)
		return false;
	if (t->interval_s == 0)
		t->interval_s = min_s;
	else
		t->interval_s = t->interval_s > max_s / 2 ? max_s : t->interval_s * 2;
	t->until_ms = now_ms + (uint64_t)t->interval_s * 1000u;
	return true;
}

bool throttle_active(const struct throttle *t, uint64_t now_ms)
{
	return now_ms < t->until_ms;
}

bool throttle_reset(struct throttle *t)
{
	bool was = t->failures > 0;

	t->failures = 0;
	t->interval_s = 0;
	t->until_ms = 0;
	return was;
}
