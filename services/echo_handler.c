/* echo_handler.c - the per-connection echo work (see echo_handler.h).
 *
 * Owns nothing but the copy loop; the buffer is on the stack so a request
 * allocates nothing. */
#include <errno.h>
#include <unistd.h>

#include "echo_handler.h"

#define ECHO_BUFFER_BYTES (16 * 1024)

/* Writes all of buf; returns 0, or -1 when the client is gone. */
static int echo_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

void echo_handle(int fd)
{
	char buf[ECHO_BUFFER_BYTES];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* end-of-file, or the client reset: done */
		if (echo_write_all(fd, buf, (size_t)n) < 0)
			return;
	}
}
