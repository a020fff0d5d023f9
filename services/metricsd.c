/* metricsd.c - the metrics service: a master worker that serves the
 * master's own Prometheus text (`masterctl status --prometheus`) over
 * HTTP/1.0 as "GET /metrics" (metricsd(8)). It runs unprivileged like any
 * service and reads the text through the control socket, which it may use
 * as a member of status_group (its -o group=, or a supplementary group):
 * for status, and nothing else.
 *
 *   metricsd [CONTROL_SOCKET]    (default /run/master/master.ctl)
 *
 * One request per connection, then close. Everything is bounded: the
 * request head (METRICSD_HTTP_HEAD_MAX_BYTES), the time for the whole
 * exchange (METRICSD_TIMEOUT_MS, the master's reply included) and the
 * body (METRICSD_BODY_MAX_BYTES). A master that cannot be reached, or that
 * refuses, is 503 with its reason as the body (and a line on stderr, which
 * the master logs). Out of memory: 503; nothing is fatal per request. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "libmaster.h"
#include "metricsd_http.h"

#define METRICSD_DEFAULT_CONTROL "/run/master/master.ctl"
#define METRICSD_TIMEOUT_MS 5000
#define METRICSD_BODY_MAX_BYTES (16u * 1024u * 1024u)
#define METRICSD_CHUNK_BYTES 65536u
#define METRICSD_REPLY_HEAD_BYTES 256u
#define METRICSD_REQUEST "status --prometheus\n"
#define METRICSD_ERROR_BYTES 512

struct metricsd_body {
	char *data;
	size_t len;
};

static long long metricsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline_ms: true if they came. */
static bool metricsd_wait(int fd, short events, long long deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline_ms - metricsd_now_ms();
		if (left <= 0)
			return false;
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r == 0 || errno != EINTR)
			return false;
	}
}

/* Reads the request head: the verdict, or INCOMPLETE if the client went
 * away or took too long (no reply then). */
static enum metricsd_http_ask metricsd_read_request(int fd, long long deadline_ms)
{
	char head[METRICSD_HTTP_HEAD_MAX_BYTES];
	size_t len = 0;
	enum metricsd_http_ask ask = METRICSD_HTTP_INCOMPLETE;

	while (ask == METRICSD_HTTP_INCOMPLETE && metricsd_wait(fd, POLLIN, deadline_ms)) {
		ssize_t n = recv(fd, head + len, sizeof(head) - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return METRICSD_HTTP_INCOMPLETE;
		len += (size_t)n;
		ask = metricsd_http_parse(head, len);
	}
	return ask;
}

/* Appends n bytes; false (body freed) past the limit or out of memory. */
static bool metricsd_body_add(struct metricsd_body *b, const char *p, size_t n)
{
	if (b->len + n > METRICSD_BODY_MAX_BYTES) {
		free(b->data);
		b->data = NULL;
		return false;
	}
	char *d = realloc(b->data, b->len + n + 1);
	if (d == NULL) {
		free(b->data);
		b->data = NULL;
		return false;
	}
	memcpy(d + b->len, p, n);
	b->data = d;
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

static bool metricsd_send_all(int fd, const char *p, size_t n, long long deadline_ms)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!metricsd_wait(fd, POLLOUT, deadline_ms))
				return false;
			continue;
		}
		if (w < 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Asks the master for its Prometheus text into *b. Returns 0, or -1 with
 * why (for the 503 body). */
static int metricsd_fetch(const char *control, struct metricsd_body *b, long long deadline_ms,
			  char *why, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char chunk[METRICSD_CHUNK_BYTES];
	int rc = -1;

	if (strlen(control) >= sizeof(sun.sun_path)) {
		snprintf(why, size, "control socket path too long: %s", control);
		return -1;
	}
	strcpy(sun.sun_path, control);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, size, "socket: %s", strerror(errno));
		return -1;
	}
	/* A Unix socket connects at once or not at all (EAGAIN: its backlog
	 * is full, the master is swamped): never waited for. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(why, size, "cannot reach the master at %s: %s", control, strerror(errno));
		goto out;
	}
	if (!metricsd_send_all(fd, METRICSD_REQUEST, strlen(METRICSD_REQUEST), deadline_ms)) {
		snprintf(why, size, "cannot send to the master at %s: %s", control,
			 errno ? strerror(errno) : "timed out");
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (metricsd_wait(fd, POLLIN, deadline_ms))
				continue;
			snprintf(why, size, "the master at %s did not answer in time", control);
			goto out;
		}
		if (n < 0) {
			snprintf(why, size, "reading from the master at %s: %s", control,
				 strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (!metricsd_body_add(b, chunk, (size_t)n)) {
			snprintf(why, size, "the master's reply is too large or out of memory");
			goto out;
		}
	}
	if (b->len == 0 || strncmp(b->data, "error:", 6) == 0) {
		/* Refused (permission denied...): its reason, one line. */
		snprintf(why, size, "the master at %s refused: %.*s", control,
			 b->len > 0 ? (int)strcspn(b->data, "\n") : 0, b->len > 0 ? b->data : "");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static void metricsd_reply(int fd, int status, const char *body, size_t len, long long deadline_ms)
{
	char head[METRICSD_REPLY_HEAD_BYTES];
	size_t n = metricsd_http_head(head, sizeof(head), status, len);

	if (n > 0 && metricsd_send_all(fd, head, n, deadline_ms))
		metricsd_send_all(fd, body, len, deadline_ms);
}

static void metricsd_connection(int fd, void *ctx)
{
	const char *control = ctx;
	long long deadline_ms = metricsd_now_ms() + METRICSD_TIMEOUT_MS;
	struct metricsd_body body = { NULL, 0 };
	char why[METRICSD_ERROR_BYTES];

	switch (metricsd_read_request(fd, deadline_ms)) {
	case METRICSD_HTTP_INCOMPLETE:
		return; /* gone, or too slow: no reply */
	case METRICSD_HTTP_BAD:
		metricsd_reply(fd, 400, "bad request\n", 12, deadline_ms);
		return;
	case METRICSD_HTTP_NOT_FOUND:
		metricsd_reply(fd, 404, "not found: try /metrics\n", 24, deadline_ms);
		return;
	case METRICSD_HTTP_METRICS:
		break;
	}
	if (metricsd_fetch(control, &body, deadline_ms, why, sizeof(why)) < 0) {
		fprintf(stderr, "metricsd: %s\n", why);
		size_t n = strlen(why);
		if (n < sizeof(why) - 1)
			why[n++] = '\n';
		metricsd_reply(fd, 503, why, n, deadline_ms);
	} else {
		metricsd_reply(fd, 200, body.data, body.len, deadline_ms);
	}
	free(body.data);
}

int main(int argc, char **argv)
{
	const char *control = METRICSD_DEFAULT_CONTROL;

	if (argc > 2 || (argc == 2 && argv[1][0] != '/')) {
		fprintf(stderr, "metricsd: usage: metricsd [CONTROL_SOCKET] (an absolute path)\n");
		return 2;
	}
	if (argc == 2)
		control = argv[1];
	return libmaster_run(metricsd_connection, (void *)control);
}
