/* evict.c - owns carrying out retirements (see evict.h); the criteria are
 * in retire.c. */
#include "evict.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "retire.h"
#include "service.h"
#include "worker.h"

static uint64_t evict_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t evict_startup(struct service *svc, uint64_t now_ms)
{
	while (!list_empty(&svc->starting)) {
		struct worker *w = LIST_ENTRY(svc->starting.next, struct worker, timer_link);
		uint64_t due = retire_startup_deadline_ms(w->started_ms, svc->cfg->set.startup_timeout_s);
		if (due > now_ms)
			return due;
		char why[64];
		snprintf(why, sizeof(why), "no \"ready\" within startup_timeout (%us)",
			 svc->cfg->set.startup_timeout_s);
		w->start_failed = true;
		worker_kill(w, why);
		list_remove(&w->timer_link); /* off the list: its exit follows */
	}
	return CLOCK_NEVER_MS;
}

uint64_t evict_busy(struct service *svc, uint64_t now_ms)
{
	while (!list_empty(&svc->busy)) {
		struct worker *w = LIST_ENTRY(svc->busy.next, struct worker, timer_link);
		uint64_t due = retire_busy_deadline_ms(w->state_since_ms, svc->cfg->set.max_busy_s);
		if (due > now_ms)
			return due;
		char why[96];
		snprintf(why, sizeof(why), "one request took %.1fs (max_busy %us)",
			 (double)(now_ms - w->state_since_ms) / 1000.0, svc->cfg->set.max_busy_s);
		/* Moves it to the retiring list, where its SIGKILL is timed. */
		worker_terminate(w, now_ms, svc->cfg->set.kill_grace_s, why);
	}
	return CLOCK_NEVER_MS;
}

uint64_t evict_idle(struct service *svc, uint64_t now_ms)
{
	while (!list_empty(&svc->idle)) {
		struct worker *w = LIST_ENTRY(svc->idle.next, struct worker, timer_link);
		uint64_t due = retire_idle_deadline_ms(w->state_since_ms, svc->cfg->set.max_idle_s);
		if (due > now_ms)
			return due;
		worker_retire(w, now_ms, "max_idle");
	}
	return CLOCK_NEVER_MS;
}

uint64_t evict_lifetime(struct service *svc, uint64_t now_ms)
{
	const struct service_settings *set = &svc->cfg->set;
	uint64_t next = CLOCK_NEVER_MS;
	struct list *pos, *tmp;

	if (now_ms < svc->lifetime_next_ms)
		return svc->lifetime_next_ms;
	LIST_FOREACH_SAFE(pos, tmp, &svc->workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		if (w->lifetime_ms == 0 || w->terminated || w->kill_sent)
			continue;
		uint64_t cap = retire_hard_cap_ms(w->started_ms, w->lifetime_ms, set->retire_grace_s);
		uint64_t due = retire_lifetime_due_ms(w->started_ms, w->lifetime_ms);
		if (now_ms >= cap) {
			worker_terminate(w, now_ms, set->kill_grace_s,
					 "max_lifetime + retire_grace reached while busy");
			continue;
		}
		if (now_ms < due) {
			next = evict_min(next, due);
			continue;
		}
		next = evict_min(next, cap);
		if (w->retiring)
			continue;
		if (w->state == POLICY_IDLE && retire_may_start(svc->n_retiring, set->max_retiring))
			worker_retire(w, now_ms, "max_lifetime");
		else /* busy, starting or held back by max_retiring: look again */
			next = evict_min(next, now_ms + EVICT_LIFETIME_RECHECK_MS);
	}
	svc->lifetime_next_ms = next;
	return next;
}

/* Resident bytes of pid from /proc/PID/statm, or 0 if unreadable. */
static unsigned long long evict_rss_bytes(pid_t pid)
{
	char path[64], buf[128];
	unsigned long long size = 0, resident = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident * (unsigned long long)sysconf(_SC_PAGESIZE);
}

uint64_t evict_rss(struct service *svc, uint64_t now_ms)
{
	const struct service_settings *set = &svc->cfg->set;
	struct list *pos, *tmp;

	if (set->rss_max_bytes == 0)
		return CLOCK_NEVER_MS;
	if (now_ms < svc->rss_next_ms)
		return svc->rss_next_ms;
	LIST_FOREACH_SAFE(pos, tmp, &svc->idle) {
		struct worker *w = LIST_ENTRY(pos, struct worker, timer_link);
		if (!retire_may_start(svc->n_retiring, set->max_retiring))
			break;
		unsigned long long rss = evict_rss_bytes(w->pid);
		if (retire_rss_exceeded(rss, set->rss_max_bytes)) {
			log_info("service %s: worker %ld uses %llu KiB (rss_max %llu KiB): retiring",
				 svc->cfg->name, (long)w->pid, rss >> 10, set->rss_max_bytes >> 10);
			worker_retire(w, now_ms, "rss_max");
		}
	}
	svc->rss_next_ms = now_ms + EVICT_RSS_INTERVAL_MS;
	return svc->rss_next_ms;
}

void evict_recycle(struct service *svc, uint64_t now_ms)
{
	struct list *pos, *tmp;

	if (svc->recycle_pending == 0)
		return;
	LIST_FOREACH_SAFE(pos, tmp, &svc->idle) {
		struct worker *w = LIST_ENTRY(pos, struct worker, timer_link);
		if (!retire_may_start(svc->n_retiring, svc->cfg->set.max_retiring))
			return;
		if (w->recycle)
			worker_retire(w, now_ms, "recycle");
	}
}
