/* test_pidmap.c - the pid hash: growth, removal with backward shift,
 * checked against a plain array over many random operations. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "pidmap.h"
#include "unit.h"

#define PIDS_MAX 40000

START_TEST(test_basic)
{
	struct pidmap m = { 0 };
	int a, b;

	ck_assert_ptr_null(pidmap_get(&m, 5));
	ck_assert_int_eq(pidmap_put(&m, 5, &a), 0);
	ck_assert_int_eq(pidmap_put(&m, 7, &b), 0);
	ck_assert_ptr_eq(pidmap_get(&m, 5), &a);
	ck_assert_ptr_eq(pidmap_get(&m, 7), &b);
	ck_assert_ptr_eq(pidmap_remove(&m, 5), &a);
	ck_assert_ptr_null(pidmap_get(&m, 5));
	ck_assert_ptr_eq(pidmap_get(&m, 7), &b);
	ck_assert_ptr_null(pidmap_remove(&m, 5));
	ck_assert_uint_eq(m.count, 1);
	pidmap_free(&m);
}
END_TEST

START_TEST(test_random_against_model)
{
	static void *model[PIDS_MAX];
	struct pidmap m = { 0 };
	unsigned seed = 12345;

	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		pid_t pid = (pid_t)(1 + (seed >> 8) % (PIDS_MAX - 1));
		void *val = (void *)(uintptr_t)(i + 1);
		if ((seed >> 4) & 1) {
			ck_assert_int_eq(pidmap_put(&m, pid, val), 0);
			model[pid] = val;
		} else {
			ck_assert_ptr_eq(pidmap_remove(&m, pid), model[pid]);
			model[pid] = NULL;
		}
	}
	size_t count = 0;
	for (pid_t p = 1; p < PIDS_MAX; p++) {
		ck_assert_ptr_eq(pidmap_get(&m, p), model[p]);
		count += model[p] != NULL;
	}
	ck_assert_uint_eq(m.count, count);
	pidmap_free(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pidmap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_random_against_model);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
