/* service_failure.c - owns a service's record of its last failure (see
 * service.h): a start failure, a crash, a worker killed for cause. What
 * `masterctl status` shows as "last failure", and when. Nothing is fatal
 * here; a text past the buffer is cut. */
#include "service.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void service_failure_note(struct service *svc, uint64_t now_ms, long pid, const char *fmt, ...)
{
	char text[SERVICE_FAILURE_TEXT_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* The same worker again (killed, then reaped): one story, the cause
	 * first, so the kill's reason is not lost to "died on signal 9". */
	size_t len = 0, size = sizeof(svc->last_failure);
	if (pid > 0 && pid == svc->last_failure_pid && svc->last_failure_ms != 0) {
		len = strlen(svc->last_failure);
		for (const char *sep = "; "; *sep && len + 1 < size; sep++)
			svc->last_failure[len++] = *sep;
	}
	size_t n = strlen(text);
	if (n > size - 1 - len)
		n = size - 1 - len; /* cut */
	memcpy(svc->last_failure + len, text, n);
	svc->last_failure[len + n] = '\0';
	svc->last_failure_pid = pid;
	svc->last_failure_ms = now_ms;
	svc->last_failure_wall_s = (int64_t)time(NULL);
}
