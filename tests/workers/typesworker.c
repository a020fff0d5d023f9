/* typesworker.c - a libmaster worker for the service-type and wake-up
 * end-to-end tests (tests/e2e/test_types.py): it records every request it
 * gets, whatever the service's type.
 *
 * Usage: typesworker RECORD_FILE
 *
 * Per request it reads what the request holds (stream and pass: one
 * read(2); unix-dgram: one recv(2); fifo: everything there until EAGAIN)
 * and appends one line to RECORD_FILE (O_APPEND, one write per line, so
 * the lines of a pool never interleave):
 *     MONOTONIC_MS PID TYPE HEX
 * (CLOCK_MONOTONIC milliseconds, MASTER_SERVICE_TYPE, the bytes in hex,
 * "-" for none). On a connection (stream or pass) it then answers
 * "ok PID TYPE HEX\n". A request whose data starts with "sleep N" keeps
 * the worker busy N milliseconds after recording it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libmaster.h"

#define TYPESWORKER_DATA_BYTES 4096
#define TYPESWORKER_LINE_BYTES (2 * TYPESWORKER_DATA_BYTES + 128)
#define TYPESWORKER_SLEEP_MAX_MS 60000L

struct typesworker {
	int record_fd;
	const char *type;
};

static long long typesworker_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What this request holds; its length. */
static size_t typesworker_read(const struct typesworker *tw, int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	if (strcmp(tw->type, "fifo") != 0) {
		do
			n = strcmp(tw->type, "unix-dgram") == 0 ? recv(fd, buf, size, 0)
				: read(fd, buf, size);
		while (n < 0 && errno == EINTR);
		return n > 0 ? (size_t)n : 0;
	}
	while (len < size) { /* the shared, non-blocking fifo */
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return len;
}

static void typesworker_handle(int fd, void *ctx)
{
	const struct typesworker *tw = ctx;
	char data[TYPESWORKER_DATA_BYTES], line[TYPESWORKER_LINE_BYTES];
	size_t len = typesworker_read(tw, fd, data, sizeof(data));
	int n = snprintf(line, sizeof(line), "%lld %ld %s ", typesworker_now_ms(),
			 (long)getpid(), tw->type);

	for (size_t i = 0; i < len && n + 3 < (int)sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", (unsigned char)data[i]);
	if (len == 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "-");
	line[n++] = '\n';
	if (write(tw->record_fd, line, (size_t)n) != n)
		fprintf(stderr, "typesworker: record: %s\n", strerror(errno));
	if (strcmp(tw->type, "fifo") != 0 && strcmp(tw->type, "unix-dgram") != 0) {
		/* the client may be gone (a wake-up trigger is): no matter */
		(void)send(fd, "ok ", 3, MSG_NOSIGNAL);
		(void)send(fd, line, (size_t)n, MSG_NOSIGNAL);
	}
	if (len > 6 && memcmp(data, "sleep ", 6) == 0) {
		long ms = strtol(data + 6, NULL, 10);
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 0 };
		if (ms > TYPESWORKER_SLEEP_MAX_MS)
			ms = TYPESWORKER_SLEEP_MAX_MS;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

int main(int argc, char **argv)
{
	struct typesworker tw = { .type = getenv("MASTER_SERVICE_TYPE") };

	if (argc != 2) {
		fprintf(stderr, "usage: typesworker RECORD_FILE\n");
		return 2;
	}
	if (tw.type == NULL || tw.type[0] == '\0')
		tw.type = "?";
	tw.record_fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (tw.record_fd < 0) {
		fprintf(stderr, "typesworker: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return libmaster_run(typesworker_handle, &tw);
}
