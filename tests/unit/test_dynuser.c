/* test_dynuser.c - unit tests for dynamic users: the allocator (dynuser.c:
 * hints, next fit, holders, exhaustion, the range taken anew once nothing
 * is held, memory freed with the last release), the load-time side
 * (config_dynuser.c: the passwd/group range scan with FILE:LINE, the
 * state_directory template, the range checks) and user=dynamic through
 * config_load (flags, ids, state directory, errors with master.cf:LINE). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_dynuser.h"
#include "dynuser.h"
#include "unit.h"

START_TEST(test_alloc_hint_and_exhaustion)
{
	struct dynuser d = { 0 };
	uid_t u[4];

	/* hint 1 in 100..102: 101 first, then upwards, wrapping */
	ck_assert_int_eq(dynuser_alloc(&d, 100, 102, 1, &u[0]), 0);
	ck_assert_uint_eq(u[0], 101);
	ck_assert_int_eq(dynuser_alloc(&d, 100, 102, 1, &u[1]), 0);
	ck_assert_uint_eq(u[1], 102);
	ck_assert_int_eq(dynuser_alloc(&d, 100, 102, 4, &u[2]), 0); /* 4 % 3 = 1: taken */
	ck_assert_uint_eq(u[2], 100);
	errno = 0;
	ck_assert_int_eq(dynuser_alloc(&d, 100, 102, 0, &u[3]), -1);
	ck_assert_int_eq(errno, ENOSPC);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(dynuser_holders(&d, u[i]), 1);
	dynuser_release(&d, 102);
	ck_assert_int_eq(dynuser_alloc(&d, 100, 102, 0, &u[3]), 0);
	ck_assert_uint_eq(u[3], 102);
	ck_assert_int_eq(dynuser_alloc(&d, 100, 99, 0, &u[3]), -1);
	ck_assert_int_eq(errno, EINVAL);
	dynuser_release(&d, 100);
	dynuser_release(&d, 101);
	dynuser_release(&d, 102);
	ck_assert_ptr_null(d.holders); /* nothing held, nothing allocated */
}
END_TEST

START_TEST(test_next_fit_no_quick_reuse)
{
	struct dynuser d = { 0 };
	uid_t a, b, c;

	ck_assert_int_eq(dynuser_alloc(&d, 10, 13, DYNUSER_NEXT, &a), 0);
	ck_assert_uint_eq(a, 10);
	dynuser_release(&d, a); /* the table goes, the cursor stays */
	ck_assert_int_eq(dynuser_alloc(&d, 10, 13, DYNUSER_NEXT, &b), 0);
	ck_assert_uint_eq(b, 11);
	dynuser_release(&d, b);
	ck_assert_int_eq(dynuser_alloc(&d, 10, 13, DYNUSER_NEXT, &b), 0);
	ck_assert_int_eq(dynuser_alloc(&d, 10, 13, DYNUSER_NEXT, &c), 0);
	ck_assert_uint_eq(b, 12);
	ck_assert_uint_eq(c, 13);
	ck_assert_int_eq(dynuser_alloc(&d, 10, 13, DYNUSER_NEXT, &a), 0); /* wraps */
	ck_assert_uint_eq(a, 10);
	dynuser_release(&d, a);
	dynuser_release(&d, b);
	dynuser_release(&d, c);
	ck_assert_ptr_null(d.holders);
}
END_TEST

START_TEST(test_holders)
{
	struct dynuser d = { 0 };
	uid_t u, v;

	ck_assert_int_eq(dynuser_hold(&d, 5), -1); /* nothing held at all */
	ck_assert_int_eq(dynuser_alloc(&d, 5, 6, 0, &u), 0);
	ck_assert_int_eq(dynuser_hold(&d, u), 0); /* a reload's successor */
	ck_assert_uint_eq(dynuser_holders(&d, u), 2);
	ck_assert_int_eq(dynuser_hold(&d, 6), -1); /* free: cannot be held */
	ck_assert_int_eq(dynuser_hold(&d, 7), -1); /* outside */
	dynuser_release(&d, u);
	ck_assert_uint_eq(dynuser_holders(&d, u), 1);
	ck_assert_int_eq(dynuser_alloc(&d, 5, 6, 0, &v), 0);
	ck_assert_uint_eq(v, 6); /* 5 is still held */
	dynuser_release(&d, 4); /* not held: nothing happens */
	dynuser_release(&d, 6);
	dynuser_release(&d, 6); /* twice: nothing happens */
	ck_assert_uint_eq(dynuser_holders(&d, u), 1);
	dynuser_release(&d, u);
	ck_assert_uint_eq(dynuser_holders(&d, u), 0);
	ck_assert_ptr_null(d.holders);
}
END_TEST

START_TEST(test_range_change)
{
	struct dynuser d = { 0 };
	uid_t u, v;

	ck_assert_int_eq(dynuser_alloc(&d, 100, 101, 0, &u), 0);
	/* A new range while 100 is held: served from the old one, said so. */
	ck_assert_int_eq(dynuser_alloc(&d, 200, 300, 0, &v), 1);
	ck_assert_uint_eq(v, 101);
	dynuser_release(&d, u);
	dynuser_release(&d, v);
	/* Nothing held: the new range is in force. */
	ck_assert_int_eq(dynuser_alloc(&d, 200, 300, 7, &u), 0);
	ck_assert_uint_eq(u, 207);
	dynuser_release(&d, u);
	ck_assert_uint_ne(dynuser_hash("inet 127.0.0.1:1"), dynuser_hash("inet 127.0.0.1:2"));
	ck_assert_uint_eq(dynuser_hash("x"), dynuser_hash("x"));
}
END_TEST

/* --- load time ------------------------------------------------------- */

static char dir[64];
static struct config cfg;
static struct diag errs;

static char *put(const char *name, const char *text)
{
	char *path = NULL;
	unit_put(dir, name, text, 0644);
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	return path;
}

static void setup(void)
{
	char conf[256];
	strcpy(dir, "/tmp/test_dynuser.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	unit_put(dir, "w", "#!/bin/sh\nexit 0\n", 0755);
	snprintf(conf, sizeof(conf), "run_directory = /run/td\ndaemon_directory = \"%s\"\n", dir);
	free(put("master.conf", conf));
	memset(&errs, 0, sizeof(errs));
	memset(&cfg, 0, sizeof(cfg));
}

static void teardown(void)
{
	config_free(&cfg);
	diag_free(&errs);
	unit_rm_tree(dir);
}

START_TEST(test_scan_passwd_group)
{
	char *pw = put("passwd", "root:x:0:0:root:/root:/bin/sh\n"
		       "# a comment:x:61200:\n"
		       "low:x:61183:1::/:/bin/sh\n"
		       "in:x:61184:1::/:/bin/sh\n"
		       "+nis\n"
		       "broken:x:notanumber:1\n"
		       "top:x:65519:1::/:/bin/sh\n"
		       "high:x:65520:1::/:/bin/sh\n");
	char *gr = put("group", "root:x:0:\nshared:x:62000:a,b\n");
	char want[512];

	ck_assert_int_eq(config_dynuser_scan(pw, "user", 61184, 65519, &errs), 2);
	ck_assert_uint_eq(errs.n, 2);
	snprintf(want, sizeof(want), "%s:4: user \"in\" has id 61184, inside the dynamic user "
		 "range 61184..65519 (dynamic_uid_min, dynamic_uid_max)", pw);
	ck_assert_str_eq(errs.msgs[0], want);
	snprintf(want, sizeof(want), "%s:7: user \"top\" has id 65519, inside the dynamic user "
		 "range 61184..65519 (dynamic_uid_min, dynamic_uid_max)", pw);
	ck_assert_str_eq(errs.msgs[1], want);
	ck_assert_int_eq(config_dynuser_scan(gr, "group", 61184, 65519, &errs), 1);
	snprintf(want, sizeof(want), "%s:2: group \"shared\" has id 62000, inside the dynamic "
		 "user range 61184..65519 (dynamic_uid_min, dynamic_uid_max)", gr);
	ck_assert_str_eq(errs.msgs[2], want);
	ck_assert_int_eq(config_dynuser_scan("/nonexistent/passwd", "user", 1, 2, &errs), 0);
	ck_assert_int_eq(config_dynuser_scan(pw, "user", 70000, 80000, &errs), 0);
	ck_assert_uint_eq(errs.n, 3);
	free(pw);
	free(gr);
}
END_TEST

START_TEST(test_expand)
{
	char *out = NULL, why[256];

	ck_assert_int_eq(config_dynuser_expand("/var/lib/master/%n", "unix-relay", &out, why,
					       sizeof(why)), 0);
	ck_assert_str_eq(out, "/var/lib/master/unix-relay");
	free(out);
	ck_assert_int_eq(config_dynuser_expand("/s/%n/%n%%x", "a", &out, why, sizeof(why)), 0);
	ck_assert_str_eq(out, "/s/a/a%x");
	free(out);
	ck_assert_int_eq(config_dynuser_expand("", "a", &out, why, sizeof(why)), 0);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(config_dynuser_expand("/s/%u", "a", &out, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "unknown %-sequence \"%u\" (use %n for the service, %% for a %)");
	ck_assert_int_eq(config_dynuser_expand("/s/%", "a", &out, why, sizeof(why)), -1);
	ck_assert_int_eq(config_dynuser_expand("rel/%n", "a", &out, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "\"rel/a\" must be an absolute path without \".\" or \"..\"");
	ck_assert_int_eq(config_dynuser_expand("/s/../%n", "a", &out, why, sizeof(why)), -1);
	ck_assert_int_eq(config_dynuser_expand("/s/./x", "a", &out, why, sizeof(why)), -1);
	ck_assert_int_eq(config_dynuser_expand("/s/..x/.y", "a", &out, why, sizeof(why)), 0);
	free(out);
}
END_TEST

/* Loads master.cf TEXT (and master.conf CONF appended to the base one, if
 * not NULL) with passwd/group from our files; returns the error count. */
static size_t load(const char *cf, const char *conf)
{
	char base[512];

	snprintf(base, sizeof(base), "run_directory = /run/td\ndaemon_directory = \"%s\"\n%s",
		 dir, conf ? conf : "");
	free(put("master.conf", base));
	free(put("master.cf", cf));
	config_free(&cfg);
	diag_free(&errs);
	config_load(dir, NULL, &cfg, &errs);
	return errs.n;
}

START_TEST(test_config_dynamic)
{
	char want[512];

	ck_assert_uint_eq(load("a unix - y - - - w -o user=dynamic\n"
			       "b unix - y - - - w -o user=dynamic -o dynamic_user=worker\n"
			       "c unix - n - - - w -o user=dynamic\n"
			       "d unix - y - - - w -o user=dynamic -o state_directory=\n",
			       "state_directory = /srv/st/%n\n"), 0);
	ck_assert(cfg.services[0].dynamic_user);
	ck_assert(!cfg.services[0].dynamic_per_worker);
	ck_assert_uint_eq(cfg.services[0].uid, 0);
	ck_assert_uint_eq(cfg.services[0].ngroups, 0);
	ck_assert_str_eq(cfg.services[0].state_dir, "/srv/st/unix-a");
	ck_assert(cfg.services[1].dynamic_per_worker);
	ck_assert(!cfg.services[2].dynamic_user); /* unpriv=n: root, as any user= */
	ck_assert_ptr_null(cfg.services[2].state_dir);
	ck_assert(cfg.services[3].dynamic_user);
	ck_assert_ptr_null(cfg.services[3].state_dir);
	/* default_user = dynamic makes every unpriv service dynamic */
	ck_assert_uint_eq(load("a unix - y - - - w\n", "default_user = dynamic\n"), 0);
	ck_assert(cfg.services[0].dynamic_user);
	ck_assert_str_eq(cfg.services[0].state_dir, "/var/lib/master/unix-a");
	/* errors with master.cf:LINE */
	ck_assert_uint_eq(load("a unix - y - - - w\nb unix - y - - - w -o user=dynamic "
			       "-o group=root\n", NULL), 1);
	snprintf(want, sizeof(want), "%s/master.cf:2: group \"root\" has gid 0, and an "
		 "unpriv=y worker never runs with group root", dir);
	ck_assert_str_eq(errs.msgs[0], want);
	ck_assert_uint_eq(load("a unix - y - - - w -o user=dynamic -o state_directory=/x/%q\n",
			       NULL), 1);
	ck_assert(strstr(errs.msgs[0], "master.cf:1: state_directory \"/x/%q\": unknown") != NULL);
	ck_assert_uint_eq(load("a unix - y - - - w -o user=dynamic -o dynamic_user=each\n",
			       NULL), 1);
	ck_assert(strstr(errs.msgs[0], "master.cf:1: dynamic_user \"each\": expected one of: "
			 "service worker") != NULL);
}
END_TEST

START_TEST(test_config_range)
{
	char want[512];

	ck_assert_uint_eq(load("a unix - y - - - w -o user=dynamic\n",
			       "dynamic_uid_min = 70000\ndynamic_uid_max = 60000\n"), 1);
	snprintf(want, sizeof(want), "%s/master.conf: dynamic_uid_min 70000 is above "
		 "dynamic_uid_max 60000", dir);
	ck_assert_str_eq(errs.msgs[0], want);
	ck_assert_uint_eq(load("a unix - y - - - w -o user=dynamic\n",
			       "dynamic_uid_min = 100000\ndynamic_uid_max = 200000\n"), 1);
	ck_assert(strstr(errs.msgs[0], "holds more than 65536 ids") != NULL);
	/* without a dynamic service the range is not looked at */
	ck_assert_uint_eq(load("a unix - y - - - w\n",
			       "dynamic_uid_min = 70000\ndynamic_uid_max = 60000\n"), 0);
	/* the check on files of ours (the host's passwd holds nothing there) */
	char *pw = put("pw", "x:x:4000000005:5::/:/bin/sh\n");
	char *gr = put("gr", "");
	ck_assert_uint_eq(load("a unix - y - - - w -o user=dynamic\n",
			       "dynamic_uid_min = 4000000000\ndynamic_uid_max = 4000000010\n"), 0);
	config_dynuser_check(&cfg, pw, gr, &errs);
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want), "%s:1: user \"x\" has id 4000000005, inside the dynamic "
		 "user range 4000000000..4000000010 (dynamic_uid_min, dynamic_uid_max)", pw);
	ck_assert_str_eq(errs.msgs[0], want);
	free(pw);
	free(gr);
}
END_TEST

static Suite *dynuser_suite(void)
{
	Suite *s = suite_create("dynuser");
	TCase *tc = tcase_create("allocator");
	tcase_add_test(tc, test_alloc_hint_and_exhaustion);
	tcase_add_test(tc, test_next_fit_no_quick_reuse);
	tcase_add_test(tc, test_holders);
	tcase_add_test(tc, test_range_change);
	suite_add_tcase(s, tc);
	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_scan_passwd_group);
	tcase_add_test(tc, test_expand);
	tcase_add_test(tc, test_config_dynamic);
	tcase_add_test(tc, test_config_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(dynuser_suite());
}
