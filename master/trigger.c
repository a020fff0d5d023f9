/* trigger.c - owns sending one-byte triggers to services (see trigger.h).
 * Every socket here is non-blocking and every send MSG_DONTWAIT: a
 * trigger costs the master a few system calls and never a wait. Local
 * services are reached by the path the master bound, in a directory only
 * root writes (rundir.h). Nothing here allocates; nothing is fatal. */
#include "trigger.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmsg.h"

static const char trigger_byte = TRIGGER_WAKEUP_BYTE;

static enum trigger_result trigger_fail(int fd, char *why, size_t size, const char *what)
{
	snprintf(why, size, "%s: %s", what, strerror(errno));
	if (fd >= 0)
		close(fd);
	return TRIGGER_FAILED;
}

static enum trigger_result trigger_send_byte(int fd, char *why, size_t size)
{
	if (send(fd, &trigger_byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
		return trigger_fail(fd, why, size, "send");
	close(fd);
	return TRIGGER_SENT;
}

/* Passes one end of a socket pair over conn; the other end has written
 * the byte and is closed, so the receiver reads the byte, then EOF. */
static enum trigger_result trigger_pass(int conn, char *why, size_t size)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	/* The carrier's own byte is not the request (the passed fd holds it). */
	static const char carrier_byte = '\0';
	struct iovec iov = { .iov_base = (void *)&carrier_byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
		return trigger_fail(conn, why, size, "socketpair");
	if (send(pair[0], &trigger_byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1) {
		close(pair[0]);
		close(pair[1]);
		return trigger_fail(conn, why, size, "send");
	}
	close(pair[0]);
	memset(ctl.buf, 0, sizeof(ctl.buf));
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pair[1], sizeof(int));
	ssize_t n = sendmsg(conn, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	int saved = errno;
	close(pair[1]);
	errno = saved;
	if (n != 1)
		return trigger_fail(conn, why, size, "sendmsg");
	close(conn);
	return TRIGGER_SENT;
}

static enum trigger_result trigger_local(const struct service_config *c, char *why, size_t size)
{
	int kind = c->type == SERVICE_UNIX_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(AF_UNIX, kind | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	const struct sockaddr *sa = (const struct sockaddr *)&c->addrs[0].sa;

	if (fd < 0)
		return trigger_fail(-1, why, size, "socket");
	/* The worker at the other end could send fds back: closing them
	 * could block us (cmsg.h). */
	(void)cmsg_refuse_fds(fd);
	if (c->type == SERVICE_UNIX_DGRAM) {
		if (sendto(fd, &trigger_byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL, sa,
			   c->addrs[0].len) != 1)
			return trigger_fail(fd, why, size, "sendto");
		close(fd);
		return TRIGGER_SENT;
	}
	/* A unix stream connect never waits: it succeeds or, with the backlog
	 * full, fails with EAGAIN. */
	if (connect(fd, sa, c->addrs[0].len) < 0)
		return trigger_fail(fd, why, size, "connect");
	return c->type == SERVICE_PASS ? trigger_pass(fd, why, size)
		: trigger_send_byte(fd, why, size);
}

/* The bound address of listen_fd, a wildcard replaced by loopback. */
static int trigger_inet_target(int listen_fd, struct sockaddr_storage *ss, socklen_t *len)
{
	*len = sizeof(*ss);
	if (getsockname(listen_fd, (struct sockaddr *)ss, len) < 0)
		return -1;
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			sin6->sin6_addr = in6addr_loopback;
	}
	return 0;
}

static enum trigger_result trigger_inet(int listen_fd, int *conn_fd, char *why, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (listen_fd < 0 || trigger_inet_target(listen_fd, &ss, &len) < 0)
		return trigger_fail(-1, why, size, "no bound address");
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return trigger_fail(-1, why, size, "socket");
	if (connect(fd, (const struct sockaddr *)&ss, len) == 0)
		return trigger_send_byte(fd, why, size);
	if (errno != EINPROGRESS)
		return trigger_fail(fd, why, size, "connect");
	*conn_fd = fd;
	return TRIGGER_PENDING;
}

enum trigger_result trigger_send(const struct service_config *c, int listen_fd,
				 int *conn_fd, char *why, size_t why_size)
{
	*conn_fd = -1;
	switch (c->type) {
	case SERVICE_FIFO: /* offloop.h's, never the loop's (trigger.h) */
		errno = EINVAL;
		return trigger_fail(-1, why, why_size, "a fifo");
	case SERVICE_INET:
		return trigger_inet(listen_fd, conn_fd, why, why_size);
	case SERVICE_UNIX:
	case SERVICE_UNIX_DGRAM:
	case SERVICE_PASS:
		if (c->naddrs == 0)
			return trigger_fail(-1, why, why_size, "no address");
		return trigger_local(c, why, why_size);
	}
	errno = EINVAL;
	return trigger_fail(-1, why, why_size, "unknown type");
}

enum trigger_result trigger_finish(int conn_fd, char *why, size_t why_size)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(conn_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return trigger_fail(conn_fd, why, why_size, "connect");
	if (err != 0) {
		errno = err;
		return trigger_fail(conn_fd, why, why_size, "connect");
	}
	return trigger_send_byte(conn_fd, why, why_size);
}
