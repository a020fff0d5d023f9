/* unit.h - what every unit test binary shares: running its suite and
 * turning the result into an exit status (the Check summary line, "N%:
 * Checks: N, Failures: N, Errors: N", is printed by srunner_run_all). */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
