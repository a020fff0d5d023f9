/* launch.h - starting one worker process, the secure way and at a cost
 * that does not grow with the master's memory.
 *
 * The parent prepares everything (paths, argv, envp, ids, fd numbers); the
 * child is created with clone(CLONE_VM|CLONE_VFORK) on a small stack of its
 * own, shares the master's memory until exec, and therefore runs only raw
 * system calls: new session, signal dispositions and mask reset, fds placed
 * per the worker contract and all others closed, supplementary groups, gid,
 * uid, no_new_privs, exec. A failing step is reported back through shared
 * memory (which step, which errno) and the child exits 127 without exec. */
#ifndef MASTER_LAUNCH_H
#define MASTER_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LAUNCH_LISTEN_MAX 64

struct launcher {
	void *stack;        /* mmap'd child stack, reused for every launch */
	size_t stack_size;
	int devnull_fd;     /* the workers' fd 0 and 1 */
};

struct launch_spec {
	const char *path;
	char *const *argv;
	char *const *envp;
	char *pid_digits;       /* where the child writes its pid (LISTEN_PID=...) */
	size_t pid_digits_size; /* room there, NUL included */
	const int *listen_fds;  /* become fds 3 .. 3+nlisten-1 */
	size_t nlisten;
	int status_fd;          /* becomes fd 3+nlisten */
	int stderr_fd;          /* becomes fd 2 */
	bool set_ids;           /* switch to uid/gid/groups (root master only) */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
	pid_t parent;           /* the master: the worker dies with it */
	unsigned umask;
};

struct launch_error {
	const char *step; /* NULL if the exec happened */
	int err;          /* errno of that step */
};

int launcher_init(struct launcher *l);
void launcher_fini(struct launcher *l);
/* Starts a worker. Returns its pid, or -1 with *e saying which step failed
 * (the failed child has already been reaped). */
pid_t launch_start(struct launcher *l, const struct launch_spec *spec,
		   struct launch_error *e);

#endif
