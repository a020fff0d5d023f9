/* smtpd_out.c - formats SMTP reply lines into the session's output buffer
 * (smtpd_out.h). Owns the reply line format; nothing is fatal here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "smtpd_out.h"

void smtpd_out_init(struct smtpd_out *o)
{
	o->len = 0;
}

void smtpd_out_reply(struct smtpd_out *o, int code, int more, const char *fmt, ...)
{
	char line[SMTPD_REPLY_LINE_MAX_BYTES];
	size_t room = sizeof(line) - 2; /* keep room for CRLF */
	va_list ap;
	int n, m;

	n = snprintf(line, room, "%03d%c", code, more ? '-' : ' ');
	if (n < 0 || (size_t)n >= room)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, room - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= room ? (int)room - 1 : n + m; /* cut, not overflow */
	/* Client text quoted in a reply (an unknown option's name) has passed
	 * the session's character checks; still, no reply line may carry a
	 * control character of anyone's. */
	for (int i = 4; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\r';
	line[n++] = '\n';
	if ((size_t)n > sizeof(o->buf) - o->len)
		return;
	memcpy(o->buf + o->len, line, (size_t)n);
	o->len += (size_t)n;
}

void smtpd_out_consume(struct smtpd_out *o, size_t n)
{
	if (n >= o->len) {
		o->len = 0;
		return;
	}
	memmove(o->buf, o->buf + n, o->len - n);
	o->len -= n;
}
