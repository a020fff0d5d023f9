/* libmaster_type.c - owns what one request is for each service type, for
 * libmaster's loop (see libmaster_type.h): checking the listening fds,
 * taking a request without blocking, and turning it into the fd the
 * handler gets. Nothing here allocates per request (a datagram service
 * has one buffer for the worker's life). */
#include "libmaster_type.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Descriptors taken from one pass message: the first is served, the rest
 * closed (a well-behaved passer sends one). */
#define LIBMASTER_TYPE_PASS_FDS_MAX 8

static int libmaster_type_why(char *why, size_t size, const char *what)
{
	snprintf(why, size, "%s: %s", what, strerror(errno));
	return -1;
}

static int libmaster_type_sock_type(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ? -1 : type;
}

int libmaster_type_setup(struct libmaster_types *t, const char *value, int first_fd,
			 char *why, size_t why_size)
{
	struct stat st;

	t->buf = NULL;
	if (value == NULL || value[0] == '\0') { /* a master that does not say */
		if (fstat(first_fd, &st) == 0 && S_ISFIFO(st.st_mode))
			t->type = LIBMASTER_TYPE_FIFO;
		else if (libmaster_type_sock_type(first_fd) == SOCK_DGRAM)
			t->type = LIBMASTER_TYPE_DGRAM;
		else
			t->type = LIBMASTER_TYPE_STREAM;
	} else if (strcmp(value, "inet") == 0 || strcmp(value, "unix") == 0) {
		t->type = LIBMASTER_TYPE_STREAM;
	} else if (strcmp(value, "pass") == 0) {
		t->type = LIBMASTER_TYPE_PASS;
	} else if (strcmp(value, "unix-dgram") == 0) {
		t->type = LIBMASTER_TYPE_DGRAM;
	} else if (strcmp(value, "fifo") == 0) {
		t->type = LIBMASTER_TYPE_FIFO;
	} else {
		snprintf(why, why_size, "MASTER_SERVICE_TYPE=\"%.32s\": not a known type", value);
		return -1;
	}
	if (t->type == LIBMASTER_TYPE_DGRAM &&
	    (t->buf = malloc(LIBMASTER_TYPE_DGRAM_MAX_BYTES)) == NULL)
		return libmaster_type_why(why, why_size, "datagram buffer");
	return 0;
}

void libmaster_type_free(struct libmaster_types *t)
{
	free(t->buf);
	t->buf = NULL;
}

int libmaster_type_check_fd(const struct libmaster_types *t, int fd, char *why, size_t why_size)
{
	int fdflags = fcntl(fd, F_GETFD), flflags, listening = 0;
	socklen_t len = sizeof(listening);
	struct stat st;

	if (fdflags < 0 || fstat(fd, &st) < 0) {
		snprintf(why, why_size, "listener fd %d: %s", fd, strerror(errno));
		return -1;
	}
	if (t->type == LIBMASTER_TYPE_FIFO) {
		if (!S_ISFIFO(st.st_mode)) {
			snprintf(why, why_size, "listener fd %d: not a fifo", fd);
			return -1;
		}
	} else if (libmaster_type_sock_type(fd) !=
		   (t->type == LIBMASTER_TYPE_DGRAM ? SOCK_DGRAM : SOCK_STREAM)) {
		snprintf(why, why_size, "listener fd %d: not a %s socket", fd,
			 t->type == LIBMASTER_TYPE_DGRAM ? "datagram" : "stream");
		return -1;
	} else if (t->type != LIBMASTER_TYPE_DGRAM &&
		   (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
		    !listening)) {
		snprintf(why, why_size, "listener fd %d: not a listening socket", fd);
		return -1;
	}
	/* Close-on-exec, so a handler that execs (spawn) cannot leak it;
	 * non-blocking: the whole pool wakes on one request at worst, and
	 * the losers must get EAGAIN, not sleep in accept or read. */
	flflags = fcntl(fd, F_GETFL);
	if (fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC) < 0 || flflags < 0 ||
	    fcntl(fd, F_SETFL, flflags | O_NONBLOCK) < 0) {
		snprintf(why, why_size, "listener fd %d: fcntl: %s", fd, strerror(errno));
		return -1;
	}
	return 0;
}

/* accept(2) failures that are the client's or a lost race, not ours. */
static bool libmaster_type_accept_retry(int err)
{
	switch (err) {
	case EAGAIN:            /* another worker won the race */
#if EAGAIN != EWOULDBLOCK
	case EWOULDBLOCK:
#endif
	case ECONNABORTED:      /* the client gave up in the backlog */
	case EINTR:
	/* accept(2): Linux reports pending network errors of the new
	 * connection here; they are the client's, not ours. */
	case ENETDOWN: case EPROTO: case ENOPROTOOPT: case EHOSTDOWN:
	case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
	case EPERM:             /* firewall rules */
		return true;
	default:
		return false;
	}
}

int libmaster_type_take(const struct libmaster_types *t, int fd, struct libmaster_request *req,
			char *why, size_t why_size)
{
	ssize_t n;
	int avail = 0;

	req->fd = req->handler_fd = -1;
	req->len = 0;
	why[0] = '\0';
	switch (t->type) {
	case LIBMASTER_TYPE_STREAM:
	case LIBMASTER_TYPE_PASS:
		if ((req->fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			if (t->type == LIBMASTER_TYPE_STREAM)
				req->handler_fd = req->fd;
			return 1;
		}
		if (libmaster_type_accept_retry(errno))
			return 0;
		snprintf(why, why_size, "accept on fd %d: %s", fd, strerror(errno));
		return -1;
	case LIBMASTER_TYPE_DGRAM:
		/* MSG_TRUNC: n is the datagram's real length. */
		n = recv(fd, t->buf, LIBMASTER_TYPE_DGRAM_MAX_BYTES, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			snprintf(why, why_size, "recv on fd %d: %s", fd, strerror(errno));
			return -1;
		}
		if (n > LIBMASTER_TYPE_DGRAM_MAX_BYTES) {
			snprintf(why, why_size, "a datagram of %zd bytes dropped (at most %d)", n,
				 LIBMASTER_TYPE_DGRAM_MAX_BYTES);
			return 0;
		}
		req->len = (size_t)n;
		return 1;
	case LIBMASTER_TYPE_FIFO:
		/* Readable for us, unless a sibling already read it all. */
		if (ioctl(fd, FIONREAD, &avail) < 0) {
			snprintf(why, why_size, "FIONREAD on fd %d: %s", fd, strerror(errno));
			return -1;
		}
		if (avail <= 0)
			return 0;
		req->fd = req->handler_fd = fd;
		return 1;
	}
	return 0;
}

/* A pass request: the descriptor sent over the carrier connection. */
static int libmaster_type_receive(struct libmaster_request *req, char *why, size_t why_size)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * LIBMASTER_TYPE_PASS_FDS_MAX)];
	} ctl;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	struct pollfd pfd = { .fd = req->fd, .events = POLLIN };
	ssize_t n;
	int rc;

	while ((rc = poll(&pfd, 1, LIBMASTER_TYPE_PASS_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (rc <= 0) {
		snprintf(why, why_size, "pass: no descriptor within %d ms",
			 LIBMASTER_TYPE_PASS_TIMEOUT_MS);
		return -1;
	}
	while ((n = recvmsg(req->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	for (struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; cm != NULL;
	     cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int got;
			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (req->handler_fd < 0)
				req->handler_fd = got;
			else
				close(got);
		}
	}
	if (req->handler_fd < 0) {
		snprintf(why, why_size, "pass: %s", n < 0 ? strerror(errno)
			 : n == 0 ? "the passer closed without a descriptor" : "no descriptor passed");
		return -1;
	}
	/* As accept(2) gives it: blocking (the flag is on the file
	 * description the passer shared with us). */
	int fl = fcntl(req->handler_fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		(void)fcntl(req->handler_fd, F_SETFL, fl & ~O_NONBLOCK);
	return 0;
}

int libmaster_type_open(const struct libmaster_types *t, struct libmaster_request *req,
			char *why, size_t why_size)
{
	int pair[2];

	switch (t->type) {
	case LIBMASTER_TYPE_PASS:
		return libmaster_type_receive(req, why, why_size);
	case LIBMASTER_TYPE_DGRAM:
		/* A private packet socket holding just this datagram: one recv
		 * returns it whole, the next end-of-file; nobody else can take
		 * it, unlike the shared socket. */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
			return libmaster_type_why(why, why_size, "socketpair");
		if (send(pair[0], t->buf, req->len, MSG_NOSIGNAL) != (ssize_t)req->len) {
			libmaster_type_why(why, why_size, "datagram copy");
			close(pair[0]);
			close(pair[1]);
			return -1;
		}
		close(pair[0]);
		req->handler_fd = pair[1];
		return 0;
	case LIBMASTER_TYPE_STREAM:
	case LIBMASTER_TYPE_FIFO:
		break;
	}
	return 0;
}

void libmaster_type_done(const struct libmaster_types *t, struct libmaster_request *req)
{
	if (t->type == LIBMASTER_TYPE_FIFO) /* the shared pipe stays */
		return;
	if (req->handler_fd >= 0 && req->handler_fd != req->fd)
		(void)close(req->handler_fd);
	if (req->fd >= 0)
		(void)close(req->fd);
	req->fd = req->handler_fd = -1;
}
