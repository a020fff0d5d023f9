/* test_logprefix.c - the foreground log's prefix: journald's "<N>" only
 * when JOURNAL_STREAM names fd 2 itself, a timestamp on a terminal,
 * nothing otherwise; a worker's own "<N>" read and capped at err. The
 * pure functions, then log.c on a real file, pipe and pseudo-terminal in
 * place of stderr (each test runs in its own forked child). */
#include <check.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "logprefix.h"
#include "unit.h"

START_TEST(test_mode)
{
	ck_assert_int_eq(logprefix_mode("12:34", 12, 34, false), LOGPREFIX_JOURNAL);
	ck_assert_int_eq(logprefix_mode("12:34", 12, 34, true), LOGPREFIX_JOURNAL);
	/* another file (stderr redirected under the unit): not the journal */
	ck_assert_int_eq(logprefix_mode("12:35", 12, 34, false), LOGPREFIX_PLAIN);
	ck_assert_int_eq(logprefix_mode("13:34", 12, 34, true), LOGPREFIX_STAMP);
	ck_assert_int_eq(logprefix_mode(NULL, 12, 34, false), LOGPREFIX_PLAIN);
	ck_assert_int_eq(logprefix_mode(NULL, 12, 34, true), LOGPREFIX_STAMP);
	/* malformed: ignored */
	const char *bad[] = { "", "12", "12:", ":34", "12:34x", "12:34 ", " 12:34", "-12:34",
			      "12:-34", "x12:34", "12::34", "99999999999999999999999:34" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(logprefix_mode(bad[i], 12, 34, false) == LOGPREFIX_PLAIN,
			      "\"%s\" taken as the journal", bad[i]);
}
END_TEST

START_TEST(test_format)
{
	char buf[64];
	struct timespec ts = { 0, 0 };

	ck_assert_uint_eq(logprefix_format(buf, sizeof(buf), LOGPREFIX_JOURNAL, LOG_ERR, &ts), 3);
	ck_assert_str_eq(buf, "<3>");
	logprefix_format(buf, sizeof(buf), LOGPREFIX_JOURNAL, LOG_WARNING, &ts);
	ck_assert_str_eq(buf, "<4>");
	logprefix_format(buf, sizeof(buf), LOGPREFIX_JOURNAL, LOG_INFO, &ts);
	ck_assert_str_eq(buf, "<6>");
	logprefix_format(buf, sizeof(buf), LOGPREFIX_JOURNAL, LOG_DEBUG, &ts);
	ck_assert_str_eq(buf, "<7>");
	logprefix_format(buf, sizeof(buf), LOGPREFIX_JOURNAL, 42, &ts);
	ck_assert_str_eq(buf, "<6>");
	ck_assert_uint_eq(logprefix_format(buf, sizeof(buf), LOGPREFIX_PLAIN, LOG_ERR, &ts), 0);
	ck_assert_str_eq(buf, "");
	/* 2026-12-01 23:51:04.123 UTC */
	setenv("TZ", "UTC", 1);
	tzset();
	ts.tv_sec = 1796169064;
	ts.tv_nsec = 123456789;
	ck_assert_uint_eq(logprefix_format(buf, sizeof(buf), LOGPREFIX_STAMP, LOG_INFO, &ts), 24);
	ck_assert_str_eq(buf, "2026-12-01 23:51:04.123 ");
	/* cut to the buffer, always terminated */
	ck_assert_uint_eq(logprefix_format(buf, 3, LOGPREFIX_JOURNAL, LOG_ERR, &ts), 2);
	ck_assert_str_eq(buf, "<3");
	ck_assert_uint_eq(logprefix_format(buf, 0, LOGPREFIX_JOURNAL, LOG_ERR, &ts), 0);
}
END_TEST

START_TEST(test_worker_priority)
{
	int prio = -1;

	ck_assert_uint_eq(logprefix_worker_priority("<4>disk low", 11, &prio), 3);
	ck_assert_int_eq(prio, LOG_WARNING);
	ck_assert_uint_eq(logprefix_worker_priority("<7>", 3, &prio), 3);
	ck_assert_int_eq(prio, LOG_DEBUG);
	/* emerg, alert, crit: capped at err */
	ck_assert_uint_eq(logprefix_worker_priority("<0>panic", 8, &prio), 3);
	ck_assert_int_eq(prio, LOG_ERR);
	prio = -1;
	const char *none[] = { "<8>x", "<>x", "<3x", "3>x", " <3>x", "<33>x", "<" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		ck_assert_uint_eq(logprefix_worker_priority(none[i], strlen(none[i]), &prio), 0);
	ck_assert_uint_eq(logprefix_worker_priority("<3>", 2, &prio), 0); /* len counts */
	ck_assert_int_eq(prio, -1);
}
END_TEST

/* Opens the log on fd 2 = fd with JOURNAL_STREAM = journal (or unset),
 * writes a line of each level and a worker's. */
static void log_some(int fd, const char *journal)
{
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	if (journal != NULL)
		setenv("JOURNAL_STREAM", journal, 1);
	else
		unsetenv("JOURNAL_STREAM");
	log_open(true, true);
	log_err("an error");
	log_warn("a warning");
	log_info("some info");
	log_debug("a detail");
	log_worker_line("svc", 42, "plain", 5);
	log_worker_line("svc", 42, "<4>worried", 10);
	log_worker_line("svc", 42, "<1>alert", 8);
	log_close();
}

static char *read_file(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static int temp_file(char *path)
{
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(test_log_journal)
{
	char path[] = "/tmp/test_logprefix.XXXXXX", stream[64];
	struct stat st;
	int fd = temp_file(path);
	char want[512];
	long pid = (long)getpid();

	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(stream, sizeof(stream), "%lu:%lu", (unsigned long)st.st_dev,
		 (unsigned long)st.st_ino);
	log_some(fd, stream);
	snprintf(want, sizeof(want),
		 "<3>master[%ld]: error: an error\n"
		 "<4>master[%ld]: warning: a warning\n"
		 "<6>master[%ld]: info: some info\n"
		 "<7>master[%ld]: debug: a detail\n"
		 "<6>svc[42]: plain\n"
		 "<4>svc[42]: worried\n"
		 "<3>svc[42]: alert\n", pid, pid, pid, pid);
	ck_assert_str_eq(read_file(path), want);
	unlink(path);
}
END_TEST

START_TEST(test_log_not_journal)
{
	char path[] = "/tmp/test_logprefix.XXXXXX", stream[64];
	struct stat st;
	int fd = temp_file(path);
	char want[512];
	long pid = (long)getpid();

	/* JOURNAL_STREAM names another file: no prefixes. */
	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(stream, sizeof(stream), "%lu:%lu", (unsigned long)st.st_dev,
		 (unsigned long)st.st_ino + 1);
	log_some(fd, stream);
	snprintf(want, sizeof(want),
		 "master[%ld]: error: an error\n"
		 "master[%ld]: warning: a warning\n"
		 "master[%ld]: info: some info\n"
		 "master[%ld]: debug: a detail\n"
		 "svc[42]: plain\n"
		 "svc[42]: worried\n"
		 "svc[42]: alert\n", pid, pid, pid, pid);
	ck_assert_str_eq(read_file(path), want);
	unlink(path);
}
END_TEST

START_TEST(test_log_terminal_stamps)
{
	int ptm = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(ptm, 0);
	ck_assert_int_eq(grantpt(ptm), 0);
	ck_assert_int_eq(unlockpt(ptm), 0);
	int pts = open(ptsname(ptm), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(pts, 0);
	log_some(pts, NULL);
	char buf[4096];
	ssize_t n = read(ptm, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	regex_t rx;
	ck_assert_int_eq(regcomp(&rx, "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
				 "\\.[0-9]{3} master\\[[0-9]+\\]: error: an error\r?$",
				 REG_EXTENDED | REG_NEWLINE), 0);
	ck_assert_msg(regexec(&rx, buf, 0, NULL, 0) == 0, "got %s", buf);
	regfree(&rx);
	close(pts);
	close(ptm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logprefix");
	TCase *tc = tcase_create("prefix");

	tcase_add_test(tc, test_mode);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_worker_priority);
	tcase_add_test(tc, test_log_journal);
	tcase_add_test(tc, test_log_not_journal);
	tcase_add_test(tc, test_log_terminal_stamps);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
