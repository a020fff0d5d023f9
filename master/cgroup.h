/* cgroup.h - a service's cgroup v2: one directory per service under
 * cgroup_parent, with its limits (memory.max, pids.max, cpu.weight)
 * written once, and the fds a launch needs to place workers in it. */
#ifndef MASTER_CGROUP_H
#define MASTER_CGROUP_H

#include <stddef.h>

struct cgroup_limits {
	unsigned long long memory_max_bytes; /* 0 = no limit written */
	unsigned pids_max;                   /* 0 = no limit written */
	unsigned cpu_weight;                 /* 0 = left at the default */
};

struct cgroup {
	char *path;     /* cgroup_parent/NAME, created by us */
	int dir_fd;     /* O_RDONLY|O_DIRECTORY: clone3's CLONE_INTO_CGROUP */
	int procs_fd;   /* its cgroup.procs, for the write fallback */
};

/* Creates parent/name (and parent itself if missing), enables the
 * controllers the limits need in each cgroup above it (subtree_control),
 * writes the limits and opens the fds. controllers: the names needed.
 * Returns 0, or -1 with "PATH: why" in err and nothing left behind
 * but directories. */
int cgroup_create(struct cgroup *cg, const char *parent, const char *name,
		  const struct cgroup_limits *lim, const char *const *controllers,
		  size_t ncontrollers, char *err, size_t errsize);
/* Closes the fds; the directory stays (a reloaded successor of the
 * service, or the next master, uses it again). */
void cgroup_destroy(struct cgroup *cg);

#endif
