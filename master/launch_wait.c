/* launch_wait.c - owns the launcher's wait for a child's exec (launch.c
 * starts the child), and the stack and word that wait uses.
 *
 * Why no CLONE_VFORK, and a wait that looks: from its setresuid on, the
 * child may be signalled by the worker's user, and SIGSTOP cannot be
 * blocked. Under CLONE_VFORK the kernel holds the parent until the exec,
 * with no timeout: any process of that user (a compromised worker of the
 * same service) that stops the new child hangs the master for as long as
 * it likes (measured: one unprivileged loop of kill(SIGSTOP) over the pids
 * just allocated froze a master launching for a max_use=1 service within
 * a second). So the child is cloned with CLONE_CHILD_CLEARTID instead:
 * the kernel clears a word of ours and wakes its futex at the very moment
 * vfork's wait would end (the release of our memory, at the exec or the
 * exit), and the master waits on that futex LAUNCH_EXEC_LOOK_MS at a
 * time. Between two waits it looks at the child: stopped, slowed (its
 * scheduling policy or nice value no longer the master's: the same user
 * may make it SCHED_IDLE on a busy CPU, and an adversarial run held the
 * master 364-564 ms a launch so), or not through its exec within
 * LAUNCH_EXEC_WAIT_MAX_MS, it is killed (it cannot have been reaped: the
 * word is still set, so it has not exited) and the launch fails. The
 * master's wait is unchanged otherwise: until the exec, the child borrows
 * its memory.
 *
 * Nothing here is fatal. A killed child that does not let go of our memory
 * within LAUNCH_KILLED_WAIT_MS (a kernel wait it cannot leave) keeps its
 * stack, which is never unmapped (the kernel clears the word in it when
 * the child goes: whatever lived there next would be written over); the
 * launcher maps a fresh one, and if it cannot, every later launch fails
 * with "child stack". */
#include "launch_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "procstat.h"

#define LAUNCH_EXEC_LOOK_MS 10u        /* how often a slow exec is looked at */
#define LAUNCH_EXEC_WAIT_MAX_MS 30000u /* a running child that takes longer
					* is killed (an exec from a hung NFS) */
#define LAUNCH_KILLED_WAIT_MS 2000u    /* for a killed child to let go of us */
#define LAUNCH_STAT_BYTES 512

/* The stack and its word, mapped once and reused by every launch; a
 * fresh one where a killed child may still hold the old (never unmapped:
 * the kernel would clear the word in whatever came to live there). */
int launch_stack_map(struct launcher *l)
{
	void *stack = mmap(NULL, l->stack_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (stack == MAP_FAILED)
		return -1;
	l->stack = stack;
	l->exec_word = stack;
	return 0;
}

/* Is the child stopped (a state the kernel's vfork wait would sit in for
 * ever)? Only called while its word is set: it has not exited, so its pid
 * is still ours. */
static bool launch_child_stopped(pid_t pid)
{
	char buf[LAUNCH_STAT_BYTES];
	const char *state;

	if (procstat_file((long)pid, "stat", buf, sizeof(buf)) < 0 ||
	    (state = procstat_field(buf, 3)) == NULL)
		return false;
	return *state == 'T' || *state == 't';
}

/* Has another process changed how the child is scheduled (its policy or
 * nice value: it was born with the master's)? Its CPUs are not compared:
 * a cpuset of its cgroup may set them. Only called while its word is
 * set, as above. */
static bool launch_child_slowed(pid_t pid)
{
	errno = 0;
	int prio = getpriority(PRIO_PROCESS, (id_t)pid);
	if (prio == -1 && errno != 0)
		return false;
	return prio != getpriority(PRIO_PROCESS, 0) || sched_getscheduler(pid) != sched_getscheduler(0);
}

/* Gives a slowed child the master's scheduling back before its SIGKILL:
 * to die it must run, and SCHED_IDLE among busy processes on its CPU
 * ran so rarely that the master's wait for it to let go of our memory
 * (LAUNCH_KILLED_WAIT_MS) held the loop 1.97 s in a test run. Whoever
 * slowed it may do so again: the wait stays bounded. */
static void launch_child_unslow(pid_t pid)
{
	struct sched_param param;

	if (sched_getparam(0, &param) == 0)
		(void)sched_setscheduler(pid, sched_getscheduler(0), &param);
	errno = 0;
	int prio = getpriority(PRIO_PROCESS, 0);
	if (errno == 0)
		(void)setpriority(PRIO_PROCESS, (id_t)pid, prio);
}

/* Waits up to max_ms for the word to be cleared; true once it is. */
static bool launch_word_wait(struct launcher *l, unsigned max_ms)
{
	for (unsigned waited = 0; __atomic_load_n(l->exec_word, __ATOMIC_ACQUIRE) != 0;) {
		if (waited >= max_ms)
			return false;
		struct timespec ts = { .tv_nsec = (long)LAUNCH_EXEC_LOOK_MS * 1000000L };
		/* Not FUTEX_PRIVATE: the kernel's wake at the exec is shared. */
		if (syscall(SYS_futex, l->exec_word, FUTEX_WAIT, LAUNCH_WORD_SET, &ts, NULL, 0) < 0 &&
		    errno == ETIMEDOUT)
			waited += LAUNCH_EXEC_LOOK_MS;
	}
	return true;
}

/* Until the child has exec'd or exited; 0 then. A child stopped, slowed,
 * or slower than LAUNCH_EXEC_WAIT_MAX_MS, is killed and -1 returned with
 * *e set. */
int launch_wait_exec(struct launcher *l, pid_t pid, struct launch_error *e)
{
	unsigned waited = 0;

	while (!launch_word_wait(l, LAUNCH_EXEC_LOOK_MS)) {
		waited += LAUNCH_EXEC_LOOK_MS;
		bool stopped = launch_child_stopped(pid);
		bool slowed = !stopped && launch_child_slowed(pid);
		if (!stopped && !slowed && waited < LAUNCH_EXEC_WAIT_MAX_MS)
			continue;
		/* Its word is set: not exited, not reaped, ours to signal. */
		if (slowed)
			launch_child_unslow(pid);
		kill(pid, SIGKILL);
		*e = stopped ? (struct launch_error){ "exec (stopped before it: killed)", ECANCELED }
		     : slowed ? (struct launch_error){ "exec (slowed before it by another process: "
						       "killed)", ECANCELED }
			      : (struct launch_error){ "exec (too slow: killed)", ETIMEDOUT };
		if (launch_word_wait(l, LAUNCH_KILLED_WAIT_MS))
			return -1;
		/* Still in our memory (a kernel wait it cannot leave): its stack
		 * is left to it, and its reaping to the reaper. */
		if (launch_stack_map(l) < 0)
			l->stack = NULL; /* every launch fails from now on */
		e->err = EDEADLK;
		return -2;
	}
	return 0;
}
