/* launch.c - owns process creation for workers (see launch.h).
 *
 * Why clone(CLONE_VM) and a wait for the exec, not fork(): fork copies the page
 * tables of the master, so its cost grows with the master's memory (~33 ms
 * at 1 GB here); a vfork-style child borrows the parent's memory and costs
 * the same at any size. The price: the child must not allocate, lock, or
 * touch anything the parent relies on, so it runs only syscall(2) on data
 * the parent built, and writes nothing but its pid digits and the error
 * report. All signals are blocked around the clone so that no handler (ASan
 * installs some) can run in the child before it resets them.
 *
 * Why clone3(CLONE_INTO_CGROUP) for services with a cgroup: moving a
 * process by writing to cgroup.procs takes the cgroup threadgroup lock for
 * writing, which waits for an RCU grace period: measured here, 346 us per
 * vfork with the write against 72 us without, while clone3 into the cgroup
 * costs 25 us more than plain clone3. The write stays as the fallback where
 * clone3 is missing (kernels before 5.7, architectures without the entry
 * code below).
 *
 * Why CLONE_FILES and an fd block: without CLONE_FILES the kernel copies
 * the whole fd table into the child (dup_fd: a reference per open fd) and
 * the child then closes all but a few, so a launch cost O(the master's
 * fds): 0.5 ms of CPU at 80 fds, 2.4 ms at 10,000, 4-5 ms at 19,700; 9,000
 * workers took 95 s to start here instead of 22 s. Now the launcher
 * reserves a block of low fd numbers at start (launch_block.c), the parent
 * dup3()s the child's fds into it, the child is cloned sharing the table,
 * and its first act is close_range(limit, ~0U, CLOSE_RANGE_UNSHARE): with
 * the range covering every fd above `limit`, the kernel's copy stops at
 * `limit` (fs/file.c, sane_fdtable_size with the punch hole, 6.x), a few
 * dozen fds. After the launch the parent puts /dev/null back into the used
 * slots, so no worker's fd stays referenced by the master. Measured with
 * bench-launch (docs/bench.md): 530-600 us of CPU per launch at 80,
 * 1,000, 10,000 and 19,700 open fds; the parent's own part costs 2.4 us
 * (load, check, park: 12 syscalls for 4 fds), no more than the copy it
 * replaces at 80 fds. A small launcher process holding few fds, given each
 * worker's fds over a socket (CLONE_PARENT), was the alternative: its
 * SCM_RIGHTS round trip alone costs 15 us of CPU and 40 us of wall time
 * here, it needs every spec in its own memory, and it is one more process
 * to supervise. The capability steps live in launch_caps.c, the
 * confinement (rlimits, cgroup, namespaces, jail) in launch_confine.c.
 *
 * The wait for the exec, and why it is not CLONE_VFORK's: launch_wait.c. */
#include "launch.h"
#include "launch_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LAUNCH_STACK_BYTES (256u * 1024u)
#define LAUNCH_KERNEL_SIGSET_BYTES 8u
#define LAUNCH_SIGNAL_MAX 64
#define LAUNCH_CLONE_INTO_CGROUP 0x200000000ULL /* linux/sched.h, 5.7 */

/* The kernel's struct sigaction for rt_sigaction on x86_64 and friends. */
struct launch_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* The kernel's struct clone_args (version 2, with cgroup). Our own copy:
 * linux/sched.h clashes with glibc's sched.h. */
struct launch_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

LAUNCH_NO_SANITIZE
int launch_fail(struct launch_child *c, const char *step, long rc)
{
	c->err->step = step;
	c->err->err = rc < 0 ? (int)-rc : 0;
	syscall(SYS_exit_group, 127);
	return -1;
}

LAUNCH_NO_SANITIZE
long launch_sys_ret(long rc)
{
	return rc == -1 ? -(long)errno : rc;
}

LAUNCH_NO_SANITIZE
static void launch_write_pid(char *buf, size_t size, long pid)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0 && n < sizeof(tmp));
	if (n + 1 > size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

LAUNCH_NO_SANITIZE
static int launch_set_ids(struct launch_child *c)
{
	const struct launch_spec *s = c->spec;
	long rc;

	if (!s->set_ids)
		return 0;
	if ((rc = LAUNCH_SYS(SYS_setgroups, s->ngroups, s->groups)) < 0)
		return launch_fail(c, "setgroups", rc);
	if ((rc = LAUNCH_SYS(SYS_setresgid, s->gid, s->gid, s->gid)) < 0)
		return launch_fail(c, "setresgid", rc);
	if ((rc = LAUNCH_SYS(SYS_setresuid, s->uid, s->uid, s->uid)) < 0)
		return launch_fail(c, "setresuid", rc);
	return 0;
}

/* Irreversible, or we do not exec: a worker that could get root back is
 * worse than no worker. Checked after the capabilities are gone (with
 * securebits' NO_SETUID_FIXUP they survive the setresuid itself). */
LAUNCH_NO_SANITIZE
static int launch_check_ids(struct launch_child *c)
{
	const struct launch_spec *s = c->spec;

	if (!s->set_ids)
		return 0;
	if (s->uid != 0 && syscall(SYS_setresuid, -1, 0, -1) == 0)
		return launch_fail(c, "uid change not irreversible", -EPERM);
	if (s->gid != 0 && syscall(SYS_setresgid, -1, 0, -1) == 0)
		return launch_fail(c, "gid change not irreversible", -EPERM);
	return 0;
}

LAUNCH_NO_SANITIZE
static int launch_child_main(void *arg)
{
	struct launch_child *c = arg;
	const struct launch_spec *s = c->spec;
	struct launch_ksigaction dfl = { 0 };
	unsigned long empty = 0;
	long rc;

	/* First, before anything else touches an fd: a table of our own.
	 * With the range reaching past every open fd, the kernel copies only
	 * the fds below it (fs/file.c, dup_fd's punch hole), in O(block), not
	 * O(the master's fds). Until this returns the master's table is ours
	 * too; nothing before it may open, close or move an fd. */
	if (c->unshare_below > 0 &&
	    (rc = LAUNCH_SYS(SYS_close_range, c->unshare_below, ~0U, CLOSE_RANGE_UNSHARE)) < 0)
		return launch_fail(c, "unshare fd table", rc);
	if ((rc = LAUNCH_SYS(SYS_setsid)) < 0)
		return launch_fail(c, "setsid", rc);
	/* Dispositions back to default (SIGPIPE was ignored, sanitizers may
	 * have handlers); 32 and 33 belong to libc and refuse, harmlessly.
	 * The mask stays full until just before exec: a stop signal now
	 * would hold the master, which waits for this exec (SIGSTOP, which
	 * no mask holds off, is what launch_wait_exec looks for). */
	for (int sig = 1; sig <= LAUNCH_SIGNAL_MAX; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, LAUNCH_KERNEL_SIGSET_BYTES);
	if (launch_confine(c) < 0 || launch_caps_prepare(c) < 0 ||
	    launch_set_ids(c) < 0 || launch_caps_clear(c) < 0 || launch_check_ids(c) < 0 ||
	    launch_clear_keyrings(c) < 0)
		return -1;
	/* A worker never outlives its master: unsupervised, nothing would
	 * enforce its limits. Set after the id change, which clears it. */
	if ((rc = LAUNCH_SYS(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) < 0)
		return launch_fail(c, "parent death signal", rc);
	if (syscall(SYS_getppid) != s->parent)
		return launch_fail(c, "master gone", -ESRCH);
	if ((rc = LAUNCH_SYS(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) < 0)
		return launch_fail(c, "no_new_privs", rc);
	if (s->deny_userns && launch_seccomp_deny_userns(c) < 0)
		return -1;
	syscall(SYS_umask, s->umask);
	if (launch_block_place(c) < 0 || launch_rlimits(c, true) < 0)
		return -1;
	launch_write_pid(s->pid_digits, s->pid_digits_size, syscall(SYS_getpid));
	if ((rc = LAUNCH_SYS(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL,
			     LAUNCH_KERNEL_SIGSET_BYTES)) < 0)
		return launch_fail(c, "sigprocmask", rc);
	if (c->exec_fd >= 0)
		rc = LAUNCH_SYS(SYS_execveat, c->exec_fd, "", s->argv, s->envp, AT_EMPTY_PATH);
	else
		rc = LAUNCH_SYS(SYS_execve, s->path, s->argv, s->envp);
	return launch_fail(c, "execve", rc);
}

#if defined(__x86_64__)
/* clone3 with CLONE_VM: the child starts on its own stack at the
 * instruction after the syscall, so the call into launch_child_main must
 * be in assembly (as glibc's clone does). Returns the pid or -errno. */
LAUNCH_NO_SANITIZE __attribute__((noinline))
static long launch_clone3(struct launch_clone_args *args, int (*fn)(void *), void *arg)
{
	register long rax __asm__("rax") = SYS_clone3;
	register void *r12 __asm__("r12") = (void *)fn;
	register void *r13 __asm__("r13") = arg;

	__asm__ volatile(
		"syscall\n\t"
		"testq %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		"xorl %%ebp, %%ebp\n\t"     /* child: outermost frame */
		"movq %%r13, %%rdi\n\t"
		"callq *%%r12\n\t"
		"movl %%eax, %%edi\n\t"
		"movl %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n\t"
		"1:\n\t"
		: "+r"(rax)
		: "D"(args), "S"(sizeof(*args)), "r"(r12), "r"(r13),
		  [nr_exit] "i"(SYS_exit_group)
		: "rcx", "r11", "memory");
	return rax;
}
#else
static long launch_clone3(struct launch_clone_args *args, int (*fn)(void *), void *arg)
{
	return -ENOSYS;
}
#endif

static unsigned launcher_read_cap_last(void)
{
	FILE *fp = fopen("/proc/sys/kernel/cap_last_cap", "re");
	unsigned last = 0;

	if (fp == NULL || fscanf(fp, "%u", &last) != 1 || last > 63)
		last = launch_caps_max_bits() - 1;
	if (fp != NULL)
		fclose(fp);
	return last;
}

int launcher_init(struct launcher *l)
{
	l->cap_last = launcher_read_cap_last();
	l->privileged = launch_caps_privileged();
	l->clone3_missing = false;
	l->bset_empty = l->privileged && launch_caps_empty_bounding_set(l->cap_last);
	l->stack_size = LAUNCH_STACK_BYTES;
	if (launch_stack_map(l) < 0) {
		l->stack = NULL;
		return -1;
	}
	/* Kept above 2 so that placing it on fds 0 and 1 never clobbers it;
	 * and below the fd block, where a child uses it in place. */
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	l->devnull_fd = fd < 0 || fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0 && fd != l->devnull_fd)
		close(fd);
	if (l->devnull_fd < 0) {
		munmap(l->stack, l->stack_size);
		l->stack = NULL;
		return -1;
	}
	l->copy_fd_table = false;
	launch_block_init(l); /* none: each launch copies the table */
	return 0;
}

void launcher_fini(struct launcher *l)
{
	if (l->stack != NULL)
		munmap(l->stack, l->stack_size);
	launch_block_fini(l);
	if (l->devnull_fd >= 0)
		close(l->devnull_fd);
	l->stack = NULL;
	l->devnull_fd = -1;
}

void launch_isolation_init(struct launch_isolation *iso)
{
	memset(iso, 0, sizeof(*iso));
	iso->cgroup_fd = iso->cgroup_procs_fd = iso->netns_fd = iso->mntns_fd = -1;
	iso->root_fd = iso->exec_fd = -1;
}

/* The clone itself: into the service's cgroup when it has one, sharing
 * the fd table when the block holds the child's fds. Returns the pid, or
 * -errno. */
static long launch_clone(struct launcher *l, struct launch_child *child)
{
	const struct launch_isolation *iso = child->spec->iso;
	unsigned long files = child->unshare_below > 0 ? CLONE_FILES : 0;

	*l->exec_word = LAUNCH_WORD_SET;
	if (iso != NULL && iso->cgroup_fd >= 0 && !l->clone3_missing) {
		struct launch_clone_args args = {
			.flags = CLONE_VM | CLONE_CHILD_CLEARTID | files | LAUNCH_CLONE_INTO_CGROUP,
			.child_tid = (uintptr_t)l->exec_word,
			.exit_signal = SIGCHLD,
			.stack = (uintptr_t)l->stack, .stack_size = l->stack_size,
			.cgroup = (uint64_t)iso->cgroup_fd,
		};
		child->in_cgroup = true;
		long pid = launch_clone3(&args, launch_child_main, child);
		/* ENOSYS: no clone3 (before 5.3); E2BIG: no cgroup field (5.3
		 * to 5.6). Anything else is this launch's own failure. */
		if (pid != -ENOSYS && pid != -E2BIG)
			return pid;
		l->clone3_missing = true; /* the cgroup.procs write it is */
		child->in_cgroup = false;
		if (iso->cgroup_procs_fd >= 0 &&
		    (child->fd.cgroup_procs = launch_block_add(l, child, iso->cgroup_procs_fd)) < 0)
			return -EMFILE;
	}
	pid_t pid = clone(launch_child_main, (char *)l->stack + l->stack_size,
			  CLONE_VM | CLONE_CHILD_CLEARTID | (int)files | SIGCHLD, child,
			  NULL, NULL, l->exec_word);
	return pid < 0 ? -(long)errno : pid;
}

pid_t launch_start(struct launcher *l, const struct launch_spec *spec,
		   struct launch_error *e)
{
	struct launch_child child = {
		.spec = spec, .err = e,
		.cap_last = l->cap_last, .privileged = l->privileged,
		.bset_empty = l->bset_empty, .exec_fd = -1,
	};
	sigset_t all, old;

	if (spec->nlisten > LAUNCH_LISTEN_MAX || l->stack == NULL) {
		e->step = l->stack == NULL ? "child stack" : "too many listening sockets";
		e->err = l->stack == NULL ? ENOMEM : EINVAL;
		return -1;
	}
	e->step = NULL;
	e->err = 0;
	launch_block_load(l, &child);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	long pid = launch_clone(l, &child);
	int waited = pid > 0 ? launch_wait_exec(l, (pid_t)pid, e) : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* The child has exec'd or exited: its fds are its own. (One still in
	 * a kernel wait after its SIGKILL, waited == -2, shares our table no
	 * more either: the close_range that unshared it came first, or it
	 * never ran.) */
	launch_block_park(l, &child);
	if (pid < 0) {
		e->step = child.in_cgroup ? "clone into cgroup" : "clone";
		e->err = (int)-pid;
		return -1;
	}
	if (waited == 0 && e->step == NULL)
		return (pid_t)pid;
	/* The child exited without exec, or was killed: reap it now, so the
	 * reaper never meets a pid it does not know. */
	while (waited != -2 && waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	return -1;
}
