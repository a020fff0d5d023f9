/* test_ipcsweep.c - unit tests for the uids held back until a whole walk
 * of /dev/mqueue and /dev/shm has gone by (ipcsweep.c), with a fake
 * directory and a fake allocator: a uid is given back only at the end of
 * a walk begun after it came; one released while a walk is under way
 * waits for the next (the walk may have passed its entries); a service
 * holds back at most its quota; every step
 * is IPCSWEEP_STEP_MS apart and looks at IPCSWEEP_STEP_ENTRIES entries;
 * nothing held, no wake-up. */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "clock.h"
#include "ipcsweep.h"
#include "unit.h"

#define FAKE_ENTRIES 10000 /* three steps a walk */
#define T0 1000u
#define STEP IPCSWEEP_STEP_MS

static uid_t fake_owner[FAKE_ENTRIES];
static bool fake_gone[FAKE_ENTRIES];
static uid_t fake_released[16];
static size_t fake_nreleased;
static unsigned fake_steps;

/* The cursor's stage is the fake directory's position. */
static bool fake_step(struct ipcclean_cursor *c, bool (*member)(uid_t uid, void *ctx), void *ctx,
		      unsigned budget, struct ipcclean_count *n)
{
	fake_steps++;
	for (; budget > 0 && c->stage < FAKE_ENTRIES; c->stage++, budget--)
		if (!fake_gone[c->stage] && member(fake_owner[c->stage], ctx)) {
			fake_gone[c->stage] = true;
			n->removed++;
		}
	if (c->stage < FAKE_ENTRIES)
		return false;
	c->stage = 0;
	return true;
}

static void fake_release(struct dynuser *pool, uid_t uid)
{
	(void)pool;
	fake_released[fake_nreleased++] = uid;
}

static const struct ipcsweep_ops fake_ops = { fake_step, fake_release };

static void setup(void)
{
	for (size_t i = 0; i < FAKE_ENTRIES; i++)
		fake_owner[i] = 1; /* anyone's: not held */
	memset(fake_gone, 0, sizeof(fake_gone));
	fake_nreleased = 0;
	fake_steps = 0;
}

START_TEST(test_given_back_after_a_whole_walk)
{
	struct ipcsweep s = { .ops = &fake_ops };

	fake_owner[9000] = 7; /* past the first step */
	fake_owner[10] = 9;   /* passed before 9 comes */
	ck_assert_uint_eq(ipcsweep_tick(&s, 0), CLOCK_NEVER_MS);
	ck_assert_uint_eq(fake_steps, 0);
	ck_assert_int_eq(ipcsweep_add(&s, 7, 1, 8), 0);
	ck_assert(ipcsweep_holds(&s, 7));
	ck_assert_uint_eq(ipcsweep_tick(&s, T0), T0 + STEP); /* step 1 */
	ck_assert_uint_eq(ipcsweep_tick(&s, T0 + STEP / 2), T0 + STEP); /* not yet */
	ck_assert_uint_eq(fake_steps, 1);
	ck_assert_int_eq(ipcsweep_add(&s, 9, 1, 8), 0); /* during the walk */
	ipcsweep_tick(&s, T0 + STEP);
	ck_assert(!fake_gone[9000]);
	ipcsweep_tick(&s, T0 + 2 * STEP); /* the walk ends */
	ck_assert_uint_eq(fake_steps, 3);
	ck_assert(fake_gone[9000]);
	ck_assert(!fake_gone[10]); /* 9's, passed before it came */
	ck_assert_uint_eq(fake_nreleased, 1);
	ck_assert_uint_eq(fake_released[0], 7);
	ck_assert(!ipcsweep_holds(&s, 7));
	ck_assert(ipcsweep_holds(&s, 9)); /* waits for the next walk */
	ipcsweep_tick(&s, T0 + 3 * STEP);
	ck_assert(fake_gone[10]);
	ck_assert_uint_eq(fake_nreleased, 1);
	ipcsweep_tick(&s, T0 + 4 * STEP);
	ck_assert_uint_eq(ipcsweep_tick(&s, T0 + 5 * STEP), CLOCK_NEVER_MS); /* ends: 9 back */
	ck_assert_uint_eq(fake_nreleased, 2);
	ck_assert_uint_eq(fake_released[1], 9);
	ck_assert_ptr_null(s.held); /* nothing held, nothing allocated */
	ck_assert_uint_eq(ipcsweep_tick(&s, T0 + 50 * STEP), CLOCK_NEVER_MS);
	ck_assert_uint_eq(fake_steps, 6);
}
END_TEST

/* Many uids, one walk: the set is searched, sorted, whatever the order. */
START_TEST(test_one_walk_serves_many)
{
	struct ipcsweep s = { .ops = &fake_ops };
	uid_t uids[] = { 50, 20, 40, 10, 30 };

	for (size_t i = 0; i < 5; i++) {
		fake_owner[i * 2000 + 1] = uids[i];
		ck_assert_int_eq(ipcsweep_add(&s, uids[i], 1, 8), 0);
	}
	ck_assert(!ipcsweep_holds(&s, 25));
	for (uint64_t t = 0; ipcsweep_tick(&s, t) != CLOCK_NEVER_MS; t += IPCSWEEP_STEP_MS)
		;
	ck_assert_uint_eq(fake_steps, 3);
	ck_assert_uint_eq(fake_nreleased, 5);
	for (size_t i = 0; i < 5; i++)
		ck_assert(fake_gone[i * 2000 + 1]);
}
END_TEST

/* An owner holds back at most its quota: the next is refused (given back
 * by the caller as it is), another owner's is not. */
START_TEST(test_quota_per_owner)
{
	struct ipcsweep s = { .ops = &fake_ops };

	ck_assert_int_eq(ipcsweep_add(&s, 10, 1, 2), 0);
	ck_assert_int_eq(ipcsweep_add(&s, 11, 1, 2), 0);
	ck_assert_int_eq(ipcsweep_add(&s, 12, 1, 2), 1);
	ck_assert(!ipcsweep_holds(&s, 12));
	ck_assert_int_eq(ipcsweep_add(&s, 13, 2, 2), 0); /* another service's */
	for (uint64_t t = 0; ipcsweep_tick(&s, t) != CLOCK_NEVER_MS; t += IPCSWEEP_STEP_MS)
		;
	ck_assert_uint_eq(fake_nreleased, 3);
	ck_assert_int_eq(ipcsweep_add(&s, 12, 1, 2), 0); /* room again */
	ipcsweep_finish(&s);
}
END_TEST

/* At exit the walk is finished, then everything is given back. */
START_TEST(test_finish)
{
	struct ipcsweep s = { .ops = &fake_ops };

	fake_owner[9999] = 3;
	ck_assert_int_eq(ipcsweep_add(&s, 3, 1, 8), 0);
	ipcsweep_tick(&s, 0);
	ipcsweep_finish(&s);
	ck_assert(fake_gone[9999]);
	ck_assert_uint_eq(fake_nreleased, 1);
	ck_assert_uint_eq(fake_steps, 3);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("ipcsweep");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_given_back_after_a_whole_walk);
	tcase_add_test(tc, test_one_walk_serves_many);
	tcase_add_test(tc, test_quota_per_owner);
	tcase_add_test(tc, test_finish);
	suite_add_tcase(suite, tc);
	return unit_run(suite);
}
