/* launch_child.h - what the clone(CLONE_VM) child of launch.c shares with
 * launch_caps.c, launch_confine.c and launch_block.c: its context, the
 * error path, the raw-syscall helper, and the fd block's parent side.
 * Everything child side runs in a child that borrows the master's memory:
 * raw system calls only, no allocation, no locks, no sanitizer hooks. */
#ifndef MASTER_LAUNCH_CHILD_H
#define MASTER_LAUNCH_CHILD_H

#include <errno.h>
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
	unsigned set;       /* which set of the block: 0 for launch_start,
			     * 1 + its slot for launch_begin */
	unsigned cap_last;  /* from the launcher: the last capability to drop */
	bool privileged;    /* from the launcher: bounding set and securebits */
	bool bset_empty;    /* from the launcher: inherited bounding set is empty */
	bool in_cgroup;     /* clone3 placed the child already */
	int exec_fd;        /* the command's fd once placed (-1: by path) */
};


/* Records the failed step and errno (-rc) and exits 127. Never returns
 * (the int is for "return launch_fail(...)" in callers). */
int launch_fail(struct launch_child *c, const char *step, long rc);

#define LAUNCH_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

/* Raw syscall returning -errno instead of leaving it in errno. errno
 * lives in the parent's thread-local storage, which the child shares: a
 * child launched by launch_begin runs while the master does, and glibc's
 * syscall() would write the master's errno under its feet. So on x86_64
 * the child never calls into libc; elsewhere launch_begin waits for the
 * exec (LAUNCH_RAW_SYSCALLS 0), as launch_start does, and syscall() is
 * safe. Missing arguments are 0. */
#if defined(__x86_64__)
#define LAUNCH_RAW_SYSCALLS 1
LAUNCH_NO_SANITIZE
static inline long launch_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long rax __asm__("rax") = n;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;

	__asm__ volatile("syscall"
			 : "+r"(rax)
			 : "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return rax;
}
#else
#define LAUNCH_RAW_SYSCALLS 0
static inline long launch_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long rc = syscall(n, a1, a2, a3, a4, a5, a6);

	return rc == -1 ? -(long)errno : rc;
}
#endif
#define LAUNCH_SYS_(n, a1, a2, a3, a4, a5, a6, ...) \
	launch_syscall6((long)(n), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), \
			(long)(a6))
#define LAUNCH_SYS(...) LAUNCH_SYS_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

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

/* launch.c, for launch_slot.c: the clone of c on the given stack, its
 * word set and given to the kernel to clear; the pid or -errno. */
long launch_clone_child(struct launcher *l, struct launch_child *c, void *stack,
			size_t stack_size, int32_t *word);
/* launch_slot.c, for launch_block.c: before the block is given up, every
 * launch in flight is waited for (killed if it is stopped). */
void launch_slots_quiesce(struct launcher *l);
void launch_slots_init(struct launcher *l);
void launch_slots_fini(struct launcher *l);

/* The exec-wait word (launch_wait.c): LAUNCH_WORD_SET from the clone
 * until the kernel clears it at the child's exec or exit. */
#define LAUNCH_WORD_SET 1
/* Maps the child stack, the word at its low end (far below what the child
 * uses); 0 or -1. */
int launch_stack_map(struct launcher *l);
/* Until the child has exec'd or exited (the kernel cleared its word): 0.
 * A child stopped before its exec, or slower than LAUNCH_EXEC_WAIT_MAX_MS,
 * is killed: -1 with *e set, or -2 if it has not let go of our memory even
 * then (the caller leaves it its stack; the reaper will meet its pid). */
int launch_wait_exec(int32_t *word, pid_t pid, struct launch_error *e);
/* For a child whose word is still set, age_ms after its clone: whether it
 * is to be killed (stopped, or past LAUNCH_EXEC_WAIT_MAX_MS; *stopped says
 * which). Looks at /proc only from LAUNCH_EXEC_LOOK_MS of age on. */
bool launch_too_slow(pid_t pid, uint64_t age_ms, bool *stopped);
/* SIGKILL to such a child, and the step its launch failed at in *e. */
void launch_kill_before_exec(pid_t pid, bool stopped, struct launch_error *e);

/* Child side (launch_block.c): the contract's fds placed, all others
 * closed. */
int launch_block_place(struct launch_child *c);

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
