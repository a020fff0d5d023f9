/* test_control_share.c - the control client table's eviction policy
 * (control_share.c): room is free until a uid's share or the table is
 * full; past its share a uid loses its own oldest, never another uid's
 * client; a full table loses the oldest of the uid holding the most. */
#include <check.h>

#include "control_share.h"
#include "unit.h"

START_TEST(test_room)
{
	const uid_t uids[] = { 0, 1000, 1000 };

	ck_assert_int_eq(control_share_victim(uids, 0, 0, 2, 4), -1);
	ck_assert_int_eq(control_share_victim(uids, 3, 0, 2, 4), -1);
	ck_assert_int_eq(control_share_victim(uids, 3, 5, 2, 4), -1);
}
END_TEST

START_TEST(test_share)
{
	/* 1000 floods: its own oldest goes, root's client stays */
	const uid_t uids[] = { 0, 1000, 7, 1000, 1000 };

	ck_assert_int_eq(control_share_victim(uids, 5, 1000, 3, 64), 1);
	ck_assert_int_eq(control_share_victim(uids, 5, 0, 3, 64), -1);
	/* root past its own share loses its own oldest */
	const uid_t roots[] = { 5, 0, 0 };
	ck_assert_int_eq(control_share_victim(roots, 3, 0, 2, 64), 1);
}
END_TEST

START_TEST(test_full_table)
{
	/* full, nobody past its share: the biggest uid's oldest goes */
	const uid_t uids[] = { 0, 7, 9, 7, 9, 9 };

	ck_assert_int_eq(control_share_victim(uids, 6, 0, 4, 6), 2);
	ck_assert_int_eq(control_share_victim(uids, 6, 3, 4, 6), 2);
	const uid_t tie[] = { 7, 0, 0, 7 };
	ck_assert_int_eq(control_share_victim(tie, 4, 9, 4, 4), 0); /* first of the tie */
}
END_TEST

static Suite *control_share_suite(void)
{
	Suite *suite = suite_create("control_share");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_room);
	tcase_add_test(tc, test_share);
	tcase_add_test(tc, test_full_table);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(control_share_suite());
}
