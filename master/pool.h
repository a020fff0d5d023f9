/* pool.h - applying the pool policy to a service: start workers (through
 * the fork limiter unless they replace a normal retirement), retire idle
 * ones, stop retiring ones once their successors are ready, watch the
 * listening sockets for waiting clients when nobody is idle, kill what
 * overstays a stop, and reap exited children. */
#ifndef MASTER_POOL_H
#define MASTER_POOL_H

#include <stdint.h>

struct master;
struct service;

void pool_start(struct service *svc, uint64_t now_ms);
/* Re-runs the decisions for svc; sets svc->deadline_ms. */
void pool_update(struct service *svc, uint64_t now_ms);
/* Replaces every current worker, make-before-break, max_retiring at a
 * time (busy ones when they next turn idle). */
void pool_recycle(struct service *svc, uint64_t now_ms);
/* Stops every worker of svc (stop_timeout, then SIGKILL). */
void pool_stop(struct service *svc, uint64_t now_ms);
/* Reaps every exited child; unknown pids are logged. */
void pool_reap(struct master *m, uint64_t now_ms);
/* Counts for the policy, from the service's live counters. */
struct policy_pool pool_snapshot(const struct service *svc);

#endif
