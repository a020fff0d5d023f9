/* smtpd_out.h - the replies a session has produced and the connection has
 * not sent yet: a fixed buffer, written by the session, drained by the
 * connection (pure; no I/O here). */
#ifndef SMTPD_OUT_H
#define SMTPD_OUT_H

#include <stddef.h>

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF. */
#define SMTPD_REPLY_LINE_MAX_BYTES 512
/* Replies held for one flush. The connection flushes when less than
 * SMTPD_OUT_RESERVE_BYTES are free, so that any one reply (the longest is
 * EHLO's, a few lines) always fits. */
#define SMTPD_OUT_BYTES 8192
#define SMTPD_OUT_RESERVE_BYTES 2048

struct smtpd_out {
	char buf[SMTPD_OUT_BYTES];
	size_t len;
};

void smtpd_out_init(struct smtpd_out *o);

/* Appends one reply line: "CODE TEXT\r\n", or "CODE-TEXT\r\n" when more
 * lines of the same reply follow. TEXT is printf-formatted and cut at the
 * line limit. A reply that does not fit is dropped whole rather than cut
 * in the middle of a line (it cannot happen with the reserve above). */
__attribute__((format(printf, 4, 5)))
void smtpd_out_reply(struct smtpd_out *o, int code, int more, const char *fmt, ...);

/* Drops the first n bytes (they were sent). */
void smtpd_out_consume(struct smtpd_out *o, size_t n);

#endif
