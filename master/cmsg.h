/* cmsg.h - what a received message's control data says of its sender: the
 * credentials the kernel vouches for (SCM_CREDENTIALS), and the fds it
 * passed along (SCM_RIGHTS), which are closed at once: the master never
 * keeps an fd a worker sent it. Used by every socket the master reads with
 * SO_PASSCRED (notification sockets, the shared stderr). */
#ifndef MASTER_CMSG_H
#define MASTER_CMSG_H

#include <sys/socket.h>
#include <sys/types.h>

struct cmsg_sender {
	pid_t pid;       /* 0: no credentials */
	uid_t uid;
	unsigned fds;    /* passed along, and closed */
};

/* Walks mh's control data after a recvmsg. */
void cmsg_take(struct msghdr *mh, struct cmsg_sender *out);

#endif
