/* testworker.c - one misbehaving-on-demand worker for end-to-end tests.
 *
 * Owns the behaviours the e2e tests need from a worker, chosen by the first
 * argument (default "echo"):
 *   echo     a normal libmaster echo worker
 *   garbage  says ready; on its first connection sends "hello garbage" on
 *            the status channel (a protocol violation), then keeps echoing
 *   crash    exits 3 at once, before ready
 *   noready  never says ready; sleeps up to 600 s (leaves early on EOF of
 *            the status channel, so a dead master leaves no stragglers)
 *   hang     libmaster worker whose handler sleeps 600 s
 *   stderr   writes "testworker stderr line pid=<pid>" to stderr, then echo
 *   slow MS  echo, each request MS milliseconds long (the handler sleeps
 *            first): a few clients keep such a worker saturated, its next
 *            client always waiting
 *   slowready MS
 *            sleeps MS milliseconds before it starts (so before "ready"),
 *            then echo: a successor that takes time to be ready
 *   whoami   writes one line describing its credentials, session, fds and
 *            environment to each client, then closes:
 *            uid=R,E,S gid=R,E,S groups=a,b sid=N pgid=N pid=N fds=3,4,...
 *            env=NAME=VAL;NAME=VAL
 *            fds and env are captured at startup, before libmaster opens
 *            anything, so they show exactly what the master handed over
 *            (fds lists descriptors >= 3; env is in environ order). */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libmaster.h"

#define TESTWORKER_SLEEP_S 600
#define TESTWORKER_CRASH_STATUS 3
#define TESTWORKER_IO_BYTES (16 * 1024)
#define TESTWORKER_FDS_BYTES 4096

extern char **environ;

struct testworker {
	int status_fd;          /* garbage: where to send the garbage */
	long slow_ms;           /* slow: how long a request takes */
	int said_garbage;
	char fds[TESTWORKER_FDS_BYTES]; /* whoami: fds open at startup */
};

static int testworker_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void testworker_echo(int fd, void *ctx)
{
	char buf[TESTWORKER_IO_BYTES];
	ssize_t n;

	(void)ctx;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || testworker_write_all(fd, buf, (size_t)n) < 0)
			return;
	}
}

static void testworker_garbage(int fd, void *ctx)
{
	struct testworker *tw = ctx;
	static const char garbage[] = "hello garbage";

	if (!tw->said_garbage) {
		tw->said_garbage = 1;
		(void)send(tw->status_fd, garbage, strlen(garbage),
			MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	testworker_echo(fd, ctx);
}

/* A sleep that survives signals (they are what the master will use to end
 * us, and only a fatal one should). */
static void testworker_sleep_ms(long ms)
{
	struct timespec left = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

static void testworker_slow(int fd, void *ctx)
{
	const struct testworker *tw = ctx;

	testworker_sleep_ms(tw->slow_ms);
	testworker_echo(fd, NULL);
}

static void testworker_hang(int fd, void *ctx)
{
	(void)fd;
	(void)ctx;
	testworker_sleep_ms(TESTWORKER_SLEEP_S * 1000L);
}

static int testworker_noready(void)
{
	const char *env = getenv("MASTER_STATUS_FD");
	struct pollfd pfd = { .fd = env ? atoi(env) : -1, .events = POLLIN };
	time_t deadline = time(NULL) + TESTWORKER_SLEEP_S;
	char buf[64];

	/* Ignore "stop": the point is to be killed by startup_timeout. */
	for (time_t now = time(NULL); now < deadline; now = time(NULL)) {
		int n = poll(&pfd, 1, (int)(deadline - now) * 1000);

		if (n < 0 && errno != EINTR)
			return 1;
		if (n > 0 && recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT) == 0)
			return 0; /* EOF: the master is gone */
		if (n > 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
			return 0;
	}
	return 0;
}

/* Appends ",N" or "N" for each fd >= 3 open now. */
static void testworker_snapshot_fds(char *out, size_t size)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	size_t used = 0;

	out[0] = '\0';
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd < 3 || fd == dirfd(dir))
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%d",
			used ? "," : "", fd);
		if (used >= size) {
			out[size - 1] = '\0';
			break;
		}
	}
	closedir(dir);
}

/* "a,b,c" from a list of ids, for uid/gid/groups. */
static void testworker_ids(char *out, size_t size, const unsigned *ids,
	int n)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%u",
			i ? "," : "", ids[i]);
}

static void testworker_whoami(int fd, void *ctx)
{
	const struct testworker *tw = ctx;
	uid_t uid[3];
	gid_t gid[3], groups[256];
	int ngroups = getgroups(256, groups);
	char uids[64], gids[64], grps[4096];
	char *line = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);

	if (out == NULL)
		return;
	getresuid(&uid[0], &uid[1], &uid[2]);
	getresgid(&gid[0], &gid[1], &gid[2]);
	testworker_ids(uids, sizeof(uids), uid, 3);
	testworker_ids(gids, sizeof(gids), gid, 3);
	testworker_ids(grps, sizeof(grps), groups, ngroups < 0 ? 0 : ngroups);
	fprintf(out, "uid=%s gid=%s groups=%s sid=%ld pgid=%ld pid=%ld fds=%s env=",
		uids, gids, grps, (long)getsid(0), (long)getpgid(0),
		(long)getpid(), tw->fds);
	for (char **e = environ; *e != NULL; e++)
		fprintf(out, "%s%s", e == environ ? "" : ";", *e);
	fputc('\n', out);
	if (fclose(out) == 0)
		(void)testworker_write_all(fd, line, len);
	free(line);
}

int main(int argc, char **argv)
{
	static struct testworker tw = { .status_fd = -1 };
	const char *mode = argc > 1 ? argv[1] : "echo";
	const char *status = getenv("MASTER_STATUS_FD");

	tw.status_fd = status ? atoi(status) : -1;
	if (strcmp(mode, "echo") == 0)
		return libmaster_run(testworker_echo, &tw);
	if (strcmp(mode, "garbage") == 0)
		return libmaster_run(testworker_garbage, &tw);
	if (strcmp(mode, "crash") == 0)
		return TESTWORKER_CRASH_STATUS;
	if (strcmp(mode, "noready") == 0)
		return testworker_noready();
	if (strcmp(mode, "hang") == 0)
		return libmaster_run(testworker_hang, &tw);
	if (strcmp(mode, "stderr") == 0) {
		fprintf(stderr, "testworker stderr line pid=%ld\n", (long)getpid());
		return libmaster_run(testworker_echo, &tw);
	}
	if (strcmp(mode, "slow") == 0) {
		tw.slow_ms = argc > 2 ? atol(argv[2]) : 0;
		return libmaster_run(testworker_slow, &tw);
	}
	if (strcmp(mode, "slowready") == 0) {
		testworker_sleep_ms(argc > 2 ? atol(argv[2]) : 0);
		return libmaster_run(testworker_echo, &tw);
	}
	if (strcmp(mode, "whoami") == 0) {
		testworker_snapshot_fds(tw.fds, sizeof(tw.fds));
		return libmaster_run(testworker_whoami, &tw);
	}
	fprintf(stderr, "testworker: unknown mode \"%s\"\n", mode);
	return 2;
}
