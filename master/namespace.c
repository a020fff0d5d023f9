/* namespace.c - owns making a service's namespaces (see namespace.h).
 *
 * How: a helper child made with clone(CLONE_VM|CLONE_VFORK|CLONE_FILES|
 * CLONE_NEWNET|CLONE_NEWNS): born inside the new namespaces, it makes
 * every mount private (so nothing it mounts leaks back to the host, and
 * nothing the host mounts later shows up), mounts the tmpfs, opens its
 * /proc/self/ns/{net,mnt} into the fd table it shares with the master,
 * and exits. The open fds keep the namespaces alive with no process in
 * them. Like a launch, the helper borrows the master's memory (no page
 * table copy, whatever the master's size), runs raw syscalls only, and
 * the master is suspended until it exits; it is reaped right here, so the
 * master's reaper never sees its pid. */
#include "namespace.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAMESPACE_STACK_BYTES (64u * 1024u)
/* Like the host's /tmp, but bounded: without size= a tmpfs may take half
 * the RAM, shared by every service, and outlives each worker. */
#define NAMESPACE_TMPFS_OPTIONS "mode=1777,size=%llu"
#define NAMESPACE_OPTIONS_BYTES 64

/* Without a jail, a private /tmp would leave the host's other places any
 * user may write: a worker's files there outlive it, and a dynamic uid's
 * next holder (another service) could read them (adversarial runs did, in
 * /dev/shm, then in /run/lock: Debian's /var/lock). Each gets a tmpfs of
 * its own too, where the host has it. */
static const char *const namespace_also[] = { "/var/tmp", "/dev/shm", "/run/lock" };
#define NAMESPACE_ALSO_N (sizeof(namespace_also) / sizeof(namespace_also[0]))

struct namespace_job {
	bool net;
	const char *tmp_dir;
	bool also;               /* tmp_dir is the host's /tmp: namespace_also too */
	char tmp_options[NAMESPACE_OPTIONS_BYTES]; /* formatted by the parent */
	int netns_fd, mntns_fd;  /* written by the helper */
	const char *step;        /* set by the helper when a step failed */
	int err;
};

#define NAMESPACE_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

NAMESPACE_NO_SANITIZE
static int namespace_fail(struct namespace_job *j, const char *step)
{
	j->step = step;
	j->err = errno; /* the master's errno, but the master is suspended */
	syscall(SYS_exit_group, 1);
	return 1;
}

NAMESPACE_NO_SANITIZE
static int namespace_helper(void *arg)
{
	struct namespace_job *j = arg;
	long fd;

	if (j->tmp_dir != NULL) {
		if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			return namespace_fail(j, "make mounts private");
		if (syscall(SYS_mount, "tmpfs", j->tmp_dir, "tmpfs", MS_NOSUID | MS_NODEV,
			    j->tmp_options) != 0)
			return namespace_fail(j, "mount tmpfs");
		for (size_t i = 0; j->also && i < NAMESPACE_ALSO_N; i++)
			if (syscall(SYS_mount, "tmpfs", namespace_also[i], "tmpfs",
				    MS_NOSUID | MS_NODEV, j->tmp_options) != 0 &&
			    errno != ENOENT && errno != ENOTDIR)
				return namespace_fail(j, "mount tmpfs on /var/tmp, /dev/shm or /run/lock");
		if ((fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
			return namespace_fail(j, "open mount namespace");
		j->mntns_fd = (int)fd;
	}
	if (j->net) {
		if ((fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
			return namespace_fail(j, "open network namespace");
		j->netns_fd = (int)fd;
	}
	syscall(SYS_exit_group, 0);
	return 0;
}

int namespace_create(bool net, const char *tmp_dir, unsigned long long tmp_size_bytes,
		     int *netns_fd, int *mntns_fd, char *err, size_t errsize)
{
	struct namespace_job j = { .net = net, .tmp_dir = tmp_dir, .netns_fd = -1, .mntns_fd = -1 };
	int flags = CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD;
	sigset_t all, old;
	int status = 0;

	*netns_fd = *mntns_fd = -1;
	if (!net && tmp_dir == NULL)
		return 0;
	flags |= (net ? CLONE_NEWNET : 0) | (tmp_dir != NULL ? CLONE_NEWNS : 0);
	snprintf(j.tmp_options, sizeof(j.tmp_options), NAMESPACE_TMPFS_OPTIONS, tmp_size_bytes);
	j.also = tmp_dir != NULL && strcmp(tmp_dir, "/tmp") == 0;
	void *stack = mmap(NULL, NAMESPACE_STACK_BYTES, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		snprintf(err, errsize, "stack: %s", strerror(errno));
		return -1;
	}
	/* No handler may run in the helper (it shares our memory). */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = clone(namespace_helper, (char *)stack + NAMESPACE_STACK_BYTES, flags, &j);
	int clone_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	munmap(stack, NAMESPACE_STACK_BYTES);
	if (pid < 0 || j.step != NULL || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (pid < 0)
			snprintf(err, errsize, "clone (new namespaces): %s", strerror(clone_errno));
		else if (j.step != NULL)
			snprintf(err, errsize, "%s%s%s: %s", j.step,
				 strcmp(j.step, "mount tmpfs") == 0 ? " on " : "",
				 strcmp(j.step, "mount tmpfs") == 0 ? tmp_dir : "", strerror(j.err));
		else
			snprintf(err, errsize, "namespace helper died (status %d)", status);
		if (j.netns_fd >= 0)
			close(j.netns_fd);
		if (j.mntns_fd >= 0)
			close(j.mntns_fd);
		return -1;
	}
	*netns_fd = j.netns_fd;
	*mntns_fd = j.mntns_fd;
	return 0;
}
