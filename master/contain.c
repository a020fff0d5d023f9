/* contain.c - owns the containment mode, the cgroup base and the workers'
 * leaves (see contain.h): choosing the mode at start, the previous
 * master's leftovers, a leaf per worker from launch to empty, and the one
 * inotify fd that reports leaves emptying. Only containment = cgroup that
 * cannot be had is fatal (at start); everything else is logged and the
 * master keeps serving. Subreaper mode lives in contain_reaper.c, the
 * guard in contain_guard.c. */
#include "contain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "contain_cg.h"
#include "log.h"

#define CONTAIN_LEFTOVER_WAIT_MS 5000   /* a killed leftover cgroup empties in this */
#define CONTAIN_LEFTOVER_POLL_NS 10000000L
#define CONTAIN_DIR_MODE 0755
#define CONTAIN_OWNER_XATTR "trusted.master.owner"
#define CONTAIN_GC_MAX 256            /* sibling bases looked at per start */

static int contain_rmdir_at(int dirfd, const char *name, void *ctx)
{
	(void)ctx;
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

const struct contain_cg_ops *contain_ops(struct contain *c)
{
	static struct contain_cg_ops ops = { contain_reaper_kill_pid, contain_rmdir_at, NULL };

	ops.ctx = c;
	return &ops;
}

static bool contain_is_cgroup2(const char *dir)
{
	struct statfs sfs;

	return statfs(dir, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* mkdir -p of base, but only inside cgroup2 (a mistyped cgroup_parent must
 * not litter the host), then opened and checked writable. */
static int contain_base_open(struct contain *c, const char *base, char *why, size_t size)
{
	char dir[CONTAIN_PATH_BYTES];
	size_t len = strlen(base);

	for (size_t i = 1; i <= len && len < sizeof(dir); i++) {
		if (i < len && base[i] != '/')
			continue;
		memcpy(dir, base, i);
		dir[i] = '\0';
		if (access(dir, F_OK) == 0)
			continue;
		char *slash = strrchr(dir, '/');
		*slash = '\0';
		bool inside = contain_is_cgroup2(dir[0] ? dir : "/");
		*slash = '/';
		if (!inside) {
			snprintf(why, size, "%.512s is not on a cgroup2 file system", base);
			return -1;
		}
		if (mkdir(dir, CONTAIN_DIR_MODE) < 0 && errno != EEXIST) {
			snprintf(why, size, "%.512s: mkdir: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (!contain_is_cgroup2(base)) {
		snprintf(why, size, "%.512s is not on a cgroup2 file system", base);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/cgroup.procs", base);
	if (access(base, W_OK) < 0 || access(dir, W_OK) < 0) {
		snprintf(why, size, "%.512s: not writable: %s", base, strerror(errno));
		return -1;
	}
	c->base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->base_fd < 0) {
		snprintf(why, size, "%.512s: %s", base, strerror(errno));
		return -1;
	}
	return 0;
}

/* The master lives in the base: it moves into BASE/supervisor, so that
 * the base may hand controllers to the services' cgroups. */
static void contain_supervisor(const char *dir)
{
	char procs[CONTAIN_PATH_BYTES + 32], pid[24];

	if (mkdir(dir, CONTAIN_DIR_MODE) < 0 && errno != EEXIST) {
		log_warn("containment: %s: mkdir: %m (the master stays in its cgroup: "
			 "cgroup limits may fail)", dir);
		return;
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		log_warn("containment: moving the master into %s: %m", dir);
	else
		log_debug("containment: the master moved itself into %s", dir);
	if (fd >= 0)
		close(fd);
}

/* A previous master's processes under our base: ended before we bind
 * (they may hold our ports), counted, logged; their leaves removed. */
/* A base of our own names its master (trusted.master.owner = "PID
 * STARTTIME"), so that another master may remove it once it is empty
 * and its master is gone (contain_gc). Set again in the daemon process. */
/* A base of ours carries the owner mark (pid and start time, for people)
 * and, for as long as this master (or its guard) lives, an exclusive
 * flock on its directory: that lock, not the pid, says whether its master
 * lives. A pid says nothing across PID namespaces: a master that is PID 1
 * of a container sees none of the host's masters in its /proc, and the
 * host's masters see "1" as their own init; each would take the other's
 * base for a dead master's and remove it whenever it was briefly empty. */
static void contain_owner_mark(struct contain *c)
{
	char v[64];
	int n = snprintf(v, sizeof(v), "%ld %llu", (long)getpid(),
			 contain_reaper_starttime(getpid()));

	if (!c->own_base)
		return;
	/* Held only by the guard of a master of this configuration that just
	 * died, for as long as it kills what that master left: wait it out. */
	uint64_t deadline = clock_now_ms() + CONTAIN_LEFTOVER_WAIT_MS;
	struct timespec pause = { .tv_nsec = CONTAIN_LEFTOVER_POLL_NS };
	while (flock(c->base_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || clock_now_ms() >= deadline) {
			log_warn("containment: %s: flock: %m: masters next to it may take "
				 "it for a dead master's", c->base);
			break;
		}
		nanosleep(&pause, NULL);
	}
	if (fsetxattr(c->base_fd, CONTAIN_OWNER_XATTR, v, (size_t)n, 0) < 0)
		log_debug("containment: %s: %s: %m", c->base, CONTAIN_OWNER_XATTR);
}

/* Whether the sibling base dirfd/name is an empty one of a master that is
 * gone: it has the owner mark, nobody holds its lock, and its pid (if it
 * is one of this PID namespace) is not its master's. Returns the
 * locked directory's fd (held while it is removed), or -1 to leave it.
 * Without the owner mark it is never touched. */
static int contain_gc_stale(int dirfd, const char *name)
{
	char v[64], path[CONTAIN_PATH_BYTES];
	long pid = 0;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	ssize_t n = getxattr(path, CONTAIN_OWNER_XATTR, v, sizeof(v) - 1);
	if (n <= 0)
		return -1;
	v[n] = '\0';
	/* Its pid alive with its start time, here: alive, lock or not (a
	 * master of a version before the lock). Only the lock can say "gone". */
	if (sscanf(v, "%ld %llu", &pid, &start) == 2 && pid > 0 &&
	    contain_reaper_starttime((pid_t)pid) == start)
		return -1;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || contain_cg_populated(dirfd, name) != 0) {
		close(fd); /* its master lives (or we cannot tell) */
		return -1;
	}
	return fd;
}

/* Empty bases of masters that are gone (SIGKILLed before they could remove
 * theirs), next to ours: removed, a bounded number per start. */
static void contain_gc(struct contain *c)
{
	char parent[CONTAIN_PATH_BYTES];
	const char *ours = strrchr(c->base, '/');
	unsigned seen = 0, removed = 0;

	snprintf(parent, sizeof(parent), "%.*s", (int)(ours - c->base), c->base);
	DIR *d = opendir(parent[0] ? parent : "/");
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL && seen < CONTAIN_GC_MAX) {
		if (de->d_type != DT_DIR || strncmp(de->d_name, "master.", 7) != 0 ||
		    strcmp(de->d_name, ours + 1) == 0)
			continue;
		seen++;
		int locked = contain_gc_stale(dirfd(d), de->d_name);
		if (locked >= 0 &&
		    contain_cg_remove(dirfd(d), de->d_name, contain_ops(c), CONTAIN_CG_DEPTH_MAX) == 0)
			removed++;
		if (locked >= 0)
			close(locked);
	}
	if (d != NULL)
		closedir(d);
	c->gc_removed = removed; /* logged by contain_start, in the daemon */
}

static void contain_leftovers(struct contain *c)
{
	struct contain_cg_tally t;
	struct timespec pause = { .tv_nsec = CONTAIN_LEFTOVER_POLL_NS };

	contain_cg_leftovers_kill(c->base_fd, contain_ops(c), &t);
	c->leftover_procs = t.procs;
	if (t.cgroups > 0) {
		uint64_t deadline = clock_now_ms() + CONTAIN_LEFTOVER_WAIT_MS;
		unsigned busy;
		while ((busy = contain_cg_leftovers_busy(c->base_fd)) > 0 &&
		       clock_now_ms() < deadline)
			nanosleep(&pause, NULL);
		c->leftover_cgroups = t.cgroups; /* logged by contain_start */
		if (busy > 0)
			log_err("containment: %u cgroup%s under %s still %s processes after %u ms",
				busy, busy == 1 ? "" : "s", c->base, busy == 1 ? "has" : "have",
				CONTAIN_LEFTOVER_WAIT_MS);
	}
	unsigned stuck = contain_cg_leftovers_remove(c->base_fd, contain_ops(c));
	if (stuck > 0)
		log_warn("containment: %u leftover leaf cgroup%s under %s could not be removed",
			 stuck, stuck == 1 ? "" : "s", c->base);
}

int contain_init(struct contain *c, const struct master_settings *m, struct event_loop *loop,
		 bool foreground, contain_gone_fn gone, void *ctx)
{
	struct contain_path_choice *ch = malloc(sizeof(*ch));
	char why[CONTAIN_PATH_WHY_BYTES] = "out of memory";
	bool forced = strcmp(m->containment, "subreaper") == 0;

	memset(c, 0, sizeof(*c));
	c->base_fd = c->inotify_fd = c->guard_fd = c->watch.fd = -1;
	c->loop = loop;
	c->foreground = foreground;
	c->gone = gone;
	c->gone_ctx = ctx;
	c->drain_check_ms = c->scan_next_ms = c->guard_due_ms = CLOCK_NEVER_MS;
	list_init(&c->draining);
	list_init(&c->emptied);
	if (ch != NULL && contain_path_resolve(m, ch) < 0)
		snprintf(why, sizeof(why), "%s", ch->why);
	else if (ch != NULL && contain_base_open(c, ch->base, why, sizeof(why)) == 0 &&
		 ((c->base = strdup(ch->base)) == NULL || (c->base_rel = strdup(ch->base_rel)) == NULL))
		snprintf(why, sizeof(why), "out of memory");
	if (c->base == NULL || c->base_rel == NULL) {
		free(c->base);
		free(c->base_rel);
		c->base = c->base_rel = NULL;
	}
	c->own_base = c->base != NULL && ch->own;
	if (c->base != NULL && !forced) {
		c->mode = CONTAIN_CGROUP;
		snprintf(c->why, sizeof(c->why), "%s", ch->why);
		if (ch->supervisor[0] != '\0')
			contain_supervisor(ch->supervisor);
	} else if (strcmp(m->containment, "cgroup") == 0) {
		log_err("containment = cgroup: no usable cgroup2: %s", why);
		free(ch);
		contain_fini(c);
		return -1;
	} else {
		c->mode = CONTAIN_SUBREAPER;
		snprintf(c->why, sizeof(c->why), "%s", forced ? "containment = subreaper" : why);
	}
	free(ch);
	if (c->mode == CONTAIN_CGROUP)
		contain_leaf_init(c);
	if (c->base != NULL) {
		contain_owner_mark(c);
		if (c->own_base)
			contain_gc(c);
		contain_leftovers(c); /* in subreaper mode too: a previous master's */
	}
	return 0;
}

/* What contain_init found, said once the daemon logs (a daemon writes
 * nothing to its caller's stderr unless it fails). */
static void contain_log_start(const struct contain *c)
{
	if (c->gc_removed > 0)
		log_info("containment: removed %u empty cgroup%s of masters that are gone, "
			 "next to %s", c->gc_removed, c->gc_removed == 1 ? "" : "s", c->base);
	if (c->leftover_cgroups > 0)
		log_info("containment: ended %u process%s left by a previous master in %u "
			 "cgroup%s under %s", c->leftover_procs, c->leftover_procs == 1 ? "" : "es",
			 c->leftover_cgroups, c->leftover_cgroups == 1 ? "" : "s", c->base);
	if (c->mode == CONTAIN_CGROUP)
		log_info("containment: cgroup: each worker in a leaf under %s (%s)", c->base, c->why);
	else
		log_warn("containment: subreaper: process groups and orphans are killed, no "
			 "cgroups (%s)", c->why);
}

void contain_start(struct contain *c, contain_known_fn known, void *ctx)
{
	c->known = known;
	c->known_ctx = ctx;
	contain_log_start(c);
	contain_reaper_start(c);
	contain_owner_mark(c); /* the daemon's pid, after the forks */
	if (c->mode == CONTAIN_CGROUP)
		contain_guard_start(c, clock_now_ms());
}

/* Removes what we made and is empty: the services' cgroups (their limits
 * are rewritten by the next master) and a base of our own. */
static void contain_remove_ours(struct contain *c)
{
	if (c->base_fd < 0)
		return;
	int fd = openat(c->base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_type == DT_DIR && contain_path_is_service(de->d_name))
			(void)contain_cg_remove(dirfd(d), de->d_name, contain_ops(c), CONTAIN_CG_DEPTH_MAX);
	if (d != NULL)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	if (c->own_base)
		(void)rmdir(c->base);
}

void contain_fini(struct contain *c)
{
	contain_guard_stop(c);
	if (c->mode == CONTAIN_SUBREAPER && c->known != NULL)
		contain_reaper_scan(c, clock_now_ms());
	if (c->mode == CONTAIN_CGROUP)
		contain_remove_ours(c);
	contain_leaf_fini(c);
	if (c->base_fd >= 0)
		close(c->base_fd);
	free(c->base);
	free(c->base_rel);
	c->base = c->base_rel = NULL;
	c->base_fd = c->inotify_fd = -1;
}

uint64_t contain_tick(struct contain *c, uint64_t now_ms)
{
	if (now_ms >= c->guard_due_ms) {
		c->guard_due_ms = CLOCK_NEVER_MS;
		contain_guard_start(c, now_ms);
	}
	uint64_t a = contain_leaf_tick(c, now_ms), b = contain_reaper_tick(c, now_ms);
	uint64_t next = a < b ? a : b;
	return c->guard_due_ms < next ? c->guard_due_ms : next;
}

void contain_status(const struct contain *c, bool json, struct outbuf *out)
{
	const char *mode = c->mode == CONTAIN_CGROUP ? "cgroup" : "subreaper";

	if (!json) {
		outbuf_printf(out, "containment: %s%s%s (%s)\n", mode,
			      c->mode == CONTAIN_CGROUP ? " under " : "",
			      c->mode == CONTAIN_CGROUP ? c->base : "", c->why);
		return;
	}
	outbuf_printf(out, "\"containment\":{\"mode\":\"%s\",\"path\":", mode);
	if (c->mode == CONTAIN_CGROUP)
		outbuf_json_string(out, c->base);
	else
		outbuf_printf(out, "null");
	outbuf_printf(out, ",\"why\":");
	outbuf_json_string(out, c->why);
	outbuf_printf(out, ",\"guard\":");
	if (c->guard_pid > 0)
		outbuf_printf(out, "%ld", (long)c->guard_pid);
	else
		outbuf_printf(out, "null");
	outbuf_printf(out, ",\"draining\":%u,\"leftovers_ended\":%u,\"orphans_killed\":%llu}",
		      c->ndraining, c->leftover_procs, (unsigned long long)c->orphans_killed);
}
