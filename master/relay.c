/* relay.c - owns splitting worker stderr into log lines (see relay.h). */
#include "relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Buffers the start of a line; a line longer than the buffer is logged in
 * pieces, so memory per worker stays bounded. */
static void relay_keep(struct relay *r, const char *p, size_t n,
		       const char *service, pid_t pid)
{
	if (r->partial == NULL) {
		r->partial = malloc(RELAY_LINE_MAX_BYTES);
		if (r->partial == NULL)
			return;
	}
	while (n > 0) {
		size_t room = RELAY_LINE_MAX_BYTES - r->len;
		size_t take = n < room ? n : room;
		memcpy(r->partial + r->len, p, take);
		r->len += take;
		p += take;
		n -= take;
		if (r->len == RELAY_LINE_MAX_BYTES) {
			log_worker_line(service, pid, r->partial, r->len);
			r->len = 0;
		}
	}
}

static void relay_line(struct relay *r, const char *p, size_t n,
		       const char *service, pid_t pid)
{
	if (r->len == 0) {
		log_worker_line(service, pid, p, n);
		return;
	}
	relay_keep(r, p, n, service, pid);
	if (r->partial != NULL)
		log_worker_line(service, pid, r->partial, r->len);
	r->len = 0;
}

bool relay_read(struct relay *r, int fd, const char *service, pid_t pid)
{
	char buf[4096];
	size_t total = 0;

	while (total < RELAY_READ_MAX_BYTES) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		total += (size_t)n;
		char *p = buf, *end = buf + n;
		for (char *nl; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1)
			relay_line(r, p, (size_t)(nl - p), service, pid);
		if (p < end)
			relay_keep(r, p, (size_t)(end - p), service, pid);
	}
	return true;
}

void relay_flush(struct relay *r, const char *service, pid_t pid)
{
	if (r->partial != NULL && r->len > 0)
		log_worker_line(service, pid, r->partial, r->len);
	free(r->partial);
	r->partial = NULL;
	r->len = 0;
}
