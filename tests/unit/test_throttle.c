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

int main(void)
{
	Suite *s = suite_create("throttle");
	TCase *tc = tcase_create("backoff");

	tcase_add_test(tc, test_backoff_sequence_and_cap);
	tcase_add_test(tc, test_failures_in_one_round_count_once);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
