/* test_resolve.c - unit tests for resolve.c: numbers converted without a
 * resolver process, names looked up in one started on demand, its
 * deadline (a stopped resolver stands for a lookup that never answers),
 * its death, and the rest of the load failing after either. */
#include <check.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "resolve.h"
#include "unit.h"

#define TEST_WHY_BYTES 256

static double test_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool test_has_v4(const struct resolve_answer *ans, const char *dotted, unsigned port)
{
	for (size_t i = 0; i < ans->n; i++) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ans->a[i].sa;
		struct in_addr want;
		if (sin->sin_family == AF_INET && inet_pton(AF_INET, dotted, &want) == 1 &&
		    sin->sin_addr.s_addr == want.s_addr && ntohs(sin->sin_port) == port)
			return true;
	}
	return false;
}

START_TEST(test_numeric_without_a_process)
{
	struct resolver r;
	struct resolve_answer ans;
	char why[TEST_WHY_BYTES];

	resolve_init(&r, false); /* a name would fail: a number must not need one */
	ck_assert_int_eq(resolve_lookup(&r, "127.0.0.1", "7070", 1, &ans, why, sizeof(why)), 0);
	ck_assert_uint_eq(ans.n, 1);
	ck_assert(test_has_v4(&ans, "127.0.0.1", 7070));
	ck_assert_int_eq(resolve_lookup(&r, "::1", "25", 1, &ans, why, sizeof(why)), 0);
	ck_assert_uint_eq(ans.n, 1);
	ck_assert_int_eq(ans.a[0].sa.ss_family, AF_INET6);
	ck_assert_int_eq(resolve_lookup(&r, NULL, "0", 1, &ans, why, sizeof(why)), 0);
	ck_assert(test_has_v4(&ans, "0.0.0.0", 0)); /* the wildcard */
	ck_assert_int_eq(r.pid, -1);
	ck_assert_int_eq(resolve_lookup(&r, "localhost", "25", 1, &ans, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "no resolver process: not started");
}
END_TEST

START_TEST(test_name_in_a_process_started_on_demand)
{
	struct resolver r;
	struct resolve_answer ans;
	char why[TEST_WHY_BYTES];

	resolve_init(&r, true);
	ck_assert_int_eq(resolve_lookup(&r, "localhost", "7070", 5, &ans, why, sizeof(why)), 0);
	ck_assert(test_has_v4(&ans, "127.0.0.1", 7070)); /* /etc/hosts */
	pid_t pid = r.pid;
	ck_assert_int_gt(pid, 0);
	/* A name that does not resolve is its error, and the resolver goes on. */
	ck_assert_int_eq(resolve_lookup(&r, "no-such-host.invalid", "25", 5, &ans, why,
					sizeof(why)), -1);
	ck_assert_msg(strcmp(why, "Name or service not known") == 0 ||
		      strcmp(why, "Temporary failure in name resolution") == 0, "%s", why);
	ck_assert_int_eq(resolve_lookup(&r, "localhost", "1", 5, &ans, why, sizeof(why)), 0);
	ck_assert_int_eq(r.pid, pid);
	resolve_end(&r);
	ck_assert_int_eq(r.pid, -1);
	ck_assert_int_eq(kill(pid, 0), -1); /* reaped: no such process */
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

START_TEST(test_deadline_ends_the_lookup)
{
	struct resolver r;
	struct resolve_answer ans;
	char why[TEST_WHY_BYTES];

	resolve_init(&r, false);
	ck_assert_int_eq(resolve_start(&r), 0);
	pid_t pid = r.pid;
	/* Stopped, it never answers: a lookup stuck in NSS. */
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	double t0 = test_now_s();
	ck_assert_int_eq(resolve_lookup(&r, "localhost", "25", 1, &ans, why, sizeof(why)), -1);
	double took = test_now_s() - t0;
	ck_assert_msg(took >= 0.9 && took < 5.0, "gave up after %.2f s, not 1 s", took);
	ck_assert_msg(strstr(why, "no answer within resolve_timeout (1 s)") != NULL, "%s", why);
	ck_assert_int_eq(r.pid, -1);
	ck_assert_int_eq(kill(pid, 0), -1); /* killed and reaped */
	/* The rest of the load: names fail at once, numbers still work. */
	t0 = test_now_s();
	ck_assert_int_eq(resolve_lookup(&r, "localhost", "26", 1, &ans, why, sizeof(why)), -1);
	ck_assert_msg(strncmp(why, "not looked up: no answer within", 31) == 0, "%s", why);
	ck_assert(test_now_s() - t0 < 0.5);
	ck_assert_int_eq(resolve_lookup(&r, "127.0.0.1", "26", 1, &ans, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_dead_resolver)
{
	struct resolver r;
	struct resolve_answer ans;
	char why[TEST_WHY_BYTES];
	int st;

	resolve_init(&r, false);
	ck_assert_int_eq(resolve_start(&r), 0);
	pid_t pid = r.pid;
	/* Dying or dead (not reaped: resolve_end() does that): either way
	 * the request finds no one to answer it. */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(resolve_lookup(&r, "localhost", "25", 5, &ans, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "the resolver process died");
	ck_assert_int_eq(resolve_lookup(&r, "localhost", "25", 5, &ans, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "not looked up: the resolver process died");
	ck_assert_int_eq(r.pid, -1);
	ck_assert_int_eq(waitpid(pid, &st, __WCLONE | WNOHANG), -1); /* reaped */
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

START_TEST(test_name_too_long)
{
	struct resolver r;
	struct resolve_answer ans;
	char why[TEST_WHY_BYTES], host[2000];

	memset(host, 'a', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	resolve_init(&r, true);
	ck_assert_int_eq(resolve_lookup(&r, host, "25", 5, &ans, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "name too long");
	ck_assert_int_eq(r.pid, -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_numeric_without_a_process);
	tcase_add_test(tc, test_name_in_a_process_started_on_demand);
	tcase_add_test(tc, test_deadline_ends_the_lookup);
	tcase_add_test(tc, test_dead_resolver);
	tcase_add_test(tc, test_name_too_long);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
