/* test_fifowake.c - the fifo wake-up writer (fifowake.c) against a pipe
 * whose lock someone else holds: a write(2) from a page whose fault nobody
 * answers (userfaultfd; root here, as CI runs) keeps the pipe's mutex, as a
 * hostile writer with slow-to-fault pages does. The caller (the loop) must
 * never wait: a wake-up is handed over at once, the next is refused while
 * it waits, a service that ends meanwhile leaves its writer to finish and
 * be freed later, and the close of an end given up (which takes the lock
 * too) is done off the caller's thread. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fifowake.h"
#include "unit.h"

#define PAGE_BYTES 4096u
#define WAIT_MS 3000u          /* for a thread to finish, at most */
#define HELD_MS 300u           /* how long the lock is held before checks */
#define NEVER_WAITS_MS 50u     /* what a call of the loop may take, at most */

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

/* Starts a write to fd that holds its pipe's mutex until holder_let_go. */
static void holder_start(struct holder *h, int fd)
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
	ck_assert_int_eq(pthread_create(&h->writer, NULL, holder_write, h), 0);
	sleep_ms(HELD_MS); /* the writer is in its fault: nothing to poll for */
}

/* Closing the userfaultfd answers the fault with a zero page. */
static void holder_let_go(struct holder *h)
{
	close(h->uffd);
	ck_assert_int_eq(pthread_join(h->writer, NULL), 0);
	munmap(h->page, PAGE_BYTES);
}

static void wait_idle(const struct fifowake *fw)
{
	uint64_t t0 = now_ms();
	while (fifowake_busy(fw) && now_ms() - t0 < WAIT_MS)
		sleep_ms(1);
	ck_assert_msg(!fifowake_busy(fw), "the writer did not finish");
}

static void nonblocking_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
}

START_TEST(test_sends_one_byte)
{
	struct fifowake *fw = NULL;
	char why[128], buf[8];
	int p[2];

	nonblocking_pipe(p);
	ck_assert(fifowake_send(&fw, p[1], why, sizeof(why)));
	wait_idle(fw);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], 'W');
	fifowake_release(&fw);
	ck_assert_ptr_null(fw);
	ck_assert_uint_eq(fifowake_orphans(), 0);
	ck_assert(!fifowake_send(&fw, -1, why, sizeof(why)));
	ck_assert_str_eq(why, "no write end");
	fifowake_release(&fw);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_held_lock_never_waits)
{
	struct fifowake *fw = NULL;
	struct holder h;
	char why[128], buf[8];
	uint64_t t0;
	int p[2];

	nonblocking_pipe(p);
	holder_start(&h, p[1]);
	t0 = now_ms();
	ck_assert(fifowake_send(&fw, p[1], why, sizeof(why)));
	sleep_ms(HELD_MS);
	ck_assert_msg(fifowake_busy(fw), "the write did not wait for the held lock");
	ck_assert(!fifowake_send(&fw, p[1], why, sizeof(why))); /* not queued */
	ck_assert_str_eq(why, "the last wake-up still waits on the fifo");
	ck_assert_uint_lt(now_ms() - t0, HELD_MS + NEVER_WAITS_MS);
	holder_let_go(&h);
	wait_idle(fw);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 2); /* the holder's, then ours */
	ck_assert_int_eq(buf[1], 'W');
	ck_assert(fifowake_send(&fw, p[1], why, sizeof(why))); /* goes on */
	wait_idle(fw);
	fifowake_release(&fw);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_service_ends_while_held)
{
	struct fifowake *fw = NULL;
	struct holder h;
	char why[128], buf[8];
	int p[2];

	nonblocking_pipe(p);
	holder_start(&h, p[1]);
	ck_assert(fifowake_send(&fw, p[1], why, sizeof(why)));
	sleep_ms(HELD_MS);
	fifowake_release(&fw);         /* the service's end: nothing waits */
	ck_assert_ptr_null(fw);
	ck_assert_uint_eq(fifowake_orphans(), 1);
	holder_let_go(&h);
	uint64_t t0 = now_ms();
	while (fifowake_orphans() > 0 && now_ms() - t0 < WAIT_MS)
		sleep_ms(1);
	ck_assert_uint_eq(fifowake_orphans(), 0); /* freed once done */
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
	fifowake_close(mine);          /* its last close waits for the lock */
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

int main(void)
{
	Suite *s = suite_create("fifowake");
	TCase *tc = tcase_create("writer");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_sends_one_byte);
	tcase_add_test(tc, test_held_lock_never_waits);
	tcase_add_test(tc, test_service_ends_while_held);
	tcase_add_test(tc, test_close_never_waits);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
