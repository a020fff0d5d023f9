/* test_evict.c - the evictor with a fake launcher and a fake clock: every
 * way a worker leaves, and the hostile workers of issue 8 that used to
 * hang the master, hold a request forever, outnumber maxproc or get a
 * stranger killed; a reaped (lingering) worker never signalled again. */
#include "fakepool.h"
#include "unit.h"


/* Item 1: a wrong word just before max_busy, the deadline passing before
 * the kill is reaped. The evictor used to spin on the busy list forever. */
START_TEST(test_killed_busy_worker_does_not_hang)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	f.now += 2900;
	fake_say(&f, pid, "ready"); /* wrong word: killed */
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	f.now += WORKER_KILL_RECHECK_MS - 1; /* past max_busy; not reaped yet */
	fake_turn(&f); /* returns: the killed worker is off the busy list */
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 0);
	ck_assert_str_eq(worker_state_name(fake_worker(&f, pid)), "stopping");
	ck_assert_uint_eq(f.svc.stats.violations, 1);
	fake_fini(&f);
}
END_TEST

/* Item 2: repeating "busy" does not restart the clock: it is a violation. */
START_TEST(test_repeated_busy_is_a_violation)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	f.now += 1000;
	fake_say(&f, pid, "busy");
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	ck_assert_uint_eq(f.svc.stats.requests, 1);
	fake_fini(&f);
}
END_TEST

/* max_busy counts from the request's "busy" (or "next"): SIGTERM at the
 * deadline, SIGKILL kill_grace later, once each. */
START_TEST(test_max_busy_terminates_then_kills)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	f.now += 2000;
	fake_say(&f, pid, "next"); /* a new request: the clock restarts */
	f.now += 2000;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 0);
	f.now += 1000; /* 3 s into the second request */
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 1);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 0);
	f.now += 999;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 0);
	f.now += 1;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	f.now += WORKER_KILL_RECHECK_MS - 1;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 1);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	fake_fini(&f);
}
END_TEST

/* A SIGKILL that missed (cgroup.kill passes over a process whose main
 * thread has exited): a worker not reaped WORKER_KILL_RECHECK_MS after its
 * kill is killed again, every WORKER_KILL_RECHECK_MS, until it is reaped;
 * never after (its pid may be a stranger's by then). */
START_TEST(test_unreaped_kill_is_repeated)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	fake_say(&f, pid, "ready"); /* wrong word: killed */
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	f.now += WORKER_KILL_RECHECK_MS - 1;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	f.now += 1;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 2);
	f.now += WORKER_KILL_RECHECK_MS;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 3);
	fake_exit(&f, pid, SIGKILL);
	f.now += 10 * WORKER_KILL_RECHECK_MS;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 3);
	fake_fini(&f);
}
END_TEST

/* Item 3: "retiring" is the last request. A worker that takes another is
 * killed, and it is replaced once, not once per lie. */
START_TEST(test_retiring_worker_that_keeps_serving)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	fake_say(&f, pid, "retiring");
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 2); /* its successor, at once */
	fake_say(&f, pid, "idle");
	fake_say(&f, pid, "busy"); /* after its last request */
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	fake_turn(&f);
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 2); /* not replaced twice */
	fake_fini(&f);
}
END_TEST

/* A retiring worker is stopped only once its successor is ready. */
START_TEST(test_make_before_break)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t old = fake_start_one(&f);

	fake_say(&f, old, "busy");
	fake_say(&f, old, "retiring");
	fake_say(&f, old, "idle");
	fake_turn(&f);
	pid_t succ = FAKE_PID_FIRST + 1;
	ck_assert_uint_eq(f.launched, 2);
	ck_assert_str_eq(fake_heard(&f, old), ""); /* not yet: successor starting */
	ck_assert_str_eq(worker_state_name(fake_worker(&f, old)), "retiring");
	f.now += 100;
	fake_say(&f, succ, "ready");
	fake_turn(&f);
	ck_assert_str_eq(fake_heard(&f, old), "stop");
	ck_assert_str_eq(worker_state_name(fake_worker(&f, old)), "stopping");
	fake_exit(&f, old, FAKE_EXIT_OK);
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.throttle.failures, 0);
	ck_assert_uint_eq(f.svc.stats.killed, 0);
	fake_fini(&f);
}
END_TEST

/* Item 4: a closed channel while the process lives: SIGTERM, then
 * SIGKILL; a channel closed by the process's exit is no violation. */
START_TEST(test_closed_channel)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	close(f.chan[0]);
	f.chan[0] = -1;
	monitor_read_status(fake_worker(&f, pid), f.now);
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0); /* a moment's grace: it may be exiting */
	f.now += EVICT_SILENT_GRACE_MS;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 1);
	ck_assert_str_eq(worker_state_name(fake_worker(&f, pid)), "stopping");
	f.now += 1000;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	f.chan[0] = dup(2); /* for fake_fini */
	fake_fini(&f);

	fake_init(&f, 1, 2);
	pid = fake_start_one(&f);
	f.exited[0] = true; /* exiting: its channel closes with it */
	close(f.chan[0]);
	f.chan[0] = -1;
	monitor_read_status(fake_worker(&f, pid), f.now);
	ck_assert_uint_eq(f.nsignals, 0);
	f.chan[0] = dup(2);
	fake_fini(&f);
}
END_TEST

/* Item 10: what a worker said before dying is read at its reaping; a
 * violation found then must not signal its pid (a stranger's by now). */
START_TEST(test_reaped_pid_is_never_signalled)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	ck_assert_int_eq(send(f.chan[0], "garbage", 7, 0), 7);
	ck_assert_int_eq(send(f.chan[0], "busy", 4, 0), 4);
	fake_exit(&f, pid, FAKE_EXIT_OK);
	ck_assert_uint_eq(f.nsignals, 0);
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0);
	fake_fini(&f);
}
END_TEST

/* A worker whose main process was reaped while its cgroup still drains
 * (worker_lingering): its pid may be a stranger's, so no verb signals it,
 * not even a repeated kill, whoever calls it (worker_signal's own guard,
 * beneath the callers' checks of w->reaped). */
START_TEST(test_lingering_worker_is_never_signalled)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);
	struct worker *w = fake_worker(&f, pid);

	worker_lingering(w, f.now);
	ck_assert(w->reaped);
	worker_kill_again(w, f.now);
	ck_assert(!worker_stop(w, f.now, 1));
	ck_assert(!worker_terminate(w, f.now, 1));
	ck_assert(!worker_kill(w, f.now));
	f.now += 2 * WORKER_KILL_RECHECK_MS;
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0);
	fake_fini(&f);
}
END_TEST

/* A worker that never says "idle" (its next client is always waiting
 * already: "next N" after "next N") is still retired at max_lifetime, and
 * gracefully: at once, as a busy retiring worker whose successor starts;
 * told "stop" once that successor is ready, and never signalled. What it
 * took before it read the stop is no violation. */
START_TEST(test_saturated_worker_retired_by_lifetime)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	f.cfg.set.max_lifetime_s = 10;
	f.cfg.set.retire_grace_s = 60;
	pid_t old = fake_start_one(&f), succ = FAKE_PID_FIRST + 1;

	fake_say(&f, old, "busy");
	for (int i = 0; i < 11; i++) {
		f.now += 1000;
		fake_say(&f, old, "next 5");
		fake_turn(&f);
	}
	ck_assert_uint_eq(f.launched, 2); /* its successor */
	ck_assert_str_eq(worker_state_name(fake_worker(&f, old)), "retiring");
	ck_assert_str_eq(fake_heard(&f, old), ""); /* not while it starts */
	fake_say(&f, succ, "ready");
	fake_turn(&f);
	ck_assert_str_eq(fake_heard(&f, old), "stop");
	fake_say(&f, old, "next 2");
	fake_turn(&f);
	ck_assert_str_eq(fake_heard(&f, old), ""); /* told once */
	fake_exit(&f, old, FAKE_EXIT_OK);
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0);
	ck_assert_uint_eq(f.svc.stats.killed, 0);
	ck_assert_uint_eq(f.launched, 2);
	fake_fini(&f);
}
END_TEST

/* A pool of one whose worker is busy when `recycle` comes: its successor
 * starts at once, and once that one is ready (delay_ms later) the busy
 * worker is told "stop". Returns the busy worker's pid. */
static pid_t test_recycle_busy(struct fakepool *f, uint64_t delay_ms)
{
	pid_t old = fake_start_one(f), succ = FAKE_PID_FIRST + 1;

	fake_say(f, old, "busy");
	pool_recycle(&f->svc, f->now);
	ck_assert_uint_eq(f->launched, 2);
	f->now += delay_ms;
	fake_say(f, succ, "ready");
	fake_turn(f);
	ck_assert_str_eq(fake_heard(f, old), "stop");
	return old;
}

/* `recycle` does not wait for a busy worker to go idle; told "stop", its
 * request is still bounded by max_busy (3 s here), not by stop_timeout. */
START_TEST(test_recycled_busy_worker_keeps_max_busy)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t old = test_recycle_busy(&f, 100);

	f.now += 2800; /* past stop_timeout (2 s), within max_busy */
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0);
	ck_assert_str_eq(worker_state_name(fake_worker(&f, old)), "retiring");
	f.now += 100; /* max_busy */
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, old, SIGTERM), 1);
	fake_fini(&f);
}
END_TEST

/* A hostile worker told "stop" while busy that keeps taking clients,
 * reporting them a second apart: the reports no longer restart its
 * max_busy clock, so it is terminated max_busy (3 s) after the last
 * report it made before the stop. */
START_TEST(test_told_worker_that_keeps_serving)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t old = test_recycle_busy(&f, 0);

	for (int i = 0; i < 2; i++) {
		f.now += 1000;
		fake_say(&f, old, "next 5");
		fake_turn(&f);
	}
	ck_assert_uint_eq(f.nsignals, 0);
	f.now += 1000; /* max_busy after its "busy" */
	fake_say(&f, old, "next 5");
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, old, SIGTERM), 1);
	fake_fini(&f);
}
END_TEST

/* stop: "stop", SIGTERM at stop_timeout, SIGKILL kill_grace later. */
START_TEST(test_stop_escalates)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	pid_t pid = fake_start_one(&f);

	fake_say(&f, pid, "busy");
	pool_stop(&f.svc, f.now);
	ck_assert_str_eq(fake_heard(&f, pid), "stop");
	f.now += 1999;
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0);
	f.now += 1;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 1);
	f.now += 1000;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	ck_assert_uint_eq(f.launched, 1); /* a stopping service starts nothing */
	fake_fini(&f);
}
END_TEST

/* startup_timeout: killed once, a start failure that throttles. */
START_TEST(test_startup_timeout)
{
	struct fakepool f;
	fake_init(&f, 1, 2);
	fake_turn(&f);
	pid_t pid = FAKE_PID_FIRST;

	f.now += 10000;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	fake_exit(&f, pid, FAKE_KILLED(SIGKILL));
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.stats.start_failures, 1);
	ck_assert(throttle_active(&f.svc.throttle, f.now));
	/* Its replacement started through the limiter when it was killed;
	 * nothing more while the service backs off. */
	ck_assert_uint_eq(f.launched, 2);
	f.now += 500;
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 2);
	fake_fini(&f);
}
END_TEST

/* rss_max's look at memory has a budget per pass (1,024 files read, one
 * pass a second): a pool whose leaves hold more processes is measured
 * over several passes, each worker once a round, so that a service's
 * children cannot hold the loop (a tester's 20,000 processes: 0.5 s a
 * pass). One over the limit in the second half is found a pass later. */
START_TEST(test_rss_probe_has_a_budget)
{
	struct fakepool f;
	fake_init(&f, 4, 4);
	f.cfg.set.rss_max_bytes = 100u << 20;
	f.cfg.set.max_retiring = 4;
	pool_start(&f.svc, f.now);
	ck_assert_uint_eq(f.launched, 4);
	for (unsigned i = 0; i < 4; i++) {
		fake_say(&f, FAKE_PID_FIRST + (pid_t)i, "ready");
		f.mem_reads[i] = 601; /* a leaf of 600 processes */
		f.mem_bytes[i] = 10u << 20;
	}
	f.mem_bytes[3] = 200u << 20; /* over */
	f.now += EVICT_RSS_INTERVAL_MS; /* pool_start's pass found none yet */
	fake_turn(&f);
	/* The first pass: two leaves (601, then 1,202 >= 1,024). */
	ck_assert_uint_eq(f.mem_measured[0] + f.mem_measured[1], 2);
	ck_assert_uint_eq(f.mem_measured[2] + f.mem_measured[3], 0);
	f.now += EVICT_RSS_INTERVAL_MS - 1;
	fake_turn(&f);
	ck_assert_uint_eq(f.mem_measured[2] + f.mem_measured[3], 0);
	f.now += 1;
	fake_turn(&f); /* the second pass: the other two, the last retired */
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(f.mem_measured[i], 1);
	ck_assert_str_eq(worker_state_name(fake_worker(&f, FAKE_PID_FIRST + 3)), "retiring");
	ck_assert_str_eq(worker_state_name(fake_worker(&f, FAKE_PID_FIRST)), "idle");
	f.now += EVICT_RSS_INTERVAL_MS;
	fake_turn(&f); /* a new round: the first two again */
	ck_assert_uint_eq(f.mem_measured[0], 2);
	ck_assert_uint_eq(f.mem_measured[1], 2);
	ck_assert_uint_eq(f.mem_measured[2], 1);
	/* Small leaves: the whole pool in one pass. */
	for (unsigned i = 0; i < 5; i++)
		f.mem_reads[i] = 2;
	f.now += EVICT_RSS_INTERVAL_MS;
	fake_turn(&f); /* the rest of that round */
	f.now += EVICT_RSS_INTERVAL_MS;
	fake_turn(&f);
	ck_assert_uint_eq(f.mem_measured[0], 3);
	ck_assert_uint_eq(f.mem_measured[1], 3);
	ck_assert_uint_eq(f.mem_measured[2], 3);
	fake_fini(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evict");
	TCase *tc = tcase_create("evict");

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_killed_busy_worker_does_not_hang);
	tcase_add_test(tc, test_repeated_busy_is_a_violation);
	tcase_add_test(tc, test_max_busy_terminates_then_kills);
	tcase_add_test(tc, test_unreaped_kill_is_repeated);
	tcase_add_test(tc, test_retiring_worker_that_keeps_serving);
	tcase_add_test(tc, test_make_before_break);
	tcase_add_test(tc, test_closed_channel);
	tcase_add_test(tc, test_reaped_pid_is_never_signalled);
	tcase_add_test(tc, test_lingering_worker_is_never_signalled);
	tcase_add_test(tc, test_saturated_worker_retired_by_lifetime);
	tcase_add_test(tc, test_recycled_busy_worker_keeps_max_busy);
	tcase_add_test(tc, test_told_worker_that_keeps_serving);
	tcase_add_test(tc, test_stop_escalates);
	tcase_add_test(tc, test_startup_timeout);
	tcase_add_test(tc, test_rss_probe_has_a_budget);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
