/* daemon.h - becoming a daemon and the process set-up around it: std fds
 * that are always open, the double fork, the run directory (the fd limit
 * is fdlimit.h's).
 * main.c decides the order; this file only does each step. */
#ifndef MASTER_DAEMON_H
#define MASTER_DAEMON_H

#include <sys/types.h>

/* fds 0-2 must be open, or the first socket opened becomes "stderr". */
void daemon_fix_std_fds(void);
/* fork, setsid, fork again (not a session leader: it can never acquire a
 * controlling terminal), chdir /, umask 022, fds 0-2 on /dev/null. Returns
 * in the daemon with *ready_fd set; the original process waits until the
 * daemon calls daemon_ready() (exit 0) or dies first (exit 1), so that the
 * shell sees `master` return only once the pid file names the daemon.
 * Returns -1 with errno, still in the original process, if a step failed. */
int daemon_detach(int *ready_fd);
/* Tells the waiting original process that start-up is complete. */
void daemon_ready(int ready_fd);
/* mkdir -p; the last component gets mode. Returns 0 or -1 with errno. */
int daemon_mkdir_p(const char *path, mode_t mode);
/* dir made absolute against the current directory (the daemon chdirs to
 * "/", and a reload re-reads dir). Returns a malloc'd string or NULL. */
char *daemon_absolute(const char *dir);

#endif
