/* relay.c - owns the mechanism of relaying worker stderr into the log:
 * reading within the budget, pausing, splitting into lines and pieces (see
 * relay.h). The decisions are relaylimit.c's, the escaping logtext.c's.
 *
 * Nothing here is fatal. Out of memory for the line buffer: the start of a
 * long line is logged without its end. No timerfd (out of fds): the relay
 * cannot pause and falls back to draining and dropping. */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "cmsg.h"
#include "log.h"
#include "logtext.h"

#define RELAY_BUF_BYTES 16384u

int relay_open_own(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -1;
	/* A passed fd's close could block us (cmsg.h); one way only, so a
	 * worker reading its fd 2 gets end-of-file. */
	(void)cmsg_refuse_fds(fds[0]);
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0 || shutdown(fds[0], SHUT_WR) < 0 ||
	    shutdown(fds[1], SHUT_RD) < 0) {
		int err = errno;
		close(fds[0]);
		close(fds[1]);
		fds[0] = fds[1] = -1;
		errno = err;
		return -1;
	}
	return 0;
}

void relay_attach(struct relay *r, struct event_loop *loop, struct event_watch *stream)
{
	r->loop = loop;
	r->stream = stream;
}

static void relay_start(struct relay *r, uint64_t now_ms)
{
	if (!r->started)
		relaylimit_init(&r->limit, now_ms);
	r->started = true;
}

/* The master's line, not one under the worker's name: a worker could
 * write that one itself (an adversarial run forged its own summary). */
static void relay_summary(struct relay *r, const char *service, pid_t pid)
{
	uint64_t bytes, lines;

	if (relaylimit_summary(&r->limit, &bytes, &lines))
		log_warn("service %s: worker %ld: stderr over its limit: %" PRIu64 " bytes, %"
			 PRIu64 " lines suppressed", service, (long)pid, bytes, lines);
}

void relay_service_flush(struct relaylimit *l, const char *service)
{
	uint64_t bytes, lines;

	if (relaylimit_summary(l, &bytes, &lines))
		log_warn("service %s: its workers' stderr over the service's limit: %" PRIu64
			 " bytes, %" PRIu64 " lines suppressed", service, bytes, lines);
}

/* Whether the line passes the worker's limit, then the service's. */
static bool relay_may_log(struct relay *r, size_t bytes, const char *service, uint64_t now_ms)
{
	if (!relaylimit_line(&r->limit, bytes, now_ms))
		return false;
	if (r->service_limit == NULL)
		return true;
	if (!relaylimit_line(r->service_limit, bytes, now_ms))
		return false;
	relay_service_flush(r->service_limit, service); /* resumed: say what was not */
	return true;
}

/* Logs (or suppresses) one log line's worth of p[0..n): returns the bytes
 * it took, which is all of them unless the escaped text filled the line. */
static size_t relay_piece(struct relay *r, const char *p, size_t n, bool more_follows,
			  const char *service, pid_t pid, uint64_t now_ms)
{
	char out[RELAY_LINE_MAX_BYTES];
	size_t used;
	size_t len = logtext_escape(out, sizeof(out), p, n, more_follows, &used);

	if (relay_may_log(r, used, service, now_ms)) {
		relay_summary(r, service, pid);
		log_worker_line(service, pid, out, len);
	}
	return used;
}

/* A complete line (or the end of one), in as many pieces as it takes. */
static void relay_line(struct relay *r, const char *p, size_t n,
		       const char *service, pid_t pid, uint64_t now_ms)
{
	do {
		size_t used = relay_piece(r, p, n, false, service, pid, now_ms);
		if (used == 0)
			break; /* cannot happen: a whole line always escapes */
		p += used;
		n -= used;
	} while (n > 0);
}

/* Buffers the start of a line; a full buffer is logged as one piece and
 * the rest (an unfinished character, or what did not fit escaped) kept. */
static void relay_keep(struct relay *r, const char *p, size_t n,
		       const char *service, pid_t pid, uint64_t now_ms)
{
	if (r->partial == NULL) {
		r->partial = malloc(RELAY_LINE_MAX_BYTES);
		if (r->partial == NULL)
			return;
	}
	while (n > 0) {
		size_t room = RELAY_LINE_MAX_BYTES - r->len;
		size_t take = n < room ? n : room;
		memcpy(r->partial + r->len, p, take);
		r->len += take;
		p += take;
		n -= take;
		if (r->len == RELAY_LINE_MAX_BYTES) {
			size_t used = relay_piece(r, r->partial, r->len, true, service, pid, now_ms);
			if (used == 0) /* cannot happen (a character is <= 4 bytes): never spin */
				used = relay_piece(r, r->partial, r->len, false, service, pid, now_ms);
			memmove(r->partial, r->partial + used, r->len - used);
			r->len -= used;
		}
	}
}

static void relay_split(struct relay *r, const char *p, size_t n,
			const char *service, pid_t pid, uint64_t now_ms)
{
	const char *end = p + n;

	for (const char *nl; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
		if (r->len == 0) {
			relay_line(r, p, (size_t)(nl - p), service, pid, now_ms);
			continue;
		}
		relay_keep(r, p, (size_t)(nl - p), service, pid, now_ms);
		if (r->partial != NULL)
			relay_line(r, r->partial, r->len, service, pid, now_ms);
		r->len = 0;
	}
	if (p < end)
		relay_keep(r, p, (size_t)(end - p), service, pid, now_ms);
}

static void relay_on_timer(struct event_watch *ew, uint32_t revents)
{
	struct relay *r = EVENT_OWNER(ew, struct relay, timer);
	uint64_t expirations;

	if (read(ew->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	r->paused = false;
	event_set(r->loop, r->stream, EPOLLIN); /* a no-op once the stream is closed */
}

/* Stops reading the stream until the read budget has refilled. False if it
 * cannot (not attached, no timerfd): the caller reads on. */
static bool relay_pause(struct relay *r, uint64_t now_ms)
{
	if (r->loop == NULL || r->stream == NULL || r->stream->fd < 0)
		return false;
	if (!r->timer_open) {
		int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (tfd < 0)
			return false;
		if (event_add(r->loop, &r->timer, tfd, EPOLLIN, relay_on_timer) < 0) {
			close(tfd);
			return false;
		}
		r->timer_open = true;
	}
	uint64_t resume = relaylimit_resume_ms(&r->limit, now_ms);
	if (r->service_limit != NULL) {
		uint64_t svc = relaylimit_resume_ms(r->service_limit, now_ms);
		resume = svc > resume ? svc : resume;
	}
	uint64_t wait_ms = resume - now_ms;
	if (wait_ms == 0)
		wait_ms = 1;
	struct itimerspec its = { .it_value = {
		.tv_sec = (time_t)(wait_ms / 1000u), .tv_nsec = (long)(wait_ms % 1000u) * 1000000L } };
	/* Paused = EPOLLONESHOT alone: a hang-up is reported at most once
	 * more, not on every turn of the loop. */
	if (timerfd_settime(r->timer.fd, 0, &its, NULL) < 0 ||
	    event_set(r->loop, r->stream, EPOLLONESHOT) < 0)
		return false;
	r->paused = true;
	return true;
}

/* One read: plain, or with the writer's credentials on a shared stream
 * (the kernel never joins two writers' bytes in one read there).
 *
 * A writer may send fds down a socket (SCM_RIGHTS). The control buffer
 * holds the credentials and nothing more, so the kernel installs none of
 * them in the master (it drops them, MSG_CTRUNC); any that did arrive
 * would be closed (cmsg.h), never kept. */
static ssize_t relay_recv(int fd, char *buf, size_t want, bool shared, pid_t *sender)
{
	if (!shared)
		return read(fd, buf, want);
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = want };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.space, .msg_controllen = sizeof(control.space) };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	*sender = 0;
	if (n < 0)
		return n; /* the control data is not the kernel's */
	struct cmsg_sender from;
	cmsg_take(&msg, &from);
	*sender = from.pid;
	return n;
}

/* Reads fd within r's budget, pausing it past that; each read's bytes go
 * to the relay `route` names for their writer (r itself without a route,
 * or for a writer it does not know). */
static bool relay_pump(struct relay *r, int fd, const char *service, pid_t pid,
		       relay_route_fn *route, void *ctx, bool final)
{
	char buf[RELAY_BUF_BYTES];
	size_t total = 0;
	uint64_t now = clock_now_ms();

	relay_start(r, now);
	if (r->paused && !final)
		return true; /* an event from before the pause */
	while (total < RELAY_READ_MAX_BYTES) {
		size_t want = final ? sizeof(buf) : relaylimit_readable(&r->limit, now);
		if (r->service_limit != NULL) {
			size_t svc = relaylimit_readable(r->service_limit, now);
			want = svc < want ? svc : want;
		}
		if (want == 0 && final)
			return true; /* the service's budget is spent: the rest is dropped */
		if (want == 0) {
			if (relay_pause(r, now))
				return true;
			want = sizeof(buf); /* cannot pause: drain, bounded per wake-up */
		}
		if (want > sizeof(buf))
			want = sizeof(buf);
		if (want > RELAY_READ_MAX_BYTES - total)
			want = RELAY_READ_MAX_BYTES - total;
		pid_t writer = pid;
		ssize_t n = relay_recv(fd, buf, want, route != NULL, &writer);
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		size_t cost = (size_t)n;
		if (cost < RELAYLIMIT_READ_MIN_CHARGE_BYTES)
			cost = RELAYLIMIT_READ_MIN_CHARGE_BYTES; /* a read, not just bytes */
		relaylimit_did_read(&r->limit, cost, now);
		if (r->service_limit != NULL)
			relaylimit_did_read(r->service_limit, cost, now);
		total += cost;
		struct relay *to = route != NULL ? route(ctx, writer) : NULL;
		if (to == NULL)
			to = r;
		relay_start(to, now);
		relay_split(to, buf, (size_t)n, service, writer, now);
	}
	return true;
}

bool relay_read(struct relay *r, int fd, const char *service, pid_t pid)
{
	return relay_pump(r, fd, service, pid, NULL, NULL, false);
}

bool relay_read_final(struct relay *r, int fd, const char *service, pid_t pid)
{
	return relay_pump(r, fd, service, pid, NULL, NULL, true);
}

bool relay_read_shared(struct relay *r, int fd, const char *service,
		       relay_route_fn *route, void *ctx)
{
	return relay_pump(r, fd, service, 0, route, ctx, false);
}

void relay_flush(struct relay *r, const char *service, pid_t pid)
{
	uint64_t now = clock_now_ms();
	int pending = 0;

	relay_start(r, now);
	if (r->partial != NULL && r->len > 0)
		relay_line(r, r->partial, r->len, service, pid, now);
	/* What a paused (or too full) stream still holds is lost: say so. */
	if (r->stream != NULL && r->stream->fd >= 0 &&
	    ioctl(r->stream->fd, FIONREAD, &pending) == 0 && pending > 0)
		relaylimit_drop(&r->limit, (uint64_t)pending, 0);
	relay_summary(r, service, pid);
	free(r->partial);
	r->partial = NULL;
	r->len = 0;
	if (r->timer_open) {
		int tfd = r->timer.fd;
		event_del(r->loop, &r->timer);
		close(tfd);
		r->timer_open = false;
	}
	r->paused = false;
}
