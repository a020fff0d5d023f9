/* libmaster_setup.c - what the master set up for a worker: the
 * environment (LISTEN_PID, LISTEN_FDS, MASTER_STATUS_FD, MASTER_MAX_USE,
 * MASTER_SERVICE_TYPE) and the fds it names, read strictly and checked
 * before the first "ready". A worker that finds them missing or malformed
 * was not started by the master: it says which one on stderr and exits 1
 * (the caller's); nothing else is fatal here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libmaster_log.h"
#include "libmaster_setup.h"
#include "protocol.h"

#define LIBMASTER_LISTEN_FDS_MAX 4096   /* sanity bound on LISTEN_FDS */

/* Strict decimal: digits only (no sign, no blanks), within [min, max]. */
static int libmaster_env_number(const char *service, const char *name,
	unsigned long min, unsigned long max, unsigned long *out)
{
	const char *value = getenv(name);
	char *end;
	unsigned long n;

	if (value == NULL || value[0] == '\0') {
		libmaster_log(service, "%s is not set (not started by master?)", name);
		return -1;
	}
	if (value[0] < '0' || value[0] > '9')
		goto invalid;
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		goto invalid;
	*out = n;
	return 0;
invalid:
	libmaster_log(service, "%s=\"%s\": not a number in %lu..%lu", name, value,
		min, max);
	return -1;
}

int libmaster_setup_env(const char *service, struct libmaster_env *env)
{
	unsigned long n;
	const char *pid = getenv("LISTEN_PID");

	/* LISTEN_PID guards against inheriting a parent's LISTEN_FDS. */
	if (pid != NULL && pid[0] != '\0') {
		if (libmaster_env_number(service, "LISTEN_PID", 1, LONG_MAX, &n) < 0)
			return -1;
		if ((pid_t)n != getpid()) {
			libmaster_log(service, "LISTEN_PID=%lu is not this process (%ld)",
				n, (long)getpid());
			return -1;
		}
	}
	if (libmaster_env_number(service, "LISTEN_FDS", 1,
			LIBMASTER_LISTEN_FDS_MAX, &n) < 0)
		return -1;
	env->listen_count = (int)n;
	if (libmaster_env_number(service, PROTOCOL_ENV_STATUS_FD, 0, INT_MAX, &n) < 0)
		return -1;
	env->status_fd = (int)n;
	if (env->status_fd >= LIBMASTER_LISTEN_FD_FIRST &&
	    env->status_fd < LIBMASTER_LISTEN_FD_FIRST + env->listen_count) {
		libmaster_log(service, "%s=%d is one of the LISTEN_FDS sockets",
			PROTOCOL_ENV_STATUS_FD, env->status_fd);
		return -1;
	}
	env->max_use = 0;
	if (getenv(PROTOCOL_ENV_MAX_USE) != NULL &&
	    libmaster_env_number(service, PROTOCOL_ENV_MAX_USE, 0, ULONG_MAX,
			&env->max_use) < 0)
		return -1;
	return 0;
}

/* Checks that the status channel is a SOCK_SEQPACKET socket; then marks
 * it close-on-exec so a handler that execs (spawn) cannot leak it. */
static int libmaster_check_status_fd(const char *service, int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		libmaster_log(service, "%s fd %d: %m", PROTOCOL_ENV_STATUS_FD, fd);
		return -1;
	}
	if (type != SOCK_SEQPACKET) {
		libmaster_log(service, "%s fd %d: socket type %d, want SOCK_SEQPACKET",
			PROTOCOL_ENV_STATUS_FD, fd, type);
		return -1;
	}
	if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
		libmaster_log(service, "%s fd %d: F_SETFD: %m", PROTOCOL_ENV_STATUS_FD, fd);
		return -1;
	}
	return 0;
}

static int libmaster_epoll_add(const char *service, int epoll_fd, int fd,
	uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		libmaster_log(service, "epoll_ctl add fd %d: %m", fd);
		return -1;
	}
	return 0;
}

int libmaster_setup_fds(const char *service, const struct libmaster_env *env,
			struct libmaster_types *types, int *epoll_fd)
{
	char why[LIBMASTER_TYPE_WHY_BYTES];

	if (libmaster_check_status_fd(service, env->status_fd) < 0)
		return -1;
	*epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (*epoll_fd < 0) {
		libmaster_log(service, "epoll_create1: %m");
		return -1;
	}
	if (libmaster_type_setup(types, getenv(PROTOCOL_ENV_TYPE),
			LIBMASTER_LISTEN_FD_FIRST, why, sizeof(why)) < 0) {
		libmaster_log(service, "%s", why);
		return -1;
	}
	for (int i = 0; i < env->listen_count; i++) {
		int fd = LIBMASTER_LISTEN_FD_FIRST + i;

		/* Of the service's type, non-blocking, close-on-exec. */
		if (libmaster_type_check_fd(types, fd, why, sizeof(why)) < 0) {
			libmaster_log(service, "%s", why);
			return -1;
		}
		/* EPOLLEXCLUSIVE: wake one idle worker per request, not the
		 * whole pool (the thundering herd). */
		if (libmaster_epoll_add(service, *epoll_fd, fd, EPOLLIN | EPOLLEXCLUSIVE) < 0)
			return -1;
	}
	return libmaster_epoll_add(service, *epoll_fd, env->status_fd, EPOLLIN);
}
