/* libmaster.c - the worker side of the master: the loop a C service links to.
 *
 * Owns the worker's half of the contract in DESIGN.md: reading the
 * environment the master set up (LISTEN_FDS, MASTER_STATUS_FD,
 * MASTER_MAX_USE, MASTER_SERVICE_TYPE), the shared loop that takes
 * requests (what one is for each service type: libmaster_type.c), and the
 * ready / busy / idle / retiring reports on the status channel. All state lives in one struct on
 * libmaster_run()'s stack, so nothing survives a call.
 *
 * This is on the benchmark hot path: a request costs the accept, "busy"
 * (or "next" when it follows another without a pause), one non-blocking
 * recv every LIBMASTER_STOP_CHECK_EVERY back-to-back requests to look for
 * a pending "stop", and "idle" at the end of a run (plus "retiring" for
 * the last one); nothing is allocated per request. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libmaster.h"
#include "libmaster_relro.h"
#include "libmaster_type.h"
#include "protocol.h"

#define LIBMASTER_LISTEN_FD_FIRST 3     /* sd_listen_fds(3) convention */
#define LIBMASTER_LISTEN_FDS_MAX 4096   /* sanity bound on LISTEN_FDS */
#define LIBMASTER_EVENTS_MAX 16         /* epoll events taken per wait */
#define LIBMASTER_CONTINUE (-1)         /* "keep looping", not an exit status */
#define LIBMASTER_SERVED (-2)           /* "keep looping": served, said "idle" */
#define LIBMASTER_STOP_CHECK_EVERY 8u   /* back-to-back requests between stop checks */

struct libmaster {
	const char *service;    /* for messages */
	int status_fd;
	int listen_count;       /* listeners at 3 .. 3+listen_count-1 */
	unsigned long max_use;  /* 0: unlimited */
	unsigned long served;
	int epoll_fd;
	bool master_gone;       /* a send failed: finish up and exit 0 */
	libmaster_handler handler;
	void *ctx;
	struct libmaster_types types; /* what a request is (libmaster_type.h) */
};

/* Messages go to stderr, which the master logs as SERVICE[PID]: line; the
 * prefix still says who speaks when the binary is run by hand. */
__attribute__((format(printf, 2, 3)))
static void libmaster_log(const struct libmaster *lm, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int saved_errno = errno; /* for %m in fmt */
	int n;

	n = snprintf(line, sizeof(line), "%s: libmaster: ", lm->service);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	errno = saved_errno;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line, so lines from a pool of workers never interleave
	 * inside the master's log pipe. */
	fprintf(stderr, "%s\n", line);
}

/* Strict decimal: digits only (no sign, no blanks), within [min, max]. */
static int libmaster_env_number(const struct libmaster *lm, const char *name,
	unsigned long min, unsigned long max, unsigned long *out)
{
	const char *value = getenv(name);
	char *end;
	unsigned long n;

	if (value == NULL || value[0] == '\0') {
		libmaster_log(lm, "%s is not set (not started by master?)", name);
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
	libmaster_log(lm, "%s=\"%s\": not a number in %lu..%lu", name, value,
		min, max);
	return -1;
}

static int libmaster_setup_env(struct libmaster *lm)
{
	unsigned long n;
	const char *pid = getenv("LISTEN_PID");

	/* LISTEN_PID guards against inheriting a parent's LISTEN_FDS. */
	if (pid != NULL && pid[0] != '\0') {
		if (libmaster_env_number(lm, "LISTEN_PID", 1, LONG_MAX, &n) < 0)
			return -1;
		if ((pid_t)n != getpid()) {
			libmaster_log(lm, "LISTEN_PID=%lu is not this process (%ld)",
				n, (long)getpid());
			return -1;
		}
	}
	if (libmaster_env_number(lm, "LISTEN_FDS", 1,
			LIBMASTER_LISTEN_FDS_MAX, &n) < 0)
		return -1;
	lm->listen_count = (int)n;
	if (libmaster_env_number(lm, PROTOCOL_ENV_STATUS_FD, 0, INT_MAX, &n) < 0)
		return -1;
	lm->status_fd = (int)n;
	if (lm->status_fd >= LIBMASTER_LISTEN_FD_FIRST &&
	    lm->status_fd < LIBMASTER_LISTEN_FD_FIRST + lm->listen_count) {
		libmaster_log(lm, "%s=%d is one of the LISTEN_FDS sockets",
			PROTOCOL_ENV_STATUS_FD, lm->status_fd);
		return -1;
	}
	lm->max_use = 0;
	if (getenv(PROTOCOL_ENV_MAX_USE) != NULL &&
	    libmaster_env_number(lm, PROTOCOL_ENV_MAX_USE, 0, ULONG_MAX,
			&lm->max_use) < 0)
		return -1;
	return 0;
}

/* Checks that the status channel is a SOCK_SEQPACKET socket; then marks
 * it close-on-exec so a handler that execs (spawn) cannot leak it. */
static int libmaster_check_status_fd(const struct libmaster *lm, int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		libmaster_log(lm, "%s fd %d: %m", PROTOCOL_ENV_STATUS_FD, fd);
		return -1;
	}
	if (type != SOCK_SEQPACKET) {
		libmaster_log(lm, "%s fd %d: socket type %d, want SOCK_SEQPACKET",
			PROTOCOL_ENV_STATUS_FD, fd, type);
		return -1;
	}
	if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
		libmaster_log(lm, "%s fd %d: F_SETFD: %m", PROTOCOL_ENV_STATUS_FD, fd);
		return -1;
	}
	return 0;
}

static int libmaster_epoll_add(const struct libmaster *lm, int fd,
	uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (epoll_ctl(lm->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		libmaster_log(lm, "epoll_ctl add fd %d: %m", fd);
		return -1;
	}
	return 0;
}

static int libmaster_setup_fds(struct libmaster *lm)
{
	char why[LIBMASTER_TYPE_WHY_BYTES];

	if (libmaster_check_status_fd(lm, lm->status_fd) < 0)
		return -1;
	lm->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (lm->epoll_fd < 0) {
		libmaster_log(lm, "epoll_create1: %m");
		return -1;
	}
	if (libmaster_type_setup(&lm->types, getenv(PROTOCOL_ENV_TYPE),
			LIBMASTER_LISTEN_FD_FIRST, why, sizeof(why)) < 0) {
		libmaster_log(lm, "%s", why);
		return -1;
	}
	for (int i = 0; i < lm->listen_count; i++) {
		int fd = LIBMASTER_LISTEN_FD_FIRST + i;

		/* Of the service's type, non-blocking, close-on-exec. */
		if (libmaster_type_check_fd(&lm->types, fd, why, sizeof(why)) < 0) {
			libmaster_log(lm, "%s", why);
			return -1;
		}
		/* EPOLLEXCLUSIVE: wake one idle worker per request, not the
		 * whole pool (the thundering herd). */
		if (libmaster_epoll_add(lm, fd, EPOLLIN | EPOLLEXCLUSIVE) < 0)
			return -1;
	}
	return libmaster_epoll_add(lm, lm->status_fd, EPOLLIN);
}

/* Reports one state change. A master that is gone is not an error: note
 * it, so the caller finishes the current request and exits. */
static void libmaster_say(struct libmaster *lm, enum protocol_msg msg)
{
	while (!lm->master_gone) {
		struct pollfd pfd = { .fd = lm->status_fd, .events = POLLOUT };

		if (protocol_send(lm->status_fd, msg) == 0)
			return;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* Channel full: the master is slow, not gone. A dropped
			 * message would put its view of us out of step, so wait;
			 * if it dies, the next send fails with EPIPE. */
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EPIPE && errno != ECONNRESET)
			libmaster_log(lm, "status channel: send \"%s\": %m",
				protocol_word(msg));
		lm->master_gone = true;
	}
}

/* Drains the status channel without blocking. Returns LIBMASTER_CONTINUE,
 * or the exit status when the master said "stop" or went away. */
static int libmaster_check_status(struct libmaster *lm)
{
	char buf[PROTOCOL_PACKET_MAX_BYTES + 1];

	for (;;) {
		/* MSG_TRUNC: n is the real packet length, so an oversized
		 * packet decodes as invalid instead of as its prefix. */
		ssize_t n = recv(lm->status_fd, buf, sizeof(buf),
			MSG_DONTWAIT | MSG_TRUNC);

		if (n > 0) {
			if ((size_t)n <= sizeof(buf) &&
			    protocol_decode(buf, (size_t)n) == PROTOCOL_STOP)
				return 0;
			continue; /* nothing else is meant for us: ignore it */
		}
		if (n == 0)
			return 0; /* EOF: master gone; we are between requests */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return LIBMASTER_CONTINUE;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return 0;
		libmaster_log(lm, "status channel: recv: %m");
		return 1;
	}
}

/* Takes the next request without blocking: 1, 0 (none waits), or -1
 * after logging why (the worker retires: a fresh process is the cure for
 * EMFILE and the like, and the master forks one). */
static int libmaster_take(struct libmaster *lm, int listen_fd, struct libmaster_request *req)
{
	char why[LIBMASTER_TYPE_WHY_BYTES];
	int rc = libmaster_type_take(&lm->types, listen_fd, req, why, sizeof(why));

	if (rc < 0)
		libmaster_log(lm, "%s; retiring", why);
	else if (why[0] != '\0')
		libmaster_log(lm, "%s", why); /* a dropped datagram */
	return rc;
}

/* Serves one request: the handler gets what libmaster_type_open() made of
 * it (no call if that failed: the request still counts, it was "busy"). */
static void libmaster_handle(struct libmaster *lm, struct libmaster_request *req)
{
	char why[LIBMASTER_TYPE_WHY_BYTES];

	if (libmaster_type_open(&lm->types, req, why, sizeof(why)) < 0)
		libmaster_log(lm, "%s", why);
	else
		lm->handler(req->handler_fd, lm->ctx);
	libmaster_type_done(&lm->types, req);
}

/* Takes and serves at most one request, and those already waiting behind
 * it. Returns LIBMASTER_CONTINUE (nothing taken), LIBMASTER_SERVED (served,
 * now idle) or the exit status. */
static int libmaster_serve(struct libmaster *lm, int listen_fd)
{
	struct libmaster_request req;
	unsigned streak = 0;
	int rc = libmaster_take(lm, listen_fd, &req);

	if (rc <= 0)
		return rc < 0 ? 1 : LIBMASTER_CONTINUE;
	for (enum protocol_msg began = PROTOCOL_BUSY;; began = PROTOCOL_NEXT) {
		bool last = lm->max_use != 0 && lm->served + 1 >= lm->max_use;
		libmaster_say(lm, began);
		if (last) /* let the master start our successor while we serve */
			libmaster_say(lm, PROTOCOL_RETIRING);
		libmaster_handle(lm, &req);
		lm->served++;
		if (last || lm->master_gone)
			return 0;
		/* A "stop" that came during the request: do not take another
		 * client only to leave at once. Looked for after every
		 * LIBMASTER_STOP_CHECK_EVERY back-to-back requests, not after
		 * each (a syscall that nearly always finds nothing): a stopped
		 * worker serves at most that many clients that were already
		 * waiting, then stops at the first gap (libmaster_loop). */
		if (++streak % LIBMASTER_STOP_CHECK_EVERY == 0) {
			rc = libmaster_check_status(lm);
			if (rc != LIBMASTER_CONTINUE)
				return rc;
		}
		/* Another request already waiting: serve it straight away. The
		 * "next" says this request ended and another began, so under
		 * load a request costs one status message, not two. Nothing
		 * waiting (or an error) falls back to "idle" and the epoll
		 * wait, which sorts it out. */
		if (libmaster_take(lm, listen_fd, &req) != 1)
			break;
	}
	/* No look at the channel before "idle" (a recv that nearly always
	 * finds nothing: one syscall in nine of a request after a pause).
	 * A "stop" that came meanwhile makes the epoll wait return at once,
	 * and libmaster_loop reads the channel before it takes a client, so
	 * no client is taken after a stop. The "idle" a stopped worker sends
	 * is not capacity: the master counts it by its phase (stopping). */
	libmaster_say(lm, PROTOCOL_IDLE);
	return lm->master_gone ? 0 : LIBMASTER_SERVED;
}

static int libmaster_loop(struct libmaster *lm)
{
	struct epoll_event events[LIBMASTER_EVENTS_MAX];

	for (;;) {
		int n = epoll_wait(lm->epoll_fd, events, LIBMASTER_EVENTS_MAX, -1);
		int rc;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			libmaster_log(lm, "epoll_wait: %m");
			return 1;
		}
		/* The status channel first: a "stop" that arrives together
		 * with a connection wins, and the connection goes to a
		 * sibling instead. */
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd != lm->status_fd)
				continue;
			rc = libmaster_check_status(lm);
			if (rc != LIBMASTER_CONTINUE)
				return rc;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == lm->status_fd)
				continue;
			rc = libmaster_serve(lm, events[i].data.fd);
			/* Served: wait again before another listener's event of
			 * this batch, so a "stop" that came meanwhile is read
			 * first (level-triggered: the skipped ones come back). */
			if (rc == LIBMASTER_SERVED)
				break;
			if (rc != LIBMASTER_CONTINUE)
				return rc;
		}
	}
}

int libmaster_run(libmaster_handler handler, void *ctx)
{
	struct libmaster lm = {
		.service = getenv(PROTOCOL_ENV_SERVICE),
		.status_fd = -1,
		.epoll_fd = -1,
		.handler = handler,
		.ctx = ctx,
	};
	struct sigaction sa = { .sa_handler = SIG_IGN };
	char why[160];
	int rc = 1;

	if (lm.service == NULL || lm.service[0] == '\0')
		lm.service = program_invocation_short_name;
	/* A client that vanishes mid-reply must cost an EPIPE, not the
	 * worker and every request it would still have served. */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);

	if (handler == NULL) {
		libmaster_log(&lm, "no handler");
		return 1;
	}
	if (libmaster_relro_protect(why, sizeof(why)) < 0) {
		libmaster_log(&lm, "%s", why);
		return 1;
	}
	if (libmaster_setup_env(&lm) < 0 || libmaster_setup_fds(&lm) < 0)
		goto out;
	libmaster_say(&lm, PROTOCOL_READY);
	rc = lm.master_gone ? 0 : libmaster_loop(&lm);
out:
	if (lm.epoll_fd >= 0)
		(void)close(lm.epoll_fd);
	libmaster_type_free(&lm.types);
	return rc;
}
