/* test_wakeup.c - the wake-up schedule and send/skip decision
 * (wakeup_policy.c) with a fake clock: the interval, "N?" waiting for the
 * first request, skips (busy, throttled, still connecting) that are not
 * queued, no catch-up burst after a stall, none while stopping, and a
 * service with no worker at all still woken (that starts one). */
#include <check.h>
#include <stdlib.h>

#include "clock.h"
#include "unit.h"
#include "wakeup_policy.h"

#define T0 100000u

static struct wakeup_state idle_service(unsigned interval_s)
{
	struct wakeup_state st = { .interval_s = interval_s, .idle = 1 };
	return st;
}

/* Runs the decision every step_ms from `from` to `to` (inclusive) and
 * counts what it did. */
static unsigned run(const struct wakeup_state *st, uint64_t *next, uint64_t from, uint64_t to,
		    uint64_t step_ms, enum wakeup_action want)
{
	unsigned n = 0;

	for (uint64_t t = from; t <= to; t += step_ms)
		if (wakeup_policy_decide(st, next, t) == want)
			n++;
	return n;
}

START_TEST(test_interval)
{
	struct wakeup_state st = idle_service(1);
	uint64_t next = CLOCK_NEVER_MS;

	/* The schedule starts at the first decision; the first wake-up is one
	 * interval later, then one per interval, each exactly once. */
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0), WAKEUP_WAIT);
	ck_assert_uint_eq(next, T0 + 1000);
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 999), WAKEUP_WAIT);
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 1000), WAKEUP_SEND);
	ck_assert_uint_eq(next, T0 + 2000);
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 1000), WAKEUP_WAIT);
	/* 3.5 s at 10 ms steps: sends at 1, 2, 3 s (the one above was 1 s) */
	ck_assert_uint_eq(run(&st, &next, T0 + 1010, T0 + 3500, 10, WAKEUP_SEND), 2);
	ck_assert_uint_eq(next, T0 + 4000);
	/* a late loop turn does not shift the schedule */
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 4300), WAKEUP_SEND);
	ck_assert_uint_eq(next, T0 + 5000);
}
END_TEST

START_TEST(test_none)
{
	struct wakeup_state st = idle_service(0);
	uint64_t next = T0;

	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 5000), WAKEUP_WAIT);
	ck_assert_uint_eq(next, CLOCK_NEVER_MS);
	ck_assert_uint_eq(run(&st, &next, T0, T0 + 100000, 1000, WAKEUP_SEND), 0);
}
END_TEST

START_TEST(test_after_first_use)
{
	struct wakeup_state st = idle_service(2);
	uint64_t next = CLOCK_NEVER_MS;

	st.after_use = true;
	/* "2?": nothing however long it waits for its first request */
	ck_assert_uint_eq(run(&st, &next, T0, T0 + 60000, 100, WAKEUP_SEND), 0);
	ck_assert_uint_eq(next, CLOCK_NEVER_MS);
	/* used at T0 + 61 s: the first wake-up two seconds later */
	st.used = true;
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 61000), WAKEUP_WAIT);
	ck_assert_uint_eq(next, T0 + 63000);
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 62999), WAKEUP_WAIT);
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 63000), WAKEUP_SEND);
	/* without "?", a used or unused service alike starts at once */
	st.after_use = false;
	st.used = false;
	next = CLOCK_NEVER_MS;
	wakeup_policy_decide(&st, &next, T0);
	ck_assert_uint_eq(next, T0 + 2000);
}
END_TEST

START_TEST(test_busy_skips_not_queued)
{
	struct wakeup_state st = idle_service(1);
	uint64_t next = CLOCK_NEVER_MS;

	wakeup_policy_decide(&st, &next, T0);
	/* every worker busy from T0 + 0.5 s to T0 + 3.7 s */
	st.idle = 0;
	st.busy = 2;
	ck_assert_uint_eq(run(&st, &next, T0 + 500, T0 + 3700, 10, WAKEUP_SKIP_BUSY), 3);
	/* idle again: nothing owed is sent now; the next one is on schedule */
	st.idle = 1;
	st.busy = 1;
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 3710), WAKEUP_WAIT);
	ck_assert_uint_eq(next, T0 + 4000);
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 4000), WAKEUP_SEND);
	/* no worker at all is not "busy": the trigger makes the pool start one */
	st.idle = st.busy = 0;
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 5000), WAKEUP_SEND);
}
END_TEST

START_TEST(test_throttled_and_pending)
{
	struct wakeup_state st = idle_service(1);
	uint64_t next = CLOCK_NEVER_MS;

	wakeup_policy_decide(&st, &next, T0);
	st.throttled = true;
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 1000), WAKEUP_SKIP_THROTTLED);
	ck_assert_uint_eq(next, T0 + 2000);
	st.throttled = false;
	st.pending = true;
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 2000), WAKEUP_SKIP_PENDING);
	st.pending = false;
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 3000), WAKEUP_SEND);
}
END_TEST

START_TEST(test_no_burst_after_stall)
{
	struct wakeup_state st = idle_service(1);
	uint64_t next = CLOCK_NEVER_MS;

	wakeup_policy_decide(&st, &next, T0);
	/* the loop was held up ten seconds: one wake-up, not ten */
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 11000), WAKEUP_SEND);
	ck_assert_uint_eq(next, T0 + 12000);
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 11000), WAKEUP_WAIT);
}
END_TEST

START_TEST(test_stopping)
{
	struct wakeup_state st = idle_service(1);
	uint64_t next = CLOCK_NEVER_MS;

	wakeup_policy_decide(&st, &next, T0);
	st.stopping = true;
	ck_assert_int_eq(wakeup_policy_decide(&st, &next, T0 + 1000), WAKEUP_WAIT);
	ck_assert_uint_eq(next, CLOCK_NEVER_MS);
	ck_assert_uint_eq(run(&st, &next, T0, T0 + 10000, 100, WAKEUP_SEND), 0);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(wakeup_policy_action_name(WAKEUP_SEND), "sent");
	ck_assert_str_eq(wakeup_policy_action_name(WAKEUP_SKIP_BUSY),
			 "skipped: every worker is busy");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wakeup");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, test_interval);
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_after_first_use);
	tcase_add_test(tc, test_busy_skips_not_queued);
	tcase_add_test(tc, test_throttled_and_pending);
	tcase_add_test(tc, test_no_burst_after_stall);
	tcase_add_test(tc, test_stopping);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
