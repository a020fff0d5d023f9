/* launch_child.h - what the vfork-style child of launch.c shares with
 * launch_caps.c: its context, the error path, and the raw-syscall helper.
 * Everything here runs in a child that borrows the master's memory: raw
 * system calls only, no allocation, no locks, no sanitizer hooks. */
#ifndef MASTER_LAUNCH_CHILD_H
#define MASTER_LAUNCH_CHILD_H

#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch.h"

struct launch_child {
	const struct launch_spec *spec;
	struct launch_error *err;
	int devnull_fd;
	unsigned cap_last;  /* from the launcher: the last capability to drop */
	bool privileged;    /* from the launcher: bounding set and securebits */
	bool bset_empty;    /* from the launcher: inherited bounding set is empty */
	bool in_cgroup;     /* clone3 placed the child already */
	int exec_fd;        /* the command's fd once placed (-1: by path) */
};

#define LAUNCH_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

/* Records the failed step and errno (-rc) and exits 127. Never returns
 * (the int is for "return launch_fail(...)" in callers). */
int launch_fail(struct launch_child *c, const char *step, long rc);

/* Raw syscall returning -errno instead of leaving it in errno (which lives
 * in the parent's thread-local storage). */
#define LAUNCH_SYS(...) launch_sys_ret(syscall(__VA_ARGS__))
long launch_sys_ret(long rc);

/* Child side (launch_confine.c): the service's rlimits, all but
 * RLIMIT_NOFILE (nofile_only false) or RLIMIT_NOFILE alone (true). */
int launch_rlimits(struct launch_child *c, bool nofile_only);
/* Child side: rlimits, cgroup, namespaces, jail, chdir("/"). */
int launch_confine(struct launch_child *c);

/* Child side, before the id change: inheritable and ambient sets for the
 * kept capabilities, bounding set emptied, securebits locked. */
int launch_caps_prepare(struct launch_child *c);
/* Child side, after the id change: every set but the kept bits cleared,
 * and checked. */
int launch_caps_clear(struct launch_child *c);

/* Parent side (libcap allowed): does this process hold CAP_SETPCAP, and
 * how many capabilities does libcap know of. */
bool launch_caps_privileged(void);
unsigned launch_caps_max_bits(void);
/* Parent side, once: empties the calling thread's bounding set (after
 * raising its inheritable set to what it may keep). Returns success. */
bool launch_caps_empty_bounding_set(unsigned cap_last);

#endif
