/* contain_cg.c - owns the cgroup v2 file operations of containment (see
 * contain_cg.h). Everything is relative to a directory fd: no path is
 * looked up from the root again, and the unit tests run it on a fake tree.
 * Nothing here is fatal; each failure is returned to the caller. */
#include "contain_cg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contain_path.h"

#define CONTAIN_CG_FILE_BYTES 512   /* NAME/cgroup.something */
#define CONTAIN_CG_READ_BYTES 4096

static int contain_cg_write(int dirfd, const char *name, const char *file, const char *value)
{
	char path[CONTAIN_CG_FILE_BYTES];
	int n = snprintf(path, sizeof(path), "%s/%s", name, file);

	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, value, strlen(value));
	int saved = errno;
	close(fd);
	errno = saved;
	return w == (ssize_t)strlen(value) ? 0 : -1;
}

int contain_cg_populated(int dirfd, const char *name)
{
	char path[CONTAIN_CG_FILE_BYTES], text[256];
	int n = snprintf(path, sizeof(path), "%s/cgroup.events", name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len < 0)
		return -1;
	text[len] = '\0';
	return contain_path_populated(text);
}

/* Calls fn for each pid in dirfd/name/cgroup.procs; returns how many. */
static unsigned contain_cg_each_pid(int dirfd, const char *name,
				    const struct contain_cg_ops *ops)
{
	char path[CONTAIN_CG_FILE_BYTES], buf[CONTAIN_CG_READ_BYTES + 1];
	unsigned count = 0;
	size_t have = 0;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", name) >= (int)sizeof(path))
		return 0;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf + have, CONTAIN_CG_READ_BYTES - have)) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		have += (size_t)n;
		buf[have] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n')) != NULL) {
			long pid = strtol(line, NULL, 10);
			if (pid > 0) {
				count++;
				if (ops != NULL)
					ops->kill_pid((pid_t)pid, ops->ctx);
			}
			line = nl + 1;
		}
		have = strlen(line); /* a partial line waits for the next read */
		memmove(buf, line, have);
	}
	close(fd);
	return count;
}

/* Calls fn(dirfd', child) for each sub-directory of dirfd/name. */
static void contain_cg_each_child(int parent_fd, const char *name,
				  void (*fn)(int, const char *, void *), void *arg)
{
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			fn(dirfd(d), de->d_name, arg);
	closedir(d);
}

struct contain_cg_walk {
	const struct contain_cg_ops *ops;
	unsigned depth;
	unsigned count;
	int rc;
};

static void contain_cg_kill_each(int dirfd, const char *name, void *arg)
{
	struct contain_cg_walk *w = arg;
	struct contain_cg_walk sub = { .ops = w->ops, .depth = w->depth - 1 };

	w->count += contain_cg_each_pid(dirfd, name, w->ops);
	if (w->depth > 0)
		contain_cg_each_child(dirfd, name, contain_cg_kill_each, &sub);
	w->count += sub.count;
}

int contain_cg_kill(int dirfd, const char *name, const struct contain_cg_ops *ops)
{
	if (contain_cg_write(dirfd, name, "cgroup.kill", "1") < 0) {
		if (errno != ENOENT)
			return -1;
		/* Before 5.14: frozen, nothing forks between reading a
		 * cgroup.procs and the kills; SIGKILL still reaches frozen
		 * processes. */
		(void)contain_cg_write(dirfd, name, "cgroup.freeze", "1");
	}
	/* After cgroup.kill too, for what it passes over (contain_cg.h):
	 * each pid by pidfd, checked to be ours (ops->kill_pid); those
	 * already dying take a redundant SIGKILL. */
	struct contain_cg_walk w = { .ops = ops, .depth = CONTAIN_CG_DEPTH_MAX };
	contain_cg_kill_each(dirfd, name, &w);
	return 0;
}

static void contain_cg_count_each(int dirfd, const char *name, void *arg)
{
	struct contain_cg_walk *w = arg;
	struct contain_cg_walk sub = { .depth = w->depth - 1 };

	w->count += contain_cg_each_pid(dirfd, name, NULL);
	if (w->depth > 0)
		contain_cg_each_child(dirfd, name, contain_cg_count_each, &sub);
	w->count += sub.count;
}

unsigned contain_cg_count(int dirfd, const char *name, unsigned depth)
{
	struct contain_cg_walk w = { .depth = depth };

	contain_cg_count_each(dirfd, name, &w);
	return w.count;
}

static void contain_cg_remove_each(int dirfd, const char *name, void *arg)
{
	struct contain_cg_walk *w = arg;
	struct contain_cg_walk sub = { .ops = w->ops, .depth = w->depth - 1 };

	if (w->depth > 0)
		contain_cg_each_child(dirfd, name, contain_cg_remove_each, &sub);
	if (w->ops->rmdir_at(dirfd, name, w->ops->ctx) < 0 && errno != ENOENT)
		w->rc = -1;
}

int contain_cg_remove(int dirfd, const char *name, const struct contain_cg_ops *ops,
		      unsigned depth)
{
	struct contain_cg_walk w = { .ops = ops, .depth = depth };

	contain_cg_remove_each(dirfd, name, &w);
	return w.rc;
}

struct contain_cg_sweep {
	const struct contain_cg_ops *ops;
	struct contain_cg_tally *tally;
	unsigned busy, failed;
};

static void contain_cg_sweep_kill(int dirfd, const char *name, void *arg)
{
	struct contain_cg_sweep *s = arg;

	if (!contain_path_is_service(name) || contain_cg_populated(dirfd, name) == 0)
		return;
	s->tally->procs += contain_cg_count(dirfd, name, CONTAIN_CG_DEPTH_MAX);
	if (contain_cg_kill(dirfd, name, s->ops) == 0)
		s->tally->cgroups++;
}

void contain_cg_leftovers_kill(int base_fd, const struct contain_cg_ops *ops,
			       struct contain_cg_tally *t)
{
	struct contain_cg_sweep s = { .ops = ops, .tally = t };

	t->procs = t->cgroups = 0;
	contain_cg_each_child(base_fd, ".", contain_cg_sweep_kill, &s);
}

static void contain_cg_sweep_busy(int dirfd, const char *name, void *arg)
{
	struct contain_cg_sweep *s = arg;

	if (contain_path_is_service(name) && contain_cg_populated(dirfd, name) == 1)
		s->busy++;
}

unsigned contain_cg_leftovers_busy(int base_fd)
{
	struct contain_cg_sweep s = { 0 };

	contain_cg_each_child(base_fd, ".", contain_cg_sweep_busy, &s);
	return s.busy;
}

static void contain_cg_sweep_leaf(int dirfd, const char *name, void *arg)
{
	struct contain_cg_sweep *s = arg;

	if (contain_path_is_leaf(name) &&
	    contain_cg_remove(dirfd, name, s->ops, CONTAIN_CG_DEPTH_MAX) < 0)
		s->failed++;
}

static void contain_cg_sweep_remove(int dirfd, const char *name, void *arg)
{
	if (contain_path_is_service(name))
		contain_cg_each_child(dirfd, name, contain_cg_sweep_leaf, arg);
}

unsigned contain_cg_leftovers_remove(int base_fd, const struct contain_cg_ops *ops)
{
	struct contain_cg_sweep s = { .ops = ops };

	contain_cg_each_child(base_fd, ".", contain_cg_sweep_remove, &s);
	return s.failed;
}
