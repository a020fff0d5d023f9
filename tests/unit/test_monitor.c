/* test_monitor.c - the monitor with a fake launcher and a fake clock: what
 * a worker may say, the flood rule, the master-side max_use check and
 * the accounting of exits. */
#include "fakepool.h"
#include "unit.h"


/* Valid words in the wrong state are violations: SIGKILL, counted. */
START_TEST(test_wrong_state_words)
{
	static const char *const lies[][2] = {
		{ "busy", NULL },        /* before "ready" */
		{ "ready", "ready" },    /* twice */
		{ "ready", "idle" },     /* idle while idle */
		{ "ready", "next" },     /* next while idle */
		{ "ready", "next 3" },   /* a counted next while idle */
		{ "ready", "spare" },    /* spare while idle */
		{ "ready", "busy 1" },   /* a count on busy */
		{ "ready", "next 0" },   /* (needs busy first: invalid either way) */
		{ "ready", "stop" },     /* the master's word */
		{ "ready", "busy\n\n" }, /* malformed */
	};
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		struct fakepool f;
		fake_init(&f, 1, 2);
		fake_turn(&f);
		for (int k = 0; k < 2 && lies[i][k] != NULL; k++)
			fake_say(&f, FAKE_PID_FIRST, lies[i][k]);
		ck_assert_msg(fake_signalled(&f, FAKE_PID_FIRST, SIGKILL) == 1, "lie %zu", i);
		ck_assert_uint_eq(f.svc.stats.violations, 1);
		fake_fini(&f);
	}
}
END_TEST

/* Item 5: a worker that keeps its channel full (a "busy"/"idle" loop) is
 * a flood, killed within a few dozen wake-ups; what it could make the
 * counters say stays bounded by what it got through meanwhile. */
START_TEST(test_flood_is_killed)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);
	struct worker *w = fake_worker(&f, pid);
	unsigned wakeups = 0;

	while (fake_signalled(&f, pid, SIGKILL) == 0 && wakeups < 100) {
		/* The flooder refills its channel between two wake-ups. */
		for (int k = 0; ; k++) {
			const char *word = k % 2 ? "idle" : "busy";
			if (send(f.chan[0], word, 4, MSG_DONTWAIT) < 0)
				break;
		}
		f.now += MONITOR_COALESCE_MS;
		monitor_read_status(w, f.now);
		wakeups++;
	}
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	ck_assert_uint_le(wakeups, POLICY_FLOOD_MIN_MS / MONITOR_COALESCE_MS + 1);
	ck_assert_uint_le(f.svc.stats.requests, wakeups * 256 / 2);
	fake_fini(&f);
}
END_TEST

/* A real worker at full speed, and one whose channel filled while the
 * master was held up once (a 50 ms stall), are no flood. */
START_TEST(test_busy_worker_is_no_flood)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);
	struct worker *w = fake_worker(&f, pid);

	for (unsigned ms = 0; ms < 10000; ms += MONITOR_COALESCE_MS) {
		f.now += MONITOR_COALESCE_MS;
		for (int k = 0; k < 40; k++) { /* 20,000 requests a second */
			send(f.chan[0], "busy", 4, MSG_DONTWAIT);
			send(f.chan[0], "idle", 4, MSG_DONTWAIT);
		}
		monitor_read_status(w, f.now);
	}
	/* The master stalls: the channel fills; then it catches up. */
	for (int k = 0; ; k++)
		if (send(f.chan[0], k % 2 ? "idle" : "busy", 4, MSG_DONTWAIT) < 0)
			break;
	for (int turn = 0; turn < 4; turn++) {
		f.now += MONITOR_COALESCE_MS;
		monitor_read_status(w, f.now);
	}
	ck_assert_uint_eq(f.nsignals, 0);
	ck_assert_uint_ge(f.svc.stats.requests, 200000);
	fake_fini(&f);
}
END_TEST

/* The master counts too: a worker that ignores MASTER_MAX_USE is killed. */
START_TEST(test_master_side_max_use)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	f.cfg.set.max_use = 3;
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	fake_say(&f, pid, "next");
	fake_say(&f, pid, "next");
	ck_assert_uint_eq(f.nsignals, 0);
	fake_say(&f, pid, "next"); /* the fourth */
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	ck_assert_uint_eq(f.svc.stats.requests, 3);
	fake_fini(&f);
}
END_TEST

/* "next N" counts N requests: a run reported in one message is counted
 * whole, and one that passes max_use gets the worker killed. */
START_TEST(test_next_count_and_max_use)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	f.cfg.set.max_use = 10;
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	fake_say(&f, pid, "next 6");
	fake_say(&f, pid, "next 2");
	ck_assert_uint_eq(f.nsignals, 0);
	ck_assert_uint_eq(f.svc.stats.requests, 9);
	fake_say(&f, pid, "next 2"); /* the tenth and an eleventh */
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	ck_assert_uint_eq(f.svc.stats.requests, 9);
	fake_fini(&f);
}
END_TEST

/* Item 8: "ready", then exit 0 before any request: a start failure. */
START_TEST(test_exit_after_ready_throttles)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	fake_exit(&f, pid, FAKE_EXIT_OK);
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.stats.start_failures, 1);
	ck_assert(throttle_active(&f.svc.throttle, f.now));
	ck_assert_ptr_nonnull(strstr(f.svc.last_failure, "before serving"));
	ck_assert_uint_eq(f.launched, 1); /* none until the back-off ends */
	f.now += 1000;
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 2);
	fake_fini(&f);
}
END_TEST

/* A crash after serving never throttles (the healthy-service rule), and
 * a worker that leaves on its own after serving is owed a successor. */
START_TEST(test_exit_after_serving)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	fake_exit(&f, pid, FAKE_KILLED(SIGSEGV));
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.stats.crashed, 1);
	ck_assert_uint_eq(f.svc.throttle.failures, 0);
	ck_assert_uint_eq(f.launched, 2);
	fake_fini(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc = tcase_create("monitor");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_wrong_state_words);
	tcase_add_test(tc, test_flood_is_killed);
	tcase_add_test(tc, test_busy_worker_is_no_flood);
	tcase_add_test(tc, test_master_side_max_use);
	tcase_add_test(tc, test_next_count_and_max_use);
	tcase_add_test(tc, test_exit_after_ready_throttles);
	tcase_add_test(tc, test_exit_after_serving);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
