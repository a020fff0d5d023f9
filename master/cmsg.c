/* cmsg.c - owns reading a received message's control data (see cmsg.h).
 * Nothing here is fatal. */
#include "cmsg.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Linux 6.16; the asm-generic number (x86, arm, riscv...), which glibc
 * 2.36 does not name yet. */
#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83
#endif

int cmsg_refuse_fds(int fd)
{
	static bool warned;
	int off = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off)) == 0)
		return 0;
	if (!warned) {
		warned = true;
		log_warn("SO_PASSRIGHTS: %s (Linux 6.16 or later): workers can still pass the "
			 "master fds, and one whose last close blocks holds up the master",
			 strerror(errno));
	}
	return -1;
}

void cmsg_take(struct msghdr *mh, struct cmsg_sender *out)
{
	*out = (struct cmsg_sender){ 0 };
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred uc;
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			out->pid = uc.pid;
			out->uid = uc.uid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < n; i++) {
				int passed;
				memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(passed);
			}
			out->fds += (unsigned)n;
		}
	}
}
