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
/* A watchdog shorter than this is a mistake (pings every 10 ms). */
#define SDNOTIFY_WATCHDOG_MIN_USEC 20000ULL

/* WATCHDOG_USEC (for us if WATCHDOG_PID is unset or ours): pings at half
 * of it, as sd_watchdog_enabled(3) advises. Unset either way: only the
 * master speaks for the service. */
static void sdnotify_watchdog_setup(struct sdnotify *n)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v = usec != NULL ? strtoull(usec, NULL, 10) : 0;

	if (v >= SDNOTIFY_WATCHDOG_MIN_USEC &&
	    (pid == NULL || strtol(pid, NULL, 10) == (long)getpid())) {
		n->watchdog_ms = v / 2000u;
		log_info("systemd watchdog: WATCHDOG=1 every %llu ms",
			 (unsigned long long)n->watchdog_ms);
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

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
	sdnotify_watchdog_setup(n);
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

bool sdnotify_store_fd(struct sdnotify *n, const char *name, int fd)
{
	char msg[SDNOTIFY_MESSAGE_MAX_BYTES];
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(int))];
	} ctl;
	int len = snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	struct iovec iov = { .iov_base = msg, .iov_len = len > 0 ? (size_t)len : 0 };
	struct msghdr mh = {
		.msg_name = &n->addr, .msg_namelen = n->addr_len,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.bytes, .msg_controllen = sizeof(ctl.bytes),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (n->fd < 0 || len <= 0 || (size_t)len >= sizeof(msg))
		return false;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(n->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		log_warn("NOTIFY_SOCKET: cannot store socket %s: %s", name, strerror(errno));
		return false;
	}
	n->stored = true;
	return true;
}

uint64_t sdnotify_tick(struct sdnotify *n, uint64_t now_ms)
{
	if (n->fd < 0 || n->watchdog_ms == 0)
		return UINT64_MAX;
	if (now_ms >= n->watchdog_next_ms) {
		sdnotify_send(n, "WATCHDOG=1");
		n->watchdog_next_ms = now_ms + n->watchdog_ms;
	}
	return n->watchdog_next_ms;
}
