/* evict.c - owns carrying out every way a worker leaves (see evict.h):
 * the timed lists (startup, max_busy, max_idle, the stop and kill
 * deadlines), the handover of retiring workers, what a worker did, and the
 * operator's verbs. The pool scans (age, memory, recycle) are
 * evict_scan.c's, the daemons' timers evict_daemon.c's. Nothing here is
 * fatal; nothing blocks. Retirements that keep capacity (a normal end of
 * life) earn the service a replacement credit: the successor bypasses the
 * fork limiter. Departures for cause do not. */
#include "evict.h"

#include <stdio.h>

#include "clock.h"
#include "log.h"
#include "retire.h"
#include "service.h"
#include "worker.h"

typedef uint64_t (*evict_due_fn)(const struct worker *w, const struct service_settings *set);
typedef void (*evict_act_fn)(struct worker *w, uint64_t now_ms);

/* Acts on the head of a time-ordered list while its deadline has passed.
 * Every action moves its worker to a later phase, hence off this list; if
 * one ever did not, the worker is moved to `kill_sent` rather than looked at
 * again: this loop must end whatever a worker does. */
static uint64_t evict_expire(struct service *svc, struct list *head,
			     evict_due_fn due, evict_act_fn act, uint64_t now_ms)
{
	while (!list_empty(head)) {
		struct worker *w = LIST_ENTRY(head->next, struct worker, timer_link);
		uint64_t t = due(w, &svc->cfg->set);
		if (t > now_ms)
			return t;
		act(w, now_ms);
		if (head->next == &w->timer_link) {
			log_err("service %s: worker %ld stayed on its timer list; dropped from it",
				svc->cfg->name, (long)w->pid);
			list_remove(&w->timer_link);
			list_append(&svc->kill_sent, &w->timer_link);
		}
	}
	return CLOCK_NEVER_MS;
}

/* The first cause, for the worker's death line (lifelog.h). */
static void evict_note_why(struct worker *w, const char *why)
{
	if (w->kill_why[0] == '\0')
		snprintf(w->kill_why, sizeof(w->kill_why), "%s", why);
}

/* For cause: logged, the service's last failure (unless it is stopping),
 * the worker's death line; its exit is not a normal retirement. */
static void evict_for_cause(struct worker *w, uint64_t now_ms, const char *doing,
			    const char *done, const char *why)
{
	log_warn("service %s: %s worker %ld: %s", w->svc->cfg->name, doing, (long)w->pid, why);
	if (!w->svc->stopping)
		service_failure_note(w->svc, now_ms, (long)w->pid, "worker %ld %s: %s",
				     (long)w->pid, done, why);
	evict_note_why(w, why);
	w->killed = true;
}

void evict_terminate(struct worker *w, uint64_t now_ms, const char *why)
{
	if (w->reaped || w->phase >= WORKER_TERMINATING)
		return;
	evict_for_cause(w, now_ms, "terminating", "terminated", why);
	worker_terminate(w, now_ms, w->svc->cfg->set.kill_grace_s);
}

static void evict_kill(struct worker *w, uint64_t now_ms, const char *why)
{
	if (w->phase == WORKER_DYING)
		return;
	evict_for_cause(w, now_ms, "killing", "killed", why);
	worker_kill(w, now_ms);
}

void evict_owe_replacement(struct service *svc)
{
	svc->replace_credits++;
	svc->dirty = true;
}

/* A normal end of life: its successor starts now and bypasses the limiter. */
void evict_retire(struct worker *w, uint64_t now_ms, const char *why)
{
	if (!worker_retire(w, now_ms))
		return;
	log_debug("service %s: worker %ld retiring: %s", w->svc->cfg->name, (long)w->pid, why);
	evict_owe_replacement(w->svc);
}

/* ---- the timed lists ---- */

static uint64_t evict_startup_due(const struct worker *w, const struct service_settings *set)
{
	return retire_startup_deadline_ms(w->started_ms, set->startup_timeout_s);
}

static void evict_startup_act(struct worker *w, uint64_t now_ms)
{
	char why[EVICT_WHY_BYTES];

	snprintf(why, sizeof(why), "no \"ready\" within startup_timeout (%us)",
		 w->svc->cfg->set.startup_timeout_s);
	evict_kill(w, now_ms, why);
}

static uint64_t evict_busy_due(const struct worker *w, const struct service_settings *set)
{
	return retire_busy_deadline_ms(w->state_since_ms, set->max_busy_s);
}

static void evict_busy_act(struct worker *w, uint64_t now_ms)
{
	char why[EVICT_WHY_BYTES];

	snprintf(why, sizeof(why), "one request took %.1fs (max_busy %us)",
		 (double)(now_ms - w->state_since_ms) / 1000.0, w->svc->cfg->set.max_busy_s);
	evict_terminate(w, now_ms, why);
}

static uint64_t evict_idle_due(const struct worker *w, const struct service_settings *set)
{
	return retire_idle_deadline_ms(w->state_since_ms, set->max_idle_s);
}

static void evict_idle_act(struct worker *w, uint64_t now_ms)
{
	evict_retire(w, now_ms, "max_idle");
}

static uint64_t evict_deadline_due(const struct worker *w, const struct service_settings *set)
{
	return w->deadline_ms;
}

static void evict_stopping_act(struct worker *w, uint64_t now_ms)
{
	/* A daemon was told with its stop signal already (worker_stop). */
	if (w->daemon != NULL)
		evict_kill(w, now_ms, "still running stop_timeout after its stop signal");
	else
		evict_terminate(w, now_ms, "did not stop within stop_timeout");
}

static void evict_terminating_act(struct worker *w, uint64_t now_ms)
{
	evict_kill(w, now_ms, "still running kill_grace after SIGTERM");
}

/* Silent past the grace and still not reaped: gone for us. Not marked
 * killed: if it was exiting after all, its own exit status counts
 * (monitor.c counts it killed if our SIGTERM ended it). */
static uint64_t evict_silent(struct service *svc, uint64_t now_ms)
{
	while (!list_empty(&svc->silent)) {
		struct worker *w = LIST_ENTRY(svc->silent.next, struct worker, silent_link);
		uint64_t due = w->silent_since_ms + EVICT_SILENT_GRACE_MS;
		if (due > now_ms)
			return due;
		list_remove(&w->silent_link);
		if (w->reaped || w->phase >= WORKER_TERMINATING)
			continue;
		log_warn("service %s: terminating worker %ld: closed its status channel",
			 svc->cfg->name, (long)w->pid);
		service_failure_note(svc, now_ms, (long)w->pid, "worker %ld terminated: closed "
				     "its status channel", (long)w->pid);
		w->silenced = true;
		evict_note_why(w, "closed its status channel");
		worker_terminate(w, now_ms, svc->cfg->set.kill_grace_s);
	}
	return CLOCK_NEVER_MS;
}

uint64_t evict_startup(struct service *svc, uint64_t now_ms)
{
	uint64_t next = evict_daemons(svc, now_ms);

	return evict_min(next, evict_expire(svc, &svc->starting, evict_startup_due,
					    evict_startup_act, now_ms));
}

/* Killed and still not reaped: the kill missed something (worker.h).
 * The list is short (workers between their SIGKILL and their reaping, and
 * reaped ones whose leaf still drains: containment's), so it is scanned. */
static uint64_t evict_dying(struct service *svc, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS;
	struct list *pos, *tmp;

	LIST_FOREACH_SAFE(pos, tmp, &svc->kill_sent) {
		struct worker *w = LIST_ENTRY(pos, struct worker, timer_link);
		if (w->reaped)
			continue;
		if (w->deadline_ms <= now_ms) {
			log_warn("service %s: worker %ld still not reaped %.0fs after SIGKILL: "
				 "killed again", svc->cfg->name, (long)w->pid,
				 (double)(now_ms - w->phase_since_ms) / 1000.0);
			worker_kill_again(w, now_ms);
		}
		next = evict_min(next, w->deadline_ms);
	}
	return next;
}

/* Stopped by a signal (monitor.c saw it): killed once stopped for
 * WORKER_STOPPED_MAX_MS. An adversarial run had nobody SIGSTOP every
 * worker of a service: no client served, status and --check healthy. */
static uint64_t evict_stopped(struct service *svc, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS;
	struct list *pos, *tmp;

	if (svc->n_stopped == 0)
		return next;
	LIST_FOREACH_SAFE(pos, tmp, &svc->workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		if (w->stopped_ms == 0 || w->reaped)
			continue;
		uint64_t due = w->stopped_ms + WORKER_STOPPED_MAX_MS;
		if (now_ms >= due)
			evict_kill(w, now_ms, "stopped by a signal and not continued");
		else
			next = evict_min(next, due);
	}
	return next;
}

uint64_t evict_timers(struct service *svc, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS;

	next = evict_min(next, evict_startup(svc, now_ms));
	next = evict_min(next, evict_expire(svc, &svc->busy, evict_busy_due,
					     evict_busy_act, now_ms));
	next = evict_min(next, evict_expire(svc, &svc->idle, evict_idle_due,
					     evict_idle_act, now_ms));
	next = evict_min(next, evict_silent(svc, now_ms));
	next = evict_min(next, evict_scan_lifetime(svc, now_ms));
	next = evict_min(next, evict_scan_rss(svc, now_ms));
	evict_scan_recycle(svc, now_ms);
	next = evict_min(next, evict_expire(svc, &svc->stop_sent, evict_deadline_due,
					     evict_stopping_act, now_ms));
	next = evict_min(next, evict_expire(svc, &svc->term_sent, evict_deadline_due,
					     evict_terminating_act, now_ms));
	next = evict_min(next, evict_dying(svc, now_ms));
	next = evict_min(next, evict_stopped(svc, now_ms));
	return next;
}

uint64_t evict_retiring(struct service *svc, uint64_t now_ms)
{
	const struct service_settings *set = &svc->cfg->set;
	struct policy_pool p = service_pool_counts(svc, now_ms);
	uint64_t next = CLOCK_NEVER_MS, due;
	struct list *pos, *tmp;

	LIST_FOREACH_SAFE(pos, tmp, &svc->retiring) {
		struct worker *w = LIST_ENTRY(pos, struct worker, timer_link);
		bool may_stop = policy_may_stop_retiring(&p, w->phase_since_ms, now_ms);
		if (w->proto.state == POLICY_BUSY) {
			/* Its last request is bounded by max_busy like any other. */
			due = retire_busy_deadline_ms(w->state_since_ms, set->max_busy_s);
			if (now_ms >= due) {
				evict_terminate(w, now_ms, "last request exceeded max_busy");
				continue;
			}
			next = evict_min(next, due);
			/* Busy for good (its next client already waits each
			 * time) it would never say "idle": told "stop" once
			 * its successor is ready, it finishes the request in
			 * hand and leaves. One that said "retiring" leaves
			 * after this request anyway. */
			if (may_stop && !w->proto.announced && worker_tell_stop(w))
				w->asked = true;
			else if (!may_stop)
				next = evict_min(next, w->phase_since_ms + POLICY_HANDOVER_MAX_MS);
			continue;
		}
		if (may_stop) {
			w->asked = true;
			worker_stop(w, now_ms, set->stop_timeout_s);
			next = evict_min(next, w->deadline_ms);
		} else {
			next = evict_min(next, w->phase_since_ms + POLICY_HANDOVER_MAX_MS);
		}
	}
	return next;
}

/* ---- what a worker did ---- */

void evict_violation(struct worker *w, uint64_t now_ms, const char *why)
{
	if (w->reaped) {
		/* Read from its channel after its exit: nothing to signal. */
		log_warn("service %s: worker %ld (exited): %s", w->svc->cfg->name,
			 (long)w->pid, why);
		return;
	}
	if (w->phase != WORKER_DYING)
		w->svc->stats.violations++;
	evict_kill(w, now_ms, why);
}

void evict_announced(struct worker *w, uint64_t now_ms)
{
	/* Replaced once, and only after serving: a worker that retires
	 * before its first request is a start failure, not a lifetime. */
	if (!worker_retire(w, now_ms))
		return;
	log_debug("service %s: worker %ld retiring: announced", w->svc->cfg->name,
		  (long)w->pid);
	if (worker_served(w) > 0)
		evict_owe_replacement(w->svc);
}

void evict_channel_closed(struct worker *w, uint64_t now_ms)
{
	/* One that said "retiring" or was told to stop is expected to go:
	 * its own deadlines bound it. */
	if (w->reaped || w->proto.announced || w->phase >= WORKER_STOPPING)
		return;
	w->silent_since_ms = now_ms;
	list_append(&w->svc->silent, &w->silent_link);
	w->svc->dirty = true;
}


/* ---- the operator ---- */

void evict_recycle_all(struct service *svc)
{
	struct list *pos;

	for (pos = svc->workers.next; pos != &svc->workers; pos = pos->next) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		if (worker_serving(w) && !w->recycle && w->proto.state != POLICY_STARTING) {
			w->recycle = true;
			svc->recycle_pending++;
		}
	}
	svc->dirty = true;
}

void evict_stop_service(struct service *svc, uint64_t now_ms)
{
	struct list *pos, *tmp;

	svc->stopping = true;
	LIST_FOREACH_SAFE(pos, tmp, &svc->workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		if (w->phase < WORKER_STOPPING)
			w->asked = true;
		worker_stop(w, now_ms, svc->cfg->set.stop_timeout_s);
	}
	svc->dirty = true;
}

void evict_kill_service(struct service *svc, uint64_t now_ms, const char *why)
{
	struct list *pos, *tmp;

	LIST_FOREACH_SAFE(pos, tmp, &svc->workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		w->asked = true;
		evict_kill(w, now_ms, why);
	}
}
