/* smtpd_conn.c - the socket side of one SMTP session (smtpd_conn.h).
 *
 * Owns the I/O: non-blocking reads into the line buffer, the replies sent
 * in batches, and the clock. Replies are sent when no complete line is
 * left to answer (RFC 2920: a server may batch the replies to a
 * pipelined group, and must flush before it waits for input), or when
 * the buffer runs low. The idle limit is a deadline for each complete
 * line, not for each byte, so a client that trickles a byte at a time
 * gains nothing. A client that does not read its replies meets the same
 * deadline on the way out. Nothing is fatal: any failure ends this
 * connection only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smtpd_conn.h"
#include "smtpd_lines.h"

/* After the last reply, input the client sent and we did not read (the
 * rest of a pipelined group after a 421) would make close() send a reset,
 * which can destroy the reply before the client reads it. So we half-close
 * and read for a moment, within these bounds. */
#define SMTPD_CONN_LINGER_MS 1000
#define SMTPD_CONN_LINGER_BYTES (1024 * 1024)

struct smtpd_conn {
	int fd;
	int timeout_ms;
	struct smtpd_lines in;
	struct smtpd_out out;
};

void smtpd_conn_client(int fd, char client[SMTPD_CLIENT_MAX_BYTES])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];

	snprintf(client, SMTPD_CLIENT_MAX_BYTES, "local");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr)))
		snprintf(client, SMTPD_CLIENT_MAX_BYTES, "[%s]", addr);
	else if (ss.ss_family == AF_INET6 &&
		 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr)))
		snprintf(client, SMTPD_CLIENT_MAX_BYTES, "[IPv6:%s]", addr);
}

static long long smtpd_conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on the socket until deadline_ms. Returns 1 ready,
 * 0 timed out, -1 error. */
static int smtpd_conn_wait(const struct smtpd_conn *c, short events, long long deadline_ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = events };
		long long left = deadline_ms - smtpd_conn_now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Sends every buffered reply. Returns 0, or -1 when the client is gone
 * or does not read within the timeout. */
static int smtpd_conn_flush(struct smtpd_conn *c)
{
	long long deadline = smtpd_conn_now_ms() + c->timeout_ms;

	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.buf, c->out.len, MSG_NOSIGNAL);

		if (n > 0) {
			smtpd_out_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    smtpd_conn_wait(c, POLLOUT, deadline) == 1)
			continue;
		return -1;
	}
	return 0;
}

/* Reads what is there into the line buffer, waiting until deadline_ms.
 * Returns 1 data, 0 end of file, -1 error, -2 timeout. */
static int smtpd_conn_read(struct smtpd_conn *c, long long deadline_ms)
{
	for (;;) {
		size_t room;
		char *space = smtpd_lines_space(&c->in, &room);
		ssize_t n = recv(c->fd, space, room, 0);
		int w;

		if (n > 0) {
			smtpd_lines_filled(&c->in, (size_t)n);
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		w = smtpd_conn_wait(c, POLLIN, deadline_ms);
		if (w <= 0)
			return w == 0 ? -2 : -1;
	}
}

/* Ends the connection so the last reply arrives (see above). */
static void smtpd_conn_linger(struct smtpd_conn *c)
{
	long long deadline = smtpd_conn_now_ms() + SMTPD_CONN_LINGER_MS;
	size_t drained = 0;
	char sink[4096];

	if (smtpd_lines_pending(&c->in) == 0 &&
	    (recv(c->fd, sink, 1, MSG_PEEK | MSG_DONTWAIT) <= 0))
		return;         /* nothing unread: a plain close sends FIN */
	if (shutdown(c->fd, SHUT_WR) < 0)
		return;
	while (drained < SMTPD_CONN_LINGER_BYTES) {
		ssize_t n = recv(c->fd, sink, sizeof(sink), 0);

		if (n > 0) {
			drained += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return;
		if (errno != EINTR && smtpd_conn_wait(c, POLLIN, deadline) != 1)
			return;
	}
}

void smtpd_conn_serve(int fd, struct smtpd_session *s, int timeout_ms)
{
	static struct smtpd_conn c;     /* 24 KB: off the stack, one at a time */
	int flags = fcntl(fd, F_GETFL);
	long long deadline;

	c.fd = fd;
	c.timeout_ms = timeout_ms;
	smtpd_lines_init(&c.in);
	smtpd_out_init(&c.out);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return;
	smtpd_session_greet(s, &c.out);
	deadline = smtpd_conn_now_ms() + timeout_ms;
	while (!smtpd_session_closed(s)) {
		const char *line;
		size_t len;
		unsigned lflags;
		int r;

		if (smtpd_lines_next(&c.in, &line, &len, &lflags)) {
			if (c.out.len > sizeof(c.out.buf) - SMTPD_OUT_RESERVE_BYTES &&
			    smtpd_conn_flush(&c) < 0)
				break;
			smtpd_session_line(s, line, len, lflags, &c.out);
			/* The next line's deadline starts now. */
			deadline = smtpd_conn_now_ms() + timeout_ms;
			continue;
		}
		/* Nothing left to answer: send the batch, then wait. */
		if (smtpd_conn_flush(&c) < 0)
			break;
		r = smtpd_conn_read(&c, deadline);
		if (r == -2)
			smtpd_session_timeout(s, &c.out);
		else if (r <= 0)
			break;
	}
	if (smtpd_conn_flush(&c) == 0)
		smtpd_conn_linger(&c);
	smtpd_session_end(s);
}
