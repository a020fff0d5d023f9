/* copyproc.h - a helper process that is a copy of the master (the
 * master.conf reader, the resolver): exit signal 0, one socket, nothing
 * else open. */
#ifndef MASTER_COPYPROC_H
#define MASTER_COPYPROC_H

#include <sys/types.h>

/* The fd the copy's socket has in the copy. */
#define COPYPROC_FD 3

/* Starts a copy of this process that runs child(COPYPROC_FD) with only
 * that socket open (a socketpair of type socktype; the other end is
 * *fd), no core dumps, and never returns from child. Its exit signal is
 * 0: the loop's waitpid(-1) never reaps it, nor does the orphan scan take
 * it for one (contain_reaper.c); copyproc_wait() does. Call it while the
 * process has one thread. 0, or -1 with errno. */
int copyproc_start(int socktype, void (*child)(int fd), pid_t *pid, int *fd);

/* Waits for the copy pid; its wait status, or -1 with errno. */
int copyproc_wait(pid_t pid);

#endif
