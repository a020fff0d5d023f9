/* unit.h - what every unit test binary shares: running its suite and
 * turning the result into an exit status (the Check summary line, "N%:
 * Checks: N, Failures: N, Errors: N", is printed by srunner_run_all). */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Writes DIR/NAME with text and mode (tests build config trees). */
static inline void unit_put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	ck_assert_int_eq(chmod(path, mode), 0);
	free(path);
}

static inline int unit_rm_one(const char *path, const struct stat *st, int flag,
			      struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Removes a temporary tree (depth first, not following links). */
static inline void unit_rm_tree(const char *dir)
{
	nftw(dir, unit_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

#endif
