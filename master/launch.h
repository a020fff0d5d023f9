/* launch.h - starting one worker process, the secure way and at a cost
 * that grows with neither the master's memory nor its fd count.
 *
 * The parent prepares everything (paths, argv, envp, ids, fd numbers, and
 * the service's isolation: capabilities, rlimits, cgroup, namespaces,
 * chroot); the child is created with clone(CLONE_VM|CLONE_CHILD_CLEARTID|
 * CLONE_FILES) (clone3 with CLONE_INTO_CGROUP when the service has a
 * cgroup) on a small stack of its own; the master waits for its exec as
 * vfork would, but looks at it while it waits (a child stopped before its
 * exec is killed: launch_wait.c); it shares the master's memory until exec,
 * and therefore runs only
 * raw system calls, in this order: its own fd table, made of the few low
 * fds the parent put in the launcher's block (launch_block.c: the cost
 * does not grow with the master's fd count); new session; signal
 * dispositions reset;
 * rlimits; cgroup (fallback path); namespaces; the jail entered through
 * its fd (fchdir, chroot(".")) and chdir("/");
 * inheritable and ambient capabilities for the kept ones; bounding set
 * emptied (inherited empty: launcher_init empties the master's own, which
 * never execs); securebits locked; supplementary groups, gid, uid; every
 * capability set cleared but the kept ones; the id change checked to be
 * irreversible; parent-death signal; no_new_privs; umask; fds placed per
 * the worker contract and all others closed; signal mask emptied; exec
 * (execveat of the command's fd, checked at load; execve of the path for a
 * "#!" script).
 * A failing step is reported back through shared memory (which step,
 * which errno) and the child exits 127 without exec. A child stopped
 * before its exec (from its setresuid on, the worker's user may signal it)
 * or not through it within 30 s is killed: the step is then "exec
 * (stopped before it: killed)" or "exec (too slow: killed)". */
#ifndef MASTER_LAUNCH_H
#define MASTER_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LAUNCH_LISTEN_MAX 64
#define LAUNCH_RLIMITS_MAX 8
/* The fd block (launch_block.c): one slot for every fd a child may need
 * (listening sockets, status channel, stderr stream, /dev/null, the command,
 * cgroup.procs, two namespaces, the jail). */
#define LAUNCH_BLOCK_SLOTS (LAUNCH_LISTEN_MAX + 8)

struct launcher {
	void *stack;        /* mmap'd child stack, reused for every launch */
	int32_t *exec_word; /* at its low end: set until the child has exec'd
			     * or exited (CLONE_CHILD_CLEARTID; launch.c) */
	size_t stack_size;
	int devnull_fd;     /* the workers' fd 0 and 1 */
	unsigned cap_last;  /* highest capability the kernel knows (cap_last_cap) */
	bool privileged;    /* the master holds CAP_SETPCAP: it can empty the
			     * bounding set and lock securebits */
	bool clone3_missing; /* ENOSYS seen: cgroup placement by cgroup.procs */
	bool bset_empty;    /* the master's own bounding set is empty already,
			     * so each child inherits an empty one */
	bool copy_fd_table; /* launch without the fd block, as before it: the
			     * child gets a copy of the whole table (benchmarks
			     * compare the two) */
	int block[LAUNCH_BLOCK_SLOTS]; /* reserved low fd numbers, each a copy
					* of devnull_fd between launches */
	size_t nblock;      /* 0: no block, every launch copies the table */
	int block_lo;       /* the lowest slot: fds below it are used in place */
	dev_t devnull_dev;  /* what a parked slot holds (a check where the */
	ino_t devnull_ino;  /* kernel has no F_DUPFD_QUERY, before 6.10) */
};

struct launch_rlimit {
	int resource;         /* RLIMIT_NOFILE... */
	unsigned long long value; /* soft = hard; RLIM64_INFINITY for unlimited */
	const char *step;     /* "rlimit_nofile": the name a failure reports */
	unsigned long long hard;  /* 0: the same as value; else the hard limit (fdlimit.h) */
};

/* A service's isolation, prepared once in the parent (isolation.c).
 * launch_isolation_init() gives "none of it"; a NULL pointer in the spec
 * means the same. fds are the master's (O_CLOEXEC), -1 when unused. */
struct launch_isolation {
	uint64_t caps_keep;   /* capability bits kept (ambient); 0 = none */
	struct launch_rlimit rlimits[LAUNCH_RLIMITS_MAX];
	size_t nrlimits;
	int cgroup_fd;        /* the service's cgroup directory (CLONE_INTO_CGROUP) */
	int cgroup_procs_fd;  /* its cgroup.procs (where clone3 is missing) */
	int netns_fd;         /* /proc/PID/ns/net of the service's namespace */
	int mntns_fd;         /* /proc/PID/ns/mnt of the service's namespace */
	/* The jail, opened and checked at load (config_paths.h), entered by
	 * fchdir + chroot("."): a path swapped since cannot change it. Inside
	 * the service's mount namespace that fd would lead back to the
	 * master's mounts (hiding the namespace's /tmp), so there the jail is
	 * found again by its path and must be the same directory. */
	int root_fd;          /* -1: no jail */
	dev_t root_dev;
	ino_t root_ino;
	const char *chroot;   /* its path (only for the lookup above) */
	int exec_fd;          /* the command, opened and checked at load: exec'd
			       * with execveat; -1: execve of spec->path */
};

struct launch_spec {
	const char *path;       /* a path inside the jail: exec'd where iso has no
				 * exec_fd, named in errors otherwise */
	char *const *argv;
	char *const *envp;
	char *pid_digits;       /* where the child writes its pid (LISTEN_PID=...) */
	size_t pid_digits_size; /* room there, NUL included */
	const int *listen_fds;  /* become fds 3 .. 3+nlisten-1 */
	size_t nlisten;
	int status_fd;          /* becomes fd 3+nlisten; -1: none (not a protocol worker) */
	int stderr_fd;          /* becomes fd 2 */
	bool set_ids;           /* switch to uid/gid/groups (root master only) */
	bool fresh_uid;         /* uid is new to its holder (a dynamic user): its
				 * kernel keyrings are emptied (launch_confine.c) */
	bool deny_userns;       /* no user namespace (launch_seccomp.c) */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
	pid_t parent;           /* the master: the worker dies with it */
	unsigned umask;
	const struct launch_isolation *iso; /* NULL: no isolation beyond the above */
};

struct launch_error {
	const char *step; /* NULL if the exec happened */
	int err;          /* errno of that step */
};

/* Sets up the launcher. In a privileged master this also empties the
 * master's own capability bounding set and fills its inheritable set (see
 * launch_caps.c for why): nothing the master holds changes. It reserves
 * the fd block too: call it early, while the lowest fd numbers are free
 * (a block higher up still works; each launch then copies a little more).
 * The block's slots are the launcher's own: nothing else may close them. */
int launcher_init(struct launcher *l);
void launcher_fini(struct launcher *l);
void launch_isolation_init(struct launch_isolation *iso);
/* Starts a worker. Returns its pid, or -1 with *e saying which step failed
 * (the failed child has already been reaped). On return the block holds
 * nothing of the worker's: the master's table is as it was. */
pid_t launch_start(struct launcher *l, const struct launch_spec *spec,
		   struct launch_error *e);

#endif
