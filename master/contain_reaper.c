/* contain_reaper.c - owns the process side of containment (see contain.h):
 * the child subreaper flag, reaping with process-group kills, the scan for
 * processes re-parented to the master, and the pidfd kill used where the
 * kernel has no cgroup.kill. Nothing here is fatal.
 *
 * Never a reused pid: a process group is signalled only while a member we
 * have not reaped pins its id (the exited child we are about to reap, or
 * a live worker), and a pid only while it is our unreaped child (found in
 * /proc with PPid == master: nobody else can reap it, and we do not until
 * the kill is sent) or through a pidfd checked to be in our cgroup. */
#include "contain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "procstat.h"

#define CONTAIN_SCAN_MIN_INTERVAL_MS 200  /* scans after reaps: at most this often */
#define CONTAIN_SCAN_PERIOD_MS 10000      /* and in any case this often */
#define CONTAIN_GUARD_RESTART_MS 1000     /* a killed guard is replaced at most this often */
#define CONTAIN_STAT_BYTES 1024
#define CONTAIN_CGROUP_LINE_BYTES 4200

void contain_reaper_start(struct contain *c)
{
	/* Orphans of workers come to us, not to init: we see them (subreaper
	 * mode kills them) and reap them. Not inherited by fork: set in the
	 * final daemon process. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		log_warn("containment: PR_SET_CHILD_SUBREAPER: %m (orphans of workers go to init)");
	if (c->mode == CONTAIN_SUBREAPER)
		c->scan_next_ms = clock_now_ms() + CONTAIN_SCAN_PERIOD_MS;
}

/* pid is our unreaped child: its group id cannot be reused yet. A worker's
 * group (pgid == pid: the worker exits) goes; the group of a live worker
 * that an orphan stayed in does not (the orphan alone is killed: the group
 * goes with its worker). */
static void contain_reaper_kill_group(struct contain *c, pid_t pid)
{
	pid_t pgid = getpgid(pid);

	if (pgid <= 1 || pgid == getpgrp() || pgid == c->guard_pid)
		return;
	if (pgid != pid && c->known != NULL && c->known(pgid, c->known_ctx))
		return;
	kill(-pgid, SIGKILL);
}

pid_t contain_reaper_reap(struct contain *c, int *wstatus)
{
	for (;;) {
		pid_t which = -1;
		if (c->mode == CONTAIN_SUBREAPER) {
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			/* Look before reaping: once reaped, its group id is free. */
			if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WCONTINUED | WNOHANG |
				   WNOWAIT) < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (si.si_pid == 0)
				return 0;
			which = si.si_pid;
			bool exited = si.si_code != CLD_STOPPED && si.si_code != CLD_CONTINUED &&
				      si.si_code != CLD_TRAPPED;
			if (exited && which != c->guard_pid)
				contain_reaper_kill_group(c, which);
			c->scan_wanted = c->scan_wanted || exited;
		}
		/* Stopped and continued children too (the caller tells them
		 * apart: WIFSTOPPED, WIFCONTINUED). */
		pid_t pid = waitpid(which, wstatus, WNOHANG | WUNTRACED | WCONTINUED);
		if (pid < 0 && errno == EINTR)
			continue;
		return pid;
	}
}

void contain_reaper_orphan(struct contain *c, pid_t pid, int wstatus)
{
	if (pid == c->guard_pid && pid > 0) {
		uint64_t now = clock_now_ms();
		c->guard_pid = 0;
		if (c->guard_fd >= 0)
			close(c->guard_fd);
		c->guard_fd = -1;
		log_warn("containment: the guard (pid %ld) exited (status 0x%x): starting another",
			 (long)pid, wstatus);
		/* At most one start a second (contain_tick), whatever kills it. */
		c->guard_due_ms = c->guard_started_ms + CONTAIN_GUARD_RESTART_MS;
		if (c->guard_due_ms <= now) {
			c->guard_due_ms = CLOCK_NEVER_MS;
			contain_guard_start(c, now);
		}
		return;
	}
	log_debug("containment: reaped process %ld left by a worker (status 0x%x)",
		  (long)pid, wstatus);
	if (c->mode == CONTAIN_SUBREAPER)
		c->scan_wanted = true;
}

/* PPid of pid from /proc/PID/stat, or -1 (also for a zombie: dead
 * already, it is reaped, not killed, and for a child of ours made with no
 * exit signal: the master.conf reader of a reload, settings_reader.c; an
 * orphan re-parented to us always has SIGCHLD, the kernel sets it then). */
static pid_t contain_reaper_ppid(const char *pid)
{
	char buf[CONTAIN_STAT_BYTES];
	const char *state, *ppid, *exit_signal;

	if (procstat_file(strtol(pid, NULL, 10), "stat", buf, sizeof(buf)) < 0)
		return -1;
	/* "PID (COMM) S PPID ...": a zombie or a dead one has no parent to
	 * look at; exit_signal (field 38) 0 is a thread, not a process. */
	if ((state = procstat_field(buf, 3)) == NULL || *state == 'Z' || *state == 'X' ||
	    (ppid = procstat_field(buf, 4)) == NULL)
		return -1;
	exit_signal = procstat_field(buf, 38);
	if (exit_signal != NULL && strtol(exit_signal, NULL, 10) == 0)
		return -1;
	return (pid_t)strtol(ppid, NULL, 10);
}

unsigned long long contain_reaper_starttime(pid_t pid)
{
	char buf[CONTAIN_STAT_BYTES];
	const char *start;

	if (procstat_file((long)pid, "stat", buf, sizeof(buf)) < 0 ||
	    (start = procstat_field(buf, 22)) == NULL)
		return 0;
	return strtoull(start, NULL, 10);
}

void contain_reaper_scan(struct contain *c, uint64_t now_ms)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t me = getpid();
	unsigned n = 0;

	c->scan_wanted = false;
	c->scan_last_ms = now_ms;
	c->scan_next_ms = now_ms + CONTAIN_SCAN_PERIOD_MS;
	if (d == NULL) {
		log_warn("containment: /proc: %m (orphans of workers are not found)");
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (pid == c->guard_pid || contain_reaper_ppid(de->d_name) != me ||
		    (c->known != NULL && c->known(pid, c->known_ctx)))
			continue;
		/* Our unreaped child: its pid and group are ours until we reap. */
		contain_reaper_kill_group(c, pid);
		kill(pid, SIGKILL);
		n++;
	}
	closedir(d);
	if (n > 0) {
		c->orphans_killed += n;
		log_info("containment: killed %u process%s re-parented to the master", n,
			 n == 1 ? "" : "es");
	}
}

uint64_t contain_reaper_tick(struct contain *c, uint64_t now_ms)
{
	if (c->mode != CONTAIN_SUBREAPER || c->known == NULL)
		return CLOCK_NEVER_MS;
	uint64_t soon = c->scan_last_ms + CONTAIN_SCAN_MIN_INTERVAL_MS;
	if ((c->scan_wanted && now_ms >= soon) || now_ms >= c->scan_next_ms)
		contain_reaper_scan(c, now_ms);
	soon = c->scan_last_ms + CONTAIN_SCAN_MIN_INTERVAL_MS;
	return c->scan_wanted && soon < c->scan_next_ms ? soon : c->scan_next_ms;
}

/* Whether pid's cgroup (its "0::" line) is below our base. */
static bool contain_reaper_in_base(const struct contain *c, pid_t pid)
{
	char path[64], line[CONTAIN_CGROUP_LINE_BYTES];
	size_t n = c->base_rel != NULL ? strlen(c->base_rel) : 0;
	bool in = false;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	FILE *fp = n > 0 ? fopen(path, "re") : NULL;
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "0::", 3) == 0) {
			const char *cg = line + 3;
			in = strncmp(cg, c->base_rel, n) == 0 && cg[n] == '/';
			break;
		}
	if (fp != NULL)
		fclose(fp);
	return in;
}

int contain_reaper_kill_pid(pid_t pid, void *ctx)
{
	const struct contain *c = ctx;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return errno == ENOSYS && contain_reaper_in_base(c, pid) ? kill(pid, SIGKILL) : -1;
	/* The pidfd pins the process: checked, then signalled, it is the one. */
	int rc = contain_reaper_in_base(c, pid) ?
		 (int)syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) : -1;
	close(fd);
	return rc;
}
