/* logsink.c - owns the log's file descriptor and its non-blocking writes
 * (see logsink.h for the choices). Nothing here is fatal: a line that
 * cannot be written is dropped and the caller counts it. */
#include "logsink.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LOGSINK_STDERR_PROC "/proc/self/fd/2"

void logsink_open_stderr(struct logsink *s)
{
	struct stat st;

	logsink_close(s);
	s->fd = STDERR_FILENO;
	if (fstat(STDERR_FILENO, &st) < 0) {
		s->fd = -1; /* closed: lines go nowhere */
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		s->use_send = true;
		return;
	}
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return;
	int fd = open(LOGSINK_STDERR_PROC, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		s->fd = fd;
		s->owned = true;
	} else if (S_ISFIFO(st.st_mode)) {
		int fl = fcntl(STDERR_FILENO, F_GETFL);
		if (fl >= 0)
			fcntl(STDERR_FILENO, F_SETFL, fl | O_NONBLOCK);
	}
}

static void logsink_connect(struct logsink *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(s->path) >= sizeof(sun.sun_path))
		return;
	strcpy(sun.sun_path, s->path);
	connect(s->fd, (struct sockaddr *)&sun, sizeof(sun)); /* may fail: retried */
}

void logsink_open_syslog(struct logsink *s, const char *path)
{
	logsink_close(s);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return;
	s->owned = s->use_send = s->dgram = true;
	s->path = path;
	logsink_connect(s);
}

void logsink_close(struct logsink *s)
{
	if (s->owned && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->owned = s->use_send = s->dgram = false;
	s->path = NULL;
	s->tail_len = 0;
}

/* One non-blocking write: bytes written, or -1 (errno set). */
static ssize_t logsink_write(struct logsink *s, const char *p, size_t n)
{
	ssize_t w;

	do {
		w = s->use_send ? send(s->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL)
				: write(s->fd, p, n);
	} while (w < 0 && errno == EINTR);
	return w;
}

static bool logsink_put_dgram(struct logsink *s, const char *line, size_t len)
{
	if (logsink_write(s, line, len) >= 0)
		return true;
	/* The syslog daemon restarted (or was not there yet): once more. */
	if (errno == ECONNREFUSED || errno == ENOTCONN || errno == ENOENT ||
	    errno == EDESTADDRREQ) {
		logsink_connect(s);
		return logsink_write(s, line, len) >= 0;
	}
	return false;
}

bool logsink_put(struct logsink *s, const char *line, size_t len)
{
	if (s->fd < 0 || len > LOGSINK_LINE_MAX_BYTES)
		return false;
	if (s->dgram)
		return logsink_put_dgram(s, line, len);
	if (s->tail_len > 0) {
		ssize_t w = logsink_write(s, s->tail, s->tail_len);
		if (w < 0)
			return false;
		memmove(s->tail, s->tail + w, s->tail_len - (size_t)w);
		s->tail_len -= (size_t)w;
		if (s->tail_len > 0)
			return false;
	}
	ssize_t w = logsink_write(s, line, len);
	if (w < 0)
		return false;
	if ((size_t)w < len) {
		memcpy(s->tail, line + w, len - (size_t)w);
		s->tail_len = len - (size_t)w;
	}
	return true;
}
