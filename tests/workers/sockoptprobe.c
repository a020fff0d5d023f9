/* sockoptprobe.c - what a worker's setsockopt of TCP's MD5 and AO keys,
 * and io_uring, get from the kernel (launch_seccomp.c refuses them: a key
 * for every address on the shared listening socket drops every client,
 * and io_uring's setsockopt passes no filter). nsprobe.py runs it for
 * each client; it prints one line of words, each "ok" or the errno's
 * name:
 *   md5        setsockopt(TCP_MD5SIG_EXT) of a zeroed key (EINVAL where
 *              allowed: no address family)
 *   ao         setsockopt(TCP_AO_ADD_KEY) of a zeroed key (EINVAL)
 *   nodelay    setsockopt(TCP_NODELAY): stays allowed
 *   uring      io_uring_setup(1): ok where allowed (and io_uring is on)
 * and on x86_64, through the i386 entry (int $0x80):
 *   md5_32     setsockopt (366) of TCP_MD5SIG
 *   sockcall32 socketcall(SYS_SETSOCKOPT) of TCP_MD5SIG (its arguments
 *              in memory: EFAULT where allowed, they are not mapped low)
 * or "i386=none" where the kernel has no i386 entry. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SOCKOPTPROBE_TCP_AO_ADD_KEY 38
#define SOCKOPTPROBE_KEY_BYTES 512 /* more than either key's struct */

static void sockoptprobe_word(const char *name, long rc, int err)
{
	static const char *sep = "";
	const char *w = rc >= 0 ? "ok" : strerrorname_np(err);

	printf("%s%s=%s", sep, name, w != NULL ? w : "unknown");
	sep = " ";
}

#if defined(__x86_64__)
static long sockoptprobe_i386(long nr, long a, long b, long c, long d, long e)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
	return ret;
}
#endif

int main(void)
{
	static char key[SOCKOPTPROBE_KEY_BYTES];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	long rc;

	if (fd < 0) {
		perror("socket");
		return 1;
	}
	rc = setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG_EXT, key, sizeof(struct tcp_md5sig));
	sockoptprobe_word("md5", rc, errno);
	rc = setsockopt(fd, IPPROTO_TCP, SOCKOPTPROBE_TCP_AO_ADD_KEY, key, sizeof(key));
	sockoptprobe_word("ao", rc, errno);
	rc = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sockoptprobe_word("nodelay", rc, errno);
	memset(key, 0, sizeof(key));
	rc = syscall(SYS_io_uring_setup, 1, key);
	sockoptprobe_word("uring", rc, errno);
	if (rc >= 0)
		close((int)rc);
#if defined(__x86_64__)
	if (sockoptprobe_i386(20, 0, 0, 0, 0, 0) == (long)getpid()) {
		rc = sockoptprobe_i386(366, fd, IPPROTO_TCP, TCP_MD5SIG, 0, 0);
		sockoptprobe_word("md5_32", rc, (int)-rc);
		rc = sockoptprobe_i386(102, 14, 0, 0, 0, 0);
		sockoptprobe_word("sockcall32", rc, (int)-rc);
	} else {
		printf(" i386=none");
	}
#else
	printf(" i386=none");
#endif
	putchar('\n');
	return 0;
}
