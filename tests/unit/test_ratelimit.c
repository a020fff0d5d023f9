/* test_ratelimit.c - the ramped fork limiter, driven by a fake clock. */
#include <check.h>
#include <stdlib.h>

#include "ratelimit.h"
#include "unit.h"

/* Forks granted in the window starting at t, trying `tries` times. */
static unsigned take_n(struct ratelimit *r, uint64_t t, unsigned tries)
{
	unsigned got = 0;

	for (unsigned i = 0; i < tries; i++)
		got += ratelimit_take(r, t) ? 1 : 0;
	return got;
}

START_TEST(test_ramp_doubles_to_cap)
{
	struct ratelimit r;
	unsigned expect[] = { 1, 2, 4, 8, 16, 20, 20 };

	ratelimit_init(&r, 20);
	for (unsigned s = 0; s < sizeof(expect) / sizeof(expect[0]); s++)
		ck_assert_uint_eq(take_n(&r, 1000 + s * RATELIMIT_WINDOW_MS, 100), expect[s]);
}
END_TEST

START_TEST(test_quiet_window_resets_ramp)
{
	struct ratelimit r;

	ratelimit_init(&r, 64);
	ck_assert_uint_eq(take_n(&r, 0, 10), 1);
	ck_assert_uint_eq(take_n(&r, 1000, 10), 2);
	ck_assert_uint_eq(take_n(&r, 2000, 10), 4);
	/* Nothing at all in [3000, 4000): the next burst starts over at 1. */
	ck_assert_uint_eq(take_n(&r, 4000, 10), 1);
}
END_TEST

START_TEST(test_partial_use_keeps_allowance)
{
	struct ratelimit r;

	ratelimit_init(&r, 64);
	ck_assert_uint_eq(take_n(&r, 0, 1), 1);
	ck_assert_uint_eq(take_n(&r, 1000, 2), 2);  /* allowance 2, all used */
	ck_assert_uint_eq(take_n(&r, 2000, 1), 1);  /* allowance 4, 1 used */
	ck_assert_uint_eq(take_n(&r, 3000, 10), 4); /* not saturated: stays 4 */
}
END_TEST

START_TEST(test_next_time)
{
	struct ratelimit r;

	ratelimit_init(&r, 5);
	ck_assert_uint_eq(ratelimit_next_ms(&r, 500), 500);
	ck_assert(ratelimit_take(&r, 500));
	ck_assert(!ratelimit_take(&r, 900));
	ck_assert_uint_eq(ratelimit_next_ms(&r, 900), 1500);
	ck_assert(ratelimit_take(&r, 1500));
}
END_TEST

START_TEST(test_rate_of_one)
{
	struct ratelimit r;

	ratelimit_init(&r, 1);
	for (unsigned s = 0; s < 5; s++)
		ck_assert_uint_eq(take_n(&r, s * 1000, 5), 1);
}
END_TEST

/* The fixed window (a shut socket's mends, service_mend.c): max takes,
 * then none until the window begun by the first is over; a window that
 * ends begins afresh, and a take far apart from the last one too. */
START_TEST(test_window_count)
{
	struct ratelimit_window w = { 0 };
	const uint64_t t0 = 5000000;

	for (unsigned i = 0; i < 10; i++)
		ck_assert(ratelimit_window_take(&w, 10, 60000, t0 + i * 1000));
	ck_assert_uint_eq(ratelimit_window_used(&w), 10);
	ck_assert(!ratelimit_window_take(&w, 10, 60000, t0 + 20000));
	ck_assert(!ratelimit_window_take(&w, 10, 60000, t0 + 59999));
	ck_assert(ratelimit_window_take(&w, 10, 60000, t0 + 60000));
	ck_assert_uint_eq(ratelimit_window_used(&w), 1);
	/* Ten more, each an hour apart: never refused. */
	for (unsigned i = 1; i <= 10; i++)
		ck_assert(ratelimit_window_take(&w, 10, 60000, t0 + 60000 + i * 3600000ull));
	ck_assert_uint_eq(ratelimit_window_used(&w), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("ramp");

	tcase_add_test(tc, test_ramp_doubles_to_cap);
	tcase_add_test(tc, test_quiet_window_resets_ramp);
	tcase_add_test(tc, test_partial_use_keeps_allowance);
	tcase_add_test(tc, test_next_time);
	tcase_add_test(tc, test_rate_of_one);
	tcase_add_test(tc, test_window_count);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
