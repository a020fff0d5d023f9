/* worker.h - one worker process as the master sees it: the process handle.
 *
 * worker.c owns starting a worker (status channel, stderr socket, launch),
 * the lists that order a service's workers for the evictor's timers, and
 * the verbs that make a worker leave (retire, stop, terminate, kill). It
 * decides nothing: the monitor (monitor.c) applies what a worker says, the
 * evictor (evict.c) decides who leaves and why, the pool (pool.c) decides
 * how many to start.
 *
 * A worker moves one way through its exit phases:
 *   serving -> retiring -> stopping -> terminating -> dying -> reaped
 * (steps may be skipped, never retraced). Each phase has a list of its own,
 * so a verb always takes a worker off the list whose timer chose it: no
 * timer fires twice for one worker, and the evictor's loops always end. */
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
#include "worker_daemon.h"

struct service;

/* Why the master killed a worker, as its death line says (lifelog.h). */
#define WORKER_KILL_WHY_BYTES 96
/* A SIGKILL is final, but the kill that sends it may miss: a worker not
 * reaped this long after it is killed again, and logged. */
#define WORKER_KILL_RECHECK_MS 5000u
/* A worker stopped by a signal (SIGSTOP from any process of its uid) serves
 * no one while it still counts as idle or busy: this long stopped, it is
 * killed and replaced (evict.c, evict_stopped). */
#define WORKER_STOPPED_MAX_MS 5000u
/* Stopped this many times (continued in between): killed at the next stop,
 * as if stopped WORKER_STOPPED_MAX_MS already. Only its first stop and
 * first continuation are logged: a worker's user stopping and continuing
 * it in a loop had the master write 6,800 lines a second. */
#define WORKER_STOPS_MAX 10u

enum worker_phase {
	WORKER_SERVING,     /* capacity: starting, idle or busy */
	WORKER_RETIRING,    /* leaving: its successor may start; told "stop" only if busy */
	WORKER_STOPPING,    /* told "stop": finishes its request (stop_timeout) */
	WORKER_TERMINATING, /* SIGTERM sent (kill_grace) */
	WORKER_DYING,       /* SIGKILL sent: only its exit is awaited */
};

struct worker {
	struct service *svc;
	pid_t pid;
	struct policy_worker proto;   /* what it said: state, "retiring", requests */
	enum worker_phase phase;
	bool reaped;              /* waitpid returned it: never signal it again */
	uint64_t stopped_ms;      /* when a signal stopped it (waitpid WUNTRACED); 0:
				   * running */
	unsigned stops;           /* times a signal stopped it */
	bool asked;               /* told to go for a normal reason (not for cause) */
	bool killed;              /* stopped for cause (violation, timeout) */
	char kill_why[WORKER_KILL_WHY_BYTES]; /* the first such cause, for its death line */
	bool silenced;            /* SIGTERM for closing its status channel */
	bool recycle;             /* `recycle`: retire as soon as allowed */
	bool told_stop;           /* "stop" sent on its channel (worker_tell_stop) */
	unsigned max_use;         /* this worker's limit, jittered; 0 = none */
	uint64_t seq;             /* its number in the service: picks its jitter */
	uint64_t lifetime_ms;     /* this worker's max_lifetime, jittered; 0 = none */
	unsigned rss_round;       /* the rss_max round that last measured it */
	uint64_t started_ms;
	uint64_t state_since_ms;  /* entered its state; for busy: its request began */
	uint64_t phase_since_ms;  /* entered its exit phase */
	uint64_t deadline_ms;     /* stopping, terminating: the next step then;
				   * dying: when to look again (WORKER_KILL_RECHECK_MS) */
	struct policy_flood flood; /* a channel kept full (monitor.c) */
	struct event_watch status_watch;
	struct event_watch stderr_watch;
	struct relay relay;
	struct list all_link;     /* service->workers, in spawn order */
	struct list timer_link;   /* the list of its state or phase (service.h) */
	struct list dead_link;    /* master->dead */
	struct list silent_link;  /* service->silent: its channel closed (evict.c) */
	uint64_t silent_since_ms;
	struct contain_leaf leaf; /* its cgroup leaf, or its process group (contain.h) */
	struct worker_daemon *daemon; /* ready=notify|exec (worker_daemon.h); NULL: protocol */
};

/* Starts one worker for svc: channel, stderr socket, launch, lists. Our
 * ends of the channel and the pipe are left in status_watch.fd and
 * stderr_watch.fd for the monitor to watch (monitor_spawn). Returns it, or
 * NULL with why saying which step failed (nothing left behind). */
struct worker *worker_spawn(struct service *svc, uint64_t now_ms,
			    char *why, size_t why_size);

/* A state change it reported (the monitor validated it). */
void worker_set_state(struct worker *w, enum policy_worker_state state, uint64_t now_ms);

/* The exit verbs. Each moves the worker forward to its phase (a no-op when
 * it is there or past it) and returns whether it moved. */
bool worker_retire(struct worker *w, uint64_t now_ms);
/* Says "stop" (SIGTERM if its channel is gone); next step at timeout_s. */
bool worker_stop(struct worker *w, uint64_t now_ms, unsigned timeout_s);
/* Says "stop" on its channel once, without changing its phase: a busy
 * retiring worker finishes its request and leaves, still bounded by
 * max_busy (evict_retiring). False when the channel is gone. */
bool worker_tell_stop(struct worker *w);
/* SIGTERM now; SIGKILL due after grace_s. */
bool worker_terminate(struct worker *w, uint64_t now_ms, unsigned grace_s);
/* SIGKILL now; looked at again WORKER_KILL_RECHECK_MS later. */
bool worker_kill(struct worker *w, uint64_t now_ms);
/* A dying worker still not reaped at its deadline: SIGKILL again (it and
 * its leaf), the next look WORKER_KILL_RECHECK_MS later. */
void worker_kill_again(struct worker *w, uint64_t now_ms);

/* Its main process was reaped but what it started is still being killed
 * (its cgroup is not empty yet): no longer capacity, never signalled by
 * pid again; its exit is accounted once the cgroup is empty. */
void worker_lingering(struct worker *w, uint64_t now_ms);

/* It was reaped: off every list and the pid map, onto the master's dead
 * list (freed between event batches: an event for it may be pending). */
void worker_unlink(struct worker *w);
void worker_free(struct worker *w);
/* Memory of the worker and all it started, in bytes: its leaf's
 * (contain_leaf_memory: a daemon's children, spawn's command), or its
 * own resident set where it has no leaf. For rss_max. *whole false: its
 * leaf holds more processes than are counted, so the figure is too low.
 * *reads: the files read for it. The master's ops may stand in for it
 * (master.h: the unit tests' fake leaves). */
unsigned long long worker_memory(struct worker *w, bool *whole, size_t *reads);

/* starting, idle, busy, retiring or stopping (stopping, terminating and
 * dying alike: on its way out); a ready daemon is "running". */
const char *worker_state_name(const struct worker *w);
/* Requests it began; a daemon (worker_daemon.h), which reports none,
 * counts one once proven: whether it began serving. */
static inline unsigned worker_served(const struct worker *w)
{
	return w->proto.requests + (w->daemon != NULL && w->daemon->proven);
}
/* Serving: counts as capacity (starting, idle or busy). */
static inline bool worker_serving(const struct worker *w)
{
	return w->phase == WORKER_SERVING;
}

#endif
