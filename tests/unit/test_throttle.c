/* test_throttle.c - crash-loop back-off: sequence, cap, one step per
 * round, reset. */
#include <check.h>
#include <stdlib.h>

#include "throttle.h"
#include "unit.h"

START_TEST(test_backoff_sequence_and_cap)
{
	struct throttle t = { 0 };
	unsigned expect[] = { 1, 2, 4, 8, 16, 32, 60, 60 };
	uint64_t now = 1000;

	for (unsigned i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		ck_assert(throttle_failure(&t, 1, 60, now));
		ck_assert_uint_eq(t.interval_s, expect[i]);
		ck_assert(throttle_active(&t, now));
		ck_assert(throttle_active(&t, now + expect[i] * 1000 - 1));
		ck_assert(!throttle_active(&t, now + expect[i] * 1000));
		now += expect[i] * 1000; /* the retry fails again at once */
	}
}
END_TEST

START_TEST(test_failures_in_one_round_count_once)
{
	struct throttle t = { 0 };

	ck_assert(throttle_failure(&t, 2, 30, 0));
	ck_assert(!throttle_failure(&t, 2, 30, 10));
	ck_assert(!throttle_failure(&t, 2, 30, 1999));
	ck_assert_uint_eq(t.interval_s, 2);
	ck_assert_uint_eq(t.failures, 3);
	ck_assert(throttle_failure(&t, 2, 30, 2000));
	ck_assert_uint_eq(t.interval_s, 4);
}
END_TEST

START_TEST(test_reset)
{
	struct throttle t = { 0 };

	ck_assert(!throttle_reset(&t));
	throttle_failure(&t, 1, 60, 0);
	throttle_failure(&t, 1, 60, 1000);
	ck_assert(throttle_reset(&t));
	ck_assert(!throttle_active(&t, 1001));
	ck_assert(throttle_failure(&t, 1, 60, 5000));
	ck_assert_uint_eq(t.interval_s, 1); /* starts over from throttle_min */
}
END_TEST

START_TEST(test_start_failure_rule)
{
	struct throttle_exit crash_at_start = { .clean = false, .never_ready = true };
	struct throttle_exit crash_idle_unused = { .clean = false };
	struct throttle_exit exit0_never_ready = { .clean = true, .never_ready = true };
	struct throttle_exit killed_no_ready = { .clean = false, .killed = true, .never_ready = true };
	struct throttle_exit crash_mid_request = { .clean = false, .requests = 1 };
	struct throttle_exit crash_after_many = { .clean = false, .requests = 57 };
	struct throttle_exit stopped_idle = { .asked = true, .clean = true };
	struct throttle_exit stop_timeout_kill = { .asked = true, .killed = true };
	/* "ready", then a clean exit before any request, unasked: a loop. */
	struct throttle_exit clean_unused = { .clean = true };

	ck_assert(throttle_is_start_failure(&crash_at_start));
	ck_assert(throttle_is_start_failure(&crash_idle_unused));
	ck_assert(throttle_is_start_failure(&exit0_never_ready));
	ck_assert(throttle_is_start_failure(&killed_no_ready));
	/* The healthy-service rule: a client able to crash its own session
	 * must not throttle everyone. */
	ck_assert(!throttle_is_start_failure(&crash_mid_request));
	ck_assert(!throttle_is_start_failure(&crash_after_many));
	ck_assert(!throttle_is_start_failure(&stopped_idle));
	ck_assert(!throttle_is_start_failure(&stop_timeout_kill));
	ck_assert(throttle_is_start_failure(&clean_unused));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("throttle");
	TCase *tc = tcase_create("backoff");

	tcase_add_test(tc, test_backoff_sequence_and_cap);
	tcase_add_test(tc, test_failures_in_one_round_count_once);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_start_failure_rule);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
