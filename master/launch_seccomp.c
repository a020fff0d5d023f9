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

/* The verdicts and the argument checks every program ends with (15
 * instructions: SOCKOPT is the tail's index 0, FLAGS 7, ENOSYS 9, ALLOW
 * 10, EPERM 11; i386's socketcall check sits before it). A jump's
 * offsets count from the next instruction; the comments give each
 * target's index in the program. */
#define LAUNCH_SECCOMP_TAIL                                                                  \
	/* SOCKOPT +0: setsockopt(fd, level, optname, ...) */                                \
	LAUNCH_SECCOMP_LOAD_ARG(1),                                                          \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 8),            /* -> ALLOW */    \
	LAUNCH_SECCOMP_LOAD_ARG(2),                                                          \
	LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_TCP_MD5SIG, 7),                   /* -> EPERM */    \
	LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_TCP_MD5SIG_EXT, 6),               /* -> EPERM */    \
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, LAUNCH_SECCOMP_TCP_AO_FIRST, 0, 4), /* ALLOW */  \
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, LAUNCH_SECCOMP_TCP_AO_LAST, 3, 4),  /* A / E */  \
	/* FLAGS +7: unshare(flags), clone(flags, ...) */                                    \
	LAUNCH_SECCOMP_LOAD_ARG(0),                                                          \
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 2, 1),       /* EPERM / ALLOW */ \
	/* +9 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | ENOSYS),                             \
	/* +10 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),                                     \
	/* +11 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | EPERM)

#if defined(__x86_64__)
/* Most calls go straight through, and the kernel decides that for each
 * call number by running the program at every new filter (its seccomp
 * cache), so each instruction on the common path costs every launch
 * (measured, fork + filter + exit: this list of 7 numbers each way,
 * compared one after the other, cost 22 us more than the 4 before it;
 * split in two at the first number above the low ones, a path of 8 or
 * 11 instructions, 9 us more). */
#define LAUNCH_SECCOMP_I386_SPLIT LAUNCH_SECCOMP_I386_UNSHARE
#define LAUNCH_SECCOMP_X64_SPLIT ((unsigned)SYS_unshare)
_Static_assert(SYS_setsockopt < SYS_unshare && SYS_clone < SYS_unshare &&
	       SYS_setns > SYS_unshare && SYS_io_uring_setup > SYS_unshare &&
	       SYS_clone3 > SYS_unshare && LAUNCH_SECCOMP_X32_SETSOCKOPT > SYS_unshare,
	       "the x86_64 split");
_Static_assert(LAUNCH_SECCOMP_I386_SOCKETCALL < LAUNCH_SECCOMP_I386_SPLIT &&
	       LAUNCH_SECCOMP_I386_CLONE < LAUNCH_SECCOMP_I386_SPLIT &&
	       LAUNCH_SECCOMP_I386_SETNS > LAUNCH_SECCOMP_I386_SPLIT,
	       "the i386 split");

static const struct sock_filter launch_seccomp_program[] = {
	/* 0 */ LAUNCH_SECCOMP_LOAD(arch),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_SECCOMP_ARCH, 12, 0), /* -> 14 */
	/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 35),     /* -> 38 */
	/* i386 */
	/* 3 */ LAUNCH_SECCOMP_LOAD(nr),
	/* 4 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, LAUNCH_SECCOMP_I386_SPLIT, 3, 0), /* -> 8 */
	/* 5 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_SOCKETCALL, 20),      /* -> 26 */
	/* 6 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_CLONE, 28),           /* -> 35 flags */
	/* 7 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* 8 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_UNSHARE, 26),         /* -> 35 flags */
	/* 9 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_SETNS, 29),           /* -> 39 eperm */
	/* 10 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_SETSOCKOPT, 17),     /* -> 28 sockopt */
	/* 11 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_IO_URING_SETUP, 25), /* -> 37 enosys */
	/* 12 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_I386_CLONE3, 24),         /* -> 37 enosys */
	/* 13 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* x86_64, and x32 with its bit masked */
	/* 14 */ LAUNCH_SECCOMP_LOAD(nr),
	/* 15 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~LAUNCH_SECCOMP_X32_BIT),
	/* 16 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, LAUNCH_SECCOMP_X64_SPLIT, 3, 0), /* -> 20 */
	/* 17 */ LAUNCH_SECCOMP_IS(SYS_setsockopt, 10),                     /* -> 28 sockopt */
	/* 18 */ LAUNCH_SECCOMP_IS(SYS_clone, 16),                          /* -> 35 flags */
	/* 19 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* 20 */ LAUNCH_SECCOMP_IS(SYS_unshare, 14),                        /* -> 35 flags */
	/* 21 */ LAUNCH_SECCOMP_IS(SYS_setns, 17),                          /* -> 39 eperm */
	/* 22 */ LAUNCH_SECCOMP_IS(SYS_io_uring_setup, 14),                 /* -> 37 enosys */
	/* 23 */ LAUNCH_SECCOMP_IS(SYS_clone3, 13),                         /* -> 37 enosys */
	/* 24 */ LAUNCH_SECCOMP_IS(LAUNCH_SECCOMP_X32_SETSOCKOPT, 3),       /* -> 28 sockopt */
	/* 25 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* i386 socketcall: only its call number can be read */
	/* 26 */ LAUNCH_SECCOMP_LOAD_ARG(0),
	/* 27 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_SECCOMP_SOCKETCALL_SETSOCKOPT, 11, 10),
							/* -> 39 eperm / 38 allow */
	/* 28 */ LAUNCH_SECCOMP_TAIL,
};
#elif defined(__aarch64__)
static const struct sock_filter launch_seccomp_program[] = {
	/* 0 */ LAUNCH_SECCOMP_LOAD(arch),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LAUNCH_SECCOMP_ARCH, 1, 0),  /* -> 3 */
	/* 2 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ERRNO | EPERM), /* another ABI: closed */
	/* 3 */ LAUNCH_SECCOMP_LOAD(nr),
	/* 4 */ LAUNCH_SECCOMP_IS(SYS_unshare, 13),                         /* -> 18 flags */
	/* 5 */ LAUNCH_SECCOMP_IS(SYS_clone, 12),                           /* -> 18 flags */
	/* 6 */ LAUNCH_SECCOMP_IS(SYS_clone3, 13),                          /* -> 20 enosys */
	/* 7 */ LAUNCH_SECCOMP_IS(SYS_setns, 14),                           /* -> 22 eperm */
	/* 8 */ LAUNCH_SECCOMP_IS(SYS_setsockopt, 2),                       /* -> 11 sockopt */
	/* 9 */ LAUNCH_SECCOMP_IS(SYS_io_uring_setup, 10),                  /* -> 20 enosys */
	/* 10 */ LAUNCH_SECCOMP_RET(SECCOMP_RET_ALLOW),
	/* 11 */ LAUNCH_SECCOMP_TAIL,
};
#endif

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
