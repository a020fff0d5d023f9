/* sweep.c - the spool sweeper: a second, small service of the mail-host
 * example, next to smtpd.
 *
 * Usage in master.cf:
 *   sweep unix y y n - 1 sweep spool=/var/spool/mail-in max_age=86400
 * Each request is a trigger: the sweeper counts the Maildir's messages,
 * removes delivered mail older than max_age seconds (0, the default:
 * none) and tmp/ debris older than tmp_age (36 hours, the Maildir rule),
 * logs one summary line and, when the request came on a stream socket,
 * sends that line back. The trigger's content does not matter (Postfix
 * writes one byte); it is read, waiting a moment for it, and ignored.
 * Meant to run as a fifo service with a wakeup period once the master has
 * those; as a unix service, a connection is the trigger.
 *
 * Owns the arguments and the request glue; the walk is sweep_scan.c.
 * Fatal only at start: bad arguments or a spool it cannot open. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libmaster.h"
#include "sweep_scan.h"

#define SWEEP_TRIGGER_BYTES 256         /* read from a trigger at most */
#define SWEEP_TRIGGER_WAIT_MS 100       /* for the trigger's bytes to arrive */
#define SWEEP_LINGER_MS 1000            /* for the client's end after the reply */
#define SWEEP_AGE_MAX_S (100LL * 365 * 86400)

struct sweep {
	int spool_fd;
	struct sweep_policy policy;
};

static int sweep_age(const char *arg, const char *name, long long *out)
{
	size_t n = strlen(name);
	char *end;

	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return 0;
	arg += n + 1;
	errno = 0;
	*out = strtoll(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || errno != 0 || *end != '\0' ||
	    *out > SWEEP_AGE_MAX_S) {
		fprintf(stderr, "sweep: %s=\"%s\": not a number of seconds\n", name, arg);
		return -1;
	}
	return 1;
}

/* Reads what the client sent, waiting at most ms for something. */
static void sweep_drain(int fd, int ms)
{
	char buf[SWEEP_TRIGGER_BYTES];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) > 0 &&
	    recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == ENOTSOCK)
		(void)read(fd, buf, sizeof(buf)); /* a fifo: readable, so no wait */
}

static void sweep_request(int fd, void *ctx)
{
	struct sweep *sw = ctx;
	struct sweep_counts c;
	char line[256];
	int n;

	sweep_drain(fd, SWEEP_TRIGGER_WAIT_MS);
	if (sweep_scan(sw->spool_fd, &sw->policy, time(NULL), &c) < 0) {
		fprintf(stderr, "sweep: the spool is no longer readable: %s\n", strerror(errno));
		return;
	}
	n = snprintf(line, sizeof(line),
		"sweep: new=%lu cur=%lu tmp=%lu bytes=%llu removed=%lu tmp_removed=%lu errors=%lu\n",
		c.files[0], c.files[1], c.files[2], c.bytes, c.removed, c.tmp_removed, c.errors);
	fputs(line, stderr);
	if (n <= 0 || send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
	/* A client that wrote after we looked would get a reset instead of
	 * the line when we close with its bytes unread: half-close, and read
	 * what it still sends, waiting a moment. */
	if (shutdown(fd, SHUT_WR) == 0)
		sweep_drain(fd, SWEEP_LINGER_MS);
}

int main(int argc, char **argv)
{
	struct sweep sw = { .policy = { 0, SWEEP_TMP_AGE_S } };
	const char *spool = getenv("STATE_DIRECTORY");
	int rc, fd;

	for (int i = 1; i < argc; i++) {
		int r;

		if (strncmp(argv[i], "spool=/", 7) == 0) {
			spool = argv[i] + 6;
			continue;
		}
		r = sweep_age(argv[i], "max_age", &sw.policy.max_age_s);
		if (r == 0)
			r = sweep_age(argv[i], "tmp_age", &sw.policy.tmp_age_s);
		if (r == 0)
			fprintf(stderr, "sweep: unknown argument \"%s\" (spool=/DIR, max_age=S, tmp_age=S)\n",
				argv[i]);
		if (r <= 0)
			return 1;
	}
	if (spool == NULL || spool[0] != '/') {
		fprintf(stderr, "sweep: needs spool=/DIR (or a STATE_DIRECTORY)\n");
		return 1;
	}
	fd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "sweep: spool %s: %s\n", spool, strerror(errno));
		return 1;
	}
	sw.spool_fd = fd;
	rc = libmaster_run(sweep_request, &sw);
	close(sw.spool_fd);
	return rc;
}
