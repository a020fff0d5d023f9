/* pool.h - the resource pool: sizing a service's pool and spawning its
 * workers. Start workers (through the fork limiter unless they replace a
 * normal retirement, never while throttled), grow toward maxproc while
 * clients wait, watch the listening sockets for waiting clients when
 * nobody is idle. Who leaves and when is the evictor's (evict.h); what
 * workers say and their exits are the monitor's (monitor.h). */
#ifndef MASTER_POOL_H
#define MASTER_POOL_H

#include <stdint.h>

struct master;
struct service;

/* Logs where it listens and starts its pool (the initial pool is owed:
 * no fork limiter for it). */
void pool_start(struct service *svc, uint64_t now_ms);
/* The same for every service in m->services. */
void pool_start_all(struct master *m, uint64_t now_ms);
/* Re-runs the decisions for svc; sets svc->deadline_ms. */
void pool_update(struct service *svc, uint64_t now_ms);
/* Replaces every current worker, make-before-break, max_retiring at a
 * time (busy ones when they next turn idle). */
void pool_recycle(struct service *svc, uint64_t now_ms);
/* Stops every worker of svc (stop_timeout, then SIGKILL). */
void pool_stop(struct service *svc, uint64_t now_ms);
/* The ipcsweep gave uids back: the services waiting for one try again. */
void pool_uids_back(struct master *m);

#endif
