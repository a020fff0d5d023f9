/* test_log.c - the master's log never blocks on a slow reader: lines it
 * cannot write are dropped and counted, the count is logged when writing
 * works again, and the shared fd 2 is not made non-blocking. Real pipes
 * and sockets in place of stderr and /dev/log (each test runs in its own
 * forked child, so replacing fd 2 is local to it). */
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
	ck_assert_uint_gt(log_dropped_total(), 0);
	/* The shared description keeps its flags: blocking. */
	ck_assert_int_eq(fcntl(STDERR_FILENO, F_GETFL) & O_NONBLOCK, 0);

	size_t len;
	unsigned long long noted;
	char *got = drain(r, &len);
	/* A stream may take part of a line: the rest is owed, not dropped. */
	bool owed = len > 0 && got[len - 1] != '\n';
	unsigned written = count_lines(got, &noted) + (owed ? 1 : 0);
	ck_assert_msg(written + log_dropped_total() == LINES, "written %u dropped %llu noted %llu owed %d len %zu", written, (unsigned long long)log_dropped_total(), noted, owed, len);
	free(got);

	/* The reader is back: the rest of a cut line, the count, the line. */
	log_info("after");
	got = drain(r, &len);
	char expect[128];
	snprintf(expect, sizeof(expect), "master[%ld]: warning: (%llu log lines dropped)\n"
		 "master[%ld]: info: after\n", (long)getpid(),
		 (unsigned long long)(log_dropped_total() - noted), (long)getpid());
	size_t rest = len - strlen(expect);
	ck_assert_msg(len >= strlen(expect) && strcmp(got + rest, expect) == 0, "got %s", got);
	if (owed)
		ck_assert_msg(rest > 0 && memchr(got, '\n', rest) == got + rest - 1, "got %s", got);
	else
		ck_assert_uint_eq(rest, 0);
	free(got);
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
	unsigned got = 0;
	ssize_t n;
	while ((n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		if (got == 0) /* "<28>Mmm dd hh:mm:ss master[PID]: warning: datagram 0" */
			ck_assert_msg(strncmp(buf, "<28>", 4) == 0 &&
				      strstr(buf, " master[") != NULL &&
				      strstr(buf, "]: warning: datagram 0") != NULL, "got %s", buf);
		got++;
	}
	ck_assert_uint_eq(got + log_dropped_total(), LINES);
	log_info("after");
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strstr(buf, "]: warning: (") != NULL &&
		      strstr(buf, " log lines dropped)") != NULL, "got %s", buf);
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, "<30>", 4) == 0 && strstr(buf, "]: info: after") != NULL,
		      "got %s", buf);

	/* The syslog daemon goes away and comes back: reconnected. */
	close(rx);
	unlink(path);
	log_info("lost");
	rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(rx, (struct sockaddr *)&sun, sizeof(sun)), 0);
	log_info("back");
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strstr(buf, "(1 log lines dropped)") != NULL, "got %s", buf);
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
	tcase_add_test(tc, test_syslog_never_blocks);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
