/* settings_reader.c - owns the master.conf reader process (see
 * settings_reader.h): starting it, its life (read the request, parse,
 * answer, exit), reaping it.
 *
 * Out of memory: in the reader, it ends the reader (the parent reports
 * it); in the caller, settings_reader_start() fails with ENOMEM. */
#include "settings_reader.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conffile.h"
#include "copyproc.h"
#include "settings_confuse.h"

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

/* The reader's life, in its copy of the process (copyproc.c: only its
 * socket open, no core). Its signal mask is the caller's; SIGPIPE shows
 * as EPIPE if it is blocked, and ends it otherwise: either way it stops. */
__attribute__((noreturn)) static void settings_reader_main(int fd)
{
	char *req = settings_reader_request(fd);
	if (req == NULL)
		_exit(1);
	const char *text = req + strlen(req) + 1;
	/* _exit: no atexit handler, no flush of the stdio buffers it copied. */
	_exit(settings_confuse_parse(fd, req, text) == 0 ? 0 : 1);
}

int settings_reader_start(struct settings_reader *r)
{
	r->pid = -1;
	r->fd = -1;
	return copyproc_start(SOCK_STREAM, settings_reader_main, &r->pid, &r->fd);
}

int settings_reader_end(struct settings_reader *r)
{
	if (r->fd >= 0)
		close(r->fd); /* a reader still waiting for its request ends */
	r->fd = -1;
	if (r->pid < 0) {
		errno = ECHILD;
		return -1;
	}
	int st = copyproc_wait(r->pid);
	r->pid = -1;
	return st;
}
