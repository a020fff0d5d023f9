/* libmaster_status.h - the worker's end of its status channel
 * (libmaster_status.c): what libmaster says, and the look for a "stop". */
#ifndef LIBMASTER_STATUS_H
#define LIBMASTER_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

/* The longest a run of requests goes unreported (and without a look for
 * "stop"): the error of the master's max_busy clock, how long a worker
 * lingers for another request before it says "idle", and how long a
 * stopped worker may go on taking clients already waiting. */
#define LIBMASTER_REPORT_MS PROTOCOL_REPORT_MS
/* libmaster_status_check(): nothing for us, keep serving. */
#define LIBMASTER_STATUS_OPEN (-1)

struct libmaster_status {
	int fd;
	const char *service;    /* for messages */
	bool master_gone;       /* a send failed: finish up and exit 0 */
	unsigned unreported;    /* requests begun since the last report */
	bool spare;             /* of those, one was waited for (lingering) */
	uint64_t said_ns;       /* CLOCK_MONOTONIC of the last message sent */
};

/* Sends msg (never PROTOCOL_NEXT: that is libmaster_status_report's),
 * waiting while the channel is full; a master that is gone only sets
 * master_gone, so the caller finishes the current request and exits. */
void libmaster_status_say(struct libmaster_status *st, enum protocol_msg msg);
/* Sends "next N" ("spare N" if one was waited for) for the requests
 * begun since the last report, if any. */
void libmaster_status_report(struct libmaster_status *st);
/* Whether LIBMASTER_REPORT_MS have passed since the last message. */
bool libmaster_status_due(const struct libmaster_status *st);
/* Milliseconds from now_ns (libmaster_status_now_ns) until a report is
 * due (0: due now), rounded up. */
int libmaster_status_due_in_ms(const struct libmaster_status *st, uint64_t now_ns);
/* CLOCK_MONOTONIC in ns (the vDSO: no system call). */
uint64_t libmaster_status_now_ns(void);
/* Drains the channel without blocking: LIBMASTER_STATUS_OPEN, or the
 * exit status once the master said "stop" (0) or went away (0), or the
 * channel failed (1, logged). */
int libmaster_status_check(struct libmaster_status *st);

#endif
