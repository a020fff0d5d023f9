/* pidfile.h - one master per run directory: a pid file held under an
 * exclusive flock(2) for the master's whole life. The lock, not the file's
 * existence, is the truth, so a master that died leaves nothing to clean. */
#ifndef MASTER_PIDFILE_H
#define MASTER_PIDFILE_H

/* Locks and writes path. Returns the open fd, or -1 with the reason
 * (naming the running master's pid when that is the reason) logged. */
int pidfile_acquire(const char *path);
void pidfile_release(int fd, const char *path);

#endif
