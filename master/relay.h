/* relay.h - a worker's stderr stream, relayed line by line into the master's
 * log as "SERVICE[PID]: line", escaped (logtext.h) and rate-limited
 * (relaylimit.h).
 *
 * A log line carries at most RELAY_LINE_MAX_BYTES of text after escaping;
 * a longer line goes on in further log lines (cut between characters, never
 * inside one). The unfinished line is buffered up to RELAY_LINE_MAX_BYTES,
 * so a worker cannot make the master buffer without bound, and each
 * wake-up reads at most RELAY_READ_MAX_BYTES so a chatty worker cannot
 * starve the others.
 *
 * Past its read budget the stream is paused: the relay stops watching it
 * (EPOLLONESHOT without EPOLLIN, so not even a hang-up keeps waking the
 * master) and arms a timerfd of its own that resumes it. That needs
 * relay_attach(); a relay that is not attached cannot pause and drains and
 * drops instead, RELAY_READ_MAX_BYTES per wake-up. */
#ifndef MASTER_RELAY_H
#define MASTER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "event.h"
#include "relaylimit.h"

#define RELAY_LINE_MAX_BYTES 1024u
#define RELAY_READ_MAX_BYTES 16384u

struct relay {
	char *partial;            /* allocated on the first partial line only */
	size_t len;
	bool started;             /* limit set (at the first read) */
	bool paused;              /* not reading the stream until the timer fires */
	bool timer_open;          /* timer holds a timerfd in the loop */
	struct relaylimit limit;
	struct relaylimit *service_limit; /* the service's, shared; NULL: none */
	struct event_loop *loop;  /* set by relay_attach */
	struct event_watch *stream; /* the stderr stream's watch (its owner's) */
	struct event_watch timer;
};

/* Makes a worker's own stderr (worker_stderr=own): fds[0] the master's
 * end (non-blocking, read-only, refusing passed fds), fds[1] the worker's
 * (blocking, write-only). Both close-on-exec. A stream socket pair, not a
 * pipe: a pipe's writer holds the pipe's mutex while the kernel copies its
 * buffer in, page faults included, and a reader takes that mutex
 * uninterruptibly, O_NONBLOCK or not: a worker that writes from a page
 * whose fault it can make last (its own FUSE file, the sixth adversarial
 * round) held the master in D state for good. A socket's writer copies
 * without any lock its reader takes. Returns 0, or -1 with errno set and
 * nothing left open. */
int relay_open_own(int fds[2]);
/* Lets the relay pause and resume stream, the watch its owner registered
 * for the stderr stream in loop. Call once, after registering it. */
void relay_attach(struct relay *r, struct event_loop *loop, struct event_watch *stream);
/* Reads what is available from fd and logs complete lines. Returns false
 * at end-of-file or error (the stream is finished). */
bool relay_read(struct relay *r, int fd, const char *service, pid_t pid);
/* The same once the worker is reaped: what it queued before it exited is
 * read even if its own budget paused the stream (each read costs at least
 * RELAYLIMIT_READ_MIN_CHARGE_BYTES, so a worker that logs a line a
 * millisecond is paused after 256; its last lines would be lost), within
 * the service's budget (churning workers must not make the master read
 * without bound). */
bool relay_read_final(struct relay *r, int fd, const char *service, pid_t pid);
/* A stream many processes write (worker_stderr=shared, relay_shared.h):
 * each read carries its writer's pid (SCM_CREDENTIALS, set by the kernel),
 * and route(ctx, pid) names the relay that keeps that writer's unfinished
 * line and log limits, or NULL for r's own. r holds the stream's read
 * budget and pauses it (relay_attach). The pid a writer is logged under is
 * the kernel's, never the writer's word. */
typedef struct relay *relay_route_fn(void *ctx, pid_t pid);
bool relay_read_shared(struct relay *r, int fd, const char *service,
		       relay_route_fn *route, void *ctx);
/* A line logged must pass the worker's limit and then the service's
 * (service_limit, shared by all its relays: relaylimit.h): a service
 * whose workers keep being replaced is bounded too. What the service's
 * limit suppresses is summed up under the service's name when its logging
 * resumes, and by relay_service_flush at the service's end. */
void relay_service_flush(struct relaylimit *l, const char *service);
/* Logs a final unterminated line and the suppression summary (counting
 * what is still unread in the stream), frees the buffer and the timer. Call
 * before the stream's watch is removed, and always before the relay's memory
 * is freed: its timer watch is registered in the loop. */
void relay_flush(struct relay *r, const char *service, pid_t pid);

#endif
