/* evict_daemon.c - owns the evictor's timers for daemons, workers that
 * do not speak the protocol (worker_daemon.h): ready=exec's settle time,
 * the end of the crash back-off once one is proven, and the watchdog
 * (WATCHDOG=1 missing for watchdog_timeout, or WATCHDOG=trigger: SIGTERM,
 * SIGKILL kill_grace later). Nothing here is fatal. */
#include "evict.h"

#include <stdio.h>

#include "clock.h"
#include "log.h"
#include "service.h"
#include "worker.h"

#define EVICT_DAEMON_WHY_BYTES 128

/* Daemons (worker_daemon.h): ready=exec's settle time, proven (the crash
 * back-off ends), the watchdog. */
uint64_t evict_daemons(struct service *svc, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS;
	struct list *pos, *tmp;
	char why[EVICT_DAEMON_WHY_BYTES];

	if (svc->cfg->ready == SERVICE_READY_PROTOCOL)
		return next;
	LIST_FOREACH_SAFE(pos, tmp, &svc->workers) {
		struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		switch (worker_daemon_due(w, now_ms, &next)) {
		case WORKER_DAEMON_SETTLED:
			worker_daemon_ready(w, now_ms);
			next = now_ms; /* its next timers */
			break;
		case WORKER_DAEMON_PROVEN:
			w->daemon->proven = true;
			if (throttle_reset(&svc->throttle))
				log_info("service %s: recovered: worker %ld is running",
					 svc->cfg->name, (long)w->pid);
			next = now_ms;
			break;
		case WORKER_DAEMON_HUNG:
			snprintf(why, sizeof(why), w->daemon->hung ? "it sent WATCHDOG=trigger"
				 : "no WATCHDOG=1 within watchdog_timeout (%us)",
				 svc->cfg->set.watchdog_timeout_s);
			evict_terminate(w, now_ms, why);
			break;
		case WORKER_DAEMON_RESUME:
			worker_daemon_resume_notify(w);
			next = now_ms; /* its other timers */
			break;
		case WORKER_DAEMON_NOTHING:
			break;
		}
	}
	return next;
}
