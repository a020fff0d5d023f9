/* evict_scan.c - owns the evictor's scans of a pool (see evict.h): a
 * worker retired for its age (max_lifetime, and SIGTERM at its hard cap),
 * for its memory (rss_max), or because the operator said `recycle`. Idle
 * and busy workers alike: under saturation a worker is never idle, and a
 * busy one finishes its request as a retiring worker (evict_retiring tells
 * it to stop once its successor is ready). The scans run when a deadline
 * is due or at a low fixed rate, never per request. Nothing here is fatal;
 * nothing blocks (rss is read from /proc, a pseudo file that answers at
 * once). */
#include "evict.h"

#include <stdio.h>

#include "clock.h"
#include "log.h"
#include "retire.h"
#include "service.h"
#include "worker.h"

uint64_t evict_scan_lifetime(struct service *svc, uint64_t now_ms)
{
	const struct service_settings *set = &svc->cfg->set;
	uint64_t next = CLOCK_NEVER_MS;
	struct list *pos, *tmp;

	if (now_ms < svc->lifetime_next_ms)
		return svc->lifetime_next_ms;
	LIST_FOREACH_SAFE(pos, tmp, &svc->workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		if (w->lifetime_ms == 0 || w->phase >= WORKER_STOPPING)
			continue;
		uint64_t cap = retire_hard_cap_ms(w->started_ms, w->lifetime_ms, set->retire_grace_s);
		uint64_t due = retire_lifetime_due_ms(w->started_ms, w->lifetime_ms);
		if (now_ms >= cap) {
			evict_terminate(w, now_ms, "max_lifetime + retire_grace reached while busy");
			continue;
		}
		if (now_ms < due) {
			next = evict_min(next, due);
			continue;
		}
		next = evict_min(next, cap);
		if (w->phase != WORKER_SERVING)
			continue;
		/* A busy one too: a worker whose next client is always
		 * already waiting is never idle. It finishes its request as a
		 * retiring worker, told to stop once its successor is ready
		 * (evict_retiring). */
		if (w->proto.state != POLICY_STARTING &&
		    retire_may_start(svc->n_retiring, set->max_retiring))
			evict_retire(w, now_ms, "max_lifetime");
		else /* starting or held back by max_retiring: look again */
			next = evict_min(next, now_ms + EVICT_LIFETIME_RECHECK_MS);
	}
	svc->lifetime_next_ms = next;
	return next;
}

/* What one rss_max pass may read, in /proc and cgroup files (a statm
 * read costs the loop ~10 us: a tester's 20 workers with 1,000 idle
 * children each made 20,000 reads a second, 19% of a CPU, and held the
 * loop ~0.5 s a pass). A pool with more processes than this is measured
 * over several passes, one a second: each reads at most this plus one
 * leaf (1,025). Each worker is measured once a round; a round ends when
 * every worker has been. */
#define EVICT_RSS_READS_PER_PASS 1024u

/* Busy workers too: a request must not grow a worker without bound. */
uint64_t evict_scan_rss(struct service *svc, uint64_t now_ms)
{
	const struct service_settings *set = &svc->cfg->set;
	struct list *pos, *tmp;
	size_t reads = 0;
	bool cut = false;

	if (set->rss_max_bytes == 0)
		return CLOCK_NEVER_MS;
	if (now_ms < svc->rss_next_ms)
		return svc->rss_next_ms;
	if (!svc->rss_cut) /* a new round: every worker is due again */
		svc->rss_round++;
	LIST_FOREACH_SAFE(pos, tmp, &svc->workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		if (w->phase >= WORKER_TERMINATING || w->rss_round == svc->rss_round)
			continue;
		if (reads >= EVICT_RSS_READS_PER_PASS) {
			cut = true; /* the rest at the next pass */
			break;
		}
		w->rss_round = svc->rss_round;
		/* All it started too (a tester's spawn command held 315 MB
		 * under rss_max=50M while its worker counted 80 KiB). */
		bool whole = true;
		size_t n = 0;
		unsigned long long rss = worker_memory(w, &whole, &n);
		reads += n;
		/* More processes than are counted: its memory is unknown, and
		 * unknown is over (a tester's worker held 799 MB under
		 * rss_max=200M behind 1,100 idle children); what was counted
		 * is still a floor for the hard limit below. */
		if (whole && !retire_rss_exceeded(rss, set->rss_max_bytes))
			continue;
		/* Busy and far past the limit: its request may not finish (an
		 * idle or retiring-idle one is simply retired or stopped). */
		if (w->proto.state == POLICY_BUSY &&
		    retire_rss_hard_exceeded(rss, set->rss_max_bytes)) {
			char why[EVICT_WHY_BYTES];
			snprintf(why, sizeof(why), "uses %llu KiB, over %u x rss_max (%llu KiB)",
				 rss >> 10, RETIRE_RSS_HARD_FACTOR, set->rss_max_bytes >> 10);
			evict_terminate(w, now_ms, why);
			continue;
		}
		if (w->phase != WORKER_SERVING || w->proto.state == POLICY_STARTING)
			continue;
		/* A busy one finishes its request as a retiring worker (its
		 * successor starts now); an idle one waits for max_retiring. */
		if (w->proto.state == POLICY_IDLE &&
		    !retire_may_start(svc->n_retiring, set->max_retiring))
			continue;
		if (whole)
			log_info("service %s: worker %ld uses %llu KiB (rss_max %llu KiB): retiring",
				 svc->cfg->name, (long)w->pid, rss >> 10, set->rss_max_bytes >> 10);
		else
			log_info("service %s: worker %ld has more processes than rss_max counts "
				 "(%llu KiB in the ones counted): retiring", svc->cfg->name,
				 (long)w->pid, rss >> 10);
		evict_retire(w, now_ms, "rss_max");
	}
	svc->rss_cut = cut;
	svc->rss_next_ms = now_ms + EVICT_RSS_INTERVAL_MS;
	return svc->rss_next_ms;
}

/* Retires the workers of one state list marked for `recycle`, while
 * max_retiring allows. Returns false once it does not. */
static bool evict_scan_recycle_list(struct service *svc, struct list *list, uint64_t now_ms)
{
	struct list *pos, *tmp;

	LIST_FOREACH_SAFE(pos, tmp, list) {
		struct worker *w = LIST_ENTRY(pos, struct worker, timer_link);
		if (!retire_may_start(svc->n_retiring, svc->cfg->set.max_retiring))
			return false;
		if (w->recycle)
			evict_retire(w, now_ms, "recycle");
	}
	return true;
}

/* Idle ones first; then busy ones, which finish their request as retiring
 * workers (a saturated worker is never idle: `recycle` must not wait for
 * that). */
void evict_scan_recycle(struct service *svc, uint64_t now_ms)
{
	if (svc->recycle_pending == 0)
		return;
	if (evict_scan_recycle_list(svc, &svc->idle, now_ms))
		(void)evict_scan_recycle_list(svc, &svc->busy, now_ms);
}
