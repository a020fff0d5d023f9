/* pidfile.h - one master per run directory: a pid file held under an
 * exclusive flock(2) for the master's whole life. The lock, not the file's
 * existence, is the truth, so a master that died leaves nothing to clean.
 * The lock belongs to the open file description, so it survives the
 * daemon's forks: taken before them (errors reach the terminal), the pid
 * rewritten by the final process. Mode 0600: who can open it can lock it
 * (pidfile.c); one found readable or not ours is made again. */
#ifndef MASTER_PIDFILE_H
#define MASTER_PIDFILE_H

/* Locks and writes path with getpid(). Returns the open fd, or -1 with the
 * reason (naming the running master's pid when that is the reason) logged. */
int pidfile_acquire(const char *path);
/* Rewrites the pid (after the daemon's forks). Returns 0 or -1 (logged). */
int pidfile_write(int fd, const char *path);
void pidfile_release(int fd, const char *path);

#endif
