/* smtpd_data.c - the DATA phase of a session (smtpd_session.h): the 354,
 * the message text line by line into the store, and the one reply at the
 * final ".".
 *
 * Owns the end-of-data rule and the text limits. The end is a "." line
 * that follows a CRLF and ends in CRLF (RFC 5321 4.1.1.4) and nothing
 * else: not a "." after a bare LF, not one ended by a bare LF, so a
 * client cannot smuggle a second message past a filter that reads the
 * text differently. A message with a bare LF in it is refused whole. The
 * leading dot of every other line is removed (4.5.2). A message past
 * max_size_bytes, or with a line past the 1000-octet limit, is read to
 * its end and refused there (552, 500), the store never seeing the rest.
 * Nothing here is fatal: a store failure is a 451 for that message. */
#include <string.h>

#include "smtpd_session.h"
#include "smtpd_lines.h"

void smtpd_data_begin(struct smtpd_session *s, struct smtpd_out *out)
{
	if (s->store->begin(s->store_ctx, &s->env) < 0) {
		smtpd_out_reply(out, 451, 0, "4.3.0 Error: queue file write error");
		smtpd_session_error(s, out);
		return;
	}
	s->store_open = true;
	s->data_bytes = 0;
	s->refuse = 0;
	s->data_line_start = true;      /* the DATA command ended in CRLF */
	s->state = SMTPD_STATE_DATA;
	smtpd_out_reply(out, 354, 0, "End data with <CR><LF>.<CR><LF>");
}

/* Gives up on the text (the message is refused): the store drops it. */
static void smtpd_data_drop(struct smtpd_session *s, unsigned why)
{
	s->refuse |= why;
	if (s->store_open) {
		s->store->abort(s->store_ctx);
		s->store_open = false;
	}
}

static void smtpd_data_end(struct smtpd_session *s, struct smtpd_out *out)
{
	char id[SMTPD_ID_MAX_BYTES];
	int code = 0;
	const char *text = NULL;

	/* The most fundamental reason first. */
	if (s->refuse & SMTPD_REFUSE_BARE_LF) {
		code = 550;
		text = "5.5.2 Error: bare <LF> received";
	} else if (s->refuse & SMTPD_REFUSE_LINE_TOO_LONG) {
		code = 500;
		text = "5.5.2 Error: message line too long";
	} else if (s->refuse & SMTPD_REFUSE_TOO_BIG) {
		code = 552;
		text = "5.3.4 Error: message file too big";
	} else if (s->refuse & SMTPD_REFUSE_STORE) {
		code = 451;
		text = "4.3.0 Error: queue file write error";
	} else {
		s->store_open = false;
		if (s->store->commit(s->store_ctx, id, sizeof(id)) < 0) {
			code = 451;
			text = "4.3.0 Error: queue file write error";
		}
	}
	if (code != 0) {
		smtpd_data_drop(s, 0);
		s->refused++;
		smtpd_out_reply(out, code, 0, "%s", text);
	} else {
		s->accepted++;
		s->accepted_bytes += s->data_bytes;
		if (s->store->accepted != NULL)
			s->store->accepted(s->store_ctx, id, &s->env, s->data_bytes);
		smtpd_out_reply(out, 250, 0, "2.0.0 Ok: queued as %s", id);
	}
	/* The transaction is over either way (4.1.1.4). */
	s->env.from[0] = '\0';
	s->env.rcpt[0] = '\0';
	s->env.rcpts = 0;
	s->env.body_8bit = false;
	s->state = SMTPD_STATE_READY;
	if (code != 0)
		smtpd_session_error(s, out);
}

void smtpd_data_line(struct smtpd_session *s, const char *line, size_t len,
	unsigned flags, struct smtpd_out *out)
{
	bool crlf = (flags & SMTPD_LINE_CRLF) != 0;
	bool at_start = s->data_line_start;

	s->data_line_start = crlf;
	if (at_start && crlf && !(flags & SMTPD_LINE_TOO_LONG) && len == 1 && line[0] == '.') {
		smtpd_data_end(s, out);
		return;
	}
	if (flags & SMTPD_LINE_BARE_LF)
		smtpd_data_drop(s, SMTPD_REFUSE_BARE_LF);
	if (flags & SMTPD_LINE_TOO_LONG) {
		smtpd_data_drop(s, SMTPD_REFUSE_LINE_TOO_LONG);
		return;
	}
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	if (len + 2 > s->limits->max_size_bytes - s->data_bytes ||
	    s->data_bytes > s->limits->max_size_bytes) {
		s->data_bytes = s->limits->max_size_bytes + 1;  /* saturated */
		smtpd_data_drop(s, SMTPD_REFUSE_TOO_BIG);
		return;
	}
	s->data_bytes += len + 2;
	if (!s->store_open)
		return;
	if (s->store->write(s->store_ctx, line, len) < 0 ||
	    s->store->write(s->store_ctx, "\r\n", 2) < 0)
		smtpd_data_drop(s, SMTPD_REFUSE_STORE);
}
