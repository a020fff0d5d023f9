/* notifysock.c - owns the notification sockets' system calls (see
 * notifysock.h). Nothing here is fatal; nothing blocks. */
#include "notifysock.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmsg.h"

/* Credentials plus a few passed fds; more are discarded by the kernel
 * (MSG_CTRUNC), which closes them itself. */
#define NOTIFYSOCK_FDS_MAX 16

int notifysock_open(char *name, size_t size)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int one = 1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* An address of the family alone: the kernel binds a unique
	 * abstract name (unix(7), "autobind"). */
	(void)cmsg_refuse_fds(fd); /* a passed fd's close could block us (cmsg.h) */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sa_family_t)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sun, &len) < 0)
		goto fail;
	size_t n = len - offsetof(struct sockaddr_un, sun_path);
	if (n < 2 || sun.sun_path[0] != '\0' || n + 1 > size) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	name[0] = '@';
	memcpy(name + 1, sun.sun_path + 1, n - 1);
	name[n] = '\0';
	return fd;
fail:;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int notifysock_recv(int fd, char *buf, size_t size, struct notifysock_dgram *d)
{
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(struct ucred)) +
			   CMSG_SPACE(sizeof(int) * NOTIFYSOCK_FDS_MAX)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.bytes, .msg_controllen = sizeof(ctl.bytes),
	};
	ssize_t n;

	memset(d, 0, sizeof(*d));
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	struct cmsg_sender from;
	cmsg_take(&mh, &from);
	d->pid = from.pid;
	d->uid = from.uid;
	d->fds = from.fds;
	d->truncated = (size_t)n > size || (mh.msg_flags & MSG_TRUNC) != 0;
	d->len = (size_t)n > size ? size : (size_t)n;
	return 1;
}
