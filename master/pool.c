/* pool.c - owns applying the pool policy to one service (see pool.h) and
 * reaping children. Every decision comes from policy.c; this file turns
 * them into forks, stop messages, signals and timers. */
#include "pool.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "clock.h"
#include "evict.h"
#include "log.h"
#include "master.h"
#include "policy.h"
#include "retire.h"
#include "service.h"
#include "worker.h"

/* Forks per service per loop turn. */
#define POOL_SPAWN_BATCH_MAX 32u
/* After a launch failed (out of fds, memory, a bad jail): retry after this. */
#define POOL_LAUNCH_RETRY_MS 1000u

/* At most one "all workers busy" warning per service per this interval. */
#define POOL_SATURATION_LOG_INTERVAL_MS 10000u
/* At maxproc the pool cannot grow, so waiting clients are only counted:
 * the listening sockets are watched at most this often, not re-armed on
 * every busy/idle turn (that would cost two epoll_ctl per request). */
#define POOL_SATURATION_CHECK_MS 1000u

struct policy_pool pool_snapshot(const struct service *svc)
{
	struct policy_pool p = {
		.prefork = svc->cfg->set.prefork,
		.maxproc = svc->cfg->set.maxproc,
		.starting = svc->n_starting,
		.idle = svc->n_idle,
		.busy = svc->n_busy,
		.retiring = svc->n_retiring,
		.replace_credits = svc->replace_credits,
		.demand = svc->demand_seen,
	};
	return p;
}

static void pool_set_demand_watch(struct service *svc, bool on)
{
	if (svc->demand_armed == on)
		return;
	for (size_t i = 0; i < svc->nsocks; i++)
		event_set(&svc->m->loop, &svc->socks[i].demand_watch, on ? EPOLLIN : 0);
	svc->demand_armed = on;
}

/* Starts what the policy asks for; returns when the limiter next allows
 * a fork if it held one back. */
static uint64_t pool_spawn(struct service *svc, uint64_t now_ms)
{
	struct policy_pool p = pool_snapshot(svc);
	struct policy_spawn want = policy_spawn(&p);
	uint64_t next = CLOCK_NEVER_MS;
	unsigned total = want.exempt + want.limited;

	/* A bounded batch per loop turn: between batches the master reads
	 * the new workers' "ready", so a large pool does not starve its own
	 * startup_timeout (or the control socket) while it forks. */
	if (total > POOL_SPAWN_BATCH_MAX) {
		total = POOL_SPAWN_BATCH_MAX;
		next = now_ms; /* the rest on the next turn */
	}
	for (unsigned i = 0; i < total; i++) {
		bool exempt = i < want.exempt;
		if (!exempt && !ratelimit_take(&svc->limiter, now_ms)) {
			next = ratelimit_next_ms(&svc->limiter, now_ms);
			break;
		}
		if (worker_spawn(svc, now_ms) == NULL) {
			/* Logged (which step, which errno); try again soon. */
			next = now_ms + POOL_LAUNCH_RETRY_MS;
			break;
		}
		if (exempt)
			svc->replace_credits--;
	}
	svc->demand_seen = false;
	p = pool_snapshot(svc);
	svc->replace_credits = policy_clamp_credits(&p);
	return next;
}

/* Stops retiring workers whose successors are ready, and kills what
 * overstays its stop. Returns the earliest pending deadline. */
static uint64_t pool_handle_retiring(struct service *svc, uint64_t now_ms)
{
	struct policy_pool p = pool_snapshot(svc);
	uint64_t next = CLOCK_NEVER_MS;
	struct list *pos, *tmp;

	LIST_FOREACH_SAFE(pos, tmp, &svc->retiring) {
		struct worker *w = LIST_ENTRY(pos, struct worker, timer_link);
		uint64_t due;
		if (w->kill_sent)
			continue;
		if (w->stop_sent) {
			/* SIGTERM first, for every kind of worker; SIGKILL (the
			 * cgroup kill) after kill_grace */
			if (now_ms >= w->stop_deadline_ms && w->terminated)
				worker_kill(w, "still running after SIGTERM (kill_grace)");
			else if (now_ms >= w->stop_deadline_ms)
				worker_terminate(w, now_ms, svc->cfg->set.kill_grace_s,
						 "did not stop in time (stop_timeout)");
			if (!w->kill_sent) /* the next step's deadline */
				due = w->stop_deadline_ms, next = due < next ? due : next;
			continue;
		}
		if (w->state == POLICY_BUSY) {
			/* Its last request is bounded by max_busy like any other. */
			due = retire_busy_deadline_ms(w->state_since_ms, svc->cfg->set.max_busy_s);
			if (now_ms >= due)
				worker_terminate(w, now_ms, svc->cfg->set.kill_grace_s,
						 "last request exceeded max_busy");
			else
				next = due < next ? due : next;
			continue;
		}
		if (w->state != POLICY_IDLE)
			continue;
		if (policy_may_stop_retiring(&p, w->retiring_since_ms, now_ms)) {
			worker_stop(w, now_ms, svc->cfg->set.stop_timeout_s);
			due = w->stop_deadline_ms;
		} else {
			due = w->retiring_since_ms + POLICY_HANDOVER_MAX_MS;
		}
		next = due < next ? due : next;
	}
	return next;
}

/* At maxproc with clients waiting: count the episode, warn now and then. */
static void pool_note_saturation(struct service *svc, uint64_t now_ms)
{
	svc->saturation_check_ms = now_ms + POOL_SATURATION_CHECK_MS;
	svc->stats.maxproc_reached++;
	if (svc->saturated_log_ms == 0 ||
	    now_ms >= svc->saturated_log_ms + POOL_SATURATION_LOG_INTERVAL_MS) {
		svc->saturated_log_ms = now_ms;
		log_warn("service %s: all %u workers busy (maxproc): clients wait in the backlog",
			 svc->cfg->name, svc->cfg->set.maxproc);
	}
}

void pool_update(struct service *svc, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS, t;

	svc->dirty = false;
	if (svc->stopping) {
		pool_set_demand_watch(svc, false);
		svc->deadline_ms = pool_handle_retiring(svc, now_ms);
		return;
	}
	uint64_t (*const checks[])(struct service *, uint64_t) = {
		evict_startup, evict_busy, evict_idle, evict_lifetime, evict_rss,
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		t = checks[i](svc, now_ms);
		next = t < next ? t : next;
	}
	evict_recycle(svc, now_ms);
	struct policy_pool p = pool_snapshot(svc);
	if (svc->demand_seen && policy_at_maxproc(&p))
		pool_note_saturation(svc, now_ms);
	bool throttled = throttle_active(&svc->throttle, now_ms);
	if (throttled) {
		svc->demand_seen = false;
		t = svc->throttle.until_ms;
	} else {
		t = pool_spawn(svc, now_ms);
		next = t < next ? t : next;
		t = evict_startup(svc, now_ms); /* the new workers' startup deadline */
	}
	next = t < next ? t : next;
	t = pool_handle_retiring(svc, now_ms);
	next = t < next ? t : next;
	/* Watch for waiting clients only while nobody can take them, and not
	 * while the limiter or maxproc holds us back (a timer, or a worker
	 * turning idle, brings us back here). */
	p = pool_snapshot(svc);
	uint64_t limiter_next = ratelimit_next_ms(&svc->limiter, now_ms);
	bool at_cap = policy_at_maxproc(&p);
	uint64_t resume = at_cap ? svc->saturation_check_ms : limiter_next;
	bool wants = policy_wants_demand(&p) && !throttled;
	pool_set_demand_watch(svc, wants && resume <= now_ms);
	if (wants && resume > now_ms) /* look for waiting clients again then */
		next = resume < next ? resume : next;
	svc->deadline_ms = next;
}

void pool_start(struct service *svc, uint64_t now_ms)
{
	/* The initial pool is owed, like a replacement: no ramp for it. */
	svc->replace_credits = svc->cfg->set.prefork;
	pool_update(svc, now_ms);
}

void pool_recycle(struct service *svc, uint64_t now_ms)
{
	struct list *pos;

	for (pos = svc->workers.next; pos != &svc->workers; pos = pos->next) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		if (!w->retiring && !w->recycle && w->state != POLICY_STARTING) {
			w->recycle = true;
			svc->recycle_pending++;
		}
	}
	pool_update(svc, now_ms);
}

void pool_stop(struct service *svc, uint64_t now_ms)
{
	struct list *pos, *tmp;

	svc->stopping = true;
	LIST_FOREACH_SAFE(pos, tmp, &svc->workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		worker_stop(w, now_ms, svc->cfg->set.stop_timeout_s);
	}
	pool_update(svc, now_ms);
}

void pool_contained_gone(struct contain_leaf *leaf, void *ctx)
{
	struct worker *w = LIST_ENTRY(leaf, struct worker, leaf);

	(void)ctx;
	worker_exited(w, leaf->wstatus, clock_now_ms());
}

bool pool_known_child(pid_t pid, void *ctx)
{
	struct master *m = ctx;

	return pidmap_get(&m->pids, pid) != NULL;
}

void pool_reap(struct master *m, uint64_t now_ms)
{
	int wstatus;
	pid_t pid;

	/* containment: contain_reaper_reap kills the child's process group
	 * before reaping it (subreaper mode) */
	while ((pid = contain_reaper_reap(&m->contain, &wstatus)) > 0) {
		struct worker *w = pidmap_get(&m->pids, pid);
		if (w == NULL) {
			contain_reaper_orphan(&m->contain, pid, wstatus); /* a worker's orphan, the guard */
			continue;
		}
		/* containment: gone only once its cgroup is empty; its pid is
		 * free now, so it leaves the map at once */
		pidmap_remove(&m->pids, pid);
		if (!contain_leaf_exited(&m->contain, &w->leaf, wstatus)) {
			worker_lingering(w, now_ms); /* pool_contained_gone follows */
			continue;
		}
		worker_exited(w, wstatus, now_ms);
	}
	if (pid < 0 && errno != ECHILD)
		log_err("waitpid: %m");
}
