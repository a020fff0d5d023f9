/* rundir.h - the run directory (run_directory), and the directories of
 * the control socket and the pid file where those live elsewhere. Made at
 * start if missing, and checked at start and at every reload: owned by
 * root (or by the master's uid when it does not run as root), not writable
 * by group or others, every directory above it owned by root or the
 * master's uid (safepath.h). One that fails is refused, naming its path,
 * owner and mode: whoever may write it can plant the symlinks and files
 * that root then acts on.
 *
 * A run directory removed while the master runs is made again, with the
 * control socket and the locked pid file: as soon as the master sees it
 * go (inotify, once the removal has settled for 200 ms), or at the latest
 * on the next SIGHUP or reload. A control socket or pid file removed alone
 * comes back the same way. */
#ifndef MASTER_RUNDIR_H
#define MASTER_RUNDIR_H

#include <stddef.h>

#include "event.h"

#define RUNDIR_DIRS_MAX 3

struct master;
struct outbuf;

struct rundir {
	struct master *m;        /* NULL: not open */
	char *dirs[RUNDIR_DIRS_MAX]; /* run_directory first, then the others */
	const char *labels[RUNDIR_DIRS_MAX]; /* "run directory", ... */
	size_t ndirs;
	struct event_watch watch; /* inotify: the run directory's files going */
	struct event_watch timer; /* timerfd: check once the removal settles */
	int wd;                  /* its watch; -1: none */
	int main_pid_fd;         /* main()'s locked pid file (borrowed) */
	int pid_fd;              /* one made again after a removal; -1 */
	char *pid_path;
	/* What else lives in the run directory and must be made again after a
	 * removal (the control socket: control.c registers it, so that this
	 * file calls nobody by name). */
	void (*repair)(void *arg);
	void *repair_arg;
};

/* fn(arg) runs after every check that may have made the directory anew. */
void rundir_on_repair(struct rundir *rd, void (*fn)(void *arg), void *arg);

/* Makes (mkdir -p, mode 0755) and checks each directory of m's settings.
 * Returns 0, or -1 with the reason logged ("run directory /run/master:
 * owned by uid 1000 (mode 0755), not root: refused"). */
int rundir_open(struct rundir *rd, struct master *m);
/* The pid file main() holds locked (pidfile.h), to tell when it is gone. */
void rundir_pid_file(struct rundir *rd, int fd);
/* Starts watching the run directory (m->loop exists). */
void rundir_watch(struct rundir *rd);
/* Checks every directory again; makes again what was removed (directory,
 * control socket, pid file), each logged. Returns 0, or -1 with the
 * reason logged and added to reply (which may be NULL). */
int rundir_check(struct rundir *rd, struct outbuf *reply);
void rundir_close(struct rundir *rd);

/* Opens dir (O_PATH) and checks it as above; label names it in why
 * ("run directory /x: writable by its group (owned by uid 0, mode
 * 0775)"). Returns the fd, or -1 with why. */
int rundir_open_dir(const char *dir, const char *label, char *why, size_t size);

#endif
