/* evict.h - the evictor: every way a worker leaves. The criteria are pure
 * (retire.c, policy.c, throttle.c); this is where they are carried out:
 *
 *  - timers: startup_timeout, max_busy, max_idle, max_lifetime and its
 *    hard cap, rss_max (idle and busy), the stop and kill deadlines;
 *  - what a worker said or did: a protocol violation or a status flood
 *    (the monitor reports it), "retiring", a closed status channel;
 *  - the operator: recycle, stop, stop --now.
 *
 * Timed workers sit on lists ordered by the time they entered them
 * (service.h), so the timer checks look at list heads through one helper,
 * evict_expire(), whose every action moves the head off its list: a check
 * always ends. Each check returns when it next needs to run (CLOCK_NEVER_MS
 * if never), so the master sleeps until then; lifetime and rss scan the
 * pool, but only when a deadline is due or at a low fixed rate. */
#ifndef MASTER_EVICT_H
#define MASTER_EVICT_H

#include <stdint.h>

struct service;
struct worker;

#define EVICT_RSS_INTERVAL_MS 1000u
#define EVICT_LIFETIME_RECHECK_MS 1000u
/* A closed status channel is a violation only if the process is still
 * there this long after: a process that exits closes its channel a moment
 * before it can be reaped, and its exit must count as what it was. */
#define EVICT_SILENT_GRACE_MS 1000u

/* Every timer of svc; returns the next deadline. */
uint64_t evict_timers(struct service *svc, uint64_t now_ms);
/* Workers started since evict_timers: their startup deadline. */
uint64_t evict_startup(struct service *svc, uint64_t now_ms);
/* Retiring workers: stopped once their successors are ready, their last
 * request bounded by max_busy. Run after the pool has spawned. */
uint64_t evict_retiring(struct service *svc, uint64_t now_ms);

/* What a worker did (reported by the monitor). */
void evict_violation(struct worker *w, uint64_t now_ms, const char *why);
void evict_announced(struct worker *w, uint64_t now_ms);
void evict_channel_closed(struct worker *w, uint64_t now_ms);
/* A worker that left on its own after serving is owed a successor that
 * bypasses the fork limiter (the monitor calls this at its exit). */
void evict_owe_replacement(struct service *svc);

/* `recycle`: marks every serving worker; they retire max_retiring at a time. */
void evict_recycle_all(struct service *svc);
/* `stop`: every worker is told to stop; SIGTERM at stop_timeout, SIGKILL
 * kill_grace later. */
void evict_stop_service(struct service *svc, uint64_t now_ms);
/* `stop --now`: SIGKILL to every worker. */
void evict_kill_service(struct service *svc, uint64_t now_ms, const char *why);

/* Between the evict_*.c files only. */
#define EVICT_WHY_BYTES 128
static inline uint64_t evict_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}
/* SIGTERM for cause (logged with why), SIGKILL kill_grace later. */
void evict_terminate(struct worker *w, uint64_t now_ms, const char *why);
/* A normal end of life: retiring, its successor owed (logged with why). */
void evict_retire(struct worker *w, uint64_t now_ms, const char *why);
/* evict_scan.c: age, memory, recycle; the first two return the next
 * deadline. */
uint64_t evict_scan_lifetime(struct service *svc, uint64_t now_ms);
uint64_t evict_scan_rss(struct service *svc, uint64_t now_ms);
void evict_scan_recycle(struct service *svc, uint64_t now_ms);
/* evict_daemon.c: the daemons' timers; returns the next deadline. */
uint64_t evict_daemons(struct service *svc, uint64_t now_ms);

#endif
