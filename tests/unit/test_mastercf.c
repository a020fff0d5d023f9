/* test_mastercf.c - unit tests for the master.cf parser (mastercf.c):
 * good lines, each column's '-' default, continuation lines (also across
 * comments and blanks), the -o forms and the worker's own arguments, and
 * every error message with its file:line prefix and the offending value. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mastercf.h"
#include "unit.h"

#define PATH "/x/master.cf"

static struct service_settings defaults;
static struct master_settings msettings;
static struct mastercf cf;
static struct diag errs;

static void setup(void)
{
	settings_defaults(&msettings, &defaults);
	memset(&errs, 0, sizeof(errs));
	memset(&cf, 0, sizeof(cf));
}

static void teardown(void)
{
	mastercf_free(&cf);
	settings_free_service(&defaults);
	settings_free_master(&msettings);
	diag_free(&errs);
}

static int parse(const char *text)
{
	mastercf_free(&cf);
	return mastercf_parse_buffer(PATH, text, &defaults, &cf, &errs);
}

/* TEXT must fail with exactly the one message WANT and yield no entry. */
static void assert_one_error(const char *text, const char *want)
{
	diag_free(&errs);
	ck_assert_int_eq(parse(text), -1);
	ck_assert_msg(errs.n == 1, "%zu errors for \"%s\", first: %s", errs.n, text,
		      errs.n ? errs.msgs[0] : "-");
	ck_assert_str_eq(errs.msgs[0], want);
	ck_assert_uint_eq(cf.n, 0);
}

START_TEST(test_good_line)
{
	ck_assert_int_eq(parse("127.0.0.1:7070 inet n y n - 4 echo -o max_use=100\n"), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(cf.n, 1);
	const struct mastercf_entry *e = &cf.entries[0];
	ck_assert_str_eq(e->name, "127.0.0.1:7070");
	ck_assert_int_eq(e->type, SERVICE_INET);
	ck_assert(!e->private_);
	ck_assert(e->unpriv);
	ck_assert(!e->chroot);
	ck_assert(e->maxproc_column);
	ck_assert_uint_eq(e->set.maxproc, 4);
	ck_assert_uint_eq(e->set.max_use, 100);
	ck_assert_str_eq(e->command, "echo");
	ck_assert_str_eq(e->argv[0], "echo");
	ck_assert_ptr_null(e->argv[1]);
	ck_assert_uint_eq(e->line, 1);
}
END_TEST

START_TEST(test_defaults)
{
	defaults.max_use = 7; /* what master.conf said */
	defaults.maxproc = 9;
	ck_assert_int_eq(parse("relay unix - - - - - spawn"), 0); /* no final newline */
	const struct mastercf_entry *e = &cf.entries[0];
	ck_assert_int_eq(e->type, SERVICE_UNIX);
	ck_assert(e->private_);
	ck_assert(e->unpriv);
	ck_assert(!e->chroot);
	ck_assert(!e->maxproc_column);
	ck_assert_uint_eq(e->set.maxproc, 9);
	ck_assert_uint_eq(e->set.max_use, 7);
	ck_assert_str_eq(e->set.import_environment[0], "TZ");
	ck_assert_ptr_ne(e->set.import_environment, defaults.import_environment);
	ck_assert_int_eq(parse("a unix y n n 0 0 c\nb unix n - - 00 - c\n"), 0);
	ck_assert(cf.entries[0].private_ && !cf.entries[0].unpriv);
	ck_assert(cf.entries[0].maxproc_column);
	ck_assert_uint_eq(cf.entries[0].set.maxproc, 0);
	ck_assert(!cf.entries[1].private_ && cf.entries[1].unpriv);
}
END_TEST

START_TEST(test_continuation)
{
	ck_assert_int_eq(parse(
		"# header\n"
		"\n"
		"svc unix - - - - - cmd\n"
		"  -o max_use=5\n"
		"# interleaved comment\n"
		"\n"
		"   \t\n"
		"   -o max_idle=1m arg1\n"
		"\targ2\r\n"
		"  # an indented comment\n"
		"other inet - - - - - cmd2\n"
		"    x\n"), 0);
	ck_assert_uint_eq(cf.n, 2);
	const struct mastercf_entry *e = &cf.entries[0];
	ck_assert_uint_eq(e->line, 3);
	ck_assert_uint_eq(e->set.max_use, 5);
	ck_assert_uint_eq(e->set.max_idle_s, 60);
	ck_assert_str_eq(e->argv[0], "cmd");
	ck_assert_str_eq(e->argv[1], "arg1");
	ck_assert_str_eq(e->argv[2], "arg2");
	ck_assert_ptr_null(e->argv[3]);
	ck_assert_uint_eq(cf.entries[1].line, 11);
	ck_assert_str_eq(cf.entries[1].argv[1], "x");
	/* the columns themselves may continue too */
	ck_assert_int_eq(parse("svc unix\n - - -\n # c\n - - cmd\n"), 0);
	ck_assert_str_eq(cf.entries[0].command, "cmd");
}
END_TEST

START_TEST(test_options_and_args)
{
	ck_assert_int_eq(parse("s unix - - - - - cmd -o max_use=1 -omax_idle=2 "
			       "-o { stop_timeout = 3 } -o {user=bin} -x -o max_use=9 { a b }\n"), 0);
	const struct mastercf_entry *e = &cf.entries[0];
	ck_assert_uint_eq(e->set.max_use, 1);
	ck_assert_uint_eq(e->set.max_idle_s, 2);
	ck_assert_uint_eq(e->set.stop_timeout_s, 3);
	ck_assert_str_eq(e->set.user, "bin");
	ck_assert_str_eq(e->argv[1], "-x");
	ck_assert_str_eq(e->argv[2], "-o");
	ck_assert_str_eq(e->argv[3], "max_use=9");
	ck_assert_str_eq(e->argv[4], "a b");
	ck_assert_ptr_null(e->argv[5]);
	/* a braced "-o" is an argument, not an option */
	ck_assert_int_eq(parse("s unix - - - - - cmd {-o} max_use=1\n"), 0);
	ck_assert_str_eq(cf.entries[0].argv[1], "-o");
	ck_assert_uint_eq(cf.entries[0].set.max_use, 100);
	/* -o maxproc works when the column is '-' */
	ck_assert_int_eq(parse("s unix - - - - - cmd -o maxproc=5 -o prefork=2\n"), 0);
	ck_assert_uint_eq(cf.entries[0].set.maxproc, 5);
	ck_assert_uint_eq(cf.entries[0].set.prefork, 2);
}
END_TEST

START_TEST(test_column_errors)
{
	assert_one_error("x inett - - - - - c\n", PATH ":1: unknown type \"inett\"");
	assert_one_error("x - - - - - - c\n", PATH ":1: unknown type \"-\"");
	assert_one_error("x unix_dgram - - - - - c\n", PATH ":1: unknown type \"unix_dgram\"");
	assert_one_error("x FIFO - - - - - c\n", PATH ":1: unknown type \"FIFO\"");
	assert_one_error("x unix yes - - - - c\n", PATH ":1: private \"yes\": expected y, n or -");
	assert_one_error("x unix - Y - - - c\n", PATH ":1: unpriv \"Y\": expected y, n or -");
	assert_one_error("x unix - - q - - c\n", PATH ":1: chroot \"q\": expected y, n or -");
	/* chroot y is parsed (the jail is checked by config.c) */
	diag_free(&errs);
	ck_assert_int_eq(parse("x unix - - y - - c\n"), 0);
	ck_assert(cf.entries[0].chroot);
	assert_one_error("x unix - - - 31536001 - c\n",
			 PATH ":1: wakeup \"31536001\": at most 31536000 seconds");
	assert_one_error("x fifo - - - 99999999999999999999? - c\n",
			 PATH ":1: wakeup \"99999999999999999999?\": at most 31536000 seconds");
	assert_one_error("x unix - - - -5 - c\n", PATH ":1: wakeup \"-5\": expected seconds, N? or -");
	assert_one_error("x unix - - - 5s - c\n", PATH ":1: wakeup \"5s\": expected seconds, N? or -");
	assert_one_error("x unix - - - abc - c\n",
			 PATH ":1: wakeup \"abc\": expected seconds, N? or -");
	assert_one_error("x unix - - - 5?? - c\n",
			 PATH ":1: wakeup \"5??\": expected seconds, N? or -");
	assert_one_error("x unix - - - ? - c\n", PATH ":1: wakeup \"?\": expected seconds, N? or -");
	assert_one_error("x unix - - - - abc c\n",
			 PATH ":1: maxproc \"abc\": not a number (0..100000)");
	assert_one_error("x unix - - - - -1 c\n",
			 PATH ":1: maxproc \"-1\": negative numbers are not allowed (0..100000)");
	assert_one_error("x unix - - - - 100001 c\n",
			 PATH ":1: maxproc \"100001\": out of range (0..100000)");
	assert_one_error("- unix - - - - - c\n", PATH ":1: the service name column has no default");
	assert_one_error("x unix - - - - - -\n", PATH ":1: the command column has no default");
	assert_one_error("# c\nx unix - - - -\n  -\n",
			 PATH ":2: too few columns: found 7, expected 8 (service type private "
			 "unpriv chroot wakeup maxproc command)");
	/* the error is at the line of the token, not of the entry */
	assert_one_error("x unix - - -\n\n  - 1000000 c\n",
			 PATH ":3: maxproc \"1000000\": out of range (0..100000)");
}
END_TEST

/* The five types, and every form of the wakeup column. */
START_TEST(test_types_and_wakeup)
{
	static const struct {
		const char *line;
		enum service_type type;
		unsigned wakeup_s;
		bool after_use;
	} rows[] = {
		{ "a inet - - - - - c\n", SERVICE_INET, 0, false },
		{ "a unix - - - 60 - c\n", SERVICE_UNIX, 60, false },
		{ "a fifo - - - 60? - c\n", SERVICE_FIFO, 60, true },
		{ "a unix-dgram - - - 1 - c\n", SERVICE_UNIX_DGRAM, 1, false },
		{ "a pass - - - 0 - c\n", SERVICE_PASS, 0, false },
		{ "a fifo - - - 0? - c\n", SERVICE_FIFO, 0, false },
		{ "a unix - - - 007 - c\n", SERVICE_UNIX, 7, false },
		{ "a unix - - - 31536000? - c\n", SERVICE_UNIX, 31536000, true },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_msg(parse(rows[i].line) == 0, "%s: %s", rows[i].line,
			      errs.n ? errs.msgs[0] : "-");
		ck_assert_uint_eq(cf.n, 1);
		ck_assert_int_eq(cf.entries[0].type, rows[i].type);
		ck_assert_uint_eq(cf.entries[0].wakeup_s, rows[i].wakeup_s);
		ck_assert_int_eq(cf.entries[0].wakeup_after_use, rows[i].after_use);
	}
	ck_assert_str_eq(svctype_name(SERVICE_UNIX_DGRAM), "unix-dgram");
	ck_assert_str_eq(svctype_tag(SERVICE_UNIX_DGRAM), "dgram");
	ck_assert(!svctype_listens(SERVICE_FIFO) && !svctype_listens(SERVICE_UNIX_DGRAM));
	ck_assert(svctype_listens(SERVICE_PASS) && svctype_is_local(SERVICE_PASS));
	ck_assert(!svctype_is_local(SERVICE_INET));
}
END_TEST

START_TEST(test_line_errors)
{
	assert_one_error("  x unix - - - - - c\n",
			 PATH ":1: continuation line with no entry before it");
	assert_one_error("# c\n\n\tx\n", PATH ":3: continuation line with no entry before it");
	assert_one_error("x unix - - - - - c { a b\n", PATH ":1: missing \"}\" after \"{\"");
	assert_one_error("x unix - - - - - c {a}b\n", PATH ":1: text after \"}\": \"b\"");
}
END_TEST

START_TEST(test_option_errors)
{
	assert_one_error("x unix - - - - - c -o\n", PATH ":1: \"-o\" needs name=value after it");
	assert_one_error("x unix - - - - - c\n  -o\n  max_usee=1\n",
			 PATH ":3: unknown setting \"max_usee\"");
	assert_one_error("x unix - - - - - c -o max_use=abc\n",
			 PATH ":1: max_use \"abc\": not a number (0..1000000000)");
	assert_one_error("x unix - - - - - c -omax_use\n",
			 PATH ":1: \"max_use\": expected name=value");
	assert_one_error("x unix - - - - - c -o run_directory=/x\n",
			 PATH ":1: \"run_directory\" is a master.conf setting and cannot be set "
			 "per service");
	assert_one_error("x unix - - - - 4 c\n -o maxproc=5\n",
			 PATH ":2: -o maxproc=5: maxproc is set by the maxproc column; write \"-\" "
			 "there to set it with -o");
	assert_one_error("x unix - - - - 4 c -o { maxproc = 5 }\n",
			 PATH ":1: -o maxproc=5: maxproc is set by the maxproc column; write \"-\" "
			 "there to set it with -o");
}
END_TEST

START_TEST(test_every_error_reported)
{
	ck_assert_int_eq(parse("good1 unix - - - - - c\n"
			       "bad1 inett - - - 5x - c -o max_usee=1\n"
			       "good2 inet - - - - - c\n"
			       "  bad2\n"), -1);
	ck_assert_uint_eq(errs.n, 3);
	ck_assert_str_eq(errs.msgs[0], PATH ":2: unknown type \"inett\"");
	ck_assert_str_eq(errs.msgs[1], PATH ":2: wakeup \"5x\": expected seconds, N? or -");
	ck_assert_str_eq(errs.msgs[2], PATH ":2: unknown setting \"max_usee\"");
	/* good entries are kept for further checks; "  bad2" continued good2 */
	ck_assert_uint_eq(cf.n, 2);
	ck_assert_str_eq(cf.entries[0].name, "good1");
	ck_assert_str_eq(cf.entries[1].name, "good2");
	ck_assert_str_eq(cf.entries[1].argv[1], "bad2");
}
END_TEST

START_TEST(test_file)
{
	char path[] = "/tmp/test_mastercf.XXXXXX";
	const char *text = "a unix - - - - - c\n";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	ck_assert_int_eq(mastercf_parse_file(path, &defaults, &cf, &errs), 0);
	ck_assert_uint_eq(cf.n, 1);
	mastercf_free(&cf);
	unlink(path);
	ck_assert_int_eq(mastercf_parse_file(path, &defaults, &cf, &errs), -1);
	char *want = NULL;
	ck_assert_int_ge(asprintf(&want, "%s: cannot open: No such file or directory", path), 0);
	ck_assert_str_eq(errs.msgs[0], want);
	free(want);
	ck_assert_int_eq(mastercf_parse_file("/tmp", &defaults, &cf, &errs), -1);
	ck_assert_str_eq(errs.msgs[1], "/tmp: not a regular file (a directory)");
	/* Only regular files: a device or a FIFO is never read (a FIFO would
	 * hang the load until someone writes to it). */
	ck_assert_int_eq(mastercf_parse_file("/dev/null", &defaults, &cf, &errs), -1);
	ck_assert_str_eq(errs.msgs[2], "/dev/null: not a regular file (a character device)");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(mastercf_parse_file(path, &defaults, &cf, &errs), -1);
	ck_assert_int_ge(asprintf(&want, "%s: not a regular file (a fifo)", path), 0);
	ck_assert_str_eq(errs.msgs[3], want);
	free(want);
	unlink(path);
	ck_assert_uint_eq(cf.n, 0);
}
END_TEST

static Suite *mastercf_suite(void)
{
	Suite *suite = suite_create("mastercf");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_good_line);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_continuation);
	tcase_add_test(tc, test_options_and_args);
	tcase_add_test(tc, test_column_errors);
	tcase_add_test(tc, test_types_and_wakeup);
	tcase_add_test(tc, test_line_errors);
	tcase_add_test(tc, test_option_errors);
	tcase_add_test(tc, test_every_error_reported);
	tcase_add_test(tc, test_file);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(mastercf_suite());
}
