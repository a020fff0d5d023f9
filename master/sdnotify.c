/* sdnotify.c - owns the notification socket (see sdnotify.h). */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* One notification: a few short assignments; STATUS is one line. */
#define SDNOTIFY_MESSAGE_MAX_BYTES 1024

int sdnotify_open(struct sdnotify *n)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (path == NULL || path[0] == '\0')
		return 0;
	len = strlen(path);
	n->addr.sun_family = AF_UNIX;
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(n->addr.sun_path)) {
		log_err("NOTIFY_SOCKET \"%s\": not an absolute path or @abstract name "
			"that fits a unix socket address; no readiness notifications", path);
		unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0'; /* abstract: length, not NUL, ends it */
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				  (path[0] == '@' ? 0 : 1));
	unsetenv("NOTIFY_SOCKET");
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		log_err("NOTIFY_SOCKET: socket: %s; no readiness notifications", strerror(errno));
		return -1;
	}
	return 0;
}

void sdnotify_close(struct sdnotify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

bool sdnotify_enabled(const struct sdnotify *n)
{
	return n->fd >= 0;
}

void sdnotify_send(struct sdnotify *n, const char *fmt, ...)
{
	char msg[SDNOTIFY_MESSAGE_MAX_BYTES];
	va_list ap;
	int len;

	if (n->fd < 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;
	if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT,
		   (struct sockaddr *)&n->addr, n->addr_len) < 0)
		log_warn("NOTIFY_SOCKET: cannot send \"%.*s\": %s", (int)strcspn(msg, "\n"),
			 msg, strerror(errno));
}

void sdnotify_reloading(struct sdnotify *n)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdnotify_send(n, "RELOADING=1\nMONOTONIC_USEC=%llu",
		      (unsigned long long)ts.tv_sec * 1000000ULL +
		      (unsigned long long)ts.tv_nsec / 1000ULL);
}
