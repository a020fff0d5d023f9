/* test_pool.c - the pool with a fake launcher and a fake clock: sizing,
 * the fork limiter's exemption for normal retirements (and not for a
 * worker that leaves unserved), failed launches. */
#include "fakepool.h"
#include "unit.h"

/* Four workers started at spawn_rate 1, each then saying "ready" and
 * word. */
static void pool_limited_four(struct fakepool *f, const char *word)
{
	fake_init(f, 4, 8);
	f->cfg.set.spawn_rate = 1;
	ratelimit_init(&f->svc.limiter, 1);
	pool_start(&f->svc, f->now);
	for (pid_t p = FAKE_PID_FIRST; p < FAKE_PID_FIRST + 4; p++) {
		fake_say(f, p, "ready");
		fake_say(f, p, word);
	}
}

/* The initial pool is owed: prefork workers at once, past the limiter. */
START_TEST(test_initial_pool)
{
	struct fakepool f;
	fake_init(&f, 8, 16);
	f.cfg.set.spawn_rate = 1;
	ratelimit_init(&f.svc.limiter, 1);
	pool_start(&f.svc, f.now);
	ck_assert_uint_eq(f.launched, 8);
	ck_assert_uint_eq(f.svc.n_starting, 8);
	fake_fini(&f);
}
END_TEST

/* Item 8: a launch that fails (the command deleted) throttles the service
 * instead of being retried on every turn. */
START_TEST(test_failed_launch_throttles)
{
	struct fakepool f;
	fake_init(&f, 2, 4);
	f.launch_fails = true;
	pool_start(&f.svc, f.now);
	for (int i = 0; i < 100; i++)
		fake_turn(&f);
	ck_assert_uint_eq(f.svc.stats.launch_failed, 1);
	ck_assert_uint_eq(f.svc.stats.start_failures, 1);
	ck_assert(throttle_active(&f.svc.throttle, f.now));
	ck_assert_ptr_nonnull(strstr(f.svc.last_failure, "launch failed: execve failed"));
	ck_assert_uint_ge(f.svc.deadline_ms, f.svc.throttle.until_ms);
	f.now = f.svc.throttle.until_ms;
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.stats.launch_failed, 2);
	ck_assert_uint_eq(f.svc.throttle.interval_s, 2); /* backing off */
	f.launch_fails = false;
	f.now = f.svc.throttle.until_ms;
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 2);
	fake_fini(&f);
}
END_TEST

/* Slack: a client seen waiting while the only worker just said "busy"
 * (it waited idle for that request) or "spare" (it lingered for one) is
 * not demand: no growth and no demand watch until POLICY_SLACK_MS have
 * passed since, when the master looks again on its own; then it grows. */
START_TEST(test_slack_defers_growth)
{
	struct fakepool f;
	fake_init(&f, 1, 4);
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	f.svc.demand_seen = true; /* the demand watch fired */
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 1);
	ck_assert(!f.svc.demand_armed);
	ck_assert_uint_le(f.svc.deadline_ms, f.now + POLICY_SLACK_MS);
	/* A "spare" report renews it. */
	f.now += POLICY_SLACK_MS - 1;
	fake_say(&f, pid, "spare 5");
	ck_assert_uint_eq(f.svc.stats.requests, 6);
	f.now += POLICY_SLACK_MS - 1;
	f.svc.demand_seen = true;
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 1);
	/* "next" is no slack (it found its next client waiting): once the
	 * last slack is over, the watch is armed and demand grows the pool. */
	fake_say(&f, pid, "next 3");
	f.now += 1;
	fake_turn(&f);
	ck_assert(f.svc.demand_armed);
	f.svc.demand_seen = true;
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 2);
	fake_fini(&f);
}
END_TEST

/* Normal retirements are replaced past the limiter, however many. */
START_TEST(test_retirements_bypass_limiter)
{
	struct fakepool f;
	fake_init(&f, 4, 8);
	f.cfg.set.spawn_rate = 1;
	ratelimit_init(&f.svc.limiter, 1);
	pool_start(&f.svc, f.now);
	for (pid_t p = FAKE_PID_FIRST; p < FAKE_PID_FIRST + 4; p++)
		fake_say(&f, p, "ready");
	fake_turn(&f);
	for (int round = 0; round < 5; round++) {
		unsigned before = f.launched;
		struct list *pos, *tmp;
		LIST_FOREACH_SAFE(pos, tmp, &f.svc.workers) {
			struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
			if (w->phase != WORKER_SERVING)
				continue;
			fake_say(&f, w->pid, "busy");
			fake_say(&f, w->pid, "retiring");
			fake_say(&f, w->pid, "idle");
		}
		fake_turn(&f);
		ck_assert_uint_eq(f.launched, before + 4);
		for (unsigned i = before; i < f.launched; i++)
			fake_say(&f, FAKE_PID_FIRST + (pid_t)i, "ready");
		fake_turn(&f);
		for (unsigned i = before - 4; i < before; i++)
			fake_exit(&f, FAKE_PID_FIRST + (pid_t)i, FAKE_EXIT_OK);
		fake_turn(&f);
	}
	ck_assert_uint_eq(f.svc.n_idle, 4);
	ck_assert_uint_eq(f.svc.throttle.failures, 0);
	fake_fini(&f);
}
END_TEST

/* A worker that says "retiring" before serving anyone earns no
 * replacement past the limiter: else a worker that starts, says it is
 * leaving and goes would churn at launch speed, spawn_rate bypassed (a
 * mutation audit: no test saw the difference). */
START_TEST(test_retiring_unserved_is_limited)
{
	struct fakepool f;
	pool_limited_four(&f, "retiring");
	ck_assert_uint_eq(f.svc.replace_credits, 0);
	fake_turn(&f);
	for (pid_t p = FAKE_PID_FIRST; p < FAKE_PID_FIRST + 4; p++)
		fake_exit(&f, p, FAKE_EXIT_OK);
	fake_turn(&f);
	ck_assert_uint_le(f.launched, 5); /* the ramp: one a second */
	fake_fini(&f);
}
END_TEST

/* Crash replacements go through the limiter. */
START_TEST(test_crash_replacement_is_limited)
{
	struct fakepool f;
	pool_limited_four(&f, "busy");
	fake_turn(&f);
	for (pid_t p = FAKE_PID_FIRST; p < FAKE_PID_FIRST + 4; p++)
		fake_exit(&f, p, FAKE_KILLED(SIGSEGV));
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 5); /* the ramp starts at one a second */
	fake_fini(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	tcase_add_test(tc, test_initial_pool);
	tcase_add_test(tc, test_slack_defers_growth);
	tcase_add_test(tc, test_failed_launch_throttles);
	tcase_add_test(tc, test_retirements_bypass_limiter);
	tcase_add_test(tc, test_crash_replacement_is_limited);
	tcase_add_test(tc, test_retiring_unserved_is_limited);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
