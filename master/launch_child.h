/* launch_child.h - what the clone(CLONE_VM) child of launch.c shares with
 * launch_caps.c, launch_confine.c and launch_block.c: its context, the
 * error path, the raw-syscall helper, and the fd block's parent side.
 * Everything child side runs in a child that borrows the master's memory:
 * raw system calls only, no allocation, no locks, no sanitizer hooks. */
#ifndef MASTER_LAUNCH_CHILD_H
#define MASTER_LAUNCH_CHILD_H

#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch.h"

/* Where the child finds each fd it uses: a slot of the launcher's block,
 * the master's own number (below the block, or every fd when the table is
 * copied), or -1 when unused. */
struct launch_child_fds {
	int listen[LAUNCH_LISTEN_MAX];
	int status, stderr_fd, devnull, exec, cgroup_procs, netns, mntns, root;
};

struct launch_child {
	const struct launch_spec *spec;
	struct launch_error *err;
	struct launch_child_fds fd;
	unsigned unshare_below; /* >0: the table is shared (CLONE_FILES) and the
				 * child's first act keeps fds below this only */
	size_t nslots;      /* block slots loaded for this launch */
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

/* Parent side (launch_block.c): reserves the block (none if it cannot:
 * launches then copy the table); closes it. */
void launch_block_init(struct launcher *l);
void launch_block_fini(struct launcher *l);
/* Fills c->fd from c->spec: through the block (c->unshare_below set), or
 * the master's numbers when the block is off or fails (unshare_below 0). */
void launch_block_load(struct launcher *l, struct launch_child *c);
/* One more fd for a child whose fds are loaded already: its number for the
 * child, or -1 (the fd itself if the table is copied). */
int launch_block_add(struct launcher *l, struct launch_child *c, int fd);
/* After the launch: every loaded slot holds /dev/null again, so that the
 * master keeps no reference to the worker's fds. */
void launch_block_park(struct launcher *l, struct launch_child *c);

/* The exec-wait word (launch_wait.c): LAUNCH_WORD_SET from the clone
 * until the kernel clears it at the child's exec or exit. */
#define LAUNCH_WORD_SET 1
/* Maps the child stack, the word at its low end (far below what the child
 * uses); 0 or -1. */
int launch_stack_map(struct launcher *l);
/* Until the child has exec'd or exited: 0. A child stopped before its
 * exec, or slower than LAUNCH_EXEC_WAIT_MAX_MS, is killed: -1 with *e
 * set, or -2 if it has not let go of our memory even then (its stack is
 * left to it; the reaper will meet its pid). */
int launch_wait_exec(struct launcher *l, pid_t pid, struct launch_error *e);

/* Child side (launch_block.c): the contract's fds placed, all others
 * closed. */
int launch_block_place(struct launch_child *c);

/* Child side (launch_seccomp.c): unshare and clone of a user namespace,
 * clone3 and setns refused from here on, for the worker and all it starts. */
int launch_seccomp_deny_userns(struct launch_child *c);

/* Child side (launch_confine.c): the service's rlimits, all but
 * RLIMIT_NOFILE (nofile_only false) or RLIMIT_NOFILE alone (true). */
int launch_rlimits(struct launch_child *c, bool nofile_only);
/* Child side: rlimits, cgroup, namespaces, jail, chdir("/"). */
int launch_confine(struct launch_child *c);
/* After the id change: a fresh uid's kernel keyrings emptied. */
int launch_clear_keyrings(struct launch_child *c);

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
