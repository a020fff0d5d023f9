/* worker.h - one worker process as the master sees it: its pid, status
 * channel, stderr pipe, protocol state and counters. worker.c owns starting
 * it, reading its channel, and the bookkeeping when it exits. */
#ifndef MASTER_WORKER_H
#define MASTER_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "contain.h"
#include "event.h"
#include "list.h"
#include "policy.h"
#include "relay.h"

struct service;

struct worker {
	struct service *svc;
	pid_t pid;
	enum policy_worker_state state;
	bool retiring;            /* leaving: not capacity; successor may run */
	bool stop_sent;
	bool kill_sent;           /* SIGKILL sent */
	bool killed;              /* the master decided to kill it */
	bool terminated;          /* stopped by signal for cause (busy, hard cap) */
	bool start_failed;        /* killed for never saying "ready" */
	bool recycle;             /* `recycle`: retire as soon as allowed */
	unsigned requests;
	unsigned max_use;         /* this worker's limit, jittered; 0 = none */
	uint64_t seq;             /* its number in the service: picks its jitter */
	uint64_t lifetime_ms;     /* this worker's max_lifetime, jittered; 0 = none */
	uint64_t started_ms;
	uint64_t state_since_ms;
	uint64_t retiring_since_ms;
	uint64_t stop_deadline_ms;
	struct event_watch status_watch;
	struct event_watch stderr_watch;
	struct relay relay;
	struct list all_link;     /* service->workers, in spawn order */
	struct list timer_link;   /* service->starting, ->idle, ->busy (each oldest
				   * first) or ->retiring */
	struct list dead_link;    /* master->dead */
	struct contain_leaf leaf; /* containment: its cgroup leaf, its process group */
};

/* Starts one worker for svc. Returns it, or NULL (logged with the step and
 * errno; counted as a launch failure). */
struct worker *worker_spawn(struct service *svc, uint64_t now_ms);
/* Asks it to finish its current request and exit; SIGKILL at deadline. */
void worker_stop(struct worker *w, uint64_t now_ms, unsigned timeout_s);
/* Kills it now (SIGKILL), logging why. */
void worker_kill(struct worker *w, const char *why);
/* Stops it for cause: SIGTERM now, SIGKILL after grace_s; logged. */
void worker_terminate(struct worker *w, uint64_t now_ms, unsigned grace_s, const char *why);
/* Marks it retiring (make-before-break: its successor is started first). */
void worker_retire(struct worker *w, uint64_t now_ms, const char *why);
/* Handles its exit: drains its channel and stderr, counts, unlinks, and
 * puts it on the master's dead list. */
void worker_exited(struct worker *w, int wstatus, uint64_t now_ms);
/* containment: its main process was reaped but processes it started are
 * still being killed (contain_leaf_exited returned false): no longer
 * capacity; worker_exited follows once its cgroup is empty. */
void worker_lingering(struct worker *w, uint64_t now_ms);
/* Frees a worker taken off the dead list. */
void worker_free(struct worker *w);
const char *worker_state_name(const struct worker *w);

#endif
