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
#include "ratelimit.h"
#include "throttle.h"

struct master;

#define SERVICE_ADDR_TEXT_BYTES 128

struct service_socket {
	struct service *svc;
	int fd;
	struct event_watch demand_watch; /* readable = a client waits */
	char addr[SERVICE_ADDR_TEXT_BYTES]; /* actual bound address */
};

struct service_stats {
	uint64_t requests;
	uint64_t spawned;
	uint64_t crashed;
	uint64_t killed;
	uint64_t launch_failed;
	uint64_t start_failures;
	uint64_t maxproc_reached;
};

struct service {
	struct master *m;
	struct service *next;
	const struct service_config *cfg; /* points into m->cfg */
	struct service_socket *socks;
	size_t nsocks;
	int *sock_fds;          /* the fds alone, for launch */
	struct isolation *iso;  /* caps, rlimits, chroot, namespaces, cgroup */
	char **envp;            /* built once; LISTEN_PID digits filled per launch */
	char *pid_digits;
	char *max_use_digits;   /* MASTER_MAX_USE: each worker's jittered limit */
	/* the pool */
	struct list workers;    /* all, spawn order */
	struct list starting;   /* starting, oldest first (startup_timeout) */
	struct list idle;       /* idle and not retiring, oldest first (max_idle) */
	struct list busy;       /* busy and not retiring, oldest first (max_busy) */
	struct list retiring;   /* retiring or stopping */
	unsigned n_starting, n_idle, n_busy, n_retiring;
	unsigned replace_credits;
	struct ratelimit limiter;
	struct throttle throttle;
	uint64_t spawn_seq;
	uint64_t lifetime_next_ms; /* next max_lifetime check */
	uint64_t rss_next_ms;      /* next rss_max check */
	unsigned recycle_pending;  /* workers marked by `recycle` */
	bool demand_armed;      /* the listening sockets are watched */
	bool demand_seen;       /* a client waited and nobody was idle */
	bool saturated_noted;   /* this saturation episode was counted */
	uint64_t saturated_log_ms;
	bool stopping;
	bool dirty;             /* re-run the pool decisions */
	uint64_t deadline_ms;   /* next timer of this service */
	struct service_stats stats;
};

/* Creates every configured service: opens all sockets first, so a failure
 * starts nothing. Returns 0, or -1 (logged) with nothing left open. */
int service_create_all(struct master *m);
void service_destroy_all(struct master *m);
struct service *service_find(struct master *m, const char *name);

#endif
