/* evict.h - the evictor's mechanism: applies the retirement criteria of
 * retire.h to a service's workers. Each check returns the time it next
 * needs to run (CLOCK_NEVER_MS if never), so the master sleeps until then.
 * Starting, idle and busy workers sit on lists ordered by the time they
 * entered that state, so those checks look at list heads only; lifetime
 * and rss scan the pool, but only when a deadline is due (lifetime) or at
 * a low fixed rate (rss), never per request. */
#ifndef MASTER_EVICT_H
#define MASTER_EVICT_H

#include <stdint.h>

struct service;

#define EVICT_RSS_INTERVAL_MS 5000u
#define EVICT_LIFETIME_RECHECK_MS 1000u

uint64_t evict_startup(struct service *svc, uint64_t now_ms);
uint64_t evict_busy(struct service *svc, uint64_t now_ms);
uint64_t evict_idle(struct service *svc, uint64_t now_ms);
uint64_t evict_lifetime(struct service *svc, uint64_t now_ms);
uint64_t evict_rss(struct service *svc, uint64_t now_ms);
/* `recycle`: retires marked workers as max_retiring allows. */
void evict_recycle(struct service *svc, uint64_t now_ms);

#endif
