/* wakeup_policy.c - owns the wake-up schedule and the send/skip decision
 * (see wakeup_policy.h). Pure: no clock of its own, no system calls. */
#include "wakeup_policy.h"

#include "clock.h"

#define WAKEUP_POLICY_MS_PER_S 1000u

enum wakeup_action wakeup_policy_decide(const struct wakeup_state *st, uint64_t *next_ms,
					uint64_t now_ms)
{
	uint64_t interval_ms = (uint64_t)st->interval_s * WAKEUP_POLICY_MS_PER_S;

	if (st->interval_s == 0 || st->stopping) {
		*next_ms = CLOCK_NEVER_MS;
		return WAKEUP_WAIT;
	}
	if (*next_ms == CLOCK_NEVER_MS) {
		if (!st->after_use || st->used)
			*next_ms = now_ms + interval_ms; /* the schedule starts now */
		return WAKEUP_WAIT;
	}
	if (now_ms < *next_ms)
		return WAKEUP_WAIT;
	/* Due: the next one an interval on, never in the past (no burst). */
	*next_ms += interval_ms;
	if (*next_ms <= now_ms)
		*next_ms = now_ms + interval_ms;
	if (st->throttled)
		return WAKEUP_SKIP_THROTTLED;
	/* With no worker at all, the trigger is what makes the pool start one. */
	if (st->idle == 0 && st->busy > 0)
		return WAKEUP_SKIP_BUSY;
	if (st->pending)
		return WAKEUP_SKIP_PENDING;
	return WAKEUP_SEND;
}

const char *wakeup_policy_action_name(enum wakeup_action a)
{
	switch (a) {
	case WAKEUP_WAIT: return "not due";
	case WAKEUP_SEND: return "sent";
	case WAKEUP_SKIP_BUSY: return "skipped: every worker is busy";
	case WAKEUP_SKIP_THROTTLED: return "skipped: the service is throttled";
	case WAKEUP_SKIP_PENDING: return "skipped: the last one is still connecting";
	}
	return "?";
}
