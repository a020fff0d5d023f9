/* stderrflood.c - a worker that abuses its stderr, for the e2e tests of the
 * master's stderr relay (tests/e2e/test_stderr_flood.py).
 *
 * It speaks just enough of the protocol to count as started ("ready"), then
 * does what the first argument says:
 *   flood [BYTES]   writes BYTES-byte lines (default 100) as fast as it can,
 *                   64 KiB per write, forever
 *   nonl            one endless line: never a newline
 *   burst MS        floods for MS milliseconds, waits BURST_QUIET_MS (the
 *                   master's bucket refills), writes "after the burst
 *                   pid=PID", then idles
 *   floodexit MS    floods for MS milliseconds, then exits 0
 *   churn N         says "busy" and "retiring" (a request, its last), writes
 *                   N 100-byte lines (within one worker's burst), says
 *                   "idle" and exits 0: its successor starts at once
 *   ansi            writes lines full of control characters, ANSI escapes,
 *                   C1 controls and invalid UTF-8, then idles
 *   onebyte         writes empty lines, one byte a write, as fast as it
 *                   can: the master reads as fast as it writes, a few
 *                   bytes a read
 *   paced N         writes N lines "paced I of N", one write each (an
 *                   honest worker that logs as it goes), each once the
 *                   master has read the one before (its send queue empty)
 *                   until one is not read within STDERRFLOOD_PAUSED_MS: its
 *                   stream is paused (every read costs 4 KiB of its
 *                   budget), and the rest go at once, with "paced done
 *                   pid=PID paused=I" last (I: the line after which the
 *                   master stopped reading, 0 if it never did); exits 0
 * and, for worker_stderr=shared (fd 2 a socket the service shares):
 *   tiny            forks a child; both write 2-byte lines as fast as they
 *                   can, so no read of the master's finds two writes of one
 *                   writer together (a read a line)
 *   startlines N    writes N lines "starting line I of N pid=PID" before
 *                   it says "ready" (a daemon that logs as it starts), idles
 *   shutdown FILE   writes "before shutdown pid=PID"; the first worker to
 *                   create FILE then shuts fd 2 down for writing (the
 *                   socket the service's workers share) and checks that a
 *                   write fails; idles
 *   fds N           sends N messages with STDERRFLOOD_FDS_PER_MSG fds each
 *                   (SCM_RIGHTS) down fd 2 (one refused goes again without),
 *                   writes "fds sent pid=PID refused=R", idles
 * It leaves on "stop" or end-of-file on its status channel (checked between
 * writes; a write blocked on a full pipe waits for the master). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STDERRFLOOD_PACE_US 100 /* paced: between two looks at the send queue */
#define STDERRFLOOD_PAUSED_MS 10 /* paced: a line unread this long: paused */
#define STDERRFLOOD_CHUNK_BYTES (64 * 1024)
#define STDERRFLOOD_LINE_DEFAULT_BYTES 100
#define STDERRFLOOD_BURST_QUIET_MS 1500
#define STDERRFLOOD_IDLE_MAX_S 600
#define STDERRFLOOD_FDS_PER_MSG 16

static int stderrflood_status_fd = -1;

static long long stderrflood_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the master has read all we wrote to fd 2 (a socket: its send
 * queue empty) within ms. */
static int stderrflood_read_within(int ms)
{
	long long until = stderrflood_now_ms() + ms;
	int queued = 0;

	while (ioctl(2, SIOCOUTQ, &queued) == 0 && queued > 0) {
		if (stderrflood_now_ms() >= until)
			return 0;
		usleep(STDERRFLOOD_PACE_US);
	}
	return 1;
}

/* True once the master said "stop" or went away. */
static int stderrflood_told_to_go(int timeout_ms)
{
	struct pollfd p = { .fd = stderrflood_status_fd, .events = POLLIN };
	char buf[64];

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	ssize_t n = recv(stderrflood_status_fd, buf, sizeof(buf), MSG_DONTWAIT);
	return n == 0 || (n > 0 && strncmp(buf, "stop", 4) == 0) ||
	       (n < 0 && errno != EAGAIN && errno != EINTR);
}

static void stderrflood_idle(void)
{
	long long end = stderrflood_now_ms() + STDERRFLOOD_IDLE_MAX_S * 1000LL;

	while (stderrflood_now_ms() < end && !stderrflood_told_to_go(1000))
		;
}

static void stderrflood_say(const char *s)
{
	if (write(2, s, strlen(s)) < 0)
		exit(1);
}

/* Writes buf (whole lines, or none) until end_ms (-1: forever). */
static void stderrflood_flood(const char *buf, size_t len, long long end_ms)
{
	for (;;) {
		if (write(2, buf, len) < 0 && errno != EINTR)
			exit(1); /* the master is gone */
		if (stderrflood_told_to_go(0))
			exit(0);
		if (end_ms >= 0 && stderrflood_now_ms() >= end_ms)
			return;
	}
}

/* Two writers, one line each per write, until told to go (the child dies
 * with its parent). */
static void stderrflood_tiny(void)
{
	pid_t parent = getpid();

	if (fork() == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		for (;;)
			if (write(2, "c\n", 2) < 0 && errno != EINTR)
				_exit(1);
	}
	stderrflood_flood("p\n", 2, -1);
}

/* fd 0 (/dev/null) STDERRFLOOD_FDS_PER_MSG times in each of n messages.
 * A message the master refuses (EPERM: it takes no fds, Linux 6.16) goes
 * again without them. Returns how many were refused. */
static long stderrflood_send_fds(long n)
{
	long refused = 0;

	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * STDERRFLOOD_FDS_PER_MSG)];
	} control;
	char text[] = "with fds\n";

	for (long i = 0; i < n; i++) {
		struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) - 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = control.space,
				      .msg_controllen = sizeof(control.space) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * STDERRFLOOD_FDS_PER_MSG);
		int fds[STDERRFLOOD_FDS_PER_MSG] = { 0 };
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
		if (sendmsg(2, &msg, MSG_NOSIGNAL) >= 0)
			continue;
		if (errno != EPERM)
			exit(1);
		refused++;
		stderrflood_say(text);
	}
	return refused;
}

static void stderrflood_fill(char *buf, size_t line_bytes, int newlines)
{
	memset(buf, 'x', STDERRFLOOD_CHUNK_BYTES);
	if (newlines)
		for (size_t i = line_bytes - 1; i < STDERRFLOOD_CHUNK_BYTES; i += line_bytes)
			buf[i] = '\n';
}

/* paced N (see the header). Once paused, the rest and the last line go in
 * one write: the socket then holds them all without blocking (a write a
 * line would block on its buffer's per-message overhead until the master
 * reads again, and the worker would leave only after that), and the worker
 * exits while its stream is still paused. */
static int stderrflood_paced(long n)
{
	char msg[64];
	long paused = 0, i = 1;

	for (; i <= n && paused == 0; i++) {
		snprintf(msg, sizeof(msg), "paced %ld of %ld\n", i, n);
		stderrflood_say(msg);
		if (!stderrflood_read_within(STDERRFLOOD_PAUSED_MS))
			paused = i;
	}
	size_t cap = (size_t)(n - i + 2) * sizeof(msg), len = 0;
	char *rest = malloc(cap);
	if (rest == NULL)
		return 1;
	for (; i <= n; i++)
		len += (size_t)snprintf(rest + len, cap - len, "paced %ld of %ld\n", i, n);
	len += (size_t)snprintf(rest + len, cap - len, "paced done pid=%ld paused=%ld\n",
				(long)getpid(), paused);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(2, rest + off, len - off);
		if (w < 0 && errno != EINTR)
			return 1;
		off += w > 0 ? (size_t)w : 0;
	}
	free(rest);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "flood";
	const char *fd_env = getenv("MASTER_STATUS_FD");
	static char buf[STDERRFLOOD_CHUNK_BYTES];

	if (fd_env == NULL) {
		fprintf(stderr, "stderrflood: MASTER_STATUS_FD is not set\n");
		return 1;
	}
	stderrflood_status_fd = atoi(fd_env);
	long arg = argc > 2 ? atol(argv[2]) : 0;
	if (strcmp(mode, "startlines") == 0) {
		char msg[96];
		for (long i = 1; i <= arg; i++) {
			snprintf(msg, sizeof(msg), "starting line %ld of %ld pid=%ld\n", i, arg,
				 (long)getpid());
			stderrflood_say(msg);
		}
	}
	if (send(stderrflood_status_fd, "ready", 5, MSG_NOSIGNAL) != 5)
		return 1;

	if (strcmp(mode, "flood") == 0) {
		size_t line = arg > 1 && arg <= 4096 ? (size_t)arg : STDERRFLOOD_LINE_DEFAULT_BYTES;
		/* Whole lines per write: a chunk that is a multiple of the line. */
		size_t len = STDERRFLOOD_CHUNK_BYTES / line * line;
		stderrflood_fill(buf, line, 1);
		stderrflood_flood(buf, len, -1);
	} else if (strcmp(mode, "nonl") == 0) {
		stderrflood_fill(buf, 0, 0);
		stderrflood_flood(buf, sizeof(buf), -1);
	} else if (strcmp(mode, "burst") == 0 || strcmp(mode, "floodexit") == 0) {
		size_t line = STDERRFLOOD_LINE_DEFAULT_BYTES;
		stderrflood_fill(buf, line, 1);
		stderrflood_flood(buf, STDERRFLOOD_CHUNK_BYTES / line * line,
				  stderrflood_now_ms() + arg);
		if (strcmp(mode, "floodexit") == 0)
			return 0;
		if (stderrflood_told_to_go(STDERRFLOOD_BURST_QUIET_MS))
			return 0;
		char msg[64];
		snprintf(msg, sizeof(msg), "after the burst pid=%ld\n", (long)getpid());
		stderrflood_say(msg);
		stderrflood_idle();
	} else if (strcmp(mode, "churn") == 0) {
		size_t line = STDERRFLOOD_LINE_DEFAULT_BYTES, per = STDERRFLOOD_CHUNK_BYTES / line;
		stderrflood_fill(buf, line, 1);
		if (send(stderrflood_status_fd, "busy", 4, MSG_NOSIGNAL) != 4 ||
		    send(stderrflood_status_fd, "retiring", 8, MSG_NOSIGNAL) != 8)
			return 1;
		for (long left = arg; left > 0; left -= (long)per) {
			size_t n = left < (long)per ? (size_t)left : per;
			if (write(2, buf, n * line) < 0 && errno != EINTR)
				return 1;
		}
		return send(stderrflood_status_fd, "idle", 4, MSG_NOSIGNAL) == 4 ? 0 : 1;
	} else if (strcmp(mode, "ansi") == 0) {
		stderrflood_say("red \x1b[31mRED\x1b[0m bell \a nul-less cr \r over\n");
		stderrflood_say("title \x1b]0;pwned\x07 c1 \xc2\x9b" "31m del \x7f tab\tend\n");
		stderrflood_say("invalid \xff\xfe utf8 \xc3\x28 ok \xc3\xa9t\xc3\xa9\n");
		stderrflood_say("fake newline\rmaster[1]: error: forged\n");
		stderrflood_say("ansi done\n");
		stderrflood_idle();
	} else if (strcmp(mode, "startlines") == 0) {
		stderrflood_idle();
	} else if (strcmp(mode, "shutdown") == 0 && argc > 2) {
		char msg[64];
		snprintf(msg, sizeof(msg), "before shutdown pid=%ld\n", (long)getpid());
		stderrflood_say(msg);
		int once = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (once >= 0) {
			close(once);
			signal(SIGPIPE, SIG_IGN);
			if (shutdown(2, SHUT_WR) < 0 || write(2, "after\n", 6) >= 0)
				return 1;
		}
		stderrflood_idle();
	} else if (strcmp(mode, "paced") == 0) {
		return stderrflood_paced(arg);
	} else if (strcmp(mode, "onebyte") == 0) {
		stderrflood_flood("\n", 1, -1);
	} else if (strcmp(mode, "tiny") == 0) {
		stderrflood_tiny();
	} else if (strcmp(mode, "fds") == 0) {
		long refused = stderrflood_send_fds(arg);
		char msg[64];
		snprintf(msg, sizeof(msg), "fds sent pid=%ld refused=%ld\n", (long)getpid(), refused);
		stderrflood_say(msg);
		stderrflood_idle();
	} else {
		fprintf(stderr, "stderrflood: unknown mode %s\n", mode);
		return 1;
	}
	return 0;
}
