/* passfd.c - a worker that passes the master an fd whose last close
 * blocks, for the end-to-end test of the master's refusal of passed fds
 * (master/cmsg.h).
 *
 * The fd: a loopback TCP connection (to a listener of its own) whose peer
 * never reads, its send queue filled, SO_LINGER set to LINGER_S: the last
 * close of it waits up to LINGER_S for the queue to drain. It travels
 * inside the queue of a socketpair of ours, so that once we close our
 * ends, whoever receives that socketpair holds its last reference.
 *
 * Usage: passfd LINGER_S WHERE
 *   WHERE status  attaches it to the "ready" packet on MASTER_STATUS_FD
 *   WHERE stderr  attaches it to a line written on fd 2 (with
 *                 worker_stderr=shared, a socket), then says "ready"
 *   WHERE notify  attaches it to "READY=1" sent to $NOTIFY_SOCKET (a
 *                 ready=notify service: no status channel)
 * If the master refuses the fd (sendmsg fails with EPERM), the message
 * goes again without it. Then it answers each client on fd 3 with
 * "passfd sent" or "passfd refused ERRNO-TEXT", and keeps the TCP peer
 * open, for at most PASSFD_LIFE_S. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PASSFD_LISTEN_FD 3
#define PASSFD_LIFE_S 120
#define PASSFD_BUF_BYTES 4096
#define PASSFD_QUEUE_MAX_BYTES (64L << 20)
#define PASSFD_LINE_BYTES 128

/* One message on fd, carrying fd_passed (SCM_RIGHTS) when >= 0. */
static ssize_t passfd_send(int fd, const char *text, int fd_passed)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd_passed >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd_passed, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL);
}

/* A datagram socket connected to $NOTIFY_SOCKET ("@name": abstract), or -1. */
static int passfd_notify_socket(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = name != NULL ? strlen(name) : 0;
	int fd;

	if (len == 0 || len >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, name, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun,
			       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The lingering connection; its unread peer in *peer. -1 on failure. */
static int passfd_lingering(int linger_s, int *peer)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int small = PASSFD_BUF_BYTES, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[PASSFD_BUF_BYTES];
	long queued = 0;

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	(void)setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (*peer = accept(l, NULL, NULL)) < 0)
		return -1;
	(void)setsockopt(*peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	close(l);
	memset(buf, 'x', sizeof(buf));
	while (queued < PASSFD_QUEUE_MAX_BYTES) {
		ssize_t n = send(c, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break; /* full: the peer never reads */
		queued += n;
	}
	struct linger lg = { .l_onoff = 1, .l_linger = linger_s };
	if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		return -1;
	return c;
}

/* fd inside a socketpair's queue: the holder of the returned end holds
 * fd's last reference once ours are closed. */
static int passfd_nest(int fd)
{
	int sp[2];

	if (fd < 0 || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	if (passfd_send(sp[0], "x", fd) < 0)
		return -1;
	close(fd);
	close(sp[0]);
	return sp[1];
}

/* Refused: the lingering socket is still ours, in nested's queue, and our
 * own close would wait for it. Taken back and reset (linger 0) first. */
static void passfd_defuse(int nested)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct linger now = { .l_onoff = 1, .l_linger = 0 };

	if (recvmsg(nested, &mh, MSG_DONTWAIT) < 0)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
			close(fd);
		}
}

int main(int argc, char **argv)
{
	const char *env = getenv("MASTER_STATUS_FD");
	const char *where = argc > 2 ? argv[2] : "status";
	int status_fd = env != NULL ? atoi(env) : -1, peer = -1, target;
	int linger_s = argc > 1 ? atoi(argv[1]) : 30;
	char verdict[PASSFD_LINE_BYTES];
	const char *text = "ready";
	time_t end = time(NULL) + PASSFD_LIFE_S;

	if (strcmp(where, "notify") == 0) {
		target = passfd_notify_socket();
		text = "READY=1";
	} else if (strcmp(where, "stderr") == 0) {
		target = 2;
		text = "passfd: a line with an fd\n";
	} else {
		target = status_fd;
	}
	if (target < 0) {
		fprintf(stderr, "passfd: nowhere to send to (%s)\n", where);
		return 2;
	}
	int nested = passfd_nest(passfd_lingering(linger_s, &peer));
	if (nested < 0) {
		fprintf(stderr, "passfd: cannot make the lingering socket: %s\n", strerror(errno));
		return 2;
	}
	if (passfd_send(target, text, nested) < 0) {
		snprintf(verdict, sizeof(verdict), "passfd refused %s\n", strerror(errno));
		(void)passfd_send(target, text, -1);
		passfd_defuse(nested);
	} else {
		snprintf(verdict, sizeof(verdict), "passfd sent\n");
	}
	close(nested);
	if (target == 2)
		(void)passfd_send(status_fd, "ready", -1);
	(void)fcntl(PASSFD_LISTEN_FD, F_SETFL, fcntl(PASSFD_LISTEN_FD, F_GETFL) | O_NONBLOCK);
	while (time(NULL) < end) {
		struct pollfd p[2] = { { .fd = PASSFD_LISTEN_FD, .events = POLLIN },
				       { .fd = status_fd, .events = POLLIN } };
		if (poll(p, status_fd >= 0 ? 2 : 1, 1000) <= 0)
			continue;
		if (status_fd >= 0 && p[1].revents != 0) {
			char word[16];
			ssize_t n = recv(status_fd, word, sizeof(word), MSG_DONTWAIT);
			if (n == 0 || (n > 0 && strncmp(word, "stop", 4) == 0))
				break; /* the master is gone, or says stop */
		}
		int c = accept4(PASSFD_LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0) {
			(void)send(c, verdict, strlen(verdict), MSG_NOSIGNAL);
			close(c);
		}
	}
	close(peer);
	return 0;
}
