/* test_procstat.c - /proc/PID/stat parsing (a comm with blanks and ")",
 * truncated and malformed lines), its fields by number, a live read of
 * our own process and of a pseudo file cut at the buffer, and a
 * service's last-failure record (one worker's kill then exit joined;
 * another worker's replacing it; cut at the buffer). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procstat.h"
#include "service.h"
#include "unit.h"

/* Fields 3..24 after "(comm)": utime 150, stime 50 ticks, rss 300 pages. */
#define LINE_TAIL " S 1 2 2 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 1 0 99 12345678 300 " \
		  "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

START_TEST(test_parse)
{
	struct procstat ps;

	ck_assert(procstat_parse("1234 (echo)" LINE_TAIL, 100, 4096, &ps));
	ck_assert(ps.known);
	ck_assert_uint_eq(ps.cpu_ms, 2000);
	ck_assert_uint_eq(ps.rss_bytes, 300 * 4096);
	/* A comm that looks like fields: only the last ")" counts. */
	ck_assert(procstat_parse("1234 (a) 9 9 (b c)" LINE_TAIL, 250, 4096, &ps));
	ck_assert_uint_eq(ps.cpu_ms, 800);
}
END_TEST

START_TEST(test_parse_refuses)
{
	struct procstat ps;

	ck_assert(!procstat_parse("1234 echo S 1 2", 100, 4096, &ps));
	ck_assert(!ps.known);
	ck_assert(!procstat_parse("1234 (echo) S 1 2 2 0 -1 4194560 100 0 0 0 150\n", 100,
				  4096, &ps));
	ck_assert(!procstat_parse("1234 (echo) S 1 2 2 0 -1 4194560 100 0 0 0 x 50 0 0 20 0"
				  " 1 0 99 12345678 300\n", 100, 4096, &ps));
	ck_assert(!procstat_parse("1234 (echo)" LINE_TAIL, 0, 4096, &ps));
	ck_assert(!procstat_parse("", 100, 4096, &ps));
}
END_TEST

START_TEST(test_field)
{
	const char *line = "1234 (a) 9 (b c)" LINE_TAIL;
	const char *f;

	ck_assert_ptr_nonnull(f = procstat_field(line, 3));
	ck_assert_int_eq(*f, 'S');
	ck_assert_ptr_nonnull(f = procstat_field(line, 4));
	ck_assert_int_eq(strtol(f, NULL, 10), 1);
	ck_assert_ptr_nonnull(f = procstat_field(line, 22));
	ck_assert_int_eq(strtol(f, NULL, 10), 99);
	ck_assert_ptr_null(procstat_field(line, 60));
	ck_assert_ptr_null(procstat_field(line, 2));
	ck_assert_ptr_null(procstat_field("1234 echo S 1", 3));
}
END_TEST

START_TEST(test_file)
{
	char buf[16], stat[512], want[64];

	snprintf(want, sizeof(want), "%ld (", (long)getpid());
	ck_assert_int_gt(procstat_file(getpid(), "stat", stat, sizeof(stat)), 0);
	ck_assert(strncmp(stat, want, strlen(want)) == 0);
	/* Ours, as the kernel writes it: our parent, and SIGCHLD (17) as the
	 * exit signal (field 38: a thread's is 0). */
	ck_assert_int_eq(strtol(procstat_field(stat, 4), NULL, 10), getppid());
	ck_assert_int_eq(strtol(procstat_field(stat, 38), NULL, 10), SIGCHLD);
	/* Cut at the buffer, terminated. */
	ck_assert_int_eq(procstat_file(getpid(), "stat", buf, sizeof(buf)), 15);
	ck_assert_uint_eq(strlen(buf), 15);
	ck_assert_int_eq(procstat_file(getpid(), "no-such-file", buf, sizeof(buf)), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(procstat_file(getpid(), "stat", buf, 0), -1);
}
END_TEST

START_TEST(test_read_self)
{
	struct procstat ps;
	volatile unsigned long spin = 0;

	/* 50 ms of our CPU time, by our own clock: at least 4 ticks of 10 ms. */
	while (clock() < CLOCKS_PER_SEC / 20)
		spin++;
	ck_assert(procstat_read(getpid(), &ps));
	ck_assert(ps.rss_bytes > 0);
	ck_assert_uint_ge(ps.cpu_ms, 40);
	ck_assert(!procstat_read(0, &ps));
	ck_assert(!ps.known);
}
END_TEST

START_TEST(test_failure_note)
{
	struct service svc;

	memset(&svc, 0, sizeof(svc));
	service_failure_note(&svc, 1000, 42, "worker %d killed: %s", 42, "max_busy");
	ck_assert_str_eq(svc.last_failure, "worker 42 killed: max_busy");
	ck_assert_uint_eq(svc.last_failure_ms, 1000);
	ck_assert(svc.last_failure_wall_s > 0);
	/* The same worker's exit: joined to its kill. */
	service_failure_note(&svc, 1500, 42, "worker 42 died on signal 9");
	ck_assert_str_eq(svc.last_failure, "worker 42 killed: max_busy; worker 42 died on signal 9");
	ck_assert_uint_eq(svc.last_failure_ms, 1500);
	/* Another worker, or no worker: replaces it. */
	service_failure_note(&svc, 2000, 43, "worker 43 exited with status 1");
	ck_assert_str_eq(svc.last_failure, "worker 43 exited with status 1");
	service_failure_note(&svc, 2500, 0, "launch failed");
	service_failure_note(&svc, 2600, 0, "launch failed again");
	ck_assert_str_eq(svc.last_failure, "launch failed again");
	/* Cut at the buffer, joined or not. */
	char big[2 * SERVICE_FAILURE_TEXT_BYTES];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	service_failure_note(&svc, 3000, 44, "%s", big);
	ck_assert_uint_eq(strlen(svc.last_failure), SERVICE_FAILURE_TEXT_BYTES - 1);
	service_failure_note(&svc, 3100, 44, "%s", big);
	ck_assert_uint_eq(strlen(svc.last_failure), SERVICE_FAILURE_TEXT_BYTES - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("procstat");
	TCase *tc = tcase_create("procstat");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_refuses);
	tcase_add_test(tc, test_field);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_read_self);
	tcase_add_test(tc, test_failure_note);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
