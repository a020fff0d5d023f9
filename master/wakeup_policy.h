/* wakeup_policy.h - when a service gets its next wake-up trigger (the
 * wakeup column of master.cf), as a pure function of the service's state
 * and a clock: unit-tested with a fake clock (tests/unit/test_wakeup.c).
 *
 * The schedule: the first trigger is due one interval after the service
 * starts (after its first request, for "N?"), then every interval. A
 * trigger that falls due while every worker is busy, while the service is
 * throttled, or while the previous trigger is still being delivered is
 * skipped, not queued: the next one is one interval later, and a master
 * that was held up does not send a burst to catch up. */
#ifndef MASTER_WAKEUP_POLICY_H
#define MASTER_WAKEUP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum wakeup_action {
	WAKEUP_WAIT,           /* nothing due */
	WAKEUP_SEND,           /* send one trigger now */
	WAKEUP_SKIP_BUSY,      /* due, but every worker is busy */
	WAKEUP_SKIP_THROTTLED, /* due, but the service is throttled */
	WAKEUP_SKIP_PENDING,   /* due, but the last trigger is still connecting */
};

struct wakeup_state {
	unsigned interval_s;   /* 0: no wake-ups */
	bool after_use;        /* "N?": none before the first request */
	bool used;             /* the service has served a request */
	bool stopping;         /* stopping or draining: no more wake-ups */
	bool throttled;
	bool pending;          /* the previous trigger is still being delivered */
	unsigned idle, busy;   /* serving workers */
};

/* Decides at now_ms; *next_ms is the schedule (CLOCK_NEVER_MS: not
 * started), moved on when a trigger falls due, whatever is done with it. */
enum wakeup_action wakeup_policy_decide(const struct wakeup_state *st, uint64_t *next_ms,
					uint64_t now_ms);
/* "sent", "skipped: all workers busy", ... for the log. */
const char *wakeup_policy_action_name(enum wakeup_action a);

#endif
