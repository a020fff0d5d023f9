/* test_safepath.c - the checked path walk (safepath.c): symlinks followed
 * by hand (relative, absolute, through /bin), the fd being the object
 * found; a directory or symlink on the way owned by another user, or
 * writable by its group or others, refused with its name (sticky ones
 * allowed); loops; a walk confined below a directory fd (".." and
 * absolute symlinks stay inside, as in a chroot). Ownership cases need
 * root (chown) and are skipped otherwise. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safepath.h"
#include "unit.h"

#define NOBODY 65534

static char dir[64];
static char why[SAFEPATH_WHY_BYTES];

static void setup(void)
{
	strcpy(dir, "/tmp/test_safepath.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
}

static void teardown(void)
{
	unit_rm_tree(dir);
}

static char *at(const char *rel)
{
	static char buf[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel);
	return buf[i];
}

/* The fd is path's object (compared by device and inode with stat). */
static void assert_opens(int root_fd, const char *path, const char *same_as)
{
	struct stat a, b;
	int fd = safepath_open(root_fd, NULL, path, geteuid(), why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s: %s", path, why);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(stat(same_as, &b), 0);
	ck_assert_msg(a.st_dev == b.st_dev && a.st_ino == b.st_ino, "%s is not %s", path, same_as);
	close(fd);
}

static void assert_refused(const char *path, int err, const char *want)
{
	errno = 0;
	ck_assert_int_eq(safepath_open(-1, NULL, path, geteuid(), why, sizeof(why)), -1);
	ck_assert_int_eq(errno, err);
	ck_assert_str_eq(why, want);
}

static void make_tree(void)
{
	ck_assert_int_eq(mkdir(at("a"), 0755), 0);
	ck_assert_int_eq(mkdir(at("a/b"), 0755), 0);
	unit_put(dir, "a/b/f", "x", 0644);
}

START_TEST(test_follows_links)
{
	make_tree();
	assert_opens(-1, at("a/b/f"), at("a/b/f"));
	assert_opens(-1, "/bin/sh", "/bin/sh"); /* /bin -> usr/bin on merged /usr */
	ck_assert_int_eq(symlink("a/b", at("rel")), 0);
	assert_opens(-1, at("rel/f"), at("a/b/f"));
	ck_assert_int_eq(symlink(at("a/b/f"), at("abs")), 0);
	assert_opens(-1, at("abs"), at("a/b/f"));
	assert_opens(-1, at("a/b/../b/./f"), at("a/b/f"));
	assert_opens(-1, at("rel/"), at("a/b")); /* a directory, last */
	ck_assert_int_eq(symlink("loop", at("loop")), 0);
	assert_refused(at("loop/x"), ELOOP, strerror(ELOOP));
	assert_refused(at("a/b/f/x"), ENOTDIR, strerror(ENOTDIR));
	assert_refused(at("a/none/f"), ENOENT, strerror(ENOENT));
}
END_TEST

START_TEST(test_refuses_untrusted)
{
	char want[512];

	if (geteuid() != 0)
		return;
	make_tree();
	ck_assert_int_eq(chown(at("a"), NOBODY, 0), 0);
	snprintf(want, sizeof(want), "directory %s: owned by uid 65534 (mode 0755), not root",
		 at("a"));
	assert_refused(at("a/b/f"), EPERM, want);
	/* the last object is the caller's to judge */
	assert_opens(-1, at("a"), at("a"));
	ck_assert_int_eq(chown(at("a"), 0, 0), 0);
	ck_assert_int_eq(chmod(at("a"), 0775), 0);
	snprintf(want, sizeof(want), "directory %s: writable by its group (owned by uid 0, "
		 "mode 0775)", at("a"));
	assert_refused(at("a/b/f"), EPERM, want);
	ck_assert_int_eq(chmod(at("a"), 01777), 0); /* sticky, as /tmp */
	assert_opens(-1, at("a/b/f"), at("a/b/f"));
	/* a symlink planted by another user in a sticky directory */
	ck_assert_int_eq(symlink("b", at("a/l")), 0);
	ck_assert_int_eq(lchown(at("a/l"), NOBODY, NOBODY), 0);
	snprintf(want, sizeof(want), "symlink %s: owned by uid 65534 (mode 0777), not root",
		 at("a/l"));
	assert_refused(at("a/l/f"), EPERM, want);
	/* another trusted uid (a master not running as root) */
	ck_assert_int_ge(safepath_open(-1, NULL, at("a/l/f"), NOBODY, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_confined_below_root)
{
	make_tree();
	ck_assert_int_eq(symlink("/b", at("a/abs")), 0);   /* the jail's /b */
	ck_assert_int_eq(symlink("../../..", at("a/b/up")), 0);
	int root = open(at("a"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root, 0);
	assert_opens(root, "/b/f", at("a/b/f"));
	assert_opens(root, "/../../b/f", at("a/b/f"));
	assert_opens(root, "/abs/f", at("a/b/f"));
	assert_opens(root, "/b/up/b/f", at("a/b/f"));
	ck_assert_int_eq(safepath_open(root, at("a"), "/b/none", geteuid(), why, sizeof(why)), -1);
	close(root);
}
END_TEST

START_TEST(test_trusted_messages)
{
	struct stat st = { .st_uid = 1000, .st_mode = S_IFDIR | 0755 };

	ck_assert(!safepath_trusted(&st, 0, true, "run directory", "/r", why, sizeof(why)));
	ck_assert_str_eq(why, "run directory /r: owned by uid 1000 (mode 0755), not root");
	ck_assert(safepath_trusted(&st, 1000, true, "x", "/r", why, sizeof(why)));
	st.st_uid = 2000;
	ck_assert(!safepath_trusted(&st, 1000, true, NULL, NULL, why, sizeof(why)));
	ck_assert_str_eq(why, "owned by uid 2000 (mode 0755), not root or uid 1000");
	st.st_uid = 0;
	st.st_mode = S_IFDIR | 01777;
	ck_assert(safepath_trusted(&st, 0, true, "directory", "/tmp", why, sizeof(why)));
	ck_assert(!safepath_trusted(&st, 0, false, "run directory", "/tmp", why, sizeof(why)));
	ck_assert_str_eq(why, "run directory /tmp: writable by others (owned by uid 0, mode 1777)");
	st.st_mode = S_IFREG | 0775;
	ck_assert(!safepath_trusted(&st, 0, true, NULL, NULL, why, sizeof(why)));
	ck_assert_str_eq(why, "writable by its group (owned by uid 0, mode 0775)");
}
END_TEST

static Suite *safepath_suite(void)
{
	Suite *suite = suite_create("safepath");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_follows_links);
	tcase_add_test(tc, test_refuses_untrusted);
	tcase_add_test(tc, test_confined_below_root);
	tcase_add_test(tc, test_trusted_messages);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(safepath_suite());
}
