/* test_offloop.c - the job threads (offloop.c) against a pipe
 * whose lock someone else holds: a write(2) from a page whose fault nobody
 * answers (userfaultfd; root here, as CI runs) keeps the pipe's mutex, as a
 * hostile writer with slow-to-fault pages does. The caller (the loop) must
 * never wait: a wake-up is handed over at once, the next is refused while
 * it waits, a service that ends meanwhile leaves its writer to finish and
 * be freed later, and the close of an end given up (which takes the lock
 * too) is done off the caller's thread. And a listening socket whose lock
 * a getsockopt holds the same way (IP_MSFILTER copies under it): its
 * repairs and listen(2) wait on the job's thread, not the caller's. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "offloop.h"
#include "unit.h"

#define PAGE_BYTES 4096u
#define WAIT_MS 3000u          /* for a thread to finish, at most */
#define HELD_MS 300u           /* how long the lock is held before checks */
#define NEVER_WAITS_MS 50u     /* what a call of the loop may take, at most */

/* The jobs are the owners' (wakeup.c, sockaudit.c, service_mend.c);
 * these stand in for them. */
static const char WAKE = 'W';

static int test_write_byte(int fd, const void *byte)
{
	return write(fd, byte, 1) == 1 ? 7 : -1;
}

struct test_repair {
	int backlog;
};

/* A repair as sockaudit.c's: options set back, listen(2) again. */
static int test_relisten(int fd, const void *arg)
{
	const struct test_repair *r = arg;
	int zero = 0;
	struct linger off = { 0 };

	(void)setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &zero, sizeof(zero));
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
	return listen(fd, r->backlog) == 0 ? 3 : -1;
}

#define RUN_WAKE(slot, fd) offloop_run((slot), (fd), test_write_byte, &WAKE, 1, why, sizeof(why))

struct holder {
	int uffd;
	void *page;
	int fd;
	pthread_t writer;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
	nanosleep(&ts, NULL);
}

static void *holder_write(void *arg)
{
	struct holder *h = arg;
	(void)!write(h->fd, h->page, 1); /* faults in the copy, with the mutex */
	return NULL;
}

/* IP_MSFILTER's getsockopt copies the caller's buffer in under the
 * socket's lock (linux/in.h: 41). */
static void *holder_getsockopt(void *arg)
{
	struct holder *h = arg;
	socklen_t len = 256;
	(void)getsockopt(h->fd, IPPROTO_IP, 41, h->page, &len);
	return NULL;
}

static void holder_start_with(struct holder *h, int fd, void *(*call)(void *));

/* Starts a write to fd that holds its pipe's mutex until holder_let_go. */
static void holder_start(struct holder *h, int fd)
{
	holder_start_with(h, fd, holder_write);
}

/* The same, with call faulting on the page. */
static void holder_start_with(struct holder *h, int fd, void *(*call)(void *))
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;

	h->fd = fd;
	h->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ck_assert_msg(h->uffd >= 0, "userfaultfd: %s (the test needs root)", strerror(errno));
	ck_assert_int_eq(ioctl(h->uffd, UFFDIO_API, &api), 0);
	h->page = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(h->page != MAP_FAILED);
	reg = (struct uffdio_register){ .range = { .start = (uintptr_t)h->page, .len = PAGE_BYTES },
					.mode = UFFDIO_REGISTER_MODE_MISSING };
	ck_assert_int_eq(ioctl(h->uffd, UFFDIO_REGISTER, &reg), 0);
	ck_assert_int_eq(pthread_create(&h->writer, NULL, call, h), 0);
	sleep_ms(HELD_MS); /* the writer is in its fault: nothing to poll for */
}

/* Closing the userfaultfd answers the fault with a zero page. */
static void holder_let_go(struct holder *h)
{
	close(h->uffd);
	ck_assert_int_eq(pthread_join(h->writer, NULL), 0);
	munmap(h->page, PAGE_BYTES);
}

static void wait_idle(const struct offloop_slot *fw)
{
	uint64_t t0 = now_ms();
	while (offloop_busy(fw) && now_ms() - t0 < WAIT_MS)
		sleep_ms(1);
	ck_assert_msg(!offloop_busy(fw), "the writer did not finish");
}

static void nonblocking_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
}

START_TEST(test_sends_one_byte)
{
	struct offloop_slot *fw = NULL;
	char why[128], buf[8];
	int p[2];

	nonblocking_pipe(p);
	ck_assert(RUN_WAKE(&fw, p[1]));
	wait_idle(fw);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], 'W');
	offloop_release(&fw);
	ck_assert_ptr_null(fw);
	ck_assert_uint_eq(offloop_orphans(), 0);
	ck_assert(!RUN_WAKE(&fw, -1));
	ck_assert_str_eq(why, "no fd");
	offloop_release(&fw);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_held_lock_never_waits)
{
	struct offloop_slot *fw = NULL;
	struct holder h;
	char why[128], buf[8];
	uint64_t t0;
	int p[2];

	nonblocking_pipe(p);
	holder_start(&h, p[1]);
	t0 = now_ms();
	ck_assert(RUN_WAKE(&fw, p[1]));
	sleep_ms(HELD_MS);
	ck_assert_msg(offloop_busy(fw), "the write did not wait for the held lock");
	ck_assert(!RUN_WAKE(&fw, p[1])); /* not queued */
	ck_assert_str_eq(why, "the last one still waits for the kernel");
	ck_assert_uint_lt(now_ms() - t0, HELD_MS + NEVER_WAITS_MS);
	holder_let_go(&h);
	wait_idle(fw);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 2); /* the holder's, then ours */
	ck_assert_int_eq(buf[1], 'W');
	ck_assert(RUN_WAKE(&fw, p[1])); /* goes on */
	wait_idle(fw);
	offloop_release(&fw);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_service_ends_while_held)
{
	struct offloop_slot *fw = NULL;
	struct holder h;
	char why[128], buf[8];
	int p[2];

	nonblocking_pipe(p);
	holder_start(&h, p[1]);
	ck_assert(RUN_WAKE(&fw, p[1]));
	sleep_ms(HELD_MS);
	offloop_release(&fw);         /* the service's end: nothing waits */
	ck_assert_ptr_null(fw);
	ck_assert_uint_eq(offloop_orphans(), 1);
	holder_let_go(&h);
	uint64_t t0 = now_ms();
	while (offloop_orphans() > 0 && now_ms() - t0 < WAIT_MS)
		sleep_ms(1);
	ck_assert_uint_eq(offloop_orphans(), 0); /* freed once done */
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 2);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_close_never_waits)
{
	struct holder h;
	uint64_t t0;
	int p[2], mine;

	char path[64];

	nonblocking_pipe(p);
	/* An open file of its own (not a dup): its close is its last. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	mine = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(mine, 0);
	holder_start(&h, p[1]);
	t0 = now_ms();
	offloop_close(mine);          /* its last close waits for the lock */
	ck_assert_uint_lt(now_ms() - t0, NEVER_WAITS_MS);
	holder_let_go(&h);
	t0 = now_ms();
	while (fcntl(mine, F_GETFD) >= 0 && now_ms() - t0 < WAIT_MS)
		sleep_ms(1);
	ck_assert_msg(fcntl(mine, F_GETFD) < 0, "fd %d still open", mine);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_relisten_never_waits)
{
	struct offloop_slot *sl = NULL;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const struct test_repair job = { .backlog = 16 };
	char big[OFFLOOP_ARG_BYTES + 1] = { 0 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct holder h;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), v = 5;
	socklen_t len = sizeof(v);
	char why[128];
	uint64_t t0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, sizeof(v)), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	holder_start_with(&h, fd, holder_getsockopt);
	t0 = now_ms();
	ck_assert(!offloop_run(&sl, fd, test_relisten, big, sizeof(big), why, sizeof(why)));
	ck_assert(offloop_run(&sl, fd, test_relisten, &job, sizeof(job), why, sizeof(why)));
	/* one in flight */
	ck_assert(!offloop_run(&sl, fd, test_relisten, &job, sizeof(job), why, sizeof(why)));
	ck_assert_uint_lt(now_ms() - t0, NEVER_WAITS_MS);
	sleep_ms(HELD_MS);
	ck_assert_msg(offloop_busy(sl), "listen(2) did not wait for the held lock");
	holder_let_go(&h);
	wait_idle(sl);
	ck_assert_int_eq(offloop_result(sl), 3); /* the job's own result */
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &len), 0);
	ck_assert_int_eq(v, 0);
	len = sizeof(lg);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
	ck_assert_int_eq(lg.l_onoff, 0);
	offloop_release(&sl);
	close(fd);
}
END_TEST

static unsigned open_fds(void)
{
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* A job's duplicate is closed when it is done: a wake-up a second, for
 * years, must not leave an fd each (nor keep a removed service's socket
 * and port open). */
START_TEST(test_jobs_leave_no_fd)
{
	struct offloop_slot *fw = NULL;
	char why[128], buf[8];
	int p[2];

	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	unsigned before = open_fds();
	for (int i = 0; i < 5; i++) {
		ck_assert(RUN_WAKE(&fw, p[1]));
		wait_idle(fw);
		ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 1);
	}
	ck_assert_uint_eq(open_fds(), before);
	offloop_release(&fw);
	close(p[0]);
	close(p[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("offloop");
	TCase *tc = tcase_create("writer");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_sends_one_byte);
	tcase_add_test(tc, test_jobs_leave_no_fd);
	tcase_add_test(tc, test_held_lock_never_waits);
	tcase_add_test(tc, test_service_ends_while_held);
	tcase_add_test(tc, test_close_never_waits);
	tcase_add_test(tc, test_relisten_never_waits);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
