/* master.h - the master's run-time context: everything the event loop owns,
 * in one struct that main() holds (no globals, so tests and a reload can
 * build and tear down a complete master state). */
#ifndef MASTER_MASTER_H
#define MASTER_MASTER_H

#include <stdbool.h>
#include <stdint.h>

#include "channels.h"
#include "config.h"
#include "contain.h"
#include "control.h"
#include "event.h"
#include "launch.h"
#include "list.h"
#include "pidmap.h"
#include "sdnotify.h"
#include "signals.h"

struct service;

struct master {
	struct event_loop loop;
	struct channels channels;  /* workers' status channels, coalesced */
	struct signals sig;
	struct launcher launcher;
	struct pidmap pids;        /* pid -> struct worker */
	struct config cfg;
	struct service *services;  /* singly linked, in master.cf order */
	struct control control;
	struct list dead;          /* exited workers, freed between event batches */
	uint64_t started_ms;
	bool stopping;
	uint64_t stop_deadline_ms; /* SIGKILL what is left at this time */
	bool root;                 /* running as root: workers' ids are switched */
	/* reload.c: services of earlier configurations still finishing (linked
	 * by ->next, like services), and those configurations while any
	 * service still points into them. */
	struct service *draining;
	struct list generations;
	char **overrides;          /* `master -o`, re-applied by every reload */
	uint64_t reloads;          /* successful reloads */
	struct sdnotify notify;    /* systemd's NOTIFY_SOCKET, if any */
	bool ready_sent;           /* READY=1 sent for the current configuration */
	bool stop_now;             /* `stop --now`: SIGKILL every worker */
	struct contain contain;    /* containment: cgroup leaves or subreaper (contain.h) */
};

#endif
