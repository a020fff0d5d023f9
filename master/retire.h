/* retire.h - when a worker is retired: the limits of its life, as pure
 * functions of times and settings (tests/unit/test_retire.c drives them
 * with a fake clock). pool.c applies them.
 *
 *  - max_use: the worker counts and retires itself after its last request;
 *    the master counts "busy" too and kills a worker that goes past it.
 *  - max_idle: an idle spell this long retires the worker (make-before-
 *    break; the pool returns to prefork).
 *  - max_lifetime: at this age the worker is retired when next idle; at
 *    max_lifetime + retire_grace it is stopped regardless (SIGTERM, then
 *    SIGKILL after kill_grace), so load cannot make a worker immortal.
 *  - max_busy: one request longer than this: SIGTERM, SIGKILL after
 *    kill_grace.
 *  - startup_timeout: no "ready" in time: killed, a start failure.
 *  - rss_max: resident memory above it retires the worker (an idle one at
 *    once, a busy one at the end of its request, its successor started
 *    now); above RETIRE_RSS_HARD_FACTOR times it, the worker is stopped
 *    regardless (SIGTERM, then SIGKILL after kill_grace).
 *
 * max_use and max_lifetime are spread per worker by lifetime_jitter: the
 * k-th worker of a service gets a fraction of the jitter from the golden-
 * ratio sequence k*phi mod 1, whose points stay evenly spread however many
 * there are, so a pool forked together never retires together (a random
 * draw would put two of 16 workers in the same second a third of the time). */
#ifndef MASTER_RETIRE_H
#define MASTER_RETIRE_H

#include <stdbool.h>
#include <stdint.h>

/* The spread fraction for the seq-th worker, in [0, 1). */
double retire_spread(uint64_t seq);
/* value reduced by up to jitter_pct percent for the seq-th worker; never
 * below 1 unless value is 0 (0 = unlimited stays unlimited). */
unsigned retire_jitter(unsigned value, unsigned jitter_pct, uint64_t seq);
/* The same for a duration in seconds, returned in milliseconds. */
uint64_t retire_jitter_ms(unsigned seconds, unsigned jitter_pct, uint64_t seq);

uint64_t retire_idle_deadline_ms(uint64_t idle_since_ms, unsigned max_idle_s);
bool retire_use_exceeded(unsigned requests, unsigned max_use);
/* Age at which it is retired when next idle (lifetime_ms 0 = never). */
uint64_t retire_lifetime_due_ms(uint64_t started_ms, uint64_t lifetime_ms);
/* Age at which it is stopped regardless. */
uint64_t retire_hard_cap_ms(uint64_t started_ms, uint64_t lifetime_ms, unsigned grace_s);
uint64_t retire_busy_deadline_ms(uint64_t busy_since_ms, unsigned max_busy_s);
uint64_t retire_startup_deadline_ms(uint64_t started_ms, unsigned timeout_s);
bool retire_rss_exceeded(unsigned long long rss_bytes, unsigned long long rss_max_bytes);
#define RETIRE_RSS_HARD_FACTOR 2u
/* So far past rss_max that the request in progress may not finish. */
bool retire_rss_hard_exceeded(unsigned long long rss_bytes, unsigned long long rss_max_bytes);
/* Master-initiated retirements (lifetime, rss, recycle) wait while
 * max_retiring workers of the service are already on their way out. */
bool retire_may_start(unsigned retiring, unsigned max_retiring);

#endif
