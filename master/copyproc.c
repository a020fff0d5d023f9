/* copyproc.c - owns starting and reaping the master's helper copies of
 * itself (see copyproc.h); what each does is its caller's (settings_reader.c,
 * resolve.c). Nothing here is fatal: a copy that cannot set itself up
 * exits 1, and its caller reports that. */
#include "copyproc.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noreturn)) static void copyproc_child(int fd, void (*child)(int fd))
{
	struct rlimit no_core = { 0, 0 };

	/* Only its socket: not the master's listening sockets, not its log. */
	if (fd != COPYPROC_FD && dup2(fd, COPYPROC_FD) < 0)
		_exit(1);
	close_range(0, COPYPROC_FD - 1, 0);
	close_range(COPYPROC_FD + 1, ~0u, 0);
	setrlimit(RLIMIT_CORE, &no_core); /* a crash here is a copy of the master */
	child(COPYPROC_FD);
	_exit(1); /* child never returns; if it did, no atexit handler runs */
}

int copyproc_start(int socktype, void (*child)(int fd), pid_t *pid, int *fd)
{
	int sv[2], err;

	if (socketpair(AF_UNIX, socktype | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* Like fork(), but with exit signal 0 (the flags' low byte). The raw
	 * system call with no new stack: the child goes on on its copy of
	 * ours, a stack the sanitizers know (clone(3) with a stack of its own
	 * made ASan warn at every load). */
	long got = syscall(SYS_clone, 0UL, NULL, NULL, NULL, 0UL);
	if (got == 0)
		copyproc_child(sv[1], child); /* never returns */
	err = errno;
	close(sv[1]);
	if (got < 0) {
		close(sv[0]);
		errno = err;
		return -1;
	}
	*pid = (pid_t)got;
	*fd = sv[0];
	return 0;
}

int copyproc_wait(pid_t pid)
{
	int st = 0;
	pid_t got;

	while ((got = waitpid(pid, &st, __WCLONE)) < 0 && errno == EINTR)
		;
	return got < 0 ? -1 : st;
}
