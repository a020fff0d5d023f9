/* settings_reader.c - owns the master.conf reader process (see
 * settings_reader.h): starting it, its life (read the request, parse,
 * answer, exit), reaping it.
 *
 * Out of memory: in the reader, it ends the reader (the parent reports
 * it); in the caller, settings_reader_start() fails with ENOMEM. */
#include "settings_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conffile.h"
#include "settings_confuse.h"

#define SETTINGS_READER_FD 3
#define SETTINGS_READER_FIRST_BYTES 4096u

/* The request: "FILE\0TEXT", until the end of the stream. NULL if it
 * cannot be read (or no memory). */
static char *settings_reader_request(int fd)
{
	size_t len = 0, cap = SETTINGS_READER_FIRST_BYTES;
	char *buf = malloc(cap), *more;
	ssize_t k = -1;

	while (buf != NULL && (k = read(fd, buf + len, cap - len - 1)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		len += (size_t)k;
		if (len + 1 < cap)
			continue;
		if (cap > CONFFILE_MAX_BYTES * 2u || (more = realloc(buf, cap * 2)) == NULL)
			break;
		buf = more;
		cap *= 2;
	}
	if (buf == NULL || k != 0 || memchr(buf, '\0', len) == NULL) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* The reader's life, in its copy of the process. Its
 * signal mask is the caller's; SIGPIPE shows as EPIPE if it is blocked,
 * and ends it otherwise: either way it stops. */
__attribute__((noreturn)) static void settings_reader_main(void *arg)
{
	int fd = *(const int *)arg;
	struct rlimit no_core = { 0, 0 };

	/* Only its socket: not the master's listening sockets, not its log. */
	if (fd != SETTINGS_READER_FD && dup2(fd, SETTINGS_READER_FD) < 0)
		_exit(1);
	close_range(0, SETTINGS_READER_FD - 1, 0);
	close_range(SETTINGS_READER_FD + 1, ~0u, 0);
	setrlimit(RLIMIT_CORE, &no_core); /* a crash here is a copy of the master */
	char *req = settings_reader_request(SETTINGS_READER_FD);
	if (req == NULL)
		_exit(1);
	const char *text = req + strlen(req) + 1;
	/* _exit: no atexit handler, no flush of the stdio buffers it copied. */
	_exit(settings_confuse_parse(SETTINGS_READER_FD, req, text) == 0 ? 0 : 1);
}

int settings_reader_start(struct settings_reader *r)
{
	int sv[2], err;

	r->pid = -1;
	r->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* A copy of the process, like fork(), but with exit signal 0 (the
	 * flags' low byte): the loop's waitpid(-1) never reaps it, nor does
	 * the orphan scan take it for one (contain_reaper.c). The raw system
	 * call with no new stack: the child goes on on its copy of ours, a
	 * stack the sanitizers know (clone(3) with a stack of its own made
	 * ASan warn at every load). The process has one thread here. */
	long pid = syscall(SYS_clone, 0UL, NULL, NULL, NULL, 0UL);
	if (pid == 0)
		settings_reader_main(&sv[1]); /* never returns */
	err = errno;
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		errno = err;
		return -1;
	}
	r->pid = (pid_t)pid;
	r->fd = sv[0];
	return 0;
}

int settings_reader_end(struct settings_reader *r)
{
	int st = 0;
	pid_t got;

	if (r->fd >= 0)
		close(r->fd); /* a reader still waiting for its request ends */
	r->fd = -1;
	if (r->pid < 0) {
		errno = ECHILD;
		return -1;
	}
	while ((got = waitpid(r->pid, &st, __WCLONE)) < 0 && errno == EINTR)
		;
	r->pid = -1;
	return got < 0 ? -1 : st;
}
