/* test_sweep.c - the spool sweeper's walk on a real temporary Maildir:
 * what it counts, what it ages out, and what it leaves alone (links,
 * directories, hidden names, fresh files). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/sweep_scan.h"
#include "unit.h"

#define NOW 1000000000L

static char dir[64];
static int dir_fd = -1;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_sweep.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dir_fd, 0);
	ck_assert_int_eq(mkdirat(dir_fd, "new", 0700), 0);
	ck_assert_int_eq(mkdirat(dir_fd, "cur", 0700), 0);
	ck_assert_int_eq(mkdirat(dir_fd, "tmp", 0700), 0);
}

static void teardown(void)
{
	close(dir_fd);
	unit_rm_tree(dir);
}

/* SUB/NAME with size bytes, last modified age seconds before NOW. */
static void file(const char *sub, const char *name, size_t size, long age)
{
	char path[128];
	struct timespec ts[2] = { { NOW - age, 0 }, { NOW - age, 0 } };
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sub, name);
	fd = openat(dir_fd, path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	close(fd);
	ck_assert_int_eq(utimensat(dir_fd, path, ts, 0), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

START_TEST(test_expired)
{
	ck_assert(!sweep_expired(NOW - 10, NOW, 0));    /* 0: never */
	ck_assert(!sweep_expired(NOW - 10, NOW, 10));
	ck_assert(sweep_expired(NOW - 11, NOW, 10));
	ck_assert(!sweep_expired(NOW + 100, NOW, 10));  /* from the future: kept */
}
END_TEST

START_TEST(test_counts_and_ages_out)
{
	struct sweep_policy p = { .max_age_s = 3600, .tmp_age_s = SWEEP_TMP_AGE_S };
	struct sweep_counts c;

	file("new", "fresh", 100, 10);
	file("new", "old", 200, 7200);
	file("cur", "read:2,S", 50, 60);
	file("cur", "oldread:2,S", 50, 4000);
	file("tmp", "writing", 30, 60);
	file("tmp", "debris", 40, SWEEP_TMP_AGE_S + 1);
	file("new", ".hidden", 1, 99999);
	ck_assert_int_eq(mkdirat(dir_fd, "new/subdir", 0700), 0);
	ck_assert_int_eq(symlinkat("/etc/passwd", dir_fd, "new/link"), 0);
	ck_assert_int_eq(sweep_scan(dir_fd, &p, NOW, &c), 0);
	ck_assert_uint_eq(c.files[0], 1);
	ck_assert_uint_eq(c.files[1], 1);
	ck_assert_uint_eq(c.files[2], 1);
	ck_assert_uint_eq(c.bytes, 100 + 50 + 30);
	ck_assert_uint_eq(c.removed, 2);
	ck_assert_uint_eq(c.tmp_removed, 1);
	ck_assert_uint_eq(c.errors, 0);
	ck_assert(exists("new/fresh") && !exists("new/old"));
	ck_assert(exists("cur/read:2,S") && !exists("cur/oldread:2,S"));
	ck_assert(exists("tmp/writing") && !exists("tmp/debris"));
	ck_assert(exists("new/.hidden") && exists("new/subdir") && exists("new/link"));
	ck_assert(access("/etc/passwd", F_OK) == 0);
}
END_TEST

START_TEST(test_count_only_and_missing_dirs)
{
	struct sweep_policy p = { .max_age_s = 0, .tmp_age_s = 0 };
	struct sweep_counts c;

	file("new", "ancient", 10, 99999999);
	ck_assert_int_eq(unlinkat(dir_fd, "cur", AT_REMOVEDIR), 0);
	ck_assert_int_eq(sweep_scan(dir_fd, &p, NOW, &c), 0);
	ck_assert_uint_eq(c.files[0], 1);
	ck_assert_uint_eq(c.removed, 0);
	ck_assert_uint_eq(c.errors, 0);
	ck_assert(exists("new/ancient"));
}
END_TEST

static Suite *sweep_suite(void)
{
	Suite *s = suite_create("sweep");
	TCase *tc = tcase_create("sweep");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_counts_and_ages_out);
	tcase_add_test(tc, test_count_only_and_missing_dirs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(sweep_suite());
}
