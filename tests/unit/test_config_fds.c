/* test_config_fds.c - the master's fd budget (config_fds.c): workers per
 * service (maxproc, prefork where maxproc is 0, those leaving: max_leaving),
 * the need of a configuration, the reload target, the load-time refusal
 * with its numbers and file:line, the log line; and fdlimit.c's raise within the
 * hard limit, its "partial" beyond it and the original limits it keeps. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config_fds.h"
#include "control.h"
#include "fdlimit.h"
#include "unit.h"

_Static_assert(CONFIG_FDS_CONTROL == CONTROL_CLIENTS_MAX,
	       "the fd budget counts every control client");

static struct service_config svc(const char *name, unsigned line, unsigned prefork,
				 unsigned maxproc, unsigned max_leaving, size_t naddrs)
{
	struct service_config sc;

	memset(&sc, 0, sizeof(sc));
	sc.name = (char *)name;
	sc.file = (char *)"/etc/master/master.cf";
	sc.line = line;
	sc.naddrs = naddrs;
	sc.set.prefork = prefork;
	sc.set.maxproc = maxproc;
	sc.set.max_leaving = max_leaving;
	return sc;
}

START_TEST(test_workers)
{
	bool pre = true;
	struct service_config a = svc("a", 1, 1, 40, 2, 1);
	ck_assert_uint_eq(config_fds_workers(&a, &pre), 40 + 2 + 1);
	ck_assert(!pre);
	/* maxproc 0: no limit; what it keeps (prefork) is budgeted. */
	struct service_config b = svc("b", 2, 7, 0, 2, 1);
	ck_assert_uint_eq(config_fds_workers(&b, &pre), 7 + 2 + 1);
	ck_assert(pre);
	/* max_leaving 0: as many leaving as maxproc (config_leaving_max). */
	struct service_config c = svc("c", 3, 1, 100, 0, 1);
	ck_assert_uint_eq(config_fds_workers(&c, NULL), 100 + 100 + 1);
	ck_assert_uint_eq(config_fds_service(&c), 1 + CONFIG_FDS_PER_SERVICE + 2 * 201);
}
END_TEST

/* worker_stderr=shared: one fd per worker, the socket counted once. */
START_TEST(test_shared_stderr)
{
	struct service_config a = svc("a", 1, 1, 10000, 100, 1);
	unsigned long long workers = 10000 + 100 + 1;

	ck_assert_uint_eq(config_fds_per_worker(&a), 2);
	ck_assert_uint_eq(config_fds_service(&a), 1 + CONFIG_FDS_PER_SERVICE + 2 * workers);
	a.set.worker_stderr = (char *)"shared";
	ck_assert_uint_eq(config_fds_per_worker(&a), 1);
	ck_assert_uint_eq(config_fds_service(&a), 1 + CONFIG_FDS_PER_SERVICE + 3 + workers);
	/* 10,000 workers fit a limit of 20,000 this way, not the other. */
	struct config cfg = { .services = &a, .nservices = 1 };
	ck_assert_uint_eq(config_fds_need(&cfg), 200 + 1 + 8 + 3 + 10101);
	struct diag errs = { 0 };
	config_fds_check(&cfg, 20000, "hard RLIMIT_NOFILE", &errs);
	ck_assert_uint_eq(errs.n, 0);
	a.set.worker_stderr = (char *)"own";
	config_fds_check(&cfg, 20000, "hard RLIMIT_NOFILE", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.msgs[0], "(2 per worker, up to 10101 workers"));
	ck_assert_ptr_nonnull(strstr(errs.msgs[0], "starting 1); with worker_stderr=shared (one "
				     "master fd per worker, not two) it would need 10313"));
	diag_free(&errs);
	/* The log line says which. */
	char buf[384];
	a.set.worker_stderr = (char *)"shared";
	config_fds_describe(&cfg, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "up to 10101 workers at 1 each)"));
	struct service_config two[2] = { a, svc("b", 2, 1, 10, 2, 1) };
	cfg = (struct config){ .services = two, .nservices = 2 };
	config_fds_describe(&cfg, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "workers at 1 or 2 each)"));
}
END_TEST

START_TEST(test_need_and_target)
{
	struct service_config s[2] = { svc("a", 1, 1, 40, 2, 1), svc("b", 2, 40, 40, 2, 3) };
	struct config cfg = { .services = s, .nservices = 2 };
	unsigned long long a = 1 + 8 + 2 * 43, b = 3 + 8 + 2 * 43;

	ck_assert_uint_eq(config_fds_need(&cfg), CONFIG_FDS_FIXED + a + b);
	ck_assert_uint_eq(config_fds_need(&cfg), 392); /* 200 fixed + 97 + 95 */
	/* Start: room for a reload replacing every service. */
	ck_assert_uint_eq(config_fds_target(&cfg, &cfg), CONFIG_FDS_FIXED + 2 * (a + b));
	struct config empty = { 0 };
	ck_assert_uint_eq(config_fds_need(&empty), CONFIG_FDS_FIXED);
	ck_assert_uint_eq(config_fds_target(&empty, &cfg), CONFIG_FDS_FIXED + a + b);
}
END_TEST

/* 10,000 workers in four services need more than 20,000 fds. */
START_TEST(test_ten_thousand_workers)
{
	struct service_config s[4];
	for (unsigned i = 0; i < 4; i++)
		s[i] = svc("echo", i + 1, 2500, 2500, 2, 1);
	struct config cfg = { .services = s, .nservices = 4 };

	ck_assert_uint_eq(config_fds_need(&cfg), CONFIG_FDS_FIXED + 4 * (1 + 8 + 2 * 2503));
	ck_assert_uint_gt(config_fds_need(&cfg), 20000);
	struct diag errs = { 0 };
	config_fds_check(&cfg, 1048576, "fs.nr_open", &errs);
	ck_assert_uint_eq(diag_count(&errs), 0);
	config_fds_check(&cfg, 20000, "hard RLIMIT_NOFILE", &errs);
	ck_assert_uint_eq(diag_count(&errs), 1);
	diag_free(&errs);
}
END_TEST

START_TEST(test_check_names_numbers_and_the_biggest_service)
{
	struct service_config s[3] = { svc("small", 1, 1, 10, 2, 1), svc("big", 5, 1, 1000, 2, 1),
				       svc("mid", 9, 1, 100, 2, 1) };
	struct config cfg = { .services = s, .nservices = 3 };
	unsigned long long need = config_fds_need(&cfg);
	struct diag errs = { 0 };
	char want[384];

	config_fds_check(&cfg, need, "fs.nr_open", &errs);
	ck_assert_uint_eq(diag_count(&errs), 0); /* exactly at the limit: fits */
	config_fds_check(&cfg, need - 1, "hard RLIMIT_NOFILE", &errs);
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want), "/etc/master/master.cf:5: \"big\": the master would hold %llu "
		 "file descriptors, more than the %llu hard RLIMIT_NOFILE allows; this service "
		 "alone needs %u (2 per worker, up to 1003 workers: maxproc 1000, leaving 2, "
		 "starting 1); with worker_stderr=shared (one master fd per worker, not two) it "
		 "would need 1355", need, need - 1, 1 + 8 + 2 * 1003);
	ck_assert_str_eq(errs.msgs[0], want);
	diag_free(&errs);
	/* The hint only where shared would fit: 200 + 25 + 1015 + 115. */
	config_fds_check(&cfg, 1354, "hard RLIMIT_NOFILE", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_null(strstr(errs.msgs[0], "worker_stderr"));
	ck_assert_ptr_null(strstr(errs.msgs[0], "max_leaving")); /* it is set: 2 */
	diag_free(&errs);
	/* max_leaving left at 0 (as many as maxproc): the other hint. */
	s[1].set.max_leaving = 0;
	config_fds_check(&cfg, 1354, "hard RLIMIT_NOFILE", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.msgs[0], "leaving 1000, starting 1); max_leaving (as "
				     "many as maxproc when 0) bounds the workers leaving at once"));
	diag_free(&errs);
}
END_TEST

START_TEST(test_check_prefork_when_maxproc_is_zero)
{
	struct service_config s = svc("open", 3, 500, 0, 2, 1);
	struct config cfg = { .services = &s, .nservices = 1 };
	struct diag errs = { 0 };

	config_fds_check(&cfg, 200, "hard RLIMIT_NOFILE", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.msgs[0], "prefork (maxproc 0) 500, leaving 2"));
	diag_free(&errs);
	/* No service at all, and a host with almost no fds. */
	struct config empty = { 0 };
	config_fds_check(&empty, 10, "hard RLIMIT_NOFILE", &errs);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], "master: needs 200 file descriptors, more than the 10 "
			 "hard RLIMIT_NOFILE allows"); /* 64 + 64 control + 72 fd block */
	diag_free(&errs);
}
END_TEST

START_TEST(test_describe)
{
	struct service_config s[2] = { svc("a", 1, 1, 40, 2, 1), svc("b", 2, 7, 0, 2, 1) };
	struct config cfg = { .services = s, .nservices = 2 };
	char buf[384];

	config_fds_describe(&cfg, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "needs 324 file descriptors in the master (200 fixed, 2 "
				     "services, up to 53 workers at 2 each)"));
	ck_assert_ptr_nonnull(strstr(buf, "maxproc 0 (no limit) counted at prefork for \"b\""));
	cfg.nservices = 1;
	config_fds_describe(&cfg, buf, sizeof(buf));
	ck_assert_ptr_null(strstr(buf, "maxproc 0"));
	/* A short buffer is cut, never overrun. */
	char tiny[16];
	memset(tiny, 'x', sizeof(tiny));
	config_fds_describe(&cfg, tiny, 8);
	ck_assert_uint_eq(strlen(tiny), 7);
}
END_TEST

/* fdlimit.c on the test process itself (each test runs in its own fork). */
START_TEST(test_fdlimit_raise_soft_keeps_original)
{
	struct rlimit rl, orig, now;
	unsigned long long max;
	const char *source;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_uint_ge(rl.rlim_max, 200);
	rl.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert(!fdlimit_original(&orig)); /* nothing raised yet */
	ck_assert_int_eq(fdlimit_raise(32), 0); /* never lowers */
	ck_assert(!fdlimit_original(&orig));
	ck_assert_int_eq(fdlimit_raise(150), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &now), 0);
	ck_assert_uint_eq(now.rlim_cur, 150);
	ck_assert_uint_eq(now.rlim_max, rl.rlim_max);
	ck_assert(fdlimit_original(&orig));
	ck_assert_uint_eq(orig.rlim_cur, 64);
	ck_assert_uint_eq(orig.rlim_max, rl.rlim_max);
	/* Beyond the most it can have: up to that, and says so. */
	ck_assert_int_eq(fdlimit_max(&max, &source), 0);
	ck_assert_int_eq(fdlimit_raise(max + 1), 1);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &now), 0);
	ck_assert_uint_eq(now.rlim_cur, max);
	ck_assert_uint_eq(now.rlim_max, max);
	ck_assert(strcmp(source, "fs.nr_open") == 0 || strcmp(source, "hard RLIMIT_NOFILE") == 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_fds");
	TCase *tc = tcase_create("budget");

	tcase_add_test(tc, test_workers);
	tcase_add_test(tc, test_shared_stderr);
	tcase_add_test(tc, test_need_and_target);
	tcase_add_test(tc, test_ten_thousand_workers);
	tcase_add_test(tc, test_check_names_numbers_and_the_biggest_service);
	tcase_add_test(tc, test_check_prefork_when_maxproc_is_zero);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_fdlimit_raise_soft_keeps_original);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
