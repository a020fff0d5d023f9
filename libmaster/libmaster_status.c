/* libmaster_status.c - the worker's end of its status channel: the
 * reports libmaster sends (ready, busy, the count of a run of requests
 * as "next N" or "spare N", retiring, idle) and the non-blocking look for
 * the master's "stop".
 *
 * Nothing here is fatal: a master that is gone is noted (master_gone) and
 * the worker finishes its request and exits 0. The one wait is for a full
 * channel (the master held up): a dropped report would put the master's
 * view of the worker out of step. Reports are few (at most one per
 * LIBMASTER_REPORT_MS under load), so a worker never waits for the master
 * to keep up with its rate. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "libmaster_log.h"
#include "libmaster_status.h"

#define LIBMASTER_STATUS_NS_PER_MS 1000000ull

uint64_t libmaster_status_now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts); /* the vDSO: no syscall */
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void libmaster_status_send(struct libmaster_status *st, enum protocol_msg msg,
				  unsigned count)
{
	while (!st->master_gone) {
		struct pollfd pfd = { .fd = st->fd, .events = POLLOUT };
		int rc = msg == PROTOCOL_NEXT || msg == PROTOCOL_SPARE
			? protocol_send_count(st->fd, msg, count) : protocol_send(st->fd, msg);

		if (rc == 0) {
			st->said_ns = libmaster_status_now_ns();
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* Full: the master is slow, not gone; if it dies,
			 * the next send fails with EPIPE. */
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EPIPE && errno != ECONNRESET)
			libmaster_log(st->service, "status channel: send \"%s\": %m",
				      protocol_word(msg));
		st->master_gone = true;
	}
}

void libmaster_status_say(struct libmaster_status *st, enum protocol_msg msg)
{
	libmaster_status_send(st, msg, 1);
}

void libmaster_status_report(struct libmaster_status *st)
{
	unsigned n = st->unreported;
	enum protocol_msg msg = st->spare ? PROTOCOL_SPARE : PROTOCOL_NEXT;

	st->unreported = 0;
	st->spare = false;
	while (n > 0) {
		unsigned part = n < PROTOCOL_COUNT_MAX ? n : PROTOCOL_COUNT_MAX;

		libmaster_status_send(st, msg, part);
		n -= part;
	}
}

int libmaster_status_due_in_ms(const struct libmaster_status *st, uint64_t now)
{
	uint64_t due = st->said_ns + LIBMASTER_REPORT_MS * LIBMASTER_STATUS_NS_PER_MS;

	if (now >= due)
		return 0;
	return (int)((due - now + LIBMASTER_STATUS_NS_PER_MS - 1) / LIBMASTER_STATUS_NS_PER_MS);
}

bool libmaster_status_due(const struct libmaster_status *st)
{
	return libmaster_status_now_ns() - st->said_ns >=
	       LIBMASTER_REPORT_MS * LIBMASTER_STATUS_NS_PER_MS;
}

int libmaster_status_check(struct libmaster_status *st)
{
	char buf[PROTOCOL_PACKET_MAX_BYTES + 1];

	for (;;) {
		/* MSG_TRUNC: n is the real packet length, so an oversized
		 * packet decodes as invalid instead of as its prefix. */
		ssize_t n = recv(st->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n > 0) {
			if ((size_t)n <= sizeof(buf) &&
			    protocol_decode(buf, (size_t)n) == PROTOCOL_STOP)
				return 0;
			continue; /* nothing else is meant for us: ignore it */
		}
		if (n == 0)
			return 0; /* EOF: master gone; we are between requests */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return LIBMASTER_STATUS_OPEN;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return 0;
		libmaster_log(st->service, "status channel: recv: %m");
		return 1;
	}
}
