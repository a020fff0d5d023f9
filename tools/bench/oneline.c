/* oneline.c - the one-line protocol's server work (see oneline.h). Owns
 * nothing but the read-until-newline and the write-back; the buffer is on
 * the stack so a request allocates nothing. */
#include "oneline.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int oneline_handle(int in, int out)
{
	char buf[ONELINE_MAX_BYTES];
	size_t got = 0;

	while (got < sizeof(buf)) {
		ssize_t n = read(in, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
		if (memchr(buf + got - (size_t)n, '\n', (size_t)n) != NULL)
			break;
	}
	for (size_t off = 0; off < got;) {
		ssize_t n = write(out, buf + off, got - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}
