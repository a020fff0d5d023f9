/* libmaster_log.c - libmaster's own messages, on the worker's stderr.
 *
 * Owns their form only: nothing is fatal here, and a message that does not
 * fit its line is cut, never allocated for. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "libmaster_log.h"

#define LIBMASTER_LOG_LINE_BYTES 512

/* Messages go to stderr, which the master logs as SERVICE[PID]: line; the
 * prefix still says who speaks when the binary is run by hand. */
void libmaster_log(const char *service, const char *fmt, ...)
{
	char line[LIBMASTER_LOG_LINE_BYTES];
	va_list ap;
	int saved_errno = errno; /* for %m in fmt */
	int n;

	n = snprintf(line, sizeof(line), "%s: libmaster: ", service);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	errno = saved_errno;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line, so lines from a pool of workers never interleave
	 * inside the master's log pipe. */
	fprintf(stderr, "%s\n", line);
}
