/* fakepool.h - a master with one service whose workers are never started:
 * a fake launcher hands out pids and keeps the worker's ends of the status
 * channel, a fake kill() records signals, and the clock is a variable. The
 * tests drive the real monitor, evictor and pool with it: they speak for
 * the "workers" on their channels, advance the clock, and look at what the
 * master did (tests/unit/test_monitor.c, test_evict.c, test_pool.c). */
#ifndef TESTS_FAKEPOOL_H
#define TESTS_FAKEPOOL_H

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "evict.h"
#include "launch.h"
#include "log.h"
#include "master.h"
#include "monitor.h"
#include "pool.h"
#include "protocol.h"
#include "service.h"
#include "settings.h"
#include "worker.h"

#define FAKE_PID_FIRST 1000
#define FAKE_WORKERS_MAX 256
#define FAKE_SIGNALS_MAX 1024

struct fake_signal {
	pid_t pid;
	int sig;
};

struct fakepool {
	struct master m;
	struct service svc;
	struct service_config cfg;
	struct master_settings ms;
	char pid_digits[16], max_use_digits[16];
	char *argv[2];
	uint64_t now;
	int chan[FAKE_WORKERS_MAX];    /* the worker's end, by pid - FAKE_PID_FIRST */
	int err[FAKE_WORKERS_MAX];
	bool exited[FAKE_WORKERS_MAX];
	unsigned launched;
	bool launch_fails;
	struct fake_signal signals[FAKE_SIGNALS_MAX];
	unsigned nsignals;
	/* Each worker's memory for rss_max, and what measuring it reads
	 * (processes in its leaf, plus one); how often it was measured. */
	unsigned long long mem_bytes[FAKE_WORKERS_MAX];
	size_t mem_reads[FAKE_WORKERS_MAX];
	unsigned mem_measured[FAKE_WORKERS_MAX];
};

static struct fakepool *fake_the; /* the ops find the fixture here */

static pid_t fake_launch(struct master *m, const struct launch_spec *spec,
			 struct launch_error *e)
{
	struct fakepool *f = fake_the;
	(void)m;
	if (f->launch_fails || f->launched == FAKE_WORKERS_MAX) {
		e->step = "execve";
		e->err = ENOENT;
		return -1;
	}
	unsigned i = f->launched++;
	f->chan[i] = dup(spec->status_fd);
	f->err[i] = dup(spec->stderr_fd);
	return FAKE_PID_FIRST + (pid_t)i;
}

static int fake_signal(struct master *m, pid_t pid, int sig)
{
	struct fakepool *f = fake_the;
	(void)m;
	ck_assert_uint_lt(f->nsignals, FAKE_SIGNALS_MAX);
	f->signals[f->nsignals++] = (struct fake_signal){ pid, sig };
	return 0;
}

static bool fake_exited(struct master *m, pid_t pid)
{
	(void)m;
	return fake_the->exited[pid - FAKE_PID_FIRST];
}

static unsigned long long fake_memory(struct master *m, pid_t pid, bool *whole, size_t *reads)
{
	struct fakepool *f = fake_the;
	unsigned i = (unsigned)(pid - FAKE_PID_FIRST);
	(void)m;
	f->mem_measured[i]++;
	*whole = true;
	*reads = f->mem_reads[i] != 0 ? f->mem_reads[i] : 1;
	return f->mem_bytes[i];
}

/* Settings for the tests: small, round numbers. */
static void fake_init(struct fakepool *f, unsigned prefork, unsigned maxproc)
{
	memset(f, 0, sizeof(*f));
	fake_the = f;
	log_open(true, false);
	settings_defaults(&f->ms, &f->cfg.set);
	f->cfg.name = "svc";
	f->cfg.path = "/nonexistent/worker";
	f->argv[0] = "worker";
	f->cfg.argv = f->argv;
	f->cfg.set.prefork = prefork;
	f->cfg.set.maxproc = maxproc;
	f->cfg.set.max_use = 0;
	f->cfg.set.max_idle_s = 0;
	f->cfg.set.max_lifetime_s = 0;
	f->cfg.set.lifetime_jitter_pct = 0;
	f->cfg.set.startup_timeout_s = 10;
	f->cfg.set.max_busy_s = 3;
	f->cfg.set.kill_grace_s = 1;
	f->cfg.set.stop_timeout_s = 2;
	f->cfg.set.throttle_min_s = 1;
	f->cfg.set.throttle_max_s = 8;
	f->cfg.set.spawn_rate = 4;
	f->cfg.set.max_retiring = 2;
	f->cfg.set.rss_max_bytes = 0;

	struct master *m = &f->m;
	list_init(&m->dead);
	list_init(&m->generations);
	m->loop.epfd = -1;
	m->contain.base_fd = m->contain.inotify_fd = m->contain.guard_fd = -1;
	m->contain.watch.fd = -1;
	ck_assert_int_eq(event_init(&m->loop), 0);
	ck_assert_int_eq(monitor_init(&m->monitor, &m->loop), 0);
	m->ops.launch = fake_launch;
	m->ops.signal = fake_signal;
	m->ops.exited = fake_exited;
	m->ops.memory = fake_memory;

	struct service *svc = &f->svc;
	svc->m = m;
	svc->cfg = &f->cfg;
	struct list *lists[] = { &svc->workers, &svc->starting, &svc->idle, &svc->busy,
		&svc->retiring, &svc->stop_sent, &svc->term_sent, &svc->kill_sent,
		&svc->silent };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		list_init(lists[i]);
	ratelimit_init(&svc->limiter, f->cfg.set.spawn_rate);
	svc->deadline_ms = CLOCK_NEVER_MS;
	svc->lifetime_next_ms = CLOCK_NEVER_MS;
	svc->pid_digits = f->pid_digits;
	svc->max_use_digits = f->max_use_digits;
	f->now = 1000000;
}

/* One turn of the master's loop for this service. */
static void fake_turn(struct fakepool *f)
{
	pool_update(&f->svc, f->now);
	while (!list_empty(&f->m.dead)) {
		struct worker *w = LIST_ENTRY(f->m.dead.next, struct worker, dead_link);
		list_remove(&w->dead_link);
		worker_free(w);
	}
}

static struct worker *fake_worker(struct fakepool *f, pid_t pid)
{
	return pidmap_get(&f->m.pids, pid);
}

/* The worker says word on its channel; the monitor reads it. */
static void fake_say(struct fakepool *f, pid_t pid, const char *word)
{
	int fd = f->chan[pid - FAKE_PID_FIRST];
	ck_assert_int_eq(send(fd, word, strlen(word), MSG_DONTWAIT), (ssize_t)strlen(word));
	struct worker *w = fake_worker(f, pid);
	if (w != NULL)
		monitor_read_status(w, f->now);
}

/* Starts the pool (prefork 1) and makes its worker ready: its pid. */
__attribute__((unused))
static pid_t fake_start_one(struct fakepool *f)
{
	pool_start(&f->svc, f->now);
	ck_assert_uint_eq(f->launched, 1);
	fake_say(f, FAKE_PID_FIRST, "ready");
	fake_turn(f);
	ck_assert_uint_eq(f->svc.n_idle, 1);
	return FAKE_PID_FIRST;
}

/* The worker's process exits with wait status wstatus and is reaped. */
static void fake_exit(struct fakepool *f, pid_t pid, int wstatus)
{
	struct worker *w = fake_worker(f, pid);
	ck_assert_ptr_nonnull(w);
	f->exited[pid - FAKE_PID_FIRST] = true;
	monitor_exited(w, wstatus, f->now);
}

/* How often pid got sig. */
__attribute__((unused))
static unsigned fake_signalled(const struct fakepool *f, pid_t pid, int sig)
{
	unsigned n = 0;
	for (unsigned i = 0; i < f->nsignals; i++)
		if (f->signals[i].pid == pid && f->signals[i].sig == sig)
			n++;
	return n;
}

/* The word the master sent to pid, or "" if none is waiting. */
__attribute__((unused))
static const char *fake_heard(struct fakepool *f, pid_t pid)
{
	static char buf[64];
	ssize_t n = recv(f->chan[pid - FAKE_PID_FIRST], buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void fake_fini(struct fakepool *f)
{
	struct list *pos, *tmp;
	f->svc.stopping = true; /* no replacements for what follows */
	LIST_FOREACH_SAFE(pos, tmp, &f->svc.workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		f->exited[w->pid - FAKE_PID_FIRST] = true;
		monitor_exited(w, 0, f->now);
	}
	fake_turn(f);
	for (unsigned i = 0; i < f->launched; i++) {
		close(f->chan[i]);
		close(f->err[i]);
	}
	monitor_fini(&f->m.monitor);
	event_fini(&f->m.loop);
	pidmap_free(&f->m.pids);
	settings_free_service(&f->cfg.set);
	settings_free_master(&f->ms);
	fake_the = NULL;
}

#define FAKE_EXIT_OK 0          /* wait status of exit(0) */
#define FAKE_KILLED(sig) (sig)  /* wait status of death by signal */

#endif
