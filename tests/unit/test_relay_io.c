/* test_relay_io.c - the stderr relay's mechanism on real pipes: lines cut
 * into capped pieces between characters, escaping across reads, the
 * summary at exit, and pausing a pipe past its read budget until the
 * relay's own timer resumes it. The log (fd 2) is a pipe the test reads;
 * each test runs in its own forked child. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "log.h"
#include "relay.h"
#include "unit.h"

static int log_r = -1;      /* reads what the master logged */
static int err_pipe[2];     /* the worker's stderr: [0] the master's end */

static void setup(void)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[1], F_SETPIPE_SZ, 1 << 20) > 0, 1);
	ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	log_r = p[0];
	fcntl(log_r, F_SETFL, O_NONBLOCK);
	log_open(true, false);
	ck_assert_int_eq(pipe2(err_pipe, O_NONBLOCK), 0);
}

static void put(const char *s, size_t n)
{
	ck_assert_int_eq(write(err_pipe[1], s, n), (ssize_t)n);
}

/* What was logged since the last call. */
static char *logged(void)
{
	static char buf[1 << 20];
	size_t n = 0;

	for (ssize_t r; n < sizeof(buf) - 1 && (r = read(log_r, buf + n, sizeof(buf) - 1 - n)) > 0;)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

/* The text of each "svc[7]: " line, in order, as a NULL-ended array; the
 * master's summary of what worker 7's limit suppressed as "(N bytes, M
 * lines suppressed)" in its place. */
static char **lines(char *text)
{
	static char *out[8192];
	static char summaries[8][64];
	size_t k = 0, nsum = 0;
	unsigned long long b, n;

	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && k < 8191;
	     l = strtok_r(NULL, "\n", &save)) {
		const char *sum = strstr(l, "]: warning: service svc: worker 7: stderr over its "
					    "limit: ");
		if (strncmp(l, "master[", 7) == 0 && sum != NULL && nsum < 8 &&
		    sscanf(strstr(sum, "limit: ") + 7, "%llu bytes, %llu lines suppressed", &b,
			   &n) == 2) {
			snprintf(summaries[nsum], sizeof(summaries[nsum]),
				 "(%llu bytes, %llu lines suppressed)", b, n);
			out[k++] = summaries[nsum++];
			continue;
		}
		ck_assert_msg(strncmp(l, "svc[7]: ", 8) == 0, "line %s", l);
		out[k++] = l + 8;
	}
	out[k] = NULL;
	return out;
}

static int count(char **l)
{
	int n = 0;

	while (l[n] != NULL)
		n++;
	return n;
}

START_TEST(test_long_line_in_pieces)
{
	struct relay r = { 0 };
	char big[2500];

	memset(big, 'a', sizeof(big));
	put(big, sizeof(big));
	put("\n", 1);
	ck_assert(relay_read(&r, err_pipe[0], "svc", 7));
	char **l = lines(logged());
	ck_assert_int_eq(count(l), 3);
	ck_assert_uint_eq(strlen(l[0]), RELAY_LINE_MAX_BYTES);
	ck_assert_uint_eq(strlen(l[1]), RELAY_LINE_MAX_BYTES);
	ck_assert_uint_eq(strlen(l[2]), 2500 - 2 * RELAY_LINE_MAX_BYTES);
	relay_flush(&r, "svc", 7);
	ck_assert_str_eq(logged(), "");
}
END_TEST

START_TEST(test_character_across_reads_and_cut)
{
	struct relay r = { 0 };
	char a[RELAY_LINE_MAX_BYTES - 1];

	/* 1023 bytes, then the first byte of "é": the buffer is full with an
	 * unfinished character, which must not be escaped as invalid. */
	memset(a, 'a', sizeof(a));
	put(a, sizeof(a));
	put("\xc3", 1);
	ck_assert(relay_read(&r, err_pipe[0], "svc", 7));
	put("\xa9 end\n", 6);
	ck_assert(relay_read(&r, err_pipe[0], "svc", 7));
	char **l = lines(logged());
	ck_assert_int_eq(count(l), 2);
	ck_assert_uint_eq(strlen(l[0]), sizeof(a));
	ck_assert_str_eq(l[1], "\xc3\xa9 end");
	relay_flush(&r, "svc", 7);
}
END_TEST

START_TEST(test_escapes_fill_pieces)
{
	struct relay r = { 0 };
	char esc[300];

	memset(esc, 0x1b, sizeof(esc));
	put(esc, sizeof(esc));
	put("\n\n", 2); /* and an empty line */
	ck_assert(relay_read(&r, err_pipe[0], "svc", 7));
	char **l = lines(logged());
	/* 256 + 44 escapes in two pieces, then the empty line. */
	ck_assert_int_eq(count(l), 3);
	ck_assert_str_eq(l[2], "");
	ck_assert_uint_eq(strlen(l[0]), 256 * 4);
	ck_assert_uint_eq(strlen(l[1]), 44 * 4);
	ck_assert(strncmp(l[0], "\\x1b\\x1b", 8) == 0);
	relay_flush(&r, "svc", 7);
}
END_TEST

START_TEST(test_unfinished_line_and_summary_at_exit)
{
	struct relay r = { 0 };
	char line[16];

	for (int i = 0; i < 3000; i++) {
		snprintf(line, sizeof(line), "line %04d\n", i);
		put(line, 10);
	}
	put("no newline", 10);
	for (int i = 0; i < 10; i++) /* 16 KiB a call: drained */
		ck_assert(relay_read(&r, err_pipe[0], "svc", 7));
	char **l = lines(logged());
	/* The burst, and what refilled while reading (a few ms: a few). */
	int shown = count(l);
	ck_assert_int_ge(shown, RELAYLIMIT_LINES_BURST);
	ck_assert_int_le(shown, RELAYLIMIT_LINES_BURST + 50);
	ck_assert_str_eq(l[0], "line 0000");
	put("left in the pipe", 16);
	relay_flush(&r, "svc", 7); /* not attached: nothing counted unread */
	l = lines(logged());
	ck_assert_int_eq(count(l), 1);
	/* The unfinished line is suppressed too; the summary counts it. */
	char expect[64];
	snprintf(expect, sizeof(expect), "(%d bytes, %d lines suppressed)",
		 (3000 - shown) * 9 + 10, 3000 - shown + 1);
	ck_assert_str_eq(l[0], expect);
}
END_TEST

START_TEST(test_pause_and_resume)
{
	struct event_loop loop;
	struct event_watch w;
	struct relay r = { 0 };
	static char chunk[64 * 1024];

	ck_assert_int_eq(fcntl(err_pipe[1], F_SETPIPE_SZ, 1 << 20) > 0, 1);
	ck_assert_int_eq(event_init(&loop), 0);
	ck_assert_int_eq(event_add(&loop, &w, err_pipe[0], EPOLLIN, NULL), 0);
	relay_attach(&r, &loop, &w);
	memset(chunk, 'x', sizeof(chunk));
	/* The read budget's burst (1 MiB), then more: paused. */
	size_t fed = 0;
	for (int i = 0; i < 10000 && !r.paused; i++) {
		ssize_t n = write(err_pipe[1], chunk, sizeof(chunk));
		if (n > 0)
			fed += (size_t)n;
		ck_assert(relay_read(&r, err_pipe[0], "svc", 7));
	}
	ck_assert(r.paused);
	ck_assert_uint_ge(fed, RELAYLIMIT_READ_BURST_BYTES);
	ck_assert_uint_eq(w.events, EPOLLONESHOT); /* not even a hang-up wakes it */
	/* Paused: a read does nothing. */
	int before = 0, after = 0;
	ioctl(err_pipe[0], FIONREAD, &before);
	ck_assert(relay_read(&r, err_pipe[0], "svc", 7));
	ioctl(err_pipe[0], FIONREAD, &after);
	ck_assert_int_eq(before, after);
	ck_assert_int_gt(before, 0);
	/* The timer resumes it (after ~60 ms of refill). */
	for (int i = 0; i < 50 && r.paused; i++)
		event_run_once(&loop, 100);
	ck_assert(!r.paused);
	ck_assert_uint_eq(w.events, EPOLLIN);
	/* At exit what is left unread is counted. */
	relay_flush(&r, "svc", 7);
	char **l = lines(logged());
	int n = count(l);
	ck_assert_int_gt(n, 0);
	unsigned long long bytes, nlines;
	ck_assert_int_eq(sscanf(l[n - 1], "(%llu bytes, %llu lines suppressed)", &bytes, &nlines), 2);
	ck_assert_uint_ge(bytes, (unsigned long long)before);
	ck_assert(!r.timer_open);
	event_fini(&loop);
}
END_TEST

/* A read costs at least RELAYLIMIT_READ_MIN_CHARGE_BYTES of the budget,
 * so short lines read one at a time pause the stream after 256; what the
 * worker wrote meanwhile, before it exited, is read at its reaping all
 * the same (relay_read_final), not dropped by the flush. */
START_TEST(test_paused_stream_read_at_exit)
{
	struct event_loop loop;
	struct event_watch w;
	struct relay r = { 0 };
	char line[32];
	int reads = 0;

	ck_assert_int_eq(event_init(&loop), 0);
	ck_assert_int_eq(event_add(&loop, &w, err_pipe[0], EPOLLIN, NULL), 0);
	relay_attach(&r, &loop, &w);
	uint64_t start_ms = clock_now_ms();
	for (; reads < 10000 && !r.paused; reads++) {
		snprintf(line, sizeof(line), "line %d\n", reads);
		put(line, strlen(line));
		ck_assert(relay_read(&r, err_pipe[0], "svc", 7));
	}
	ck_assert(r.paused);
	/* The budget refills with real time while the loop runs (a slow,
	 * sanitized build takes some milliseconds): one more read allowed
	 * per MIN_CHARGE of refill, at most. */
	uint64_t spent_ms = clock_now_ms() - start_ms + 1;
	uint64_t refilled = spent_ms * RELAYLIMIT_READ_BYTES_PER_S / 1000u;
	ck_assert_uint_le((uint64_t)reads, RELAYLIMIT_READ_BURST_BYTES / RELAYLIMIT_READ_MIN_CHARGE_BYTES + 1 +
						   refilled / RELAYLIMIT_READ_MIN_CHARGE_BYTES + 1);
	put("the last line\n", 14);
	ck_assert(relay_read(&r, err_pipe[0], "svc", 7)); /* paused: not read */
	close(err_pipe[1]);
	err_pipe[1] = -1;
	for (int i = 0; i < 8 && relay_read_final(&r, err_pipe[0], "svc", 7); i++)
		;
	relay_flush(&r, "svc", 7);
	char **l = lines(logged());
	ck_assert_int_eq(count(l), reads + 1);
	ck_assert_str_eq(l[reads], "the last line");
	event_fini(&loop);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("relay_io");
	TCase *tc = tcase_create("pipes");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_long_line_in_pieces);
	tcase_add_test(tc, test_character_across_reads_and_cut);
	tcase_add_test(tc, test_escapes_fill_pieces);
	tcase_add_test(tc, test_unfinished_line_and_summary_at_exit);
	tcase_add_test(tc, test_pause_and_resume);
	tcase_add_test(tc, test_paused_stream_read_at_exit);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
