/* contain_cg.h - the cgroup v2 file operations containment needs, each on
 * a directory fd and a name below it, so that they work (and are tested)
 * on any tree that looks like cgroupfs: whether a cgroup is populated,
 * killing everything in it (cgroup.kill, or freeze and kill pid by pid
 * where the kernel has no cgroup.kill, before 5.14), counting its
 * processes, removing it, and finding and ending a previous master's
 * leftovers under a base. */
#ifndef MASTER_CONTAIN_CG_H
#define MASTER_CONTAIN_CG_H

#include <stdbool.h>
#include <sys/types.h>

/* What touches processes and directories: real in the master, fakes in
 * the unit tests. kill_pid: SIGKILL one pid read from name's cgroup.procs
 * (only without cgroup.kill); rmdir_at: remove one empty cgroup. */
struct contain_cg_ops {
	int (*kill_pid)(pid_t pid, void *ctx);
	int (*rmdir_at)(int dirfd, const char *name, void *ctx);
	void *ctx;
};

/* How deep the master looks below a service's cgroup: its leaves, and
 * what a worker could have made below its leaf (only an unpriv=n worker
 * can: it owns the files; docs/security.md, "What containment does not
 * do"). cgroup.kill reaches any depth; the pid-by-pid kill after it and
 * the removal of what a worker made stop here. */
#define CONTAIN_CG_DEPTH_MAX 16

/* 1 if dirfd/name/cgroup.events says "populated 1", 0 if "populated 0",
 * -1 if it cannot be read. */
int contain_cg_populated(int dirfd, const char *name);
/* Kills every process in dirfd/name and below: "1" into its cgroup.kill,
 * or, without one, "1" into cgroup.freeze (nothing forks meanwhile); then
 * ops->kill_pid for each pid of every cgroup.procs in the subtree, in
 * both cases: cgroup.kill passes over a process whose main thread has
 * exited while its other threads live on (seen on Linux 6.18: such a
 * worker, ignoring SIGTERM, outlived every kill and held `stop` for
 * ever), and kill(2) of its pid ends it. Returns 0, or -1 with errno (no
 * cgroup.kill written, nothing signalled). */
int contain_cg_kill(int dirfd, const char *name, const struct contain_cg_ops *ops);
/* Processes listed in the cgroup.procs files of dirfd/name and below. */
unsigned contain_cg_count(int dirfd, const char *name, unsigned depth);
/* Removes dirfd/name and every cgroup below it, deepest first (a cgroup
 * with processes or children refuses: EBUSY, ENOTEMPTY). 0 or -1. */
int contain_cg_remove(int dirfd, const char *name, const struct contain_cg_ops *ops,
		      unsigned depth);

struct contain_cg_tally {
	unsigned procs;   /* processes found */
	unsigned cgroups; /* service cgroups killed */
};
/* A starting master's sweep of base_fd: every service cgroup
 * (contain_path_is_service) with processes in it is killed and counted;
 * nothing else under the base is touched (the master's own supervisor
 * leaf, anything not named by us). */
void contain_cg_leftovers_kill(int base_fd, const struct contain_cg_ops *ops,
			       struct contain_cg_tally *t);
/* How many service cgroups under base_fd still have processes. */
unsigned contain_cg_leftovers_busy(int base_fd);
/* Removes the leaves (contain_path_is_leaf) of every service cgroup under
 * base_fd; the service cgroups stay (their limits are rewritten by the
 * services that use them). Returns how many could not be removed. */
unsigned contain_cg_leftovers_remove(int base_fd, const struct contain_cg_ops *ops);

#endif
