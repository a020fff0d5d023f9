/* pool.c - owns sizing a service's pool and spawning its workers (see
 * pool.h): each turn runs the evictor's timers, starts what policy.c asks
 * for (through the fork limiter unless a start replaces a normal
 * retirement, and never while the service is throttled), then lets the
 * evictor stop retiring workers whose successors are ready. Nothing here
 * is fatal: a failed launch throttles the service (monitor.c). */
#include "pool.h"

#include <sys/epoll.h>

#include "clock.h"
#include "evict.h"
#include "log.h"
#include "master.h"
#include "monitor.h"
#include "policy.h"
#include "retire.h"
#include "service.h"
#include "wakeup.h"
#include "worker.h"

/* Forks per service per loop turn. */
#define POOL_SPAWN_BATCH_MAX 32u

/* At most one "all workers busy" warning per service per this interval. */
#define POOL_SATURATION_LOG_INTERVAL_MS 10000u
/* At maxproc the pool cannot grow, so waiting clients are only counted:
 * the listening sockets are watched at most this often, not re-armed on
 * every busy/idle turn (that would cost two epoll_ctl per request). */
#define POOL_SATURATION_CHECK_MS 1000u

static void pool_set_demand_watch(struct service *svc, bool on)
{
	if (svc->demand_armed == on)
		return;
	for (size_t i = 0; i < svc->nsocks; i++)
		if (!svc->socks[i].mending) /* paused until its mend ends */
			event_set(&svc->m->loop, &svc->socks[i].demand_watch, on ? EPOLLIN : 0);
	svc->demand_armed = on;
}

/* Starts what the policy asks for; returns when the limiter next allows
 * a fork if it held one back. */
static uint64_t pool_spawn(struct service *svc, uint64_t now_ms)
{
	struct policy_pool p = service_pool_counts(svc, now_ms);
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
		if (monitor_spawn(svc, now_ms) == NULL) {
			/* Logged and counted: the service is throttled now. */
			next = now_ms;
			break;
		}
		if (exempt)
			svc->replace_credits--;
	}
	svc->demand_seen = false;
	p = service_pool_counts(svc, now_ms);
	svc->replace_credits = policy_clamp_credits(&p);
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

/* The wakeup column's timer (wakeup.c): its next run folds into the
 * service's deadline. */
static uint64_t pool_wakeup(struct service *svc, bool throttled, uint64_t now_ms)
{
	struct wakeup_service ws = {
		.cfg = svc->cfg,
		.listen_fd = svc->nsocks > 0 ? svc->socks[0].fd : -1,
		.wake_fd = svc->nsocks > 0 ? svc->socks[0].made.wake_fd : -1,
		.st = { .interval_s = svc->cfg->wakeup_s, .after_use = svc->cfg->wakeup_after_use,
			.used = svc->stats.requests > 0, .stopping = svc->stopping,
			.throttled = throttled, .idle = svc->n_idle, .busy = svc->n_busy },
	};

	return wakeup_tick(&svc->wake, &ws, now_ms);
}

void pool_update(struct service *svc, uint64_t now_ms)
{
	uint64_t next, t;

	svc->dirty = false;
	next = evict_timers(svc, now_ms);
	t = service_mend_poll(svc, now_ms);
	next = t < next ? t : next;
	if (svc->stopping) {
		pool_set_demand_watch(svc, false);
		t = evict_retiring(svc, now_ms);
		next = t < next ? t : next;
		t = pool_wakeup(svc, false, now_ms); /* cancels it */
		svc->deadline_ms = t < next ? t : next;
		return;
	}
	if (svc->stderr_lost) { /* relay_shared.h: a worker shut it down */
		svc->stderr_lost = false;
		evict_recycle_all(svc);
	}
	struct policy_pool p = service_pool_counts(svc, now_ms);
	if (svc->demand_seen && policy_at_maxproc(&p))
		pool_note_saturation(svc, now_ms);
	/* Waiting for a uid holds starts back as the throttle does, with
	 * no timer: pool_uids_back ends it. */
	bool throttled = svc->uid_wait || throttle_active(&svc->throttle, now_ms);
	if (!throttled) {
		t = pool_spawn(svc, now_ms);
		next = t < next ? t : next;
		/* a launch failed, or found no uid */
		throttled = svc->uid_wait || throttle_active(&svc->throttle, now_ms);
		t = evict_startup(svc, now_ms); /* the new workers' startup deadline */
		next = t < next ? t : next;
	}
	if (throttled) {
		svc->demand_seen = false;
		if (throttle_active(&svc->throttle, now_ms))
			next = svc->throttle.until_ms < next ? svc->throttle.until_ms : next;
	}
	t = evict_retiring(svc, now_ms);
	next = t < next ? t : next;
	/* Watch for waiting clients only while nobody can take them, and not
	 * while the limiter or maxproc holds us back (a timer, or a worker
	 * turning idle, brings us back here). */
	p = service_pool_counts(svc, now_ms);
	uint64_t limiter_next = ratelimit_next_ms(&svc->limiter, now_ms);
	bool at_cap = policy_at_maxproc(&p);
	uint64_t resume = at_cap ? svc->saturation_check_ms : limiter_next;
	bool wants = policy_wants_demand(&p) && !throttled;
	pool_set_demand_watch(svc, wants && resume <= now_ms);
	if (wants && resume > now_ms) /* look for waiting clients again then */
		next = resume < next ? resume : next;
	/* Only slack holds the watch off: look again when it has gone. */
	if (p.slack && p.idle + p.starting == 0 && !throttled)
		next = svc->slack_until_ms < next ? svc->slack_until_ms : next;
	t = pool_wakeup(svc, throttled, now_ms);
	svc->deadline_ms = t < next ? t : next;
}

void pool_uids_back(struct master *m)
{
	struct service *lists[] = { m->services, m->draining };

	for (size_t l = 0; l < 2; l++)
		for (struct service *svc = lists[l]; svc; svc = svc->next)
			if (svc->uid_wait) {
				svc->uid_wait = false;
				svc->dirty = true;
				svc->deadline_ms = 0; /* the loop's next wait is none */
			}
}

void pool_start(struct service *svc, uint64_t now_ms)
{
	log_info("service %s: listening on %s%s, prefork %u, maxproc %u",
		 svc->cfg->name, svc->nsocks ? svc->socks[0].addr : "-",
		 svc->nsocks > 1 ? " (and more)" : "",
		 svc->cfg->set.prefork, svc->cfg->set.maxproc);
	/* The initial pool is owed, like a replacement: no ramp for it. */
	svc->replace_credits = svc->cfg->set.prefork;
	pool_update(svc, now_ms);
}

void pool_start_all(struct master *m, uint64_t now_ms)
{
	for (struct service *svc = m->services; svc; svc = svc->next)
		pool_start(svc, now_ms);
}

void pool_recycle(struct service *svc, uint64_t now_ms)
{
	evict_recycle_all(svc);
	pool_update(svc, now_ms);
}

void pool_stop(struct service *svc, uint64_t now_ms)
{
	evict_stop_service(svc, now_ms);
	pool_update(svc, now_ms);
}
