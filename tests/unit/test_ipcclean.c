/* test_ipcclean.c - unit tests for the time bound of a walk of /dev/shm
 * (ipcclean.c: IPCCLEAN_WALK_MAX_MS, the clock read every
 * IPCCLEAN_CLOCK_EVERY entries), on the real /dev/shm with a fake clock
 * that goes 1 ms on at every look: a step stops at its fifth look (at
 * most 256 entries), however many entries its budget still allows, and the next
 * step goes on from there; a release's walk stops as soon and says so
 * (unseen). With the clock standing still, the same walks read on to the
 * end. The files are the test's own (their names carry its pid), made
 * before each test and removed after them all. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "ipcclean.h"
#include "unit.h"

#define PAD_FILES 1000
#define STEP_BUDGET 4096u /* more than the files: only the clock stops it */
#define LOOKS_TO_STOP 5u  /* until + 5 ms, 1 ms a look, the first at once */
#define CLOCK_EVERY 64u   /* IPCCLEAN_CLOCK_EVERY */
#define UNUSED_UID 4012345u /* owner of the range's files (root only) */

static pid_t pad_pid; /* the runner's: the files outlive a failed test's child */
static uint64_t fake_now_ms = 1000;
static bool fake_ticking;
static unsigned looked;

/* The master's clock.c is not linked in: this is clock_now_ms. */
uint64_t clock_now_ms(void)
{
	return fake_ticking ? fake_now_ms++ : fake_now_ms;
}

static void pad_name(char *buf, size_t size, int i)
{
	snprintf(buf, size, "/dev/shm/master-unit-ipcclean-%ld-%d", (long)pad_pid, i);
}

/* In the runner, before the tests' children. */
static void runner_setup(void)
{
	pad_pid = getpid();
}

/* In each test's child: the files, ours again where a test gave them away. */
static void setup(void)
{
	char path[128];

	for (int i = 0; i < PAD_FILES; i++) {
		pad_name(path, sizeof(path), i);
		int fd = open(path, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
		ck_assert_int_eq(fchown(fd, geteuid(), getegid()), 0);
		close(fd);
	}
	fake_ticking = false;
	looked = 0;
}

/* In the runner, after every test: also after one that failed, which
 * runs no checked teardown. */
static void runner_teardown(void)
{
	char path[128];

	for (int i = 0; i < PAD_FILES; i++) {
		pad_name(path, sizeof(path), i);
		(void)unlink(path);
	}
}

/* Counts the entries looked at; removes none. */
static bool count_none(uid_t uid, void *ctx)
{
	(void)uid, (void)ctx;
	looked++;
	return false;
}

START_TEST(test_step_stops_at_its_time)
{
	struct ipcclean_cursor c = { 0 };
	struct ipcclean_count n = { 0 };

	fake_ticking = true;
	ck_assert(!ipcclean_step(&c, count_none, NULL, STEP_BUDGET, &n));
	/* At most four runs of 64 between the looks (a look also comes
	 * where the walk passes from /dev/mqueue to /dev/shm, so fewer may
	 * be read), and at least one: the clock is not read at every entry. */
	ck_assert_uint_le(looked, (LOOKS_TO_STOP - 1) * CLOCK_EVERY);
	ck_assert_uint_ge(looked, CLOCK_EVERY);
	ck_assert_uint_eq(n.removed, 0);
	/* The clock standing still, the next steps read on from there to
	 * the end: every pad file among what the whole walk saw. */
	fake_ticking = false;
	while (!ipcclean_step(&c, count_none, NULL, STEP_BUDGET, &n))
		;
	ck_assert_uint_ge(looked, PAD_FILES);
	ipcclean_cursor_close(&c);
}
END_TEST

START_TEST(test_step_without_the_clock_reads_its_budget)
{
	struct ipcclean_cursor c = { 0 };
	struct ipcclean_count n = { 0 };

	(void)ipcclean_step(&c, count_none, NULL, STEP_BUDGET, &n);
	ck_assert_uint_ge(looked, PAD_FILES);
	ipcclean_cursor_close(&c);
}
END_TEST

/* A release's walk (ipcclean_range) of files owned by an unused uid:
 * it stops with the clock and says the rest was unseen. */
START_TEST(test_release_walk_stops_at_its_time)
{
	char path[128];
	struct ipcclean_count n = { 0 };

	if (geteuid() != 0) {
		fprintf(stderr, "test_release_walk_stops_at_its_time: skipped: giving the files "
			"to an unused uid needs root\n");
		return;
	}
	for (int i = 0; i < PAD_FILES; i++) {
		pad_name(path, sizeof(path), i);
		ck_assert_int_eq(chown(path, UNUSED_UID, UNUSED_UID), 0);
	}
	fake_ticking = true;
	ipcclean_range(UNUSED_UID, UNUSED_UID, NULL, &n);
	ck_assert(n.unseen);
	ck_assert_uint_le(n.removed, (LOOKS_TO_STOP - 1) * CLOCK_EVERY);
	fake_ticking = false;
	struct ipcclean_count rest = { 0 };
	ipcclean_range(UNUSED_UID, UNUSED_UID, NULL, &rest);
	ck_assert(!rest.unseen);
	ck_assert_uint_eq(n.removed + rest.removed, PAD_FILES);
}
END_TEST

static Suite *ipcclean_suite(void)
{
	Suite *s = suite_create("ipcclean");
	TCase *tc = tcase_create("time");

	tcase_add_unchecked_fixture(tc, runner_setup, runner_teardown);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_step_stops_at_its_time);
	tcase_add_test(tc, test_step_without_the_clock_reads_its_budget);
	tcase_add_test(tc, test_release_walk_stops_at_its_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(ipcclean_suite());
}
