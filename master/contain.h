/* contain.h - process containment: nothing a worker starts outlives it.
 *
 * Two mechanisms, chosen at start (setting `containment`: auto, cgroup,
 * subreaper; docs/security.md, "Containment"):
 *
 * cgroup: every service has a cgroup under the base (contain_path.h) and
 * every worker a leaf of its own below it, BASE/SERVICE/wN, created before
 * the launch and handed to clone3(CLONE_INTO_CGROUP): the worker and all
 * it starts live there. Killing a worker is "1" into its leaf's
 * cgroup.kill; a worker whose main process exits with processes left in
 * its leaf has the leaf killed, and counts as gone only once the leaf is
 * empty (cgroup.events "populated 0", watched with one inotify fd for all
 * leaves); then the leaf is removed, or, if it was empty at once, kept
 * for the service's next worker (a mkdir and an rmdir saved per launch). A guard process (contain_guard.c)
 * kills every leaf if the master dies; a starting master ends what a
 * previous one left under its base before it binds anything.
 *
 * subreaper (no writable cgroup2, or forced): the master is a child
 * subreaper; a worker's process group is killed when the worker is killed
 * and when it is reaped (its pid, unreaped, pins the group id, so the
 * group cannot be someone else's), and any process re-parented to the
 * master is killed when found (reaping an unknown pid, and a scan of /proc
 * for PPid == master). A child that leaves the group and whose parent
 * lives on is found by the periodic scan only; leftovers of a master that
 * died cannot be found. */
#ifndef MASTER_CONTAIN_H
#define MASTER_CONTAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"
#include "launch.h"
#include "list.h"
#include "outbuf.h"
#include "pidmap.h"
#include "contain_path.h"
#include "settings.h"

enum contain_mode { CONTAIN_CGROUP, CONTAIN_SUBREAPER };

/* One worker's containment, embedded in struct worker. Zeroed memory is
 * not valid: contain_leaf_prepare initializes it. */
struct contain_leaf {
	int svc_fd;          /* its service's cgroup (isolation's fd); -1: no leaf */
	int dir_fd;          /* the leaf, open from prepare to launched only */
	int procs_fd;        /* its cgroup.procs, the same (clone3 missing) */
	uint64_t seq;        /* the leaf's name: w<seq> */
	pid_t pid;           /* the worker, and its process group */
	bool reaped;         /* its pid is gone: never signalled again */
	bool killed;         /* its cgroup.kill was written: removed, never reused */
	int wstatus;         /* its wait status, while the leaf drains */
	int wd;              /* inotify watch while draining; -1 */
	struct list link;    /* contain->draining while draining */
};

struct contain;
/* A draining leaf is empty at last: the worker is gone (wstatus saved). */
typedef void (*contain_gone_fn)(struct contain_leaf *leaf, void *ctx);
/* Whether pid is a child the master knows (a worker): never killed as an
 * orphan. */
typedef bool (*contain_known_fn)(pid_t pid, void *ctx);

struct contain {
	enum contain_mode mode;
	char *base;              /* the cgroup base, or NULL (none usable) */
	char *base_rel;          /* the same as a path in the hierarchy (for /proc/PID/cgroup) */
	char why[CONTAIN_PATH_WHY_BYTES + 128]; /* how the mode and base were chosen */
	int base_fd;
	bool own_base;           /* a base of our own: removed at exit if empty */
	int inotify_fd;
	struct event_watch watch;
	struct event_loop *loop;
	struct pidmap watches;   /* inotify wd -> draining leaf */
	struct pidmap pools;     /* service cgroup fd + 1 -> its empty leaves, for reuse */
	struct list draining;    /* leaves whose worker exited, not yet empty */
	struct list emptied;     /* drained, gone() due at the next contain_tick */
	unsigned ndraining;
	uint64_t drain_check_ms; /* next re-kill and re-check of the draining */
	uint64_t seq;            /* leaf names, unique for the master's life */
	unsigned leftover_procs; /* ended at start */
	unsigned leftover_cgroups;
	unsigned gc_removed;     /* empty bases of dead masters removed at start */
	contain_gone_fn gone;
	void *gone_ctx;
	/* subreaper mode (contain_reaper.c) */
	contain_known_fn known;
	void *known_ctx;
	bool scan_wanted;
	uint64_t scan_last_ms;
	uint64_t scan_next_ms;
	uint64_t orphans_killed;
	/* the guard (contain_guard.c) */
	pid_t guard_pid;
	int guard_fd;
	uint64_t guard_started_ms;
	uint64_t guard_due_ms;   /* a killed guard's successor starts then */
	bool foreground;         /* for the guard's log */
};

/* Chooses the mode and base, moves the master into BASE/supervisor when it
 * lives in the base, and ends a previous master's leftovers (logged), all
 * before any socket is bound. gone: called for a leaf that empties after
 * its worker's exit. Returns 0, or -1 (logged) only when containment =
 * cgroup cannot be had. */
int contain_init(struct contain *c, const struct master_settings *m, struct event_loop *loop,
		 bool foreground, contain_gone_fn gone, void *ctx);
/* In the final (daemon) process, before any worker: the child subreaper
 * flag (not inherited by fork), and the guard (cgroup mode). */
void contain_start(struct contain *c, contain_known_fn known, void *ctx);
/* At exit (every worker gone): the guard told to leave, a last sweep of
 * orphans (subreaper), our empty cgroups removed, fds closed. */
void contain_fini(struct contain *c);

/* The cgroup base for services' cgroups (limits), or NULL. Inline: the
 * launch library (isolation.c) reads it without the rest of contain.c. */
static inline const char *contain_cgroup_base(const struct contain *c)
{
	return c != NULL ? c->base : NULL;
}
/* Whether every worker gets a leaf (cgroup mode): every service then has a
 * cgroup, limits or not. */
static inline bool contain_uses_leaves(const struct contain *c)
{
	return c != NULL && c->mode == CONTAIN_CGROUP && c->base != NULL;
}

/* contain_leaf.c: one worker's leaf (or process group) */
/* Before a launch: creates the worker's leaf below spec->iso's service
 * cgroup and points a copy of the isolation (*iso_copy, which must live
 * until the launch) at it. need_procs: the launcher has no clone3 (the
 * leaf's cgroup.procs is opened for the fallback write). 0, or -1 logged
 * (errno set). Always initializes *leaf. */
int contain_leaf_prepare(struct contain *c, struct contain_leaf *leaf,
			 struct launch_spec *spec, struct launch_isolation *iso_copy,
			 bool need_procs);
/* After the launch: pid > 0 the worker, or <= 0 (failed: the leaf goes). */
void contain_leaf_launched(struct contain *c, struct contain_leaf *leaf, pid_t pid);
/* Its main process was reaped. Returns true if it is gone (nothing left:
 * the leaf is removed), false if processes remain: the leaf is killed, and
 * gone() follows once it is empty. */
bool contain_leaf_exited(struct contain *c, struct contain_leaf *leaf, int wstatus);
/* Kills the worker and all it started: its leaf (cgroup.kill), or its
 * process group (subreaper mode; never after it was reaped). */
void contain_leaf_kill(struct contain *c, struct contain_leaf *leaf);
/* sig (SIGTERM) to the worker's process group, unless it was reaped. */
void contain_leaf_signal(struct contain *c, struct contain_leaf *leaf, int sig);

/* contain_probe.c: what runs in a worker's leaf (daemons, worker_daemon.h) */
/* Whether pid runs in the worker's leaf (cgroup mode: its cgroup.procs;
 * subreaper mode: its process group, while the worker is not reaped). */
bool contain_leaf_holds(struct contain *c, const struct contain_leaf *leaf, pid_t pid);
/* The oldest process left in the leaf (a double-forked daemon's main), or
 * 0 (none, or no leaf). */
pid_t contain_leaf_oldest(struct contain *c, const struct contain_leaf *leaf);
/* Resident bytes of one process (/proc/PID/statm), 0 if it is gone. */
unsigned long long contain_probe_rss(pid_t pid);
/* Memory of everything in the leaf: its memory.current where the leaf has
 * the memory controller, else the sum of its processes' resident sets
 * (pages they share counted once per process); without a leaf, the
 * resident set of main_pid alone. how says what was measured, for the log.
 * False: the leaf holds more processes than are counted (*bytes is theirs).
 * *reads: how many files it read for it (the caller's budget, evict_scan.c). */
bool contain_leaf_memory(const struct contain_leaf *leaf, pid_t main_pid,
			 unsigned long long *bytes, size_t *reads, char *how, size_t how_size);

/* contain_reaper.c: children and orphans */
/* waitpid(-1, WNOHANG | WUNTRACED | WCONTINUED) with containment: in
 * subreaper mode an exited child's process group is killed first (while
 * the unreaped child pins its id). A stopped or continued child is
 * reported too, not reaped (WIFSTOPPED, WIFCONTINUED). Returns a pid, 0
 * (none), or -1 (errno, ECHILD: no children). */
pid_t contain_reaper_reap(struct contain *c, int *wstatus);
/* A reaped child that is no worker: a worker's orphan, or the guard. */
void contain_reaper_orphan(struct contain *c, pid_t pid, int wstatus);

/* Timers: draining leaves re-killed and re-checked, orphan scans. Returns
 * the next deadline (CLOCK_NEVER_MS: none). */
uint64_t contain_tick(struct contain *c, uint64_t now_ms);
/* "containment":{...} for status JSON (no leading comma), or a text line. */
void contain_status(const struct contain *c, bool json, struct outbuf *out);

/* Between the contain_*.c files only. */
struct contain_cg_ops;
const struct contain_cg_ops *contain_ops(struct contain *c);
void contain_leaf_init(struct contain *c);
void contain_leaf_name(const struct contain_leaf *leaf, char *out, size_t size);
void contain_leaf_fini(struct contain *c);
uint64_t contain_leaf_tick(struct contain *c, uint64_t now_ms);
void contain_reaper_start(struct contain *c);
uint64_t contain_reaper_tick(struct contain *c, uint64_t now_ms);
void contain_reaper_scan(struct contain *c, uint64_t now_ms);
/* Start time of pid (clock ticks after boot, /proc/PID/stat), 0 if gone. */
unsigned long long contain_reaper_starttime(pid_t pid);
/* The fallback kill of one pid read from a cgroup.procs (kernels without
 * cgroup.kill): through a pidfd, checked to be below our base. */
int contain_reaper_kill_pid(pid_t pid, void *ctx);
void contain_guard_start(struct contain *c, uint64_t now_ms);
void contain_guard_stop(struct contain *c);

#endif
