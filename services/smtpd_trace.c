/* smtpd_trace.c - Return-Path and Received (smtpd_trace.h).
 *
 * Owns the trace format. Paths reach here checked by smtpd_addr.c; the
 * HELO name is any printable word the client chose, so characters that
 * mean something in a Received field (";" before the date, parentheses
 * of comments) are replaced by "_" here, as are any others outside a
 * host name's or address literal's. Dates are UTC in RFC 5322's format
 * (no time zone files needed, in a jail too). */
#include <stdio.h>
#include <string.h>

#include "smtpd_trace.h"

static void smtpd_trace_helo(char *dst, size_t size, const char *helo)
{
	size_t i;

	for (i = 0; helo[i] != '\0' && i + 1 < size; i++) {
		char c = helo[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || strchr(".-:[]", c) != NULL;

		dst[i] = ok ? c : '_';
	}
	dst[i] = '\0';
}

size_t smtpd_trace_format(char *buf, size_t size, const struct smtpd_envelope *env,
	const char *hostname, const char *id, time_t now)
{
	char helo[SMTPD_HELO_MAX_BYTES], date[64], rcpt[SMTPD_PATH_MAX_BYTES + 16];
	struct tm tm;
	int n;

	smtpd_trace_helo(helo, sizeof(helo), env->helo);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		snprintf(date, sizeof(date), "Thu, 01 Jan 1970 00:00:00 +0000");
	/* "for" only when there is one recipient, as others do: it would
	 * tell each recipient of a copy who the others are. */
	rcpt[0] = '\0';
	if (env->rcpts == 1)
		snprintf(rcpt, sizeof(rcpt), "\r\n\tfor <%s>", env->rcpt);
	n = snprintf(buf, size,
		"Return-Path: <%s>\r\n"
		"Received: from %s (%s)\r\n"
		"\tby %s (master smtpd) with %s id %s%s;\r\n"
		"\t%s\r\n",
		env->from, helo[0] ? helo : "unknown", env->client ? env->client : "unknown",
		hostname, env->esmtp ? "ESMTP" : "SMTP", id, rcpt, date);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}
