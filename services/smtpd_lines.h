/* smtpd_lines.h - splits what a client sends into SMTP lines, in a fixed
 * buffer (no allocation), with RFC 5321's line-length limit.
 *
 * Pure: the caller reads from its socket into the space this gives it;
 * nothing here does I/O. */
#ifndef SMTPD_LINES_H
#define SMTPD_LINES_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including the
 * CRLF; the same bound serves command lines (4.5.3.1.4's 512 grows with
 * every extension's parameters, SIZE and BODY here). */
#define SMTPD_LINE_MAX_BYTES 1000
/* Room for a pipelined burst of commands or a run of data lines: one
 * read takes up to this much. */
#define SMTPD_INPUT_BYTES 16384

/* How a line ended (flags of smtpd_lines_next). */
#define SMTPD_LINE_CRLF 0x1u      /* with CR LF, as RFC 5321 requires */
#define SMTPD_LINE_BARE_LF 0x2u   /* with a LF alone */
#define SMTPD_LINE_TOO_LONG 0x4u  /* longer than the limit: content dropped */

struct smtpd_lines {
	char buf[SMTPD_INPUT_BYTES];
	size_t head;            /* first unconsumed byte */
	size_t tail;            /* end of the data read so far */
	bool overlong;          /* inside a line past the limit: drop to LF */
	bool dropped_cr;        /* the last byte dropped was a CR */
};

void smtpd_lines_init(struct smtpd_lines *l);

/* Where the next read goes, and how much fits (at least
 * SMTPD_LINE_MAX_BYTES whenever no complete line is buffered). */
char *smtpd_lines_space(struct smtpd_lines *l, size_t *room);

/* Accounts n bytes read into the space above. */
void smtpd_lines_filled(struct smtpd_lines *l, size_t n);

/* The next complete line, without its line ending: true and *line, *len,
 * *flags set; false when more input is needed. A line past the limit is
 * returned once, at its LF, as SMTPD_LINE_TOO_LONG with length 0 (and
 * with CRLF or BARE_LF as it ended, for the end-of-data rule). *line
 * stays valid until the next call to any smtpd_lines function. */
bool smtpd_lines_next(struct smtpd_lines *l, const char **line, size_t *len,
	unsigned *flags);

/* Bytes buffered that are not yet part of a returned line. */
size_t smtpd_lines_pending(const struct smtpd_lines *l);

#endif
