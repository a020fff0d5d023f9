/* test_config_origin.c - unit tests for issue 14's configuration parts:
 * every master.conf error reported (libconfuse stops at an unknown setting
 * or a syntax error; settings_confuse.c parses again past it), each
 * setting's origin (settings_origin.c) through master.conf, master.cf and
 * the command line, showing values and origins (settings_show.c), where an
 * inherited value's error is reported (config_where.c), one error said
 * once (diag.c), service names (svcname.c), spawn's argv= (config_args.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_args.h"
#include "config_where.h"
#include "mastercf.h"
#include "settings.h"
#include "svcname.h"
#include "unit.h"

static struct master_settings m;
static struct service_settings s;
static struct diag errs;

static void setup(void)
{
	ck_assert_int_eq(settings_defaults(&m, &s), 0);
	memset(&errs, 0, sizeof(errs));
}

static void teardown(void)
{
	settings_free_master(&m);
	settings_free_service(&s);
	diag_free(&errs);
}

static int load(const char *text)
{
	char *copy = strdup(text);
	ck_assert_ptr_nonnull(copy);
	int rc = settings_load_buffer("C", copy, &m, &s, &errs);
	free(copy);
	return rc;
}

static struct settings_origin origin(const char *name)
{
	struct settings_origin o = { 99, 99 };
	ck_assert(settings_origin_of(&m, &s, name, &o));
	return o;
}

START_TEST(test_every_conf_error)
{
	/* Unknown settings and a syntax error stop libconfuse: each is kept,
	 * and the values after them are still read and checked. */
	ck_assert_int_eq(load("max_use = 5\n# c\nmax_idel = 5m\nprefork = -1\n"
			      "bogus = 1\nmax_use = abc\n= 3\nmax_idle = 7m\n"), -1);
	ck_assert_uint_eq(errs.n, 5);
	ck_assert_str_eq(errs.msgs[0], "C:3: unknown setting \"max_idel\"");
	ck_assert_str_eq(errs.msgs[1],
			 "C:4: prefork \"-1\": negative numbers are not allowed (0..100000)");
	ck_assert_str_eq(errs.msgs[2], "C:5: unknown setting \"bogus\"");
	ck_assert_str_eq(errs.msgs[3], "C:6: max_use \"abc\": not a number (0..1000000000)");
	ck_assert(strncmp(errs.msgs[4], "C:7: ", 5) == 0);
	ck_assert_uint_eq(s.max_idle_s, 420); /* read past every error */
}
END_TEST

START_TEST(test_conf_origins)
{
	ck_assert_int_eq(load("\n# comment\nmax_use = 5\n/* a\n b */ prefork = 2\n"
			      "run_directory = \"/r\"\nmax_use = 6\n"), 0);
	ck_assert_uint_eq(origin("max_use").from, SETTINGS_FROM_CONF);
	ck_assert_uint_eq(origin("max_use").line, 7); /* the last one wins */
	ck_assert_uint_eq(origin("prefork").line, 5);
	ck_assert_uint_eq(origin("run_directory").from, SETTINGS_FROM_CONF);
	ck_assert_uint_eq(origin("run_directory").line, 6);
	ck_assert_uint_eq(origin("max_idle").from, SETTINGS_FROM_DEFAULT);
	ck_assert_uint_eq(origin("pid_file").from, SETTINGS_FROM_DEFAULT);

	/* -o: the command line, then a master.cf line, carried by copies */
	ck_assert_int_eq(settings_override(&m, &s, "max_idle=1m", false, "command line", &errs), 0);
	ck_assert_uint_eq(origin("max_idle").from, SETTINGS_FROM_CMDLINE);
	struct service_settings c;
	ck_assert_int_eq(settings_copy_service(&c, &s), 0);
	ck_assert_int_eq(settings_override_from(NULL, &c, "prefork=3", true, "F:9",
						(struct settings_origin){ SETTINGS_FROM_CF, 9 },
						&errs), 0);
	struct settings_origin o;
	ck_assert(settings_origin_of(NULL, &c, "prefork", &o));
	ck_assert_uint_eq(o.from, SETTINGS_FROM_CF);
	ck_assert_uint_eq(o.line, 9);
	ck_assert(settings_origin_of(NULL, &c, "max_idle", &o));
	ck_assert_uint_eq(o.from, SETTINGS_FROM_CMDLINE);
	ck_assert(!settings_origin_of(NULL, &c, "run_directory", &o));
	ck_assert(!settings_origin_of(&m, &c, "no_such", &o));
	/* A bad value records nothing. */
	ck_assert_int_eq(settings_override_from(NULL, &c, "max_use=x", true, "F:10",
						(struct settings_origin){ SETTINGS_FROM_CF, 10 },
						&errs), -1);
	ck_assert(settings_origin_of(NULL, &c, "max_use", &o));
	ck_assert_uint_eq(o.line, 7);
	settings_free_service(&c);
}
END_TEST

/* The value of NAME as `masterctl config` shows it. */
static const char *shown(const char *name)
{
	static char buf[256];
	for (size_t i = 0; i < settings_show_count(); i++) {
		bool per;
		if (strcmp(settings_show_name(i, &per), name) == 0) {
			settings_show_value(i, &m, &s, buf, sizeof(buf));
			return buf;
		}
	}
	ck_abort_msg("no setting %s", name);
	return NULL;
}

START_TEST(test_show)
{
	ck_assert_int_eq(load("max_idle = 5m\nrlimit_nofile = unlimited\nrlimit_cpu = 10\n"
			      "import_environment = \"TZ LANG=C\"\nprivate_tmp = on\n"), 0);
	ck_assert_str_eq(shown("max_idle"), "300s");
	ck_assert_str_eq(shown("umask"), "077");
	ck_assert_str_eq(shown("lifetime_jitter"), "10%");
	ck_assert_str_eq(shown("private_tmp_size"), "67108864");
	ck_assert_str_eq(shown("rlimit_nofile"), "unlimited");
	ck_assert_str_eq(shown("rlimit_cpu"), "10s");
	ck_assert_str_eq(shown("rlimit_as"), "");
	ck_assert_str_eq(shown("import_environment"), "TZ LANG=C");
	ck_assert_str_eq(shown("private_tmp"), "yes");
	ck_assert_str_eq(shown("default_user"), "nobody");
	/* Every shown value reads back as the same value. */
	for (size_t i = 0; i < settings_show_count(); i++) {
		bool per;
		const char *name = settings_show_name(i, &per);
		char nv[512], before[256];
		settings_show_value(i, &m, &s, before, sizeof(before));
		snprintf(nv, sizeof(nv), "%s=%s", name, before);
		ck_assert_msg(settings_override(&m, &s, nv, false, "W", &errs) == 0, "%s", nv);
		ck_assert_str_eq(shown(name), before);
	}
	char buf[64];
	settings_show_origin((struct settings_origin){ SETTINGS_FROM_CONF, 4 }, "a.conf", "a.cf",
			     buf, sizeof(buf));
	ck_assert_str_eq(buf, "a.conf:4");
	settings_show_origin((struct settings_origin){ SETTINGS_FROM_CF, 2 }, "a.conf", "a.cf",
			     buf, sizeof(buf));
	ck_assert_str_eq(buf, "a.cf:2");
	settings_show_origin((struct settings_origin){ SETTINGS_FROM_CMDLINE, 0 }, "a", "b",
			     buf, sizeof(buf));
	ck_assert_str_eq(buf, "command line");
	settings_show_origin((struct settings_origin){ 0, 0 }, "a", "b", buf, sizeof(buf));
	ck_assert_str_eq(buf, "default");
}
END_TEST

START_TEST(test_where_and_once)
{
	struct service_config sc = { .file = "/etc/m/master.cf", .line = 12 };
	char buf[CONFIG_WHERE_BYTES];

	ck_assert_int_eq(load("capabilities = cap_foo\n\ndefault_user = x\n"), 0);
	ck_assert_int_eq(settings_copy_service(&sc.set, &s), 0);
	ck_assert_str_eq(config_where(&sc, &m, "capabilities", buf, sizeof(buf)),
			 "/etc/m/master.conf:1");
	ck_assert_str_eq(config_where(&sc, &m, "user", buf, sizeof(buf)), "/etc/m/master.conf:3");
	ck_assert_str_eq(config_where(&sc, &m, "group", buf, sizeof(buf)), "/etc/m/master.cf:12");
	settings_override_from(NULL, &sc.set, "user=y", true, "F",
			       (struct settings_origin){ SETTINGS_FROM_CF, 13 }, &errs);
	ck_assert_str_eq(config_where(&sc, &m, "user", buf, sizeof(buf)), "/etc/m/master.cf:13");
	settings_override(&m, &sc.set, "memory_max=1G", false, "command line", &errs);
	ck_assert_str_eq(config_where(&sc, &m, "memory_max", buf, sizeof(buf)),
			 "command line (-o memory_max)");
	settings_free_service(&sc.set);

	/* The same error from every service that inherits it: said once,
	 * still counted as a step's error. */
	diag_add(&errs, "a:1: x");
	size_t before = diag_count(&errs);
	diag_add(&errs, "a:1: x");
	ck_assert_uint_eq(diag_count(&errs), before + 1);
	ck_assert_uint_eq(diag_distinct(&errs), 1);
	ck_assert_uint_eq(errs.n, 1);
	diag_add(&errs, "a:2: x");
	ck_assert_uint_eq(diag_distinct(&errs), 2);
}
END_TEST

START_TEST(test_svcname)
{
	static const char *const good[] = { "relay", "127.0.0.1:25", "caf\xc3\xa9",
					    "\xe2\x82\xac", "\xf0\x9f\x98\x80", "a~b" };
	static const char *const bad[] = {
		"caf\xe9",            /* Latin-1 */
		"\xc0\xaf",           /* overlong '/' */
		"\xe0\x80\xaf",       /* overlong, 3 bytes */
		"\xed\xa0\x80",       /* a surrogate */
		"\xf4\x90\x80\x80",   /* past U+10FFFF */
		"a\x1b[31m",          /* ESC */
		"a\x7f",              /* DEL */
		"a\xc2\x85",          /* C1 (NEL) */
		"\xe2\x82",           /* cut short */
		"\xff",
	};
	char why[SVCNAME_WHY_BYTES];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(svcname_check(good[i], why, sizeof(why)) == 0, "%zu: %s", i, why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(svcname_check(bad[i], why, sizeof(why)) == -1, "bad %zu passed", i);
	svcname_check("caf\xe9", why, sizeof(why));
	ck_assert_str_eq(why, "not valid UTF-8 (byte 0xe9 at offset 3)");
	svcname_check("a\x1b", why, sizeof(why));
	ck_assert_str_eq(why, "control character U+001B at offset 1");

	struct mastercf cf;
	ck_assert_int_eq(mastercf_parse_buffer("F", "ok unix n n n - 2 echo\n"
					       "caf\xe9 unix n n n - 2 echo\n", &s, &cf, &errs), -1);
	ck_assert_uint_eq(cf.n, 1);
	ck_assert_str_eq(errs.msgs[0], "F:2: service name: not valid UTF-8 (byte 0xe9 at offset 3)");
	mastercf_free(&cf);
}
END_TEST

START_TEST(test_spawn_argv)
{
	static char *rel[] = { "spawn", "-x", "argv=cat", NULL };
	static char *none[] = { "spawn", NULL };
	static char *good[] = { "spawn", "argv=/bin/sh", "-c", "x", NULL };
	static char *gone[] = { "spawn", "argv=/nonexistent/x", NULL };
	static char *dir[] = { "spawn", "argv=/tmp", NULL };
	struct service_config sc = { .command = "/usr/lib/master/spawn" };

	sc.argv = good;
	config_args_check(&sc, &m, "W", &errs);
	ck_assert_uint_eq(errs.n, 0);
	sc.argv = rel;
	config_args_check(&sc, &m, "W", &errs);
	ck_assert_str_eq(errs.msgs[0], "W: spawn argv=cat: the command must be an absolute path");
	sc.argv = none;
	config_args_check(&sc, &m, "W", &errs);
	ck_assert_str_eq(errs.msgs[1], "W: spawn needs argv=/absolute/command after its options");
	sc.argv = gone;
	config_args_check(&sc, &m, "W", &errs);
	ck_assert_str_eq(errs.msgs[2], "W: spawn argv=/nonexistent/x: /nonexistent/x: "
			 "No such file or directory");
	sc.argv = dir;
	config_args_check(&sc, &m, "W", &errs);
	ck_assert_str_eq(errs.msgs[3], "W: spawn argv=/tmp: /tmp: not an executable file");
	/* Another command's arguments are its own business. */
	sc.command = "echo";
	sc.argv = rel;
	config_args_check(&sc, &m, "W", &errs);
	ck_assert_uint_eq(errs.n, 4);
}
END_TEST

static Suite *config_origin_suite(void)
{
	Suite *suite = suite_create("config_origin");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_conf_error);
	tcase_add_test(tc, test_conf_origins);
	tcase_add_test(tc, test_show);
	tcase_add_test(tc, test_where_and_once);
	tcase_add_test(tc, test_svcname);
	tcase_add_test(tc, test_spawn_argv);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(config_origin_suite());
}
