/* cmsg.h - what a received message's control data says of its sender: the
 * credentials the kernel vouches for (SCM_CREDENTIALS), and the fds it
 * passed along (SCM_RIGHTS), which are closed at once: the master never
 * keeps an fd a worker sent it. Used by every socket the master reads with
 * SO_PASSCRED (notification sockets, the shared stderr).
 *
 * And the refusal of passed fds altogether (cmsg_refuse_fds), on every
 * AF_UNIX socket a worker or a client can send to: closing a passed fd is
 * not harmless. The master's close may be the last reference of a socket
 * (or of a socket holding one in its queue) whose release waits: a TCP
 * socket with SO_LINGER and a full send queue blocks its last close for as
 * long as the sender chose, and the kernel runs that close in the master,
 * whether it closes the fd itself or the kernel discards it for want of
 * room (MSG_CTRUNC). With SO_PASSRIGHTS off (Linux 6.16) the sender's
 * sendmsg fails with EPERM and nothing reaches the master. */
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
/* Makes fd, an AF_UNIX socket of the master's, refuse SCM_RIGHTS. Returns
 * 0, or -1 where the kernel lacks SO_PASSRIGHTS (before 6.16): then passed
 * fds still arrive and are closed as above, and the first failure is
 * logged, once, as a warning. Never fatal. */
int cmsg_refuse_fds(int fd);

#endif
