/* libmaster_setup.h - what the master set up for a worker, read and
 * checked (libmaster_setup.c). */
#ifndef LIBMASTER_SETUP_H
#define LIBMASTER_SETUP_H

#include "libmaster_type.h"

#define LIBMASTER_LISTEN_FD_FIRST 3     /* sd_listen_fds(3) convention */

struct libmaster_env {
	int listen_count;       /* listeners at 3 .. 3+listen_count-1 */
	int status_fd;          /* MASTER_STATUS_FD */
	unsigned long max_use;  /* MASTER_MAX_USE; 0: unlimited */
};

/* Reads LISTEN_PID (if set: must be us), LISTEN_FDS, MASTER_STATUS_FD and
 * MASTER_MAX_USE. Returns 0, or -1 after a message naming the variable. */
int libmaster_setup_env(const char *service, struct libmaster_env *env);
/* Checks the status channel (SOCK_SEQPACKET; made close-on-exec) and the
 * listeners (of MASTER_SERVICE_TYPE's kind, non-blocking), and puts them
 * all in a new epoll set, *epoll_fd. Returns 0, or -1 after a message. */
int libmaster_setup_fds(const char *service, const struct libmaster_env *env,
			struct libmaster_types *types, int *epoll_fd);

#endif
