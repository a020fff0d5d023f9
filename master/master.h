/* master.h - the master's run-time context: everything the event loop owns,
 * in one struct that main() holds (no globals, so tests and a reload can
 * build and tear down a complete master state). */
#ifndef MASTER_MASTER_H
#define MASTER_MASTER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "contain.h"
#include "control.h"
#include "dynuser.h"
#include "ipcsweep.h"
#include "event.h"
#include "launch.h"
#include "list.h"
#include "monitor.h"
#include "pidmap.h"
#include "reload.h"
#include "rundir.h"
#include "sdlisten.h"
#include "sdnotify.h"
#include "signals.h"

struct service;
struct master;
struct launch_spec;
struct launch_error;

/* How the master starts and signals processes. NULL members mean the real
 * system calls (launch_start, kill); the unit tests of the monitor, the
 * evictor and the pool put fakes here, so no process is ever started. */
struct master_ops {
	pid_t (*launch)(struct master *m, const struct launch_spec *spec,
			struct launch_error *e);
	int (*signal)(struct master *m, pid_t pid, int sig);
	/* Whether pid has exited (a zombie not reaped yet), without reaping. */
	bool (*exited)(struct master *m, pid_t pid);
	/* The memory of worker pid and all it started (worker_memory). */
	unsigned long long (*memory)(struct master *m, pid_t pid, bool *whole, size_t *reads);
};

struct master {
	struct event_loop loop;
	struct monitor monitor;    /* workers' status channels, coalesced */
	struct master_ops ops;
	struct signals sig;
	struct launcher launcher;
	struct pidmap pids;        /* pid -> struct worker */
	struct config cfg;
	struct service *services;  /* singly linked, in master.cf order */
	struct control control;
	struct rundir rundir;      /* checked at start and reload, made again if removed */
	struct list dead;          /* exited workers, freed between event batches */
	uint64_t started_ms;
	bool stopping;
	uint64_t stop_deadline_ms; /* SIGKILL what is left at this time */
	bool root;                 /* running as root: workers' ids are switched */
	/* reload.c: services of earlier configurations still finishing (linked
	 * by ->next, like services), and those configurations while any
	 * service still points into them (reference-counted: reload_gen.c). */
	struct service *draining;
	struct list generations;
	struct reload reload;      /* reload.c: the reload under way, if any */
	char **overrides;          /* `master -o`, re-applied by every reload */
	uint64_t reloads;          /* successful reloads */
	struct sdnotify notify;    /* systemd's NOTIFY_SOCKET, if any */
	bool ready_sent;           /* READY=1 sent for the current configuration */
	bool stop_now;             /* `stop --now`: SIGKILL every worker */
	struct dynuser dynusers;   /* user=dynamic uids in use (isolation.c) */
	struct ipcsweep ipcsweep;  /* of those, the ones held back for a walk of /dev/shm */
	struct contain contain;    /* containment: cgroup leaves or subreaper (contain.h) */
	struct sdlisten inherited; /* systemd's sockets until the services take them (sdlisten.h) */
};

#endif
