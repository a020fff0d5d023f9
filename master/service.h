/* service.h - one service at run time: its configuration, listening
 * sockets (held by the master across worker generations, so a worker's
 * death never loses a queued connection), the worker environment built
 * once, its pool of workers and its counters. service.c owns creating and
 * destroying services; pool.c owns the pool inside. */
#ifndef MASTER_SERVICE_H
#define MASTER_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "list.h"
#include "listener.h"
#include "policy.h"
#include "ratelimit.h"
#include "relay_shared.h"
#include "throttle.h"
#include "offloop.h"
#include "wakeup.h"

struct master;
struct reload_gen;

#define SERVICE_ADDR_TEXT_BYTES 128

struct service_socket {
	struct service *svc;
	int fd;                 /* -1 once handed to a successor */
	struct listener_made made; /* a fifo's write end, the file made (goes with fd) */
	struct event_watch demand_watch; /* readable = a client waits */
	char addr[SERVICE_ADDR_TEXT_BYTES]; /* actual bound address */
	/* A reload's new service borrows the socket of an earlier service with
	 * the same address until service_commit() takes it over: never closed
	 * and re-bound, so no client is refused. NULL: opened by us. */
	struct service_socket *donor;
	/* Shut down by a process holding it (service_on_demand): its mends,
	 * at most so many a window (service_mend.c); shut once given up (its
	 * watch dropped, `status --check` fails, a reload makes a new
	 * socket). */
	struct ratelimit_window mends;
	bool shut;
	/* sockaudit.c's repairs, run off the loop (offloop.h); NULL: none yet */
	struct offloop_slot *audit;
	bool audit_skipped;     /* the last audit found the one before waiting */
	/* service_mend.c's bind and listen, off the loop too */
	struct offloop_slot *mend;
	bool mending;           /* a mend in flight: its watch is paused */
};

struct service_stats {
	uint64_t requests;
	uint64_t spawned;
	uint64_t crashed;
	uint64_t killed;
	uint64_t launch_failed;
	uint64_t start_failures;
	uint64_t maxproc_reached;
	uint64_t violations;    /* killed for breaking the protocol */
};

#define SERVICE_FAILURE_TEXT_BYTES 256

struct service {
	struct master *m;
	struct service *next;
	const struct service_config *cfg; /* points into m->cfg, or into gen */
	struct reload_gen *gen; /* draining: the earlier configuration cfg points
				 * into, a reference held (reload_gen.c); else NULL */
	struct service_socket *socks;
	size_t nsocks;
	int *sock_fds;          /* the fds alone, for launch */
	struct isolation *iso;  /* caps, rlimits, chroot, namespaces, cgroup */
	char **envp;            /* built once; LISTEN_PID digits filled per launch */
	char *pid_digits;
	char *max_use_digits;   /* MASTER_MAX_USE: each worker's jittered limit */
	char *notify_name;      /* ready=notify: NOTIFY_SOCKET, each worker's own (notifysock.h) */
	struct relay_shared stderr_shared; /* worker_stderr=shared: every worker's fd 2 */
	struct relaylimit stderr_budget;   /* all its workers' stderr logged (relay.h) */
	bool stderr_lost;       /* it was shut down: recycle its holders (pool.c) */
	/* the pool: every worker is on `workers` and on exactly one list of
	 * its state (serving) or its exit phase (leaving), each ordered by the
	 * time its members entered it, so every timer is at a list head */
	struct list workers;    /* all, spawn order */
	struct list starting;   /* starting (startup_timeout) */
	struct list idle;       /* idle (max_idle) */
	struct list busy;       /* busy, by request start (max_busy) */
	struct list retiring;   /* leaving, successor first; told "stop" only if busy */
	struct list stop_sent;  /* told "stop" (stop_timeout) */
	struct list term_sent;  /* SIGTERM sent (kill_grace) */
	struct list kill_sent;  /* SIGKILL sent */
	struct list silent;     /* status channel closed, process not reaped yet */
	unsigned n_starting, n_idle, n_busy; /* serving */
	unsigned n_retiring;    /* leaving, in any phase */
	unsigned n_stopping;    /* of those, told to stop or signalled */
	unsigned n_stopped;     /* stopped by a signal (worker.h, stopped_ms) */
	unsigned replace_credits; /* owed successors of normal retirements */
	struct ratelimit limiter;
	struct throttle throttle;
	uint64_t spawn_seq;
	uint64_t lifetime_next_ms; /* next max_lifetime check */
	uint64_t rss_next_ms;      /* next rss_max check */
	unsigned rss_round;        /* rss_max: the round in progress (evict_scan.c) */
	bool rss_cut;              /* its last pass ran out of budget mid-round */
	uint64_t sockaudit_ms;     /* last look at its shared sockets (sockaudit.c) */
	unsigned recycle_pending;  /* workers marked by `recycle` */
	bool demand_armed;      /* the listening sockets are watched */
	bool demand_seen;       /* a client waited and nobody was idle */
	uint64_t slack_until_ms; /* a worker had capacity to spare (policy.h: slack) */
	uint64_t saturation_check_ms; /* at maxproc: next look for waiting clients */
	uint64_t saturated_log_ms;
	bool stopping;
	bool dirty;             /* re-run the pool decisions */
	bool uid_wait;          /* no start until the ipcsweep gives a uid back (pool_uids_back) */
	uint64_t deadline_ms;   /* next timer of this service */
	struct service_stats stats;
	struct wakeup wake;     /* the wakeup column's timer (wakeup.h) */
	/* The last failure (a start failure, a crash, a kill for cause): why,
	 * and when (0 = none yet), of which worker (0: none started). */
	char last_failure[SERVICE_FAILURE_TEXT_BYTES];
	uint64_t last_failure_ms;
	int64_t last_failure_wall_s; /* the same moment, wall clock (time(2)) */
	long last_failure_pid;
	/* reload: an earlier generation keeps serving until its successor has
	 * its prefork workers ready, or until this deadline (reload.c). */
	bool handover;
	uint64_t handover_deadline_ms;
};

/* The counts the pool policy reads (policy.h), from the live counters. */
static inline struct policy_pool service_pool_counts(const struct service *svc, uint64_t now_ms)
{
	struct policy_pool p = {
		.prefork = svc->cfg->set.prefork,
		.maxproc = svc->cfg->set.maxproc,
		.starting = svc->n_starting,
		.idle = svc->n_idle,
		.busy = svc->n_busy,
		.retiring = svc->n_retiring,
		.leaving_max = config_leaving_max(svc->cfg),
		.replace_credits = svc->replace_credits,
		.demand = svc->demand_seen,
		.slack = now_ms < svc->slack_until_ms,
	};
	return p;
}

/* Creates every configured service of m->cfg and commits it, without
 * starting workers (the daemon forks in between). Opens all sockets first,
 * so a failure starts nothing. Returns 0, or -1 (logged) with nothing left
 * open. */
int service_create_all(struct master *m);
/* Frees every service, active and draining (the master's exit). */
void service_destroy_all(struct master *m);
/* The active service (not an earlier generation) called name. */
struct service *service_find(struct master *m, const char *name);

/* One service of configuration ms/c, not yet in any list: the socket of
 * address i is borrowed from donors[i] when that is not NULL (a reload's
 * search, reload_donor.c), opened otherwise (donors NULL: open all).
 * Returns NULL (logged) with nothing left open and nothing borrowed. */
struct service *service_create(struct master *m, const struct master_settings *ms,
			       const struct service_config *c, struct service_socket *const *donors);
/* Takes borrowed sockets over from their donors (which stop owning them)
 * and starts watching for waiting clients. Cannot fail. */
void service_commit(struct service *svc);
/* Closes the sockets it owns (removing a unix socket's file), frees it.
 * Its workers must be gone. */
void service_free(struct service *svc);
/* Records the service's last failure (service_failure.c): the text, now
 * and pid (0: no worker). Of the same pid as the last one (killed, then
 * reaped), the text is appended to it. */
void service_failure_note(struct service *svc, uint64_t now_ms, long pid, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* How many of svc's sockets were shut down for good (service_socket.shut). */
unsigned service_sockets_shut(const struct service *svc);
/* service_mend.c: a hang-up on s (a process holding it shut it down):
 * mended off the loop, or given up. */
void service_mend_hung_up(struct service_socket *s);
/* Finishes the mends whose job is done; returns when to look again
 * (CLOCK_NEVER_MS: none in flight). From the pool's turn. */
uint64_t service_mend_poll(struct service *svc, uint64_t now_ms);
/* Same identity (name and type): the same service across configurations. */
bool service_same_identity(const struct service_config *a, const struct service_config *b);

#endif
