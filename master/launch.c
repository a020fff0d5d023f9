/* launch.c - owns process creation for workers (see launch.h).
 *
 * Why clone(CLONE_VM|CLONE_VFORK) and not fork(): fork copies the page
 * tables of the master, so its cost grows with the master's memory (~33 ms
 * at 1 GB here); a vfork-style child borrows the parent's memory and costs
 * the same at any size. The price: the child must not allocate, lock, or
 * touch anything the parent relies on, so it runs only syscall(2) on data
 * the parent built, and writes nothing but its pid digits and the error
 * report. All signals are blocked around the clone so that no handler (ASan
 * installs some) can run in the child before it resets them. */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LAUNCH_STACK_BYTES (256u * 1024u)
#define LAUNCH_KERNEL_SIGSET_BYTES 8u
#define LAUNCH_SIGNAL_MAX 64

struct launch_child {
	const struct launch_spec *spec;
	struct launch_error *err;
	int devnull_fd;
};

/* The kernel's struct sigaction for rt_sigaction on x86_64 and friends. */
struct launch_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

#define LAUNCH_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

LAUNCH_NO_SANITIZE
static int launch_fail(struct launch_child *c, const char *step, long rc)
{
	c->err->step = step;
	c->err->err = rc < 0 ? (int)-rc : 0;
	syscall(SYS_exit_group, 127);
	return -1;
}

/* Raw syscall returning -errno instead of touching errno (which lives in
 * the parent's thread-local storage). */
#define LAUNCH_SYS(...) launch_sys_ret(syscall(__VA_ARGS__))
LAUNCH_NO_SANITIZE
static long launch_sys_ret(long rc)
{
	return rc == -1 ? -(long)errno : rc;
}

LAUNCH_NO_SANITIZE
static void launch_write_pid(char *buf, size_t size, long pid)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0 && n < sizeof(tmp));
	if (n + 1 > size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

LAUNCH_NO_SANITIZE
static int launch_place_fds(struct launch_child *c)
{
	const struct launch_spec *s = c->spec;
	int high = 3 + (int)s->nlisten + 1; /* first fd past the contract's */
	int moved[LAUNCH_LISTEN_MAX + 2];
	long rc;

	/* Move every source above the target range first, so that no dup2
	 * below can overwrite a source that has not been placed yet. */
	for (size_t i = 0; i < s->nlisten; i++) {
		rc = LAUNCH_SYS(SYS_fcntl, s->listen_fds[i], F_DUPFD, high);
		if (rc < 0)
			return launch_fail(c, "dup listening socket", rc);
		moved[i] = (int)rc;
	}
	rc = LAUNCH_SYS(SYS_fcntl, s->status_fd, F_DUPFD, high);
	if (rc < 0)
		return launch_fail(c, "dup status channel", rc);
	moved[s->nlisten] = (int)rc;
	rc = LAUNCH_SYS(SYS_fcntl, s->stderr_fd, F_DUPFD, high);
	if (rc < 0)
		return launch_fail(c, "dup stderr pipe", rc);
	moved[s->nlisten + 1] = (int)rc;

	/* dup2 clears FD_CLOEXEC on the copies: exactly the ones we keep. */
	if ((rc = LAUNCH_SYS(SYS_dup2, c->devnull_fd, 0)) < 0 ||
	    (rc = LAUNCH_SYS(SYS_dup2, c->devnull_fd, 1)) < 0)
		return launch_fail(c, "dup /dev/null", rc);
	if ((rc = LAUNCH_SYS(SYS_dup2, moved[s->nlisten + 1], 2)) < 0)
		return launch_fail(c, "dup2 stderr", rc);
	for (size_t i = 0; i <= s->nlisten; i++)
		if ((rc = LAUNCH_SYS(SYS_dup2, moved[i], 3 + (int)i)) < 0)
			return launch_fail(c, "dup2 contract fd", rc);
	rc = LAUNCH_SYS(SYS_close_range, (unsigned)high, ~0U, 0);
	if (rc < 0)
		return launch_fail(c, "close_range", rc);
	return 0;
}

LAUNCH_NO_SANITIZE
static int launch_set_ids(struct launch_child *c)
{
	const struct launch_spec *s = c->spec;
	long rc;

	if (!s->set_ids)
		return 0;
	if ((rc = LAUNCH_SYS(SYS_setgroups, s->ngroups, s->groups)) < 0)
		return launch_fail(c, "setgroups", rc);
	if ((rc = LAUNCH_SYS(SYS_setresgid, s->gid, s->gid, s->gid)) < 0)
		return launch_fail(c, "setresgid", rc);
	if ((rc = LAUNCH_SYS(SYS_setresuid, s->uid, s->uid, s->uid)) < 0)
		return launch_fail(c, "setresuid", rc);
	/* Irreversible, or we do not exec: a worker that could get root back
	 * is worse than no worker. */
	if (s->uid != 0 && syscall(SYS_setresuid, -1, 0, -1) == 0)
		return launch_fail(c, "uid change not irreversible", -EPERM);
	return 0;
}

LAUNCH_NO_SANITIZE
static int launch_child_main(void *arg)
{
	struct launch_child *c = arg;
	const struct launch_spec *s = c->spec;
	struct launch_ksigaction dfl = { 0 };
	unsigned long empty = 0;
	long rc;

	if ((rc = LAUNCH_SYS(SYS_setsid)) < 0)
		return launch_fail(c, "setsid", rc);
	/* Dispositions back to default (SIGPIPE was ignored, sanitizers may
	 * have handlers); 32 and 33 belong to libc and refuse, harmlessly. */
	for (int sig = 1; sig <= LAUNCH_SIGNAL_MAX; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, LAUNCH_KERNEL_SIGSET_BYTES);
	if (launch_place_fds(c) < 0 || launch_set_ids(c) < 0)
		return -1;
	/* A worker never outlives its master: unsupervised, nothing would
	 * enforce its limits. Set after the id change, which clears it. */
	if ((rc = LAUNCH_SYS(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) < 0)
		return launch_fail(c, "parent death signal", rc);
	if (syscall(SYS_getppid) != s->parent)
		return launch_fail(c, "master gone", -ESRCH);
	if ((rc = LAUNCH_SYS(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) < 0)
		return launch_fail(c, "no_new_privs", rc);
	syscall(SYS_umask, s->umask);
	launch_write_pid(s->pid_digits, s->pid_digits_size, syscall(SYS_getpid));
	if ((rc = LAUNCH_SYS(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL,
			     LAUNCH_KERNEL_SIGSET_BYTES)) < 0)
		return launch_fail(c, "sigprocmask", rc);
	rc = LAUNCH_SYS(SYS_execve, s->path, s->argv, s->envp);
	return launch_fail(c, "execve", rc);
}

int launcher_init(struct launcher *l)
{
	l->stack_size = LAUNCH_STACK_BYTES;
	l->stack = mmap(NULL, l->stack_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (l->stack == MAP_FAILED) {
		l->stack = NULL;
		return -1;
	}
	/* Kept above 2 so that placing it on fds 0 and 1 never clobbers it. */
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	l->devnull_fd = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		close(fd);
	if (l->devnull_fd < 0) {
		munmap(l->stack, l->stack_size);
		l->stack = NULL;
		return -1;
	}
	return 0;
}

void launcher_fini(struct launcher *l)
{
	if (l->stack != NULL)
		munmap(l->stack, l->stack_size);
	if (l->devnull_fd >= 0)
		close(l->devnull_fd);
	l->stack = NULL;
	l->devnull_fd = -1;
}

pid_t launch_start(struct launcher *l, const struct launch_spec *spec,
		   struct launch_error *e)
{
	struct launch_child child = { .spec = spec, .err = e, .devnull_fd = l->devnull_fd };
	sigset_t all, old;
	pid_t pid;

	if (spec->nlisten > LAUNCH_LISTEN_MAX) {
		e->step = "too many listening sockets";
		e->err = EINVAL;
		return -1;
	}
	e->step = NULL;
	e->err = 0;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = clone(launch_child_main, (char *)l->stack + l->stack_size,
		    CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
	int clone_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		e->step = "clone";
		e->err = clone_errno;
		return -1;
	}
	if (e->step != NULL) {
		/* The child exited without exec: reap it now, so the reaper
		 * never meets a pid it does not know. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	return pid;
}
