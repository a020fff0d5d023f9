/* monitor.h - the monitor: what the master learns from its workers. It
 * reads every worker's status channel and validates each message (the one
 * place that decides what a worker may say), relays worker stderr to the
 * log, reaps children and accounts each exit (counters, crash-loop
 * back-off, a successor owed).
 *
 * Status channels are read in coalesced batches (monitor_set.c): every
 * channel sits in an epoll set of its own, nested in the master's loop. When the set turns
 * readable the monitor drains every ready channel (each to empty, up to a
 * generous bound per wake-up), then stops watching the set for
 * MONITOR_COALESCE_MS: messages that arrive meanwhile are read together at
 * the next turn (recvmmsg takes a worker's whole queue in one call). Under
 * load the master thus wakes a few hundred times a second instead of once
 * per request. A worker is never held back by this: a channel holds about
 * 280 messages, two milliseconds of the fastest worker's traffic is a
 * tenth of that. A worker that keeps its channel full is flooding
 * (policy.h) and is killed. */
#ifndef MASTER_MONITOR_H
#define MASTER_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

struct master;
struct service;
struct worker;

#define MONITOR_COALESCE_MS 2u

struct monitor {
	struct event_loop set;     /* the status channels' own epoll set */
	struct event_watch watch;  /* that set, in the master's loop */
	struct event_loop *outer;
	bool paused;
	uint64_t resume_ms;
};

int monitor_init(struct monitor *mon, struct event_loop *outer);
void monitor_fini(struct monitor *mon);
/* Resumes watching when the pause is over; returns when it will be
 * (CLOCK_NEVER_MS when not paused), for the loop's timeout. */
uint64_t monitor_tick(struct monitor *mon, uint64_t now_ms);

/* Starts one worker of svc and watches it. NULL if it could not be started
 * (logged and accounted as a start failure: the service backs off). */
struct worker *monitor_spawn(struct service *svc, uint64_t now_ms);
/* Reaps every exited child and accounts each exit; unknown pids logged. */
void monitor_reap(struct master *m, uint64_t now_ms);
/* The main process of w exited with wstatus (reaped, or seen through a
 * pidfd): a daemon may live on in a process it started
 * (monitor_notify_follow); else its leaf drains, then monitor_exited. */
void monitor_main_exited(struct worker *w, int wstatus, uint64_t now_ms);
/* monitor_notify.c: a daemon's NOTIFY_SOCKET (worker_daemon.h). Watches it
 * from its spawn; closes it at its exit; follows a main process it left
 * behind (true: it lives on as that process). */
void monitor_notify_watch(struct worker *w, uint64_t now_ms);
void monitor_notify_close(struct worker *w);
bool monitor_notify_follow(struct worker *w, int wstatus, uint64_t now_ms);
/* Accounts the exit of w, reaped with wait status wstatus (monitor_reap
 * calls it for each child; the unit tests call it with a fake status). */
void monitor_exited(struct worker *w, int wstatus, uint64_t now_ms);
/* Containment's callbacks (contain_init, contain_start): a lingering
 * worker's cgroup is empty, its exit is accounted now; whether pid is a
 * worker. */
struct contain_leaf;
void monitor_contained_gone(struct contain_leaf *leaf, void *ctx);
bool monitor_known_child(pid_t pid, void *ctx);
/* A worker's status channel is readable: read and apply what it says. */
void monitor_read_status(struct worker *w, uint64_t now_ms);

#endif
