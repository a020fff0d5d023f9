/* smtpd_trace.h - the trace lines a delivering SMTP server puts before a
 * message (RFC 5321 4.4): Return-Path and Received. Pure: the time is an
 * argument. */
#ifndef SMTPD_TRACE_H
#define SMTPD_TRACE_H

#include <stddef.h>
#include <time.h>

#include "smtpd_session.h"

/* Enough for both lines with the longest paths, HELO name and id. */
#define SMTPD_TRACE_MAX_BYTES 1536

/* Formats the two header fields, CRLF-terminated, into buf. Returns their
 * length, or 0 if they do not fit (they always do in
 * SMTPD_TRACE_MAX_BYTES). */
size_t smtpd_trace_format(char *buf, size_t size, const struct smtpd_envelope *env,
	const char *hostname, const char *id, time_t now);

#endif
