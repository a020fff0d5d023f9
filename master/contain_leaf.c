/* contain_leaf.c - owns each worker's cgroup leaf (see contain.h): created
 * before the launch and handed to clone3, killed with the worker, watched
 * (one inotify fd for all) until it is empty once the worker has exited,
 * then removed. The worker's process group is signalled where it has no
 * leaf. Nothing here is fatal: a leaf that cannot be made fails that one
 * launch (logged); one that cannot be removed is logged and left. */
#include "contain.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "contain_cg.h"
#include "log.h"

#define CONTAIN_LEAF_NAME_BYTES 32
#define CONTAIN_LEAF_TRIES 4            /* names taken by an unremovable leftover */
#define CONTAIN_LEAF_DRAIN_CHECK_MS 1000 /* draining leaves re-killed and re-checked */
#define CONTAIN_LEAF_DIR_MODE 0755
#define CONTAIN_LEAF_INOTIFY_BUF_BYTES 4096
/* Empty leaves kept per service for its next workers: creating and
 * removing a cgroup costs ~70 us (mkdir ~40, rmdir ~27), opening one ~9.
 * Enough for a pool's retirements in flight; beyond, they are removed. */
#define CONTAIN_LEAF_POOL_MAX 64

/* A service's empty leaves, by name. Keyed by its cgroup's fd: should a
 * closed fd's number come back for another service, a kept name is not
 * found there (names are unique for the master's life) and is dropped; a
 * reloaded successor of the same service shares the same directory. */
struct contain_leaf_pool {
	unsigned n;
	uint64_t seq[CONTAIN_LEAF_POOL_MAX];
};

static void contain_leaf_on_inotify(struct event_watch *ew, uint32_t revents);

void contain_leaf_init(struct contain *c)
{
	c->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->inotify_fd < 0 ||
	    event_add(c->loop, &c->watch, c->inotify_fd, EPOLLIN, contain_leaf_on_inotify) < 0)
		log_warn("containment: inotify: %m (emptied cgroups are noticed within %u ms)",
			 CONTAIN_LEAF_DRAIN_CHECK_MS);
}

void contain_leaf_fini(struct contain *c)
{
	for (size_t i = 0; i < c->pools.cap; i++)
		free(c->pools.slots[i].value); /* the leaves: contain_fini removes them */
	pidmap_free(&c->pools);
	if (c->watch.fd >= 0)
		event_del(c->loop, &c->watch);
	if (c->inotify_fd >= 0)
		close(c->inotify_fd);
	c->inotify_fd = -1;
	pidmap_free(&c->watches);
}

void contain_leaf_name(const struct contain_leaf *leaf, char *out, size_t size)
{
	snprintf(out, size, "w%llu", (unsigned long long)leaf->seq);
}

/* A kept leaf of service cgroup svc, opened; -1 if none. */
static int contain_leaf_reuse(struct contain *c, struct contain_leaf *leaf, int svc)
{
	struct contain_leaf_pool *pool = pidmap_get(&c->pools, svc + 1);
	char name[CONTAIN_LEAF_NAME_BYTES];

	while (pool != NULL && pool->n > 0) {
		leaf->seq = pool->seq[--pool->n];
		contain_leaf_name(leaf, name, sizeof(name));
		int fd = openat(svc, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* Keeps an empty leaf for the service's next worker, or removes it. */
static void contain_leaf_release(struct contain *c, struct contain_leaf *leaf)
{
	struct contain_leaf_pool *pool = pidmap_get(&c->pools, leaf->svc_fd + 1);
	char name[CONTAIN_LEAF_NAME_BYTES];

	if (pool == NULL && (pool = calloc(1, sizeof(*pool))) != NULL &&
	    pidmap_put(&c->pools, leaf->svc_fd + 1, pool) < 0) {
		free(pool);
		pool = NULL;
	}
	if (pool != NULL && pool->n < CONTAIN_LEAF_POOL_MAX) {
		pool->seq[pool->n++] = leaf->seq;
		return;
	}
	contain_leaf_name(leaf, name, sizeof(name));
	if (unlinkat(leaf->svc_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		log_warn("containment: removing %s/%s: %m", c->base, name);
}

int contain_leaf_prepare(struct contain *c, struct contain_leaf *leaf,
			 struct launch_spec *spec, struct launch_isolation *iso_copy,
			 bool need_procs)
{
	char name[CONTAIN_LEAF_NAME_BYTES];
	int svc = spec->iso != NULL ? spec->iso->cgroup_fd : -1;

	memset(leaf, 0, sizeof(*leaf));
	leaf->svc_fd = leaf->dir_fd = leaf->procs_fd = leaf->wd = -1;
	list_init(&leaf->link);
	if (!contain_uses_leaves(c) || svc < 0)
		return 0;
	if ((leaf->dir_fd = contain_leaf_reuse(c, leaf, svc)) >= 0)
		goto opened;
	for (int tries = 0;; tries++) {
		leaf->seq = c->seq++;
		contain_leaf_name(leaf, name, sizeof(name));
		if (mkdirat(svc, name, CONTAIN_LEAF_DIR_MODE) == 0)
			break;
		if (errno != EEXIST || tries + 1 == CONTAIN_LEAF_TRIES) {
			int saved = errno; /* the caller reports it too */
			log_err("containment: creating a worker's cgroup %s: %m", name);
			errno = saved;
			return -1;
		}
	}
	leaf->dir_fd = openat(svc, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
opened:
	contain_leaf_name(leaf, name, sizeof(name));
	if (leaf->dir_fd >= 0 && need_procs)
		leaf->procs_fd = openat(leaf->dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (leaf->dir_fd < 0 || (need_procs && leaf->procs_fd < 0)) {
		int saved = errno;
		log_err("containment: opening a worker's cgroup %s: %m", name);
		leaf->svc_fd = svc;
		contain_leaf_launched(c, leaf, -1);
		errno = saved;
		return -1;
	}
	leaf->svc_fd = svc;
	*iso_copy = *spec->iso;
	iso_copy->cgroup_fd = leaf->dir_fd;
	iso_copy->cgroup_procs_fd = leaf->procs_fd;
	spec->iso = iso_copy;
	return 0;
}

void contain_leaf_launched(struct contain *c, struct contain_leaf *leaf, pid_t pid)
{
	if (leaf->dir_fd >= 0)
		close(leaf->dir_fd);
	if (leaf->procs_fd >= 0)
		close(leaf->procs_fd);
	leaf->dir_fd = leaf->procs_fd = -1;
	leaf->pid = pid > 0 ? pid : 0;
	if (pid > 0 || leaf->svc_fd < 0)
		return;
	contain_leaf_release(c, leaf); /* the launch failed: it is empty */
	leaf->svc_fd = -1;
}

/* Empty: the leaf goes (kept for reuse if it was empty at once and never
 * killed; a leaf that had to be killed, perhaps frozen, is removed: after
 * a write to its cgroup.kill, the kernel (6.18 here) kills every process
 * that later enters it, so a reused killed leaf killed each successor at
 * birth). Returns false if it is not empty (yet). */
static bool contain_leaf_drop(struct contain *c, struct contain_leaf *leaf)
{
	char name[CONTAIN_LEAF_NAME_BYTES];

	contain_leaf_name(leaf, name, sizeof(name));
	if (contain_cg_populated(leaf->svc_fd, name) == 1)
		return false;
	if (leaf->wd < 0 && list_empty(&leaf->link) && !leaf->killed) {
		contain_leaf_release(c, leaf);
		leaf->svc_fd = -1;
		return true;
	}
	if (unlinkat(leaf->svc_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		int err = errno;
		if (contain_cg_populated(leaf->svc_fd, name) == 1)
			return false; /* something entered it meanwhile */
		/* Busy with nothing running: cgroups a worker made below its
		 * leaf (an unpriv=n worker owns the files). Without this the
		 * leaf drained for ever, and so did a stop (an adversarial
		 * run). Removed deepest first; what is left, nothing runs in:
		 * gone for us all the same, said. */
		if (err != EBUSY || contain_cg_remove(leaf->svc_fd, name, contain_ops(c),
						      CONTAIN_CG_DEPTH_MAX) < 0)
			log_warn("containment: removing %s/%s: %s", c->base, name, strerror(err));
	}
	if (leaf->wd >= 0) {
		pidmap_remove(&c->watches, leaf->wd);
		inotify_rm_watch(c->inotify_fd, leaf->wd);
		leaf->wd = -1;
	}
	if (!list_empty(&leaf->link)) {
		list_remove(&leaf->link);
		list_init(&leaf->link);
		c->ndraining--;
	}
	leaf->svc_fd = -1;
	return true;
}

bool contain_leaf_exited(struct contain *c, struct contain_leaf *leaf, int wstatus)
{
	char name[CONTAIN_LEAF_NAME_BYTES], path[64];

	leaf->reaped = true;
	leaf->wstatus = wstatus;
	if (leaf->svc_fd < 0 || contain_leaf_drop(c, leaf))
		return true;
	/* Something it started lives on: it goes now, and the worker with it
	 * once the leaf is empty. */
	contain_leaf_name(leaf, name, sizeof(name));
	if (contain_cg_kill(leaf->svc_fd, name, contain_ops(c)) < 0)
		log_warn("containment: killing %s/%s: %m", c->base, name);
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s/cgroup.events", leaf->svc_fd, name);
	if (c->inotify_fd >= 0)
		leaf->wd = inotify_add_watch(c->inotify_fd, path, IN_MODIFY);
	if (leaf->wd >= 0 && pidmap_put(&c->watches, leaf->wd, leaf) < 0) {
		inotify_rm_watch(c->inotify_fd, leaf->wd);
		leaf->wd = -1; /* out of memory: the periodic check finds it */
	}
	list_append(&c->draining, &leaf->link);
	c->ndraining++;
	if (contain_leaf_drop(c, leaf)) /* emptied before the watch was set */
		return true;
	uint64_t due = clock_now_ms() + CONTAIN_LEAF_DRAIN_CHECK_MS;
	if (due < c->drain_check_ms)
		c->drain_check_ms = due;
	return false;
}

static void contain_leaf_check(struct contain *c, struct contain_leaf *leaf)
{
	if (contain_leaf_drop(c, leaf))
		c->gone(leaf, c->gone_ctx);
}

static void contain_leaf_on_inotify(struct event_watch *ew, uint32_t revents)
{
	struct contain *c = EVENT_OWNER(ew, struct contain, watch);
	char buf[CONTAIN_LEAF_INOTIFY_BUF_BYTES] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)revents;
	while ((n = read(c->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			struct contain_leaf *leaf = pidmap_get(&c->watches, ev->wd);
			/* gone() from contain_tick, not in the middle of an
			 * event batch */
			if (leaf != NULL && contain_leaf_drop(c, leaf))
				list_append(&c->emptied, &leaf->link);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* Draining leaves: killed again (a fork racing the first kill, the
 * pid-by-pid fallback) and checked, in case an event was missed. */
static void contain_leaf_drain_tick(struct contain *c, uint64_t now_ms)
{
	char name[CONTAIN_LEAF_NAME_BYTES];
	struct list *pos, *tmp;

	c->drain_check_ms = CLOCK_NEVER_MS;
	LIST_FOREACH_SAFE(pos, tmp, &c->draining) {
		struct contain_leaf *leaf = LIST_ENTRY(pos, struct contain_leaf, link);
		contain_leaf_name(leaf, name, sizeof(name));
		(void)contain_cg_kill(leaf->svc_fd, name, contain_ops(c));
		contain_leaf_check(c, leaf);
	}
	if (c->ndraining > 0)
		c->drain_check_ms = now_ms + CONTAIN_LEAF_DRAIN_CHECK_MS;
}

uint64_t contain_leaf_tick(struct contain *c, uint64_t now_ms)
{
	while (!list_empty(&c->emptied)) {
		struct contain_leaf *leaf = LIST_ENTRY(c->emptied.next, struct contain_leaf, link);
		list_remove(&leaf->link);
		list_init(&leaf->link);
		c->gone(leaf, c->gone_ctx);
	}
	if (now_ms >= c->drain_check_ms)
		contain_leaf_drain_tick(c, now_ms);
	return c->drain_check_ms;
}

void contain_leaf_kill(struct contain *c, struct contain_leaf *leaf)
{
	char name[CONTAIN_LEAF_NAME_BYTES];

	if (leaf->svc_fd >= 0) {
		contain_leaf_name(leaf, name, sizeof(name));
		if (contain_cg_kill(leaf->svc_fd, name, contain_ops(c)) == 0) {
			leaf->killed = true; /* never reused (contain_leaf_drop) */
			return;
		}
		log_warn("containment: killing %s/%s: %m (signalling its process group)",
			 c->base, name);
	}
	if (!leaf->reaped && leaf->pid > 0) {
		kill(-leaf->pid, SIGKILL);
		kill(leaf->pid, SIGKILL); /* should it not lead its group after all */
	}
}

void contain_leaf_signal(struct contain *c, struct contain_leaf *leaf, int sig)
{
	(void)c;
	if (!leaf->reaped && leaf->pid > 0 && kill(-leaf->pid, sig) < 0)
		kill(leaf->pid, sig);
}
