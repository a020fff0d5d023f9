/* test_relay_shared.c - worker_stderr=shared on a real socket: bytes are
 * logged under the pid the kernel attached to them, each writer's
 * unfinished line kept apart from the others', a writer the route does
 * not know logged under its own pid, a worker's end giving end-of-file
 * to a read.
 * The writers are forked children; the log (fd 2) is a pipe the test
 * reads; each test runs in its own forked child (check). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "relay_shared.h"
#include "unit.h"

#define WRITERS 2

static int log_r = -1;
static struct event_loop loop;
static struct relay_shared shared;
static pid_t writer_pid[WRITERS];
static struct relay writer_relay[WRITERS];

static void setup(void)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	log_r = p[0];
	fcntl(log_r, F_SETFL, O_NONBLOCK);
	log_open(true, false);
	ck_assert_int_eq(event_init(&loop), 0);
}

/* The workers are writer_pid[]: each has a relay of its own. */
static struct relay *route(void *ctx, pid_t pid)
{
	(void)ctx;
	for (int i = 0; i < WRITERS; i++)
		if (writer_pid[i] == pid)
			return &writer_relay[i];
	return NULL;
}

static char *logged(void)
{
	static char buf[1 << 16];
	size_t n = 0;

	for (ssize_t r; n < sizeof(buf) - 1 && (r = read(log_r, buf + n, sizeof(buf) - 1 - n)) > 0;)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

/* A writer: writes `first`, waits for a byte on go (if go >= 0), writes
 * `then`, exits. Its stderr is the shared socket, as a worker's is. */
static pid_t writer(const char *first, int go, const char *then)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char c;
		dup2(shared.write_fd, STDERR_FILENO);
		if (write(STDERR_FILENO, first, strlen(first)) < 0)
			_exit(2);
		if (go >= 0 && read(go, &c, 1) != 1)
			_exit(3);
		if (then != NULL && write(STDERR_FILENO, then, strlen(then)) < 0)
			_exit(4);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d: status %d", pid, st);
}

START_TEST(test_each_writer_has_its_own_line)
{
	int go[2];
	char expect[128];

	ck_assert_int_eq(relay_shared_open(&shared, &loop, "svc", route, NULL, NULL), 0);
	ck_assert_int_eq(pipe(go), 0);
	/* A starts a line, B writes a whole one, A ends its line. */
	writer_pid[0] = writer("alpha-", go[0], "end\n");
	writer_pid[1] = writer("beta line\n", -1, NULL);
	reap(writer_pid[1]);
	/* Both writes are queued: one drain, nothing glued. */
	relay_shared_drain(&shared, 1);
	snprintf(expect, sizeof(expect), "svc[%d]: beta line\n", (int)writer_pid[1]);
	ck_assert_str_eq(logged(), expect);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	reap(writer_pid[0]);
	relay_shared_drain(&shared, 1);
	snprintf(expect, sizeof(expect), "svc[%d]: alpha-end\n", (int)writer_pid[0]);
	ck_assert_str_eq(logged(), expect);
	relay_shared_close(&shared);
	ck_assert(!shared.open);
	event_fini(&loop);
}
END_TEST

START_TEST(test_stranger_logged_under_its_own_pid)
{
	char expect[128];

	ck_assert_int_eq(relay_shared_open(&shared, &loop, "svc", route, NULL, NULL), 0);
	writer_pid[0] = writer_pid[1] = 0; /* nobody is a worker */
	pid_t pid = writer("from a child\n", -1, NULL);
	reap(pid);
	/* Through the loop, as the master reads it. */
	char *got = logged();
	for (int i = 0; i < 20 && got[0] == '\0'; i++) {
		event_run_once(&loop, 50);
		got = logged();
	}
	snprintf(expect, sizeof(expect), "svc[%d]: from a child\n", (int)pid);
	ck_assert_str_eq(got, expect);
	relay_shared_close(&shared);
	event_fini(&loop);
}
END_TEST

START_TEST(test_worker_end_is_write_only)
{
	char c;

	ck_assert_int_eq(relay_shared_open(&shared, &loop, "svc", route, NULL, NULL), 0);
	pid_t pid = writer("queued\n", -1, NULL);
	reap(pid);
	/* A worker that reads its stderr gets end-of-file at once. */
	ck_assert_int_eq(recv(shared.write_fd, &c, 1, MSG_DONTWAIT), 0);
	relay_shared_close(&shared);
	event_fini(&loop);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("relay_shared");
	TCase *tc = tcase_create("socket");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_each_writer_has_its_own_line);
	tcase_add_test(tc, test_stranger_logged_under_its_own_pid);
	tcase_add_test(tc, test_worker_end_is_write_only);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
