/* smtpd_lines.c - SMTP line framing over a fixed buffer (smtpd_lines.h).
 *
 * Owns the one rule of what a line is: bytes up to a LF, at most
 * SMTPD_LINE_MAX_BYTES of them counting the line ending. A longer line is
 * dropped as it arrives (the buffer never holds more than the limit of
 * one line) and reported once, at its end, so the session can answer it.
 * Nothing is fatal here. */
#include <string.h>

#include "smtpd_lines.h"

void smtpd_lines_init(struct smtpd_lines *l)
{
	l->head = 0;
	l->tail = 0;
	l->overlong = false;
	l->dropped_cr = false;
}

char *smtpd_lines_space(struct smtpd_lines *l, size_t *room)
{
	if (l->head == l->tail) {
		l->head = 0;
		l->tail = 0;
	} else if (l->head > 0 && sizeof(l->buf) - l->tail < SMTPD_LINE_MAX_BYTES) {
		/* Only a partial line is left (callers read when no complete
		 * line is buffered): move it down, at most one line's bytes. */
		memmove(l->buf, l->buf + l->head, l->tail - l->head);
		l->tail -= l->head;
		l->head = 0;
	}
	*room = sizeof(l->buf) - l->tail;
	return l->buf + l->tail;
}

void smtpd_lines_filled(struct smtpd_lines *l, size_t n)
{
	if (n > sizeof(l->buf) - l->tail)
		n = sizeof(l->buf) - l->tail; /* a caller's bug, not an overflow */
	l->tail += n;
}

bool smtpd_lines_next(struct smtpd_lines *l, const char **line, size_t *len,
	unsigned *flags)
{
	const char *start = l->buf + l->head;
	size_t avail = l->tail - l->head;
	const char *lf = memchr(start, '\n', avail);
	size_t total;

	if (lf == NULL) {
		/* No end in sight: a line that has already reached the limit
		 * without its LF can only be too long. Drop what we have. */
		if (l->overlong || avail >= SMTPD_LINE_MAX_BYTES) {
			l->overlong = true;
			if (avail > 0)
				l->dropped_cr = start[avail - 1] == '\r';
			l->head = l->tail;
		}
		return false;
	}
	total = (size_t)(lf - start) + 1;
	l->head += total;
	*line = start;
	if (l->overlong || total > SMTPD_LINE_MAX_BYTES) {
		bool cr = total >= 2 ? lf[-1] == '\r' : l->dropped_cr;

		l->overlong = false;
		l->dropped_cr = false;
		*len = 0;
		*flags = SMTPD_LINE_TOO_LONG | (cr ? SMTPD_LINE_CRLF : SMTPD_LINE_BARE_LF);
		return true;
	}
	if (total >= 2 && lf[-1] == '\r') {
		*len = total - 2;
		*flags = SMTPD_LINE_CRLF;
	} else {
		*len = total - 1;
		*flags = SMTPD_LINE_BARE_LF;
	}
	return true;
}

size_t smtpd_lines_pending(const struct smtpd_lines *l)
{
	return l->tail - l->head;
}
