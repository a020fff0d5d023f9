/* test_log.c - the master's log never blocks on a slow reader: the
 * master's own lines it cannot write are kept (64 KiB of them) and written
 * first once it can, workers' lines and the master's past that are
 * dropped and counted, the count is logged when writing works again, and
 * the shared fd 2 is not made non-blocking. Real pipes and sockets in
 * place of stderr and /dev/log (each test runs in its own forked child,
 * so replacing fd 2 is local to it). */
#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

#define LINES 3000   /* ~200 KB of log: more than a pipe or socket holds */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Everything readable on fd now. */
static char *drain(int fd, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap + 1);

	ck_assert_ptr_nonnull(buf);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (ssize_t r; n < cap && (r = read(fd, buf + n, cap - n)) > 0;)
		n += (size_t)r;
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Lines of the flood in s (each flood line is written or dropped), and in
 * *noted the sum of the counts of the "(N log lines dropped)" notes written
 * between them (a short note can fit in a pipe where a longer line did
 * not). */
static unsigned count_lines(const char *s, unsigned long long *noted)
{
	unsigned n = 0;

	*noted = 0;
	for (const char *line = s; *line; ) {
		const char *nl = strchr(line, '\n');
		unsigned long long k;
		if (nl == NULL)
			break;
		const char *note = strstr(line, "warning: (");
		if (note != NULL && note < nl && sscanf(note, "warning: (%llu log lines", &k) == 1)
			*noted += k;
		else
			n++;
		line = nl + 1;
	}
	return n;
}

/* Appends what is readable on r to *all, flushing the log in between,
 * until nothing is kept any more. */
static void drain_all(int r, char **all, size_t *len)
{
	size_t n;
	char *got;

	for (int i = 0; i < 1000; i++) {
		got = drain(r, &n);
		*all = realloc(*all, *len + n + 1);
		ck_assert_ptr_nonnull(*all);
		memcpy(*all + *len, got, n + 1);
		*len += n;
		free(got);
		log_flush();
		if (log_pending_lines() == 0 && n == 0)
			return;
	}
	ck_abort_msg("the kept lines never went");
}

/* fd 2 = w; floods the log; the reader (r) reads nothing meanwhile. */
static void flood_stuck_reader(int r, int w)
{
	ck_assert_int_eq(dup2(w, STDERR_FILENO), STDERR_FILENO);
	close(w);
	log_open(true, false);
	double t0 = now_s();
	for (int i = 0; i < LINES; i++)
		log_info("line %d of a flood, long enough to fill a pipe quickly........", i);
	ck_assert_msg(now_s() - t0 < 2.0, "logging blocked on a full stderr");
	ck_assert_uint_gt(log_pending_lines(), 0);
	ck_assert_uint_gt(log_dropped_total(), 0);
	ck_assert_uint_eq(log_dropped_total(), log_dropped_master());
	/* The shared description keeps its flags: blocking. */
	ck_assert_int_eq(fcntl(STDERR_FILENO, F_GETFL) & O_NONBLOCK, 0);

	/* The reader is back: what was written, what was kept, the count,
	 * then the next line; no flood line cut or repeated, in order. */
	size_t len = 0;
	char *all = NULL;
	unsigned long long noted;
	drain_all(r, &all, &len);
	log_info("after");
	drain_all(r, &all, &len);
	unsigned written = count_lines(all, &noted);
	ck_assert_msg(written - 1 + log_dropped_total() == LINES, "written %u dropped %llu",
		      written, (unsigned long long)log_dropped_total());
	ck_assert_uint_eq(noted, log_dropped_total());
	char expect[192];
	snprintf(expect, sizeof(expect), "master[%ld]: warning: (%llu log lines dropped; in all 0 "
		 "of workers, %llu of the master)\nmaster[%ld]: info: after\n", (long)getpid(),
		 noted, noted, (long)getpid());
	ck_assert_msg(len >= strlen(expect) && strcmp(all + len - strlen(expect), expect) == 0,
		      "ends %s", all + (len > 300 ? len - 300 : 0));
	int last = -1;
	for (const char *p = all; (p = strstr(p, "info: line ")) != NULL; p++) {
		int k = atoi(p + strlen("info: line "));
		ck_assert_msg(k > last, "line %d after line %d", k, last);
		last = k;
	}
	free(all);
	log_close();
}

START_TEST(test_stderr_pipe_never_blocks)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	flood_stuck_reader(p[0], p[1]);
}
END_TEST

START_TEST(test_stderr_stream_socket_never_blocks)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	flood_stuck_reader(sv[0], sv[1]);
}
END_TEST

START_TEST(test_master_lines_outlive_a_worker_flood)
{
	/* A worker floods its stderr and, while the log is full, the master
	 * says what it does about it: that line is kept and written first
	 * once the reader is back; the workers' lines past the full log are
	 * dropped, none of the master's. */
	int p[2];
	size_t len = 0;
	char *all = NULL;
	unsigned long long noted;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	log_open(true, false);
	for (int i = 0; i < LINES; i++)
		log_worker_line("svc", 42, "a worker's flood, long enough to fill a pipe.......",
				50);
	log_warn("service svc: worker 42: killing it");
	for (int i = 0; i < LINES; i++)
		log_worker_line("svc", 42, "more of the flood", 17);
	log_info("service svc: worker 42 killed by signal 9");
	ck_assert_uint_eq(log_pending_lines(), 2);
	ck_assert_uint_eq(log_dropped_master(), 0);
	ck_assert_uint_gt(log_dropped_workers(), LINES);
	drain_all(p[0], &all, &len);
	char *kill = strstr(all, "master[");
	ck_assert_msg(kill != NULL && strstr(kill, "warning: service svc: worker 42: killing it\n"
					     "master[") == strchr(kill, 'w'), "got %s", kill);
	ck_assert_ptr_nonnull(strstr(all, "info: service svc: worker 42 killed by signal 9\n"));
	ck_assert_ptr_null(strstr(all, "more of the flood"));
	count_lines(all, &noted);
	ck_assert_uint_eq(noted, log_dropped_workers());
	free(all);
	log_close();
}
END_TEST

START_TEST(test_stderr_terminal_never_blocks)
{
	/* A terminal nobody reads (scroll-locked, a stuck ssh): the master
	 * writes through its own non-blocking description of it; the shell's
	 * description of the terminal stays blocking. */
	int ptm = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(ptm, 0);
	ck_assert_int_eq(grantpt(ptm), 0);
	ck_assert_int_eq(unlockpt(ptm), 0);
	int pts = open(ptsname(ptm), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(pts, 0);
	ck_assert_int_eq(dup2(pts, STDERR_FILENO), STDERR_FILENO);
	log_open(true, false);
	double t0 = now_s();
	for (int i = 0; i < LINES; i++)
		log_info("line %d of a flood, long enough to fill a terminal quickly....", i);
	ck_assert_msg(now_s() - t0 < 2.0, "logging blocked on a stuck terminal");
	ck_assert_uint_gt(log_dropped_total(), 0);
	ck_assert_int_eq(fcntl(STDERR_FILENO, F_GETFL) & O_NONBLOCK, 0);
	log_close();
}
END_TEST

START_TEST(test_stderr_escapes)
{
	int p[2];
	size_t len;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	log_open(true, false);
	log_info("a\x1b[2Jb\nmaster[1]: forged");
	log_worker_line("svc", 42, "x\ry\xff", 4);
	char *got = drain(p[0], &len);
	char expect[160];
	snprintf(expect, sizeof(expect), "master[%ld]: info: a\\x1b[2Jb\\x0amaster[1]: forged\n"
		 "svc[42]: x\\x0dy\\xff\n", (long)getpid());
	ck_assert_str_eq(got, expect);
	free(got);
	log_close();
}
END_TEST

START_TEST(test_syslog_never_blocks)
{
	char dir[] = "/tmp/test_log.XXXXXX";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static char path[sizeof(sun.sun_path)];
	char buf[4096];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	strcpy(sun.sun_path, path);
	int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(rx, 0);
	ck_assert_int_eq(bind(rx, (struct sockaddr *)&sun, sizeof(sun)), 0);

	log_open_syslog(path, false);
	double t0 = now_s();
	for (int i = 0; i < LINES; i++)
		log_warn("datagram %d", i);
	ck_assert_msg(now_s() - t0 < 2.0, "logging blocked on a full syslog socket");
	ck_assert_uint_gt(log_dropped_total(), 0);
	unsigned got = 0, kept = log_pending_lines();
	ssize_t n;
	ck_assert_uint_gt(kept, 0);
	for (int round = 0; round < 1000; round++) {
		while ((n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
			buf[n] = '\0';
			if (got == 0) /* "<28>Mmm dd hh:mm:ss master[PID]: warning: datagram 0" */
				ck_assert_msg(strncmp(buf, "<28>", 4) == 0 &&
					      strstr(buf, " master[") != NULL &&
					      strstr(buf, "]: warning: datagram 0") != NULL,
					      "got %s", buf);
			if (strstr(buf, " log lines dropped;") != NULL)
				break;
			got++;
		}
		if (n > 0)
			break; /* the count: every kept line went before it */
		log_flush();
	}
	ck_assert_msg(strstr(buf, "]: warning: (") != NULL &&
		      strstr(buf, " log lines dropped;") != NULL, "got %s", buf);
	ck_assert_uint_eq(log_pending_lines(), 0);
	ck_assert_uint_eq(got + log_dropped_total(), LINES);
	log_info("after");
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, "<30>", 4) == 0 && strstr(buf, "]: info: after") != NULL,
		      "got %s", buf);

	/* The syslog daemon goes away and comes back: reconnected. */
	close(rx);
	unlink(path);
	log_info("lost");
	log_worker_line("svc", 42, "gone", 4);
	rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(rx, (struct sockaddr *)&sun, sizeof(sun)), 0);
	log_info("back");
	const char *want[] = { "]: info: lost", "(1 log lines dropped; in all 1 of workers",
			       "]: info: back" };
	for (size_t i = 0; i < 3; i++) {
		n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_msg(strstr(buf, want[i]) != NULL, "got %s, want %s", buf, want[i]);
	}
	log_close();
	close(rx);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("nonblocking");

	tcase_add_test(tc, test_stderr_pipe_never_blocks);
	tcase_add_test(tc, test_stderr_stream_socket_never_blocks);
	tcase_add_test(tc, test_stderr_terminal_never_blocks);
	tcase_add_test(tc, test_stderr_escapes);
	tcase_add_test(tc, test_master_lines_outlive_a_worker_flood);
	tcase_add_test(tc, test_syslog_never_blocks);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
