/* test_retire.c - retirement criteria with a fake clock: jitter bounds and
 * spread, lifetime and its hard cap, busy, startup, rss, max_retiring. */
#include <check.h>
#include <stdlib.h>

#include "clock.h"
#include "retire.h"
#include "unit.h"

START_TEST(test_spread_in_unit_interval)
{
	for (uint64_t k = 0; k < 100000; k++) {
		double f = retire_spread(k);
		ck_assert(f >= 0.0 && f < 1.0);
	}
}
END_TEST

START_TEST(test_jitter_bounds)
{
	for (uint64_t k = 0; k < 10000; k++) {
		unsigned v = retire_jitter(1000, 10, k);
		ck_assert_uint_le(v, 1000);
		ck_assert_uint_ge(v, 900);
		uint64_t ms = retire_jitter_ms(3600, 10, k);
		ck_assert_uint_le(ms, 3600000);
		ck_assert_uint_ge(ms, 3240000);
	}
	ck_assert_uint_eq(retire_jitter(0, 50, 7), 0);      /* unlimited stays so */
	ck_assert_uint_eq(retire_jitter(1, 50, 7), 1);      /* never below 1 */
	ck_assert_uint_eq(retire_jitter(100, 0, 7), 100);   /* no jitter */
	ck_assert_uint_eq(retire_jitter_ms(0, 10, 3), 0);
}
END_TEST

START_TEST(test_sixteen_lifetimes_distinct_seconds)
{
	/* A pool of 16 forked in the same millisecond, 1-hour lifetime, 10%
	 * jitter: no two retire in the same second. */
	uint64_t secs[16];

	for (uint64_t k = 0; k < 16; k++) {
		secs[k] = retire_lifetime_due_ms(5000, retire_jitter_ms(3600, 10, k)) / 1000;
		for (uint64_t j = 0; j < k; j++)
			ck_assert_uint_ne(secs[j], secs[k]);
	}
}
END_TEST

START_TEST(test_max_use_spread)
{
	/* max_use=100 with 20% jitter over 16 workers: at least 10 distinct
	 * limits, so they do not all retire on the same request. */
	int seen[101] = { 0 }, distinct = 0;

	for (uint64_t k = 0; k < 16; k++) {
		unsigned v = retire_jitter(100, 20, k);
		ck_assert_uint_ge(v, 80);
		if (!seen[v]++)
			distinct++;
	}
	ck_assert_int_ge(distinct, 10);
}
END_TEST

START_TEST(test_lifetime_and_hard_cap)
{
	uint64_t life = 60000;

	ck_assert_uint_eq(retire_lifetime_due_ms(1000, life), 61000);
	ck_assert_uint_eq(retire_hard_cap_ms(1000, life, 30), 91000);
	ck_assert_uint_eq(retire_lifetime_due_ms(1000, 0), CLOCK_NEVER_MS);
	ck_assert_uint_eq(retire_hard_cap_ms(1000, 0, 30), CLOCK_NEVER_MS);
	/* Under permanent load the worker is never idle, so only the hard cap
	 * can end it; it is finite whatever the grace. */
	ck_assert_uint_lt(retire_hard_cap_ms(1000, life, 86400), CLOCK_NEVER_MS);
}
END_TEST

START_TEST(test_idle_busy_startup)
{
	ck_assert_uint_eq(retire_idle_deadline_ms(5000, 0), CLOCK_NEVER_MS);
	ck_assert_uint_eq(retire_idle_deadline_ms(5000, 3), 8000);
	ck_assert_uint_eq(retire_busy_deadline_ms(100, 2), 2100);
	ck_assert_uint_eq(retire_busy_deadline_ms(100, 0), CLOCK_NEVER_MS);
	ck_assert_uint_eq(retire_startup_deadline_ms(100, 10), 10100);
}
END_TEST

START_TEST(test_use_rss_retiring)
{
	ck_assert(!retire_use_exceeded(5, 5));
	ck_assert(retire_use_exceeded(6, 5));
	ck_assert(!retire_use_exceeded(1000000, 0));
	ck_assert(!retire_rss_exceeded(100ULL << 20, 0));
	ck_assert(!retire_rss_exceeded(100ULL << 20, 100ULL << 20));
	ck_assert(retire_rss_exceeded((100ULL << 20) + 1, 100ULL << 20));
	/* The hard limit: twice rss_max; off with rss_max. */
	ck_assert(!retire_rss_hard_exceeded(200ULL << 20, 100ULL << 20));
	ck_assert(retire_rss_hard_exceeded((200ULL << 20) + 2, 100ULL << 20));
	ck_assert(!retire_rss_hard_exceeded(~0ULL, 0));
	ck_assert(retire_may_start(0, 1));
	ck_assert(!retire_may_start(1, 1));
	ck_assert(retire_may_start(3, 4));
	ck_assert(retire_may_start(50, 0)); /* 0 = no limit */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("retire");
	TCase *tc = tcase_create("criteria");

	tcase_add_test(tc, test_spread_in_unit_interval);
	tcase_add_test(tc, test_jitter_bounds);
	tcase_add_test(tc, test_sixteen_lifetimes_distinct_seconds);
	tcase_add_test(tc, test_max_use_spread);
	tcase_add_test(tc, test_lifetime_and_hard_cap);
	tcase_add_test(tc, test_idle_busy_startup);
	tcase_add_test(tc, test_use_rss_retiring);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
