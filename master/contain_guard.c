/* contain_guard.c - owns the guard (cgroup mode, see contain.h): a small
 * child of the master that kills every worker cgroup when the master dies
 * without saying goodbye (SIGKILL, a crash). The workers themselves die
 * with the master (parent-death signal, launch.c); the guard ends what
 * they started, so nothing outlives the master even if no new master
 * comes. Nothing here is fatal: without a guard, the next master's
 * start-up sweep (contain.c) is what ends the leftovers.
 *
 * The guard holds the read end of a pipe whose only writer is the master:
 * end-of-file without the goodbye byte means the master is gone. It lives
 * in its own session (a terminal's ^C to the master's group does not reach
 * it), ignores the termination signals, and keeps no fd of the master's
 * but that pipe, the base directory and fds 0-2: never a listening socket.
 * SIGKILL ends it like any process; the master starts another when it
 * reaps it (contain_orphan), once. */
#include "contain.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contain_cg.h"
#include "log.h"

#define CONTAIN_GUARD_BYE 'q'
#define CONTAIN_GUARD_REAP_TRIES 100          /* x 1 ms: the guard's exit */
#define CONTAIN_GUARD_REAP_PAUSE_NS 1000000L

/* Closes every fd from 3 up but the kept ones. */
static void contain_guard_close_others(int a, int b)
{
	int keep[2] = { a < b ? a : b, a < b ? b : a };
	unsigned lo = 3;

	for (int i = 0; i < 2; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo)
			syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

static int contain_guard_rmdir(int dirfd, const char *name, void *ctx)
{
	(void)ctx;
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

static void contain_guard_main(struct contain *c, int rfd) __attribute__((noreturn));
static void contain_guard_main(struct contain *c, int rfd)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE };
	struct contain_cg_ops ops = { contain_reaper_kill_pid, contain_guard_rmdir, c };
	struct contain_cg_tally t;
	sigset_t none;
	char bye = 0;
	ssize_t n;

	log_forked();
	log_close(); /* its syslog socket is among the fds closed below */
	setsid();
	prctl(PR_SET_NAME, "master-guard", 0, 0, 0);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* the master blocks all for its signalfd */
	contain_guard_close_others(rfd, c->base_fd);
	log_open(c->foreground, false);
	do
		n = read(rfd, &bye, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && bye == CONTAIN_GUARD_BYE)
		_exit(0);
	contain_cg_leftovers_kill(c->base_fd, &ops, &t);
	log_warn("containment: the master died: killed %u process%s in %u cgroup%s under %s",
		 t.procs, t.procs == 1 ? "" : "es", t.cgroups, t.cgroups == 1 ? "" : "s", c->base);
	_exit(0);
}

void contain_guard_start(struct contain *c, uint64_t now_ms)
{
	int p[2];

	if (c->base_fd < 0)
		return;
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("containment: no guard: pipe: %m");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		contain_guard_main(c, p[0]);
	}
	close(p[0]);
	if (pid < 0) {
		log_warn("containment: no guard: fork: %m");
		close(p[1]);
		return;
	}
	c->guard_pid = pid;
	c->guard_fd = p[1];
	c->guard_started_ms = now_ms;
	log_debug("containment: guard %ld kills the workers' cgroups if the master dies",
		  (long)pid);
}

void contain_guard_stop(struct contain *c)
{
	char bye = CONTAIN_GUARD_BYE;

	if (c->guard_fd < 0)
		return;
	if (write(c->guard_fd, &bye, 1) != 1)
		log_warn("containment: telling the guard goodbye: %m");
	close(c->guard_fd);
	c->guard_fd = -1;
	/* Reaped here, so that the master leaves no zombie to its parent; it
	 * leaves at once (bounded wait all the same). */
	for (int i = 0; i < CONTAIN_GUARD_REAP_TRIES && c->guard_pid > 0; i++) {
		pid_t got = waitpid(c->guard_pid, NULL, WNOHANG);
		if (got == c->guard_pid || (got < 0 && errno != EINTR))
			break;
		struct timespec pause = { .tv_nsec = CONTAIN_GUARD_REAP_PAUSE_NS };
		nanosleep(&pause, NULL);
	}
	c->guard_pid = 0;
}
