/* test_worker_daemon.c - daemons that do not speak the protocol
 * (ready=exec|notify, worker_daemon.h) in the real monitor, evictor and
 * pool, with a fake launcher and a fake clock: the settle time, the stop
 * signal then SIGKILL, make-before-break rotation, the crash back-off
 * before and after a daemon is proven, the watchdog. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fakepool.h"
#include "notifysock.h"
#include "wakeup.h"
#include "unit.h"

static char fake_notify_name[NOTIFYSOCK_NAME_BYTES];

static void daemon_init(struct fakepool *f, enum service_ready ready)
{
	fake_init(f, 1, 2);
	f->cfg.ready = ready;
	f->svc.max_use_digits = NULL; /* no MASTER_MAX_USE in a daemon's environment */
	f->svc.notify_name = fake_notify_name;
	/* No wakeup column: its timer never due (fakepool leaves it zeroed). */
	wakeup_init(&f->svc.wake, &f->m.loop);
}

/* Starts one exec daemon and lets it settle: its pid. */
static pid_t daemon_start_one(struct fakepool *f)
{
	pool_start(&f->svc, f->now);
	ck_assert_uint_eq(f->launched, 1);
	f->now += WORKER_DAEMON_SETTLE_MS;
	fake_turn(f);
	ck_assert_str_eq(worker_state_name(fake_worker(f, FAKE_PID_FIRST)), "running");
	return FAKE_PID_FIRST;
}

START_TEST(test_exec_ready_after_settle_time)
{
	struct fakepool f;
	daemon_init(&f, SERVICE_READY_EXEC);

	pool_start(&f.svc, f.now);
	struct worker *w = fake_worker(&f, FAKE_PID_FIRST);
	ck_assert_ptr_nonnull(w->daemon);
	ck_assert_int_eq(w->status_watch.fd, -1); /* no status channel */
	ck_assert_str_eq(worker_state_name(w), "starting");
	ck_assert_uint_eq(f.svc.deadline_ms, f.now + WORKER_DAEMON_SETTLE_MS);
	f.now += WORKER_DAEMON_SETTLE_MS - 1;
	fake_turn(&f);
	ck_assert_str_eq(worker_state_name(w), "starting");
	f.now += 1;
	fake_turn(&f);
	ck_assert_str_eq(worker_state_name(w), "running");
	ck_assert_uint_eq(f.svc.n_idle, 1);
	ck_assert_uint_eq(f.nsignals, 0);
	fake_fini(&f);
}
END_TEST

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* The followed main process of a daemon (it forked into the background)
 * is the master's child, watched by pidfd too: waitpid(-1) may reap it
 * before its pidfd wakes the loop. Its leaf still holding processes (a
 * fake cgroupfs leaf, populated), the worker lingers, and its pidfd must
 * go with the exit handled: else it fires later and the same worker is
 * handled again (its pid, another's by then, dropped from the map, its
 * leaf queued twice: an adversarial run crashed the master so). */
START_TEST(test_followed_main_reaped_before_its_pidfd)
{
	struct fakepool f;
	char dir[] = "/tmp/test_worker_daemon.XXXXXX", leaf[64];

	daemon_init(&f, SERVICE_READY_EXEC);
	pid_t pid = daemon_start_one(&f);
	struct worker *w = fake_worker(&f, pid);
	struct worker_daemon *d = w->daemon;
	struct contain *c = &f.m.contain;
	list_init(&c->draining);
	list_init(&c->emptied);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(leaf, sizeof(leaf), "%s/w1", dir);
	ck_assert_int_eq(mkdir(leaf, 0755), 0);
	put_file(leaf, "cgroup.events", "populated 1\nfrozen 0\n");
	put_file(leaf, "cgroup.procs", "");
	put_file(leaf, "cgroup.kill", "");
	w->leaf.seq = 1;
	w->leaf.wd = -1; /* no inotify here: the periodic check's */
	w->leaf.svc_fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(w->leaf.svc_fd, 0);

	pid_t child = fork();
	if (child == 0)
		_exit(1);
	int fd = (int)syscall(SYS_pidfd_open, child, 0);
	ck_assert_int_ge(fd, 0);
	d->main_fd = fd;
	ck_assert_int_eq(event_add(&f.m.loop, &d->main_watch, fd, EPOLLIN, NULL), 0);
	int wstatus;
	ck_assert_int_eq(waitpid(child, &wstatus, 0), child); /* the reaper's waitpid */
	monitor_main_exited(w, wstatus, f.now);
	ck_assert(!list_empty(&w->leaf.link)); /* lingering: its leaf drains */
	ck_assert_int_eq(d->main_watch.fd, -1);
	ck_assert_int_eq(d->main_fd, -1);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* closed */
	/* Its leaf empties: the worker goes (as contain_tick would see). */
	list_remove(&w->leaf.link);
	c->ndraining--;
	close(w->leaf.svc_fd);
	w->leaf.svc_fd = -1;
	monitor_contained_gone(&w->leaf, &f.m);
	fake_fini(&f);
	const char *files[] = { "cgroup.events", "cgroup.procs", "cgroup.kill" };
	for (size_t i = 0; i < 3; i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", leaf, files[i]);
		unlink(path);
	}
	rmdir(leaf);
	rmdir(dir);
}
END_TEST

START_TEST(test_stop_is_stop_signal_then_sigkill)
{
	struct fakepool f;
	daemon_init(&f, SERVICE_READY_EXEC);
	pid_t pid = daemon_start_one(&f);

	pool_stop(&f.svc, f.now);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 1);
	f.now += f.cfg.set.stop_timeout_s * 1000u - 1;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 0);
	f.now += 1;
	fake_turn(&f);
	/* straight to SIGKILL: no second SIGTERM, no kill_grace */
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 1);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	fake_fini(&f);
}
END_TEST

START_TEST(test_stop_signal_setting)
{
	struct fakepool f;
	daemon_init(&f, SERVICE_READY_EXEC);
	free(f.cfg.set.stop_signal);
	f.cfg.set.stop_signal = strdup("INT");
	pid_t pid = daemon_start_one(&f);

	pool_stop(&f.svc, f.now);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGINT), 1);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 0);
	fake_fini(&f);
}
END_TEST

/* max_lifetime: the successor is ready before the old one is told. */
START_TEST(test_lifetime_make_before_break)
{
	struct fakepool f;
	daemon_init(&f, SERVICE_READY_EXEC);
	f.cfg.set.max_lifetime_s = 10;
	pid_t old = daemon_start_one(&f);

	f.now += 10000;
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 2);
	ck_assert_str_eq(worker_state_name(fake_worker(&f, old)), "retiring");
	ck_assert_uint_eq(f.nsignals, 0);
	f.now += WORKER_DAEMON_SETTLE_MS - 1;
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0); /* successor not ready yet */
	f.now += 1;
	fake_turn(&f);
	ck_assert_str_eq(worker_state_name(fake_worker(&f, old + 1)), "running");
	ck_assert_uint_eq(fake_signalled(&f, old, SIGTERM), 1);
	fake_exit(&f, old, FAKE_EXIT_OK);
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.stats.crashed + f.svc.stats.start_failures, 0);
	ck_assert_uint_eq(f.launched, 2); /* replaced once */
	fake_fini(&f);
}
END_TEST

/* A daemon that dies soon after it is ready throttles the service; one
 * that ran WORKER_DAEMON_PROVEN_MS does not. */
START_TEST(test_crash_back_off_until_proven)
{
	struct fakepool f;
	daemon_init(&f, SERVICE_READY_EXEC);
	pid_t pid = daemon_start_one(&f);

	f.now += WORKER_DAEMON_PROVEN_MS - 1;
	fake_turn(&f);
	fake_exit(&f, pid, 1 << 8);
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.stats.start_failures, 1);
	ck_assert(throttle_active(&f.svc.throttle, f.now));

	f.now += 1000; /* throttle_min */
	fake_turn(&f);
	ck_assert_uint_eq(f.launched, 2);
	f.now += WORKER_DAEMON_SETTLE_MS;
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.throttle.failures, 1); /* ready, not proven yet */
	f.now += WORKER_DAEMON_PROVEN_MS;
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.throttle.failures, 0); /* proven: back-off over */
	fake_exit(&f, pid + 1, 1 << 8);
	fake_turn(&f);
	ck_assert_uint_eq(f.svc.stats.start_failures, 1);
	ck_assert_uint_eq(f.svc.stats.crashed, 2);
	ck_assert_uint_eq(f.launched, 3); /* replaced at once */
	fake_fini(&f);
}
END_TEST

/* The watchdog: WATCHDOG=1 missing for watchdog_timeout: SIGTERM, then
 * SIGKILL kill_grace later. */
START_TEST(test_watchdog)
{
	struct fakepool f;
	daemon_init(&f, SERVICE_READY_NOTIFY);
	f.cfg.set.watchdog_timeout_s = 2;
	pool_start(&f.svc, f.now);
	pid_t pid = FAKE_PID_FIRST;
	struct worker *w = fake_worker(&f, pid);
	ck_assert_int_ge(w->daemon->notify_watch.fd, 0);
	ck_assert_int_eq(fake_notify_name[0], '@');

	f.now += 5000; /* not ready: startup_timeout's, not the watchdog's */
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0);
	worker_daemon_ready(w, f.now);
	fake_turn(&f);
	f.now += 1500;
	w->daemon->alive_ms = f.now; /* WATCHDOG=1 */
	f.now += 1999;
	fake_turn(&f);
	ck_assert_uint_eq(f.nsignals, 0);
	f.now += 1;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGTERM), 1);
	f.now += f.cfg.set.kill_grace_s * 1000u;
	fake_turn(&f);
	ck_assert_uint_eq(fake_signalled(&f, pid, SIGKILL), 1);
	fake_fini(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker_daemon");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_test(tc, test_exec_ready_after_settle_time);
	tcase_add_test(tc, test_stop_is_stop_signal_then_sigkill);
	tcase_add_test(tc, test_followed_main_reaped_before_its_pidfd);
	tcase_add_test(tc, test_stop_signal_setting);
	tcase_add_test(tc, test_lifetime_make_before_break);
	tcase_add_test(tc, test_crash_back_off_until_proven);
	tcase_add_test(tc, test_watchdog);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
