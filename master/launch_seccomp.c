/* launch_seccomp.c - child side: the worker may not make a user namespace
 * (user_namespaces=no, the default; docs/security.md, step 14).
 *
 * Why: a user namespace is all an unprivileged process needs to mount a
 * FUSE file system of its own (no_new_privs already takes away
 * fusermount's setuid), and a page of such a file can stay unread for as
 * long as its owner likes. A worker that read(2)s its fifo into such a
 * page holds the fifo's mutex through the fault, and the master's next
 * wake-up write sleeps uninterruptibly on the mutex: O_NONBLOCK does not
 * help (an adversarial run froze the master in D state so through the
 * stderr pipe workers then had, and made workers that no stop could end;
 * stderr is a socket since, relay.h). A user namespace is also the usual door to kernel
 * attack surface an unprivileged process otherwise lacks.
 *
 * The filter: unshare(2) and clone(2) with CLONE_NEWUSER fail with EPERM;
 * clone3(2) fails with ENOSYS (its flags sit in memory a filter cannot
 * read; libc then falls back to clone); setns(2) fails with EPERM (a
 * worker could otherwise join a namespace of its user made elsewhere).
 * Every other call is allowed whatever its arguments, so the kernel's
 * seccomp cache lets them through without running the filter: a request's
 * calls cost nothing more. On x86_64 the i386 entry points are covered by
 * their own numbers and the x32 ones by masking their bit; a call of
 * another ABI fails with EPERM on aarch64. Other architectures get no
 * filter (nothing is built for them).
 *
 * SECCOMP_FILTER_FLAG_SPEC_ALLOW: a filter otherwise turns on the
 * speculative store bypass mitigation for the whole worker (meant for
 * sandboxes that run untrusted code in the same process, which a worker
 * is not); refused by a kernel before 4.17, then installed without it.
 *
 * Runs in the launch child (launch_child.h): raw system calls only, on a
 * program that is constant data. A failure ends the launch (step
 * "deny user namespaces"). */
#include "launch_child.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define LAUNCH_SECCOMP_ARCH AUDIT_ARCH_X86_64
#define LAUNCH_SECCOMP_X32_BIT 0x40000000u /* __X32_SYSCALL_BIT */
/* The i386 table's numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define LAUNCH_SECCOMP_I386_CLONE 120u
#define LAUNCH_SECCOMP_I386_UNSHARE 310u
#define LAUNCH_SECCOMP_I386_SETNS 346u
#define LAUNCH_SECCOMP_I386_CLONE3 435u
#elif defined(__aarch64__)
#define LAUNCH_SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef LAUNCH_SECCOMP_ARCH
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LAUNCH_SECCOMP_ARG0_LOW offsetof(struct seccomp_data, args[0])
#else
#define LAUNCH_SECCOMP_ARG0_LOW (offsetof(struct seccomp_data, args[0]) + 4)
#endif

#define LAUNCH_SECCOMP_LOAD(field) \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define LAUNCH_SECCOMP_RET(what) BPF_STMT(BPF_RET | BPF_K, (what))
/* if A == nr, jump to the instruction `to` ahead of the next one */
#define LAUNCH_SECCOMP_IS(nr, to) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), (to), 0)

/* A jump's offsets count from the next instruction; the comments give
 * each target's index (x86_64's program). The verdicts are at the end. */
static const struct sock_filter launch_seccomp_program[] = {
	/* 0 */ LAUNCH_SECCOMP_LOAD(arch),
#ifdef LAUNCH_SECCOMP_I386_CLONE
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_SECCOMP_ARCH, 7, 0), /* -> 9 */
	/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 16), /* -> 19 allow */
	/* 3 */ LAUNCH_SECCOMP_LOAD(nr),
	/* 4 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_UNSHARE, 11), /* -> 16 flags */
	/* 5 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_CLONE, 10),
	/* 6 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_CLONE3, 11),   /* -> 18 enosys */
	/* 7 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_SETNS, 12),    /* -> 20 eperm */
	/* 8 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* 9 */ LAUNCH_SECCOMP_LOAD(nr),
	/* 10 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~LAUNCH_SECCOMP_X32_BIT),
#else /* indices from here on are x86_64's; the jumps are relative */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_SECCOMP_ARCH, 1, 0),
	LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | EPERM), /* another ABI: closed */
	LAUNCH_SECCOMP_LOAD(nr),
#endif
	/* 11 */ LAUNCH_SECCOMP_IS(SYS_unshare, 4),  /* -> 16 flags */
	/* 12 */ LAUNCH_SECCOMP_IS(SYS_clone, 3),
	/* 13 */ LAUNCH_SECCOMP_IS(SYS_clone3, 4),   /* -> 18 enosys */
	/* 14 */ LAUNCH_SECCOMP_IS(SYS_setns, 5),    /* -> 20 eperm */
	/* 15 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* 16 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LAUNCH_SECCOMP_ARG0_LOW),
	/* 17 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 2, 1), /* -> 20 / 19 */
	/* 18 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | ENOSYS),
	/* 19 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* 20 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | EPERM),
};

static const struct sock_fprog launch_seccomp_fprog = {
	.len = sizeof(launch_seccomp_program) / sizeof(launch_seccomp_program[0]),
	.filter = (struct sock_filter *)launch_seccomp_program,
};

LAUNCH_NO_SANITIZE
int launch_seccomp_deny_userns(struct launch_child *c)
{
	long rc = LAUNCH_SYS(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_SPEC_ALLOW, &launch_seccomp_fprog);

	if (rc == -EINVAL) /* a kernel before 4.17: no SPEC_ALLOW */
		rc = LAUNCH_SYS(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &launch_seccomp_fprog);
	return rc < 0 ? launch_fail(c, "deny user namespaces", rc) : 0;
}
#else
int launch_seccomp_deny_userns(struct launch_child *c)
{
	(void)c;
	return 0; /* not built for this architecture (docs/security.md) */
}
#endif
