/* test_lifelog.c - worker birth and death lines: the death text for each
 * kind of end, and the rate rule with a fake clock (a burst logged, the
 * rest counted, a summary when logging resumes, about
 * LIFELOG_RESUME_LINES a second under a sustained churn). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "lifelog_rule.h"
#include "unit.h"

/* wait(2) statuses, as the kernel encodes them. */
#define EXITED(s) (((s) & 0xff) << 8)
#define SIGNALED(n) ((n) & 0x7f)

START_TEST(test_death_text)
{
	char buf[128];

	ck_assert(WIFEXITED(EXITED(3)) && WEXITSTATUS(EXITED(3)) == 3);
	ck_assert(WIFSIGNALED(SIGNALED(SIGKILL)) && WTERMSIG(SIGNALED(SIGKILL)) == SIGKILL);
	lifelog_rule_death(buf, sizeof(buf), EXITED(0), 1, NULL);
	ck_assert_str_eq(buf, "exited, status 0, after 1 request");
	lifelog_rule_death(buf, sizeof(buf), EXITED(1), 0, "");
	ck_assert_str_eq(buf, "exited, status 1, after 0 requests");
	lifelog_rule_death(buf, sizeof(buf), SIGNALED(SIGSEGV), 7, NULL);
	ck_assert_str_eq(buf, "killed by signal 11, after 7 requests");
	size_t n = lifelog_rule_death(buf, sizeof(buf), SIGNALED(SIGKILL), 2,
				      "no \"ready\" within startup_timeout (10s)");
	ck_assert_str_eq(buf, "killed by signal 9, after 2 requests "
		       "(no \"ready\" within startup_timeout (10s))");
	ck_assert_uint_eq(n, strlen(buf));
	/* cut, terminated */
	ck_assert_uint_eq(lifelog_rule_death(buf, 10, SIGNALED(SIGKILL), 2, "why"), 9);
	ck_assert_str_eq(buf, "killed by");
}
END_TEST

START_TEST(test_rule_burst_then_summary)
{
	struct lifelog_rule r = { 0 };
	char sum[256];
	uint64_t t = 1000;
	unsigned logged = 0;

	/* A pool's start-up: the burst is logged whole. */
	for (unsigned i = 0; i < LIFELOG_LINES_BURST; i++) {
		ck_assert(lifelog_rule_take(&r, false, t, sum, sizeof(sum)));
		ck_assert_str_eq(sum, "");
	}
	/* Past it, counted. */
	for (unsigned i = 0; i < 30; i++)
		ck_assert(!lifelog_rule_take(&r, i % 3 == 0, t, sum, sizeof(sum)));
	/* Not yet refilled enough to resume. */
	t += 1000 * (LIFELOG_RESUME_LINES - 1) / LIFELOG_LINES_PER_S;
	ck_assert(!lifelog_rule_take(&r, false, t, sum, sizeof(sum)));
	ck_assert_str_eq(sum, "");
	t += 1000 / LIFELOG_LINES_PER_S;
	ck_assert(lifelog_rule_take(&r, true, t, sum, sizeof(sum)));
	ck_assert_str_eq(sum, "(21 worker starts and 10 exits not logged in the last 1s; "
			 "-v logs each)");
	/* A sustained churn: 1000 a second for 10 s, about RESUME lines and
	 * one summary a second. */
	unsigned summaries = 0;
	for (unsigned i = 0; i < 10000; i++, t++) {
		if (lifelog_rule_take(&r, i & 1, t, sum, sizeof(sum)))
			logged++;
		if (sum[0] != '\0')
			summaries++;
	}
	ck_assert_uint_ge(logged, 9 * LIFELOG_RESUME_LINES);
	ck_assert_uint_le(logged, 11 * LIFELOG_RESUME_LINES);
	ck_assert_uint_ge(summaries, 9);
	ck_assert_uint_le(summaries, 11);
}
END_TEST

START_TEST(test_rule_quiet_service_never_limited)
{
	struct lifelog_rule r = { 0 };
	char sum[256];

	/* One birth and one death a second for an hour: all logged. */
	for (uint64_t t = 0; t < 3600 * 1000; t += 1000) {
		ck_assert(lifelog_rule_take(&r, false, t, sum, sizeof(sum)));
		ck_assert(lifelog_rule_take(&r, true, t + 500, sum, sizeof(sum)));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lifelog");
	TCase *tc = tcase_create("rule");

	tcase_add_test(tc, test_death_text);
	tcase_add_test(tc, test_rule_burst_then_summary);
	tcase_add_test(tc, test_rule_quiet_service_never_limited);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
