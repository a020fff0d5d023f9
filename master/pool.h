/* pool.h - applying the pool policy to a service: start workers (through
 * the fork limiter unless they replace a normal retirement), retire idle
 * ones, stop retiring ones once their successors are ready, watch the
 * listening sockets for waiting clients when nobody is idle, kill what
 * overstays a stop, and reap exited children. */
#ifndef MASTER_POOL_H
#define MASTER_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct contain_leaf;
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
/* Reaps every exited child; unknown pids go to contain_reaper_orphan. A worker
 * whose cgroup still holds processes lingers until it is empty. */
void pool_reap(struct master *m, uint64_t now_ms);
/* containment's callbacks (contain_init, contain_start): a lingering
 * worker's cgroup is empty (it exits now); whether pid is a worker. */
void pool_contained_gone(struct contain_leaf *leaf, void *ctx);
bool pool_known_child(pid_t pid, void *ctx);
/* Counts for the policy, from the service's live counters. */
struct policy_pool pool_snapshot(const struct service *svc);

#endif
