/* test_statedir.c - unit tests for the directories the master makes for
 * workers (statedir.c), in a temporary tree: a state directory made with
 * its owner and mode (parents 0755), taken over through its tree on a new
 * uid (files, subdirectories, a symlink itself, not a hard-linked file),
 * given back to root on release; refused: a symbolic link on the way, a
 * directory above writable by others, a directory the master did not make;
 * the master's own jail made 0555 root and refused when not empty.
 * Ownership needs root: those tests return early otherwise. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statedir.h"
#include "unit.h"

static char dir[64];
static char why[512];

static char *at(const char *name)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static void setup(void)
{
	strcpy(dir, "/tmp/test_statedir.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
}

static void teardown(void)
{
	unit_rm_tree(dir);
}

static void assert_owner(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, uid);
	ck_assert_uint_eq(st.st_gid, gid);
	if (mode != 0)
		ck_assert_uint_eq(st.st_mode & 07777, mode);
}

START_TEST(test_prepare_and_take_over)
{
	if (geteuid() != 0)
		return;
	char *sd = at("a/b/svc"), *f = at("a/b/svc/f"), *sub = at("a/b/svc/sub");
	char *g = at("a/b/svc/sub/g"), *ln = at("a/b/svc/ln"), *hard = at("a/b/svc/hard");
	char *outside = at("outside");

	ck_assert_int_eq(statedir_prepare(sd, 61500, 61500, 0700, true, 61184, 65519, why,
					  sizeof(why)), 0);
	assert_owner(sd, 61500, 61500, 0700);
	char *ab = at("a/b");
	assert_owner(ab, 0, 0, 0755);
	free(ab);
	/* the worker's files */
	unit_put(dir, "a/b/svc/f", "x", 0600);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	unit_put(dir, "a/b/svc/sub/g", "y", 0600);
	unit_put(dir, "outside", "z", 0644);
	ck_assert_int_eq(symlink(outside, ln), 0);
	ck_assert_int_eq(link(outside, hard), 0); /* a second name of root's file */
	ck_assert_int_eq(lchown(ln, 61500, 61500), 0);
	ck_assert_int_eq(chown(f, 61500, 61500), 0);
	ck_assert_int_eq(chown(sub, 61500, 61500), 0);
	ck_assert_int_eq(chown(g, 61500, 61500), 0);
	/* same owner: nothing to do */
	ck_assert_int_eq(statedir_prepare(sd, 61500, 61500, 0700, true, 61184, 65519, why,
					  sizeof(why)), 0);
	/* a new uid: the tree follows, the link itself, not what it points at;
	 * the hard-linked file is left (and said) */
	ck_assert_int_eq(statedir_prepare(sd, 61600, 61601, 0770, true, 61184, 65519, why,
					  sizeof(why)), 1);
	ck_assert(strstr(why, "1 entries inside not given to uid 61600") != NULL);
	assert_owner(sd, 61600, 61601, 0770);
	assert_owner(f, 61600, 61601, 0600);
	assert_owner(sub, 61600, 61601, 0700);
	assert_owner(g, 61600, 61601, 0600);
	assert_owner(ln, 61600, 61601, 0);
	assert_owner(outside, 0, 0, 0644);
	/* released: back to root, 0700; taken again (marked as ours) */
	ck_assert_int_eq(statedir_release(sd, why, sizeof(why)), 0);
	assert_owner(sd, 0, 0, 0700);
	assert_owner(f, 61600, 61601, 0600);
	ck_assert_int_eq(unlink(hard), 0);
	ck_assert_int_eq(statedir_prepare(sd, 61700, 61700, 0700, true, 61184, 65519, why,
					  sizeof(why)), 0);
	assert_owner(f, 61700, 61700, 0600);
	char *missing = at("missing");
	ck_assert_int_eq(statedir_release(missing, why, sizeof(why)), 0);
	free(missing);
	free(sd), free(f), free(sub), free(g), free(ln), free(hard), free(outside);
}
END_TEST

START_TEST(test_takeover_bounded)
{
	/* A tree past STATEDIR_CHOWN_ENTRIES_MAX entries (a worker can make
	 * one): the takeover stops there, says so, and the directory itself
	 * is the new uid's. On tmpfs (/dev/shm): 100,000 files on a disk take
	 * longer than a test may. */
	char base[] = "/dev/shm/test_statedir.XXXXXX", sd[64];

	if (geteuid() != 0 || mkdtemp(base) == NULL)
		return;
	snprintf(sd, sizeof(sd), "%s/big", base);
	ck_assert_int_eq(statedir_prepare(sd, 61500, 61500, 0700, true, 61184, 65519, why,
					  sizeof(why)), 0);
	int dfd = open(sd, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	for (unsigned i = 0; i < STATEDIR_CHOWN_ENTRIES_MAX + 7; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%u", i);
		int fd = openat(dfd, name, O_CREAT | O_WRONLY, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_int_eq(statedir_prepare(sd, 61600, 61600, 0700, true, 61184, 65519, why,
					  sizeof(why)), 1);
	ck_assert_msg(strstr(why, "7 entries inside not given to uid 61600 (hard-linked, too "
			      "deep, past 100000 entries") != NULL, "%s", why);
	assert_owner(sd, 61600, 61600, 0700);
	for (unsigned i = 0; i < STATEDIR_CHOWN_ENTRIES_MAX + 7; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%u", i);
		unlinkat(dfd, name, 0);
	}
	close(dfd);
	rmdir(sd);
	rmdir(base);
}
END_TEST

START_TEST(test_refusals)
{
	if (geteuid() != 0)
		return;
	char *real = at("real"), *link_ = at("link"), *via = at("link/svc");
	char *open_ = at("open"), *in_open = at("open/svc"), *etc = at("etc");
	char want[512];

	ck_assert_int_eq(mkdir(real, 0755), 0);
	ck_assert_int_eq(symlink(real, link_), 0);
	ck_assert_int_eq(statedir_prepare(via, 61500, 61500, 0700, true, 61184, 65519, why,
					  sizeof(why)), -1);
	snprintf(want, sizeof(want), "%s: a symbolic link (not followed)", link_);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(mkdir(open_, 0777), 0);
	ck_assert_int_eq(chmod(open_, 0777), 0);
	ck_assert_int_eq(statedir_prepare(in_open, 61500, 61500, 0700, true, 61184, 65519, why,
					  sizeof(why)), -1);
	snprintf(want, sizeof(want), "%s: writable by others (mode 0777)", open_);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(chmod(open_, 01777), 0); /* sticky, like /tmp: fine */
	ck_assert_int_eq(statedir_prepare(in_open, 61500, 61500, 0700, true, 61184, 65519, why,
					  sizeof(why)), 0);
	/* a directory the master did not make, owned by someone else */
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	unit_put(dir, "etc/passwd", "root:x:0:0\n", 0644);
	ck_assert_int_eq(statedir_prepare(etc, 61500, 61500, 0700, true, 61184, 65519, why,
					  sizeof(why)), -1);
	ck_assert(strstr(why, "not made by the master: not taken over") != NULL);
	assert_owner(etc, 0, 0, 0755);
	ck_assert_int_eq(statedir_prepare("/", 61500, 61500, 0700, true, 61184, 65519, why,
					  sizeof(why)), -1);
	free(real), free(link_), free(via), free(open_), free(in_open), free(etc);
}
END_TEST

START_TEST(test_jail)
{
	if (geteuid() != 0)
		return;
	char *jail = at("run/empty");

	ck_assert_int_eq(statedir_jail(jail, why, sizeof(why)), 0);
	assert_owner(jail, 0, 0, 0555);
	ck_assert_int_eq(chmod(jail, 0755), 0);
	ck_assert_int_eq(statedir_jail(jail, why, sizeof(why)), 0); /* mode put back */
	assert_owner(jail, 0, 0, 0555);
	unit_put(dir, "run/empty/x", "", 0644);
	ck_assert_int_eq(statedir_jail(jail, why, sizeof(why)), -1);
	ck_assert(strstr(why, ": not empty") != NULL);
	free(jail);
}
END_TEST

static Suite *statedir_suite(void)
{
	Suite *s = suite_create("statedir");
	TCase *tc = tcase_create("statedir");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30); /* test_takeover_bounded makes 100,007 files */
	tcase_add_test(tc, test_prepare_and_take_over);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_takeover_bounded);
	tcase_add_test(tc, test_jail);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(statedir_suite());
}
