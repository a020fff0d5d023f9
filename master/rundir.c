/* rundir.c - owns the run directory's checks and its remaking (see
 * rundir.h). A directory that fails its check is fatal at start only; at
 * a reload it refuses the reload. */
#include "rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "master.h"
#include "outbuf.h"
#include "pidfile.h"
#include "safepath.h"

#define RUNDIR_DIR_MODE 0755
#define RUNDIR_WHY_BYTES (SAFEPATH_WHY_BYTES + 64)
#define RUNDIR_EVENTS_BYTES 4096
/* Its entries (the control socket, the pid file) deleted or moved away,
 * or itself moved. Its own deletion is reported only once nothing holds
 * it, and the bound control socket does: the entries' go first. */
#define RUNDIR_WATCH_MASK (IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | \
			   IN_ONLYDIR | IN_DONT_FOLLOW)
#define RUNDIR_SETTLE_MS 200

int rundir_open_dir(const char *dir, const char *label, char *why, size_t size)
{
	char inner[SAFEPATH_WHY_BYTES];
	uid_t me = geteuid();
	struct stat st;
	int fd = safepath_open(-1, NULL, dir, me, inner, sizeof(inner));

	if (fd < 0) {
		snprintf(why, size, "%s %s: %s", label, dir, inner);
		return -1;
	}
	if (fstat(fd, &st) < 0)
		snprintf(why, size, "%s %s: %s", label, dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(why, size, "%s %s: not a directory", label, dir);
	else if (safepath_trusted(&st, me, false, label, dir, why, size))
		return fd;
	close(fd);
	return -1;
}

/* The directory part of path ("/" for "/x"), malloc'd. */
static char *rundir_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash == NULL ? 1 : (size_t)(slash - path);

	return slash == NULL ? strdup(".") : strndup(path, len == 0 ? 1 : len);
}

static int rundir_add(struct rundir *rd, char *dir, const char *label)
{
	if (dir == NULL)
		return -1;
	for (size_t i = 0; i < rd->ndirs; i++)
		if (strcmp(rd->dirs[i], dir) == 0) {
			free(dir);
			return 0;
		}
	rd->labels[rd->ndirs] = label;
	rd->dirs[rd->ndirs++] = dir;
	return 0;
}

/* Makes what is missing, then checks all. Returns how many were missing,
 * or -1 (why set). */
static int rundir_make_all(struct rundir *rd, char *why, size_t size)
{
	struct stat st;
	int made = 0;

	for (size_t i = 0; i < rd->ndirs; i++) {
		if (lstat(rd->dirs[i], &st) == 0 || errno != ENOENT)
			continue;
		if (daemon_mkdir_p(rd->dirs[i], RUNDIR_DIR_MODE) < 0) {
			snprintf(why, size, "%s %s: %s", rd->labels[i], rd->dirs[i], strerror(errno));
			return -1;
		}
		made++;
	}
	for (size_t i = 0; i < rd->ndirs; i++) {
		int fd = rundir_open_dir(rd->dirs[i], rd->labels[i], why, size);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return made;
}

int rundir_open(struct rundir *rd, struct master *m)
{
	const struct master_settings *ms = &m->cfg.master;
	char why[RUNDIR_WHY_BYTES];

	memset(rd, 0, sizeof(*rd));
	rd->m = m;
	rd->watch.fd = rd->timer.fd = rd->wd = -1;
	rd->main_pid_fd = rd->pid_fd = -1;
	if (rundir_add(rd, strdup(ms->run_directory), "run directory") < 0 ||
	    rundir_add(rd, rundir_parent(ms->control_socket), "directory of the control socket") < 0 ||
	    rundir_add(rd, rundir_parent(ms->pid_file), "directory of the pid file") < 0 ||
	    (rd->pid_path = strdup(ms->pid_file)) == NULL) {
		log_err("run directory %s: out of memory", ms->run_directory);
		return -1;
	}
	if (rundir_make_all(rd, why, sizeof(why)) < 0) {
		log_err("%s: refused", why);
		return -1;
	}
	return 0;
}

void rundir_pid_file(struct rundir *rd, int fd)
{
	rd->main_pid_fd = fd;
}

/* The pid file at its path is not the one we hold locked: a new one,
 * locked, so that a second master still finds us. */
static void rundir_pid_repair(struct rundir *rd)
{
	int cur = rd->pid_fd >= 0 ? rd->pid_fd : rd->main_pid_fd;
	struct stat held, there;

	if (cur < 0 || (fstat(cur, &held) == 0 && lstat(rd->pid_path, &there) == 0 &&
			held.st_dev == there.st_dev && held.st_ino == there.st_ino))
		return;
	int fd = pidfile_acquire(rd->pid_path); /* logs why it could not */
	if (fd < 0)
		return;
	if (rd->pid_fd >= 0)
		close(rd->pid_fd);
	rd->pid_fd = fd;
	log_warn("pid file %s was removed: made again, locked", rd->pid_path);
}

/* (Again) on the directory now at the path. */
static void rundir_watch_add(struct rundir *rd)
{
	if (rd->watch.fd < 0)
		return;
	if (rd->wd >= 0)
		inotify_rm_watch(rd->watch.fd, rd->wd);
	rd->wd = inotify_add_watch(rd->watch.fd, rd->dirs[0], RUNDIR_WATCH_MASK);
	if (rd->wd < 0)
		log_warn("run directory %s: cannot watch it (%s): a removal is noticed at the "
			 "next SIGHUP", rd->dirs[0], strerror(errno));
}

int rundir_check(struct rundir *rd, struct outbuf *reply)
{
	char why[RUNDIR_WHY_BYTES];
	int made;

	if (rd->m == NULL)
		return 0;
	made = rundir_make_all(rd, why, sizeof(why));
	if (made < 0) {
		log_err("%s: refused", why);
		if (reply != NULL)
			outbuf_printf(reply, "error: %s: refused\n", why);
		return -1;
	}
	if (made > 0)
		log_warn("run directory %s was removed: recreated it (with the control socket "
			 "and the pid file)", rd->dirs[0]);
	if (rd->repair != NULL)
		rd->repair(rd->repair_arg);
	rundir_pid_repair(rd);
	if (made > 0 || rd->wd < 0)
		rundir_watch_add(rd);
	return 0;
}

/* Checks once things settle: acting on the first deletion would race
 * the rest of an `rm -r` (whose rmdir would then find the socket back). */
static void rundir_on_timer(struct event_watch *w, uint32_t revents)
{
	struct rundir *rd = EVENT_OWNER(w, struct rundir, timer);
	uint64_t expirations;

	if (read(w->fd, &expirations, sizeof(expirations)) < 0 || rd->m->stopping)
		return;
	rundir_check(rd, NULL);
}

static void rundir_on_event(struct event_watch *w, uint32_t revents)
{
	struct rundir *rd = EVENT_OWNER(w, struct rundir, watch);
	char buf[RUNDIR_EVENTS_BYTES] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct itimerspec settle = { .it_value.tv_nsec = RUNDIR_SETTLE_MS * 1000000L };
	bool seen = false;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			seen |= ev->wd == rd->wd;
			p += sizeof(*ev) + ev->len;
		}
	/* Every new event pushes the check out again. */
	if (seen && timerfd_settime(rd->timer.fd, 0, &settle, NULL) < 0)
		rundir_check(rd, NULL);
}

void rundir_watch(struct rundir *rd)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0 || tfd < 0 ||
	    event_add(&rd->m->loop, &rd->timer, tfd, EPOLLIN, rundir_on_timer) < 0 ||
	    event_add(&rd->m->loop, &rd->watch, fd, EPOLLIN, rundir_on_event) < 0) {
		log_warn("run directory %s: cannot watch it (%s): a removal is noticed at the "
			 "next SIGHUP", rd->dirs[0], strerror(errno));
		event_del(&rd->m->loop, &rd->timer);
		if (fd >= 0)
			close(fd);
		if (tfd >= 0)
			close(tfd);
		return;
	}
	rundir_watch_add(rd);
}

void rundir_close(struct rundir *rd)
{
	int fd = rd->watch.fd, tfd = rd->timer.fd;

	if (rd->m == NULL)
		return;
	event_del(&rd->m->loop, &rd->watch);
	event_del(&rd->m->loop, &rd->timer);
	if (fd >= 0)
		close(fd);
	if (tfd >= 0)
		close(tfd);
	if (rd->pid_fd >= 0)
		close(rd->pid_fd); /* main() unlinks the path with its own */
	for (size_t i = 0; i < rd->ndirs; i++)
		free(rd->dirs[i]);
	free(rd->pid_path);
	memset(rd, 0, sizeof(*rd));
}

void rundir_on_repair(struct rundir *rd, void (*fn)(void *arg), void *arg)
{
	rd->repair = fn;
	rd->repair_arg = arg;
}
