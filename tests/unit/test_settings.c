/* test_settings.c - unit tests for the settings schema (settings.c):
 * built-in defaults, every value type's parsing and range errors, scope
 * rules of -o, and master.conf read through libconfuse from temp files
 * (quoted and unquoted values, line numbers after comments, unknown names,
 * every bad value reported). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_config.h"
#include "settings.h"
#include "unit.h"

static struct master_settings m;
static struct service_settings s;
static struct diag errs;

static void setup(void)
{
	settings_defaults(&m, &s);
	memset(&errs, 0, sizeof(errs));
}

static void teardown(void)
{
	settings_free_master(&m);
	settings_free_service(&s);
	diag_free(&errs);
}

/* Applies one -o as on the master's command line; returns its result. */
static int set(const char *nv)
{
	return settings_override(&m, &s, nv, false, "WHERE", &errs);
}

static void assert_error(const char *nv, const char *want)
{
	size_t n = errs.n;
	ck_assert_int_eq(set(nv), -1);
	ck_assert_uint_eq(errs.n, n + 1);
	ck_assert_str_eq(errs.msgs[n], want);
}

/* Loads TEXT as a master.conf from a temp file (removed before any
 * assertion can fail); *path gets its name for expected messages. */
static int load_text(const char *text, char **path)
{
	*path = strdup("/tmp/test_settings.XXXXXX");
	int fd = mkstemp(*path);
	ck_assert_int_ge(fd, 0);
	ssize_t w = write(fd, text, strlen(text));
	close(fd);
	int rc = settings_load_file(*path, &m, &s, &errs);
	unlink(*path);
	ck_assert_int_eq(w, (ssize_t)strlen(text));
	return rc;
}

START_TEST(test_defaults)
{
	ck_assert_str_eq(m.run_directory, "/run/master");
	ck_assert_str_eq(m.daemon_directory, MASTER_DEFAULT_DAEMON_DIR);
	ck_assert_str_eq(m.pid_file, "master.pid");
	ck_assert_str_eq(m.control_socket, "master.ctl");
	ck_assert_str_eq(m.default_user, "nobody");
	ck_assert_str_eq(s.user, "");
	ck_assert_str_eq(s.import_environment[0], "TZ");
	ck_assert_ptr_null(s.import_environment[1]);
	ck_assert_uint_eq(s.prefork, 1);
	ck_assert_uint_eq(s.maxproc, 100);
	ck_assert_uint_eq(s.listen_backlog, 128);
	ck_assert_uint_eq(s.max_use, 100);
	ck_assert_uint_eq(s.max_idle_s, 100);
	ck_assert_uint_eq(s.spawn_rate, 64);
	ck_assert_uint_eq(s.stop_timeout_s, 10);
}
END_TEST

START_TEST(test_uint)
{
	ck_assert_int_eq(set("max_use=5"), 0);
	ck_assert_uint_eq(s.max_use, 5);
	ck_assert_int_eq(set("max_use=0"), 0);
	ck_assert_int_eq(set("max_use=1000000000"), 0);
	ck_assert_uint_eq(s.max_use, 1000000000);
	assert_error("max_use=abc", "WHERE: max_use \"abc\": not a number (0..1000000000)");
	assert_error("max_use=-1",
		     "WHERE: max_use \"-1\": negative numbers are not allowed (0..1000000000)");
	assert_error("max_use=1000000001", "WHERE: max_use \"1000000001\": out of range (0..1000000000)");
	assert_error("max_use=99999999999999999999999",
		     "WHERE: max_use \"99999999999999999999999\": out of range (0..1000000000)");
	assert_error("max_use=4294967296", "WHERE: max_use \"4294967296\": out of range (0..1000000000)");
	assert_error("max_use=10x", "WHERE: max_use \"10x\": not a number (0..1000000000)");
	assert_error("max_use=", "WHERE: max_use \"\": not a number (0..1000000000)");
	assert_error("max_use= 5", "WHERE: max_use \" 5\": not a number (0..1000000000)");
	assert_error("max_use=+5", "WHERE: max_use \"+5\": not a number (0..1000000000)");
	assert_error("max_use=0x10", "WHERE: max_use \"0x10\": not a number (0..1000000000)");
	ck_assert_uint_eq(s.max_use, 1000000000); /* errors change nothing */
	assert_error("listen_backlog=0", "WHERE: listen_backlog \"0\": out of range (1..65535)");
	assert_error("listen_backlog=65536", "WHERE: listen_backlog \"65536\": out of range (1..65535)");
	assert_error("prefork=100001", "WHERE: prefork \"100001\": out of range (0..100000)");
	assert_error("maxproc=100001", "WHERE: maxproc \"100001\": out of range (0..100000)");
	assert_error("spawn_rate=0", "WHERE: spawn_rate \"0\": out of range (1..100000)");
	ck_assert_int_eq(set("spawn_rate=100000"), 0);
	ck_assert_int_eq(set("prefork=7"), 0);
	ck_assert_int_eq(set("maxproc=0"), 0);
	ck_assert_int_eq(set("listen_backlog=65535"), 0);
	ck_assert_uint_eq(s.prefork, 7);
	ck_assert_uint_eq(s.maxproc, 0);
	ck_assert_uint_eq(s.listen_backlog, 65535);
	ck_assert_uint_eq(s.spawn_rate, 100000);
}
END_TEST

START_TEST(test_duration)
{
	static const struct { const char *nv; unsigned want; } ok[] = {
		{ "max_idle=90", 90 }, { "max_idle=90s", 90 }, { "max_idle=5m", 300 },
		{ "max_idle=2h", 7200 }, { "max_idle=1d", 86400 }, { "max_idle=0", 0 },
		{ "max_idle=365d", 31536000 }, { "max_idle=31536000", 31536000 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(set(ok[i].nv), 0);
		ck_assert_uint_eq(s.max_idle_s, ok[i].want);
	}
	assert_error("max_idle=366d", "WHERE: max_idle \"366d\": out of range (0..31536000 seconds)");
	assert_error("max_idle=1y",
		     "WHERE: max_idle \"1y\": unknown unit (use s, m, h or d) (0..31536000 seconds)");
	assert_error("max_idle=10 s",
		     "WHERE: max_idle \"10 s\": unknown unit (use s, m, h or d) (0..31536000 seconds)");
	assert_error("max_idle=5ms",
		     "WHERE: max_idle \"5ms\": unknown unit (use s, m, h or d) (0..31536000 seconds)");
	assert_error("max_idle=-5s",
		     "WHERE: max_idle \"-5s\": negative numbers are not allowed (0..31536000 seconds)");
	assert_error("max_idle=s", "WHERE: max_idle \"s\": not a number (0..31536000 seconds)");
	assert_error("max_idle=999999999999999999d",
		     "WHERE: max_idle \"999999999999999999d\": out of range (0..31536000 seconds)");
	ck_assert_int_eq(set("stop_timeout=1h"), 0);
	ck_assert_uint_eq(s.stop_timeout_s, 3600);
	assert_error("stop_timeout=3601", "WHERE: stop_timeout \"3601\": out of range (0..3600 seconds)");
	assert_error("stop_timeout=2h", "WHERE: stop_timeout \"2h\": out of range (0..3600 seconds)");
	ck_assert_uint_eq(s.stop_timeout_s, 3600);
}
END_TEST

START_TEST(test_envlist)
{
	ck_assert_int_eq(set("import_environment=TZ LANG,FOO=bar baz  ,, _X1"), 0);
	char **e = s.import_environment;
	ck_assert_str_eq(e[0], "TZ");
	ck_assert_str_eq(e[1], "LANG");
	ck_assert_str_eq(e[2], "FOO=bar");
	ck_assert_str_eq(e[3], "baz");
	ck_assert_str_eq(e[4], "_X1");
	ck_assert_ptr_null(e[5]);
	ck_assert_int_eq(set("import_environment="), 0);
	ck_assert_ptr_null(s.import_environment[0]);
	ck_assert_int_eq(set("import_environment=A=x=y"), 0);
	ck_assert_str_eq(s.import_environment[0], "A=x=y");
	assert_error("import_environment=TZ 1A",
		     "WHERE: import_environment \"TZ 1A\": invalid variable name \"1A\"");
	assert_error("import_environment==x",
		     "WHERE: import_environment \"=x\": invalid variable name \"\"");
	assert_error("import_environment=A-B=1",
		     "WHERE: import_environment \"A-B=1\": invalid variable name \"A-B\"");
	ck_assert_str_eq(s.import_environment[0], "A=x=y");
}
END_TEST

/* Issue 8, item 9: the worker contract's names cannot be imported, as a
 * bare name (pass through) or NAME=VALUE. */
START_TEST(test_envlist_contract_refused)
{
	static const char *const names[] = {
		"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "STATE_DIRECTORY",
		"MASTER_STATUS_FD", "MASTER_SERVICE", "MASTER_MAX_USE", "MASTER_MAX_IDLE",
		"MASTER_PROTOCOL", "MASTER_ANYTHING",
	};
	char nv[128], want[256];

	ck_assert_int_eq(set("import_environment=TZ"), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(nv, sizeof(nv), "import_environment=TZ %s=1", names[i]);
		snprintf(want, sizeof(want), "WHERE: import_environment \"TZ %s=1\": \"%s\" is set "
			 "by the master for every worker (the worker contract) and cannot be "
			 "imported", names[i], names[i]);
		assert_error(nv, want);
		snprintf(nv, sizeof(nv), "import_environment=%s", names[i]);
		ck_assert_int_eq(set(nv), -1);
	}
	ck_assert_str_eq(s.import_environment[0], "TZ"); /* unchanged */
	ck_assert_ptr_null(s.import_environment[1]);
	/* From master.conf: FILE:LINE. */
	char *path = NULL, line[512];
	size_t before = errs.n;
	ck_assert_int_eq(load_text("max_use = 5\n\nimport_environment = \"TZ LISTEN_PID\"\n",
				   &path), -1);
	ck_assert_uint_eq(errs.n, before + 1);
	snprintf(line, sizeof(line), "%s:3: import_environment \"TZ LISTEN_PID\": \"LISTEN_PID\" "
		 "is set by the master for every worker (the worker contract) and cannot be "
		 "imported", path);
	ck_assert_str_eq(errs.msgs[before], line);
	free(path);
	/* Near misses are ordinary names. */
	ck_assert_int_eq(set("import_environment=LISTEN_FDSX MASTER LISTEN NOTIFY_SOCKETS"), 0);
	ck_assert_str_eq(s.import_environment[3], "NOTIFY_SOCKETS");
}
END_TEST

/* The isolation settings of issue 9: dynamic users, private_tmp_size,
 * the relative chroot_directory. */
START_TEST(test_isolation_settings)
{
	ck_assert_str_eq(m.chroot_directory, "empty"); /* resolved by config.c */
	ck_assert_uint_eq(m.dynamic_uid_min, 61184);
	ck_assert_uint_eq(m.dynamic_uid_max, 65519);
	ck_assert_str_eq(s.dynamic_user, "service");
	ck_assert_str_eq(s.state_directory, "/var/lib/master/%n");
	ck_assert_uint_eq(s.private_tmp_size_bytes, 64ULL << 20);
	ck_assert_int_eq(set("dynamic_user=worker"), 0);
	ck_assert_str_eq(s.dynamic_user, "worker");
	assert_error("dynamic_user=process",
		     "WHERE: dynamic_user \"process\": expected one of: service worker");
	assert_error("dynamic_user=", "WHERE: dynamic_user \"\": must not be empty");
	assert_error("dynamic_user=servic",
		     "WHERE: dynamic_user \"servic\": expected one of: service worker");
	ck_assert_str_eq(s.dynamic_user, "worker");
	ck_assert_int_eq(set("private_tmp_size=1M"), 0);
	ck_assert_uint_eq(s.private_tmp_size_bytes, 1ULL << 20);
	assert_error("private_tmp_size=0",
		     "WHERE: private_tmp_size \"0\": out of range (4096..1099511627776 bytes)");
	assert_error("private_tmp_size=2T",
		     "WHERE: private_tmp_size \"2T\": out of range (4096..1099511627776 bytes)");
	ck_assert_int_eq(set("dynamic_uid_min=100000"), 0);
	ck_assert_uint_eq(m.dynamic_uid_min, 100000);
	assert_error("dynamic_uid_max=0", "WHERE: dynamic_uid_max \"0\": out of range "
		     "(1..4294967294)");
	assert_error("dynamic_uid_max=4294967295", "WHERE: dynamic_uid_max \"4294967295\": "
		     "out of range (1..4294967294)");
	ck_assert_int_eq(settings_override(&m, &s, "dynamic_uid_min=5", true, "W", &errs), -1);
	ck_assert_int_eq(set("chroot_directory=jail"), 0);
	ck_assert_int_eq(set("chroot_directory=/srv/jail"), 0);
	assert_error("chroot_directory=", "WHERE: chroot_directory \"\": must not be empty");
}
END_TEST

START_TEST(test_strings)
{
	assert_error("run_directory=run", "WHERE: run_directory \"run\": must be an absolute path");
	assert_error("daemon_directory=", "WHERE: daemon_directory \"\": must be an absolute path");
	assert_error("pid_file=", "WHERE: pid_file \"\": must not be empty");
	assert_error("default_user=", "WHERE: default_user \"\": must not be empty");
	ck_assert_int_eq(set("run_directory=/tmp/r"), 0);
	ck_assert_int_eq(set("pid_file=x.pid"), 0);
	ck_assert_int_eq(set("control_socket=/abs/ctl"), 0);
	ck_assert_int_eq(set("default_user=daemon"), 0);
	ck_assert_int_eq(set("user=bin"), 0);
	ck_assert_int_eq(set("user="), 0);
	ck_assert_str_eq(m.run_directory, "/tmp/r");
	ck_assert_str_eq(m.pid_file, "x.pid");
	ck_assert_str_eq(m.control_socket, "/abs/ctl");
	ck_assert_str_eq(m.default_user, "daemon");
	ck_assert_str_eq(s.user, "");
}
END_TEST

START_TEST(test_names_and_scope)
{
	assert_error("max_usee=5", "WHERE: unknown setting \"max_usee\"");
	assert_error("max_use", "WHERE: \"max_use\": expected name=value");
	assert_error("=5", "WHERE: \"=5\": expected name=value");
	size_t n = errs.n;
	ck_assert_int_eq(settings_override(&m, &s, "run_directory=/x", true, "f:3", &errs), -1);
	ck_assert_str_eq(errs.msgs[n],
			 "f:3: \"run_directory\" is a master.conf setting and cannot be set per service");
	ck_assert_str_eq(m.run_directory, "/run/master");
	/* master.cf lines pass no master settings at all */
	ck_assert_int_eq(settings_override(NULL, &s, "default_user=x", true, "f:4", &errs), -1);
	ck_assert_int_eq(settings_override(NULL, &s, "user=bin", true, "f:5", &errs), 0);
	ck_assert_str_eq(s.user, "bin");
	ck_assert_uint_eq(errs.n, n + 2);
}
END_TEST

START_TEST(test_file_good)
{
	char *path = NULL;
	ck_assert_int_eq(load_text(
		"# master.conf\n"
		"run_directory = \"/tmp/run x\"\n"
		"daemon_directory = /usr/lib/x   // trailing comment\n"
		"/* block\n   comment */\n"
		"max_use = 5\n"
		"max_idle = \"5m\"\n"
		"stop_timeout = 90s\n"
		"prefork = \"3\"\n"
		"import_environment = \"TZ, LANG=C\"\n"
		"user = \"a#b\"\n"
		"maxproc = 7\n"
		"maxproc = 8\n", &path), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_str_eq(m.run_directory, "/tmp/run x");
	ck_assert_str_eq(m.daemon_directory, "/usr/lib/x");
	ck_assert_str_eq(m.pid_file, "master.pid"); /* untouched */
	ck_assert_uint_eq(s.max_use, 5);
	ck_assert_uint_eq(s.max_idle_s, 300);
	ck_assert_uint_eq(s.stop_timeout_s, 90);
	ck_assert_uint_eq(s.prefork, 3);
	ck_assert_uint_eq(s.maxproc, 8); /* the last one wins */
	ck_assert_str_eq(s.import_environment[1], "LANG=C");
	ck_assert_str_eq(s.user, "a#b");
	free(path);
}
END_TEST

START_TEST(test_file_bad_values)
{
	char *path = NULL;
	ck_assert_int_eq(load_text(
		"# comments must not shift line numbers\n"
		"# (libconfuse 3.3 counts them three times)\n"
		"max_use = abc\n"
		"// another\n"
		"listen_backlog = \"0\"\n"
		"/* a\n b */\n"
		"run_directory = relative\n"
		"max_idle = 5m\n", &path), -1);
	ck_assert_uint_eq(errs.n, 3);
	char *want = NULL;
	ck_assert_int_ge(asprintf(&want, "%s:3: max_use \"abc\": not a number (0..1000000000)", path), 0);
	ck_assert_str_eq(errs.msgs[0], want);
	free(want);
	ck_assert_int_ge(asprintf(&want, "%s:5: listen_backlog \"0\": out of range (1..65535)", path), 0);
	ck_assert_str_eq(errs.msgs[1], want);
	free(want);
	ck_assert_int_ge(asprintf(&want, "%s:8: run_directory \"relative\": must be an absolute path",
				  path), 0);
	ck_assert_str_eq(errs.msgs[2], want);
	free(want);
	ck_assert_uint_eq(s.max_idle_s, 300); /* the good values still apply */
	ck_assert_uint_eq(s.max_use, 100);
	free(path);
}
END_TEST

START_TEST(test_file_unknown_and_syntax)
{
	char *path = NULL, *want = NULL;
	ck_assert_int_eq(load_text("max_use = 5\n# c\n\nmax_usee = 6\n", &path), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_int_ge(asprintf(&want, "%s:4: unknown setting \"max_usee\"", path), 0);
	ck_assert_str_eq(errs.msgs[0], want);
	free(want);
	free(path);

	ck_assert_int_eq(load_text("max_use = 5\nmax_idle 7\n", &path), -1);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_int_ge(asprintf(&want, "%s:2: ", path), 0);
	ck_assert_msg(strncmp(errs.msgs[1], want, strlen(want)) == 0, "got %s", errs.msgs[1]);
	ck_assert_ptr_nonnull(strstr(errs.msgs[1], "max_idle"));
	free(want);
	free(path);
}
END_TEST

START_TEST(test_file_missing_or_not_a_file)
{
	ck_assert_int_eq(settings_load_file("/nonexistent/master.conf", &m, &s, &errs), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(s.max_use, 100);
	ck_assert_int_eq(settings_load_file("/tmp", &m, &s, &errs), -1);
	ck_assert_str_eq(errs.msgs[0], "/tmp: not a regular file (a directory)");
	/* A FIFO is refused without waiting for a writer (it would hang). */
	char fifo[] = "/tmp/test_settings_fifo.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(fifo));
	char *fpath = NULL;
	ck_assert_int_ge(asprintf(&fpath, "%s/master.conf", fifo), 0);
	ck_assert_int_eq(mkfifo(fpath, 0600), 0);
	ck_assert_int_eq(settings_load_file(fpath, &m, &s, &errs), -1);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_ptr_nonnull(strstr(errs.msgs[1], "master.conf: not a regular file (a fifo)"));
	unlink(fpath);
	rmdir(fifo);
	free(fpath);
	char *path = NULL;
	ck_assert_int_eq(load_text("", &path), 0);
	free(path);
}
END_TEST

START_TEST(test_copy_service)
{
	struct service_settings c;
	ck_assert_int_eq(set("import_environment=A B=1"), 0);
	ck_assert_int_eq(set("user=bin"), 0);
	ck_assert_int_eq(settings_copy_service(&c, &s), 0);
	ck_assert_ptr_ne(c.user, s.user);
	ck_assert_str_eq(c.user, "bin");
	ck_assert_ptr_ne(c.import_environment, s.import_environment);
	ck_assert_str_eq(c.import_environment[1], "B=1");
	ck_assert_ptr_null(c.import_environment[2]);
	ck_assert_uint_eq(c.max_use, s.max_use);
	settings_free_service(&c);
	ck_assert_ptr_null(c.user);
}
END_TEST

static Suite *settings_suite(void)
{
	Suite *suite = suite_create("settings");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_uint);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_envlist);
	tcase_add_test(tc, test_envlist_contract_refused);
	tcase_add_test(tc, test_isolation_settings);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_names_and_scope);
	tcase_add_test(tc, test_file_good);
	tcase_add_test(tc, test_file_bad_values);
	tcase_add_test(tc, test_file_unknown_and_syntax);
	tcase_add_test(tc, test_file_missing_or_not_a_file);
	tcase_add_test(tc, test_copy_service);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(settings_suite());
}
