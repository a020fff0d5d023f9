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
 *
 * And (the eighth adversarial round) setsockopt(2) of TCP's MD5 and AO
 * keys fails with EPERM: a key for every address set on the listening
 * socket all the service's workers share makes it drop every client
 * that signs nothing, for good, and a key cannot be read back to be
 * undone (the options the master can read back and undo, it does:
 * sockaudit.c). i386's socketcall(2) hides its arguments in memory, so
 * its setsockopt is refused whole (a 32-bit worker needs
 * user_namespaces=yes). io_uring_setup(2) fails with ENOSYS (as on a
 * kernel without it; libraries fall back): io_uring's own setsockopt
 * passes no filter.
 *
 * Every other call is allowed whatever its arguments, so the kernel's
 * seccomp cache lets them through without running the filter: a request's
 * calls cost nothing more (setsockopt runs it: a few instructions). On x86_64 the i386 entry points are covered by
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
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define LAUNCH_SECCOMP_ARCH AUDIT_ARCH_X86_64
#define LAUNCH_SECCOMP_X32_BIT 0x40000000u /* __X32_SYSCALL_BIT */
/* x32's own setsockopt (before 5.10's compat removal), masked */
#define LAUNCH_SECCOMP_X32_SETSOCKOPT 541u
/* The i386 table's numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define LAUNCH_SECCOMP_I386_CLONE 120u
#define LAUNCH_SECCOMP_I386_UNSHARE 310u
#define LAUNCH_SECCOMP_I386_SETNS 346u
#define LAUNCH_SECCOMP_I386_CLONE3 435u
#define LAUNCH_SECCOMP_I386_SOCKETCALL 102u
#define LAUNCH_SECCOMP_I386_SETSOCKOPT 366u
#define LAUNCH_SECCOMP_I386_IO_URING_SETUP 425u
#define LAUNCH_SECCOMP_SOCKETCALL_SETSOCKOPT 14u /* linux/net.h SYS_SETSOCKOPT */
#elif defined(__aarch64__)
#define LAUNCH_SECCOMP_ARCH AUDIT_ARCH_AARCH64
#define LAUNCH_SECCOMP_X32_SETSOCKOPT ((unsigned)SYS_setsockopt) /* none: again */
#endif

#ifdef LAUNCH_SECCOMP_ARCH
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LAUNCH_SECCOMP_ARG_LOW(i) offsetof(struct seccomp_data, args[i])
#else
#define LAUNCH_SECCOMP_ARG_LOW(i) (offsetof(struct seccomp_data, args[i]) + 4)
#endif

/* TCP's options that make a listener drop every client without a key
 * (linux/tcp.h): MD5 signatures, and TCP-AO's keys, requirement and
 * repair (TCP_AO_ADD_KEY 38 .. TCP_AO_REPAIR 42). */
#define LAUNCH_SECCOMP_TCP_MD5SIG 14u
#define LAUNCH_SECCOMP_TCP_MD5SIG_EXT 32u
#define LAUNCH_SECCOMP_TCP_AO_FIRST 38u
#define LAUNCH_SECCOMP_TCP_AO_LAST 42u

#define LAUNCH_SECCOMP_LOAD(field) \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define LAUNCH_SECCOMP_LOAD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LAUNCH_SECCOMP_ARG_LOW(i))
#define LAUNCH_SECCOMP_RET(what) BPF_STMT(BPF_RET | BPF_K, (what))
/* if A == k, jump to the instruction `to` ahead of the next one */
#define LAUNCH_SECCOMP_IS(k, to) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (to), 0)

/* A jump's offsets count from the next instruction; the comments give
 * each target's index in x86_64's program (aarch64's starts its tail,
 * index 14 here, at 4: the jumps within the tail are the same). The
 * verdicts are at the end. */
static const struct sock_filter launch_seccomp_program[] = {
	/* 0 */ LAUNCH_SECCOMP_LOAD(arch),
#ifdef LAUNCH_SECCOMP_I386_CLONE
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_SECCOMP_ARCH, 10, 0), /* -> 12 */
	/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 31), /* -> 34 allow */
	/* 3 */ LAUNCH_SECCOMP_LOAD(nr),
	/* 4 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_UNSHARE, 26),    /* -> 31 flags */
	/* 5 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_CLONE, 25),      /* -> 31 */
	/* 6 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_CLONE3, 26),     /* -> 33 enosys */
	/* 7 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_SETNS, 27),      /* -> 35 eperm */
	/* 8 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_SETSOCKOPT, 15), /* -> 24 sockopt */
	/* 9 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_IO_URING_SETUP, 23), /* -> 33 */
	/* 10 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_SOCKETCALL, 11), /* -> 22 */
	/* 11 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* 12 */ LAUNCH_SECCOMP_LOAD(nr),
	/* 13 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~LAUNCH_SECCOMP_X32_BIT),
#else /* indices from here on are x86_64's; the jumps are relative */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_SECCOMP_ARCH, 1, 0),
	LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | EPERM), /* another ABI: closed */
	LAUNCH_SECCOMP_LOAD(nr),
#endif
	/* 14 */ LAUNCH_SECCOMP_IS(SYS_unshare, 16),                /* -> 31 flags */
	/* 15 */ LAUNCH_SECCOMP_IS(SYS_clone, 15),                  /* -> 31 */
	/* 16 */ LAUNCH_SECCOMP_IS(SYS_clone3, 16),                 /* -> 33 enosys */
	/* 17 */ LAUNCH_SECCOMP_IS(SYS_setns, 17),                  /* -> 35 eperm */
	/* 18 */ LAUNCH_SECCOMP_IS(SYS_setsockopt, 5),              /* -> 24 sockopt */
	/* 19 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_X32_SETSOCKOPT, 4), /* -> 24 */
	/* 20 */ LAUNCH_SECCOMP_IS(SYS_io_uring_setup, 12),         /* -> 33 enosys */
	/* 21 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* i386 socketcall: only its call number can be read */
	/* 22 */ LAUNCH_SECCOMP_LOAD_ARG(0),
	/* 23 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_SECCOMP_SOCKETCALL_SETSOCKOPT, 11, 10),
							/* -> 35 eperm / 34 allow */
	/* setsockopt(fd, level, optname, ...) */
	/* 24 */ LAUNCH_SECCOMP_LOAD_ARG(1),
	/* 25 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 8),    /* -> 34 allow */
	/* 26 */ LAUNCH_SECCOMP_LOAD_ARG(2),
	/* 27 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_TCP_MD5SIG, 7),           /* -> 35 eperm */
	/* 28 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_TCP_MD5SIG_EXT, 6),       /* -> 35 */
	/* 29 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, LAUNCH_SECCOMP_TCP_AO_FIRST, 0, 4), /* -> 34 */
	/* 30 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, LAUNCH_SECCOMP_TCP_AO_LAST, 3, 4), /* 34/35 */
	/* unshare(flags), clone(flags, ...) */
	/* 31 */ LAUNCH_SECCOMP_LOAD_ARG(0),
	/* 32 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 2, 1), /* -> 35 / 34 */
	/* 33 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | ENOSYS),
	/* 34 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* 35 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | EPERM),
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
