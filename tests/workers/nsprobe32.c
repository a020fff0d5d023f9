/* nsprobe32.c - the namespace calls of nsprobe.py made through the i386
 * entry of an x86_64 process (int $0x80), which a seccomp filter sees
 * with AUDIT_ARCH_I386 and the i386 table's numbers: a filter that looked
 * only at the x86_64 numbers would let them through (launch_seccomp.c).
 * Run by nsprobe.py for each client; prints one line of words:
 *   unshare32  unshare(CLONE_NEWUSER)
 *   clone32    clone(CLONE_NEWUSER|SIGCHLD), the child exits at once
 *   clone3_32  clone3(NULL, 0): EINVAL where allowed (no arguments)
 *   setns32    setns() of its own user namespace (EINVAL where allowed)
 * each "ok" or the errno's name, every call in a child of its own; or
 * "i386=none" where the kernel has no i386 entry (or this is not x86_64). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NSPROBE32_GETPID 20L
#define NSPROBE32_CLONE 120L
#define NSPROBE32_UNSHARE 310L
#define NSPROBE32_SETNS 346L
#define NSPROBE32_CLONE3 435L

/* An i386 system call: the arguments' low 32 bits only. */
static long nsprobe32_call(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(0L), "D"(0L)
			 : "memory");
	return ret;
}

/* In the probe's child: 0 when the call worked, else its errno. */
static int nsprobe32_try(int which)
{
	long rc = -ENOSYS;
	int fd;

	switch (which) {
	case 0:
		rc = nsprobe32_call(NSPROBE32_UNSHARE, CLONE_NEWUSER, 0, 0);
		break;
	case 1:
		rc = nsprobe32_call(NSPROBE32_CLONE, CLONE_NEWUSER | SIGCHLD, 0, 0);
		if (rc == 0)
			syscall(SYS_exit, 0); /* the new process: at once */
		if (rc > 0)
			waitpid((pid_t)rc, NULL, 0);
		break;
	case 2:
		rc = nsprobe32_call(NSPROBE32_CLONE3, 0, 0, 0);
		break;
	case 3:
		fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
		rc = fd < 0 ? -errno : nsprobe32_call(NSPROBE32_SETNS, fd, CLONE_NEWUSER, 0);
		break;
	}
	return rc < 0 ? (int)-rc : 0;
}

int main(void)
{
	static const char *const names[] = { "unshare32", "clone32", "clone3_32", "setns32" };

	if (nsprobe32_call(NSPROBE32_GETPID, 0, 0, 0) != (long)getpid()) {
		puts("i386=none");
		return 0;
	}
	for (int i = 0; i < 4; i++) {
		int st = 0;
		pid_t pid = fork();
		if (pid == 0)
			_exit(nsprobe32_try(i));
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
			printf("%s%s=error", i ? " " : "", names[i]);
			continue;
		}
		int err = WEXITSTATUS(st);
		const char *word = err == 0 ? "ok" : strerrorname_np(err);
		printf("%s%s=%s", i ? " " : "", names[i], word != NULL ? word : "unknown");
	}
	putchar('\n');
	return 0;
}
#else
int main(void)
{
	puts("i386=none");
	return 0;
}
#endif
