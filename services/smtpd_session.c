/* smtpd_session.c - the SMTP command state machine (smtpd_session.h).
 *
 * Owns which command is valid in which state and what each one answers:
 * RFC 5321's EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT and VRFY, with
 * the PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME (RFC 6152) and
 * ENHANCEDSTATUSCODES (RFC 2034) extensions, and the per-connection
 * limits on commands and errors. The DATA phase is smtpd_data.c.
 *
 * Nothing the client sends is trusted: a command line is checked for
 * control and 8-bit characters before it is parsed, and only checked
 * text is kept. Pipelining needs nothing special here: each line is
 * answered in order, and the connection decides when to send. */
#include <string.h>

#include "smtpd_session.h"
#include "smtpd_lines.h"

#define SMTPD_SIZE_DIGITS_MAX 19        /* fits in 64 bits, no overflow */

void smtpd_session_init(struct smtpd_session *s, const struct smtpd_limits *limits,
	const char *hostname, const char *client, const struct smtpd_store *store,
	void *store_ctx)
{
	memset(s, 0, sizeof(*s));
	s->state = SMTPD_STATE_GREETED;
	s->limits = limits;
	s->hostname = hostname;
	s->store = store;
	s->store_ctx = store_ctx;
	s->env.client = client;
}

void smtpd_session_greet(struct smtpd_session *s, struct smtpd_out *out)
{
	smtpd_out_reply(out, 220, 0, "%s ESMTP", s->hostname);
}

bool smtpd_session_closed(const struct smtpd_session *s)
{
	return s->state == SMTPD_STATE_CLOSED;
}

void smtpd_session_end(struct smtpd_session *s)
{
	if (s->store_open) {
		s->store->abort(s->store_ctx);
		s->store_open = false;
	}
}

static void smtpd_session_close(struct smtpd_session *s, struct smtpd_out *out,
	const char *status, const char *why)
{
	smtpd_out_reply(out, 421, 0, "%s %s Error: %s", status, s->hostname, why);
	smtpd_session_end(s);
	s->state = SMTPD_STATE_CLOSED;
}

void smtpd_session_timeout(struct smtpd_session *s, struct smtpd_out *out)
{
	if (s->state != SMTPD_STATE_CLOSED)
		smtpd_session_close(s, out, "4.4.2", "timeout exceeded");
}

void smtpd_session_error(struct smtpd_session *s, struct smtpd_out *out)
{
	if (++s->errors >= s->limits->max_errors && s->state != SMTPD_STATE_CLOSED)
		smtpd_session_close(s, out, "4.7.0", "too many errors");
}

/* A negative reply, counted. */
static void smtpd_session_refuse(struct smtpd_session *s, struct smtpd_out *out,
	int code, const char *text)
{
	smtpd_out_reply(out, code, 0, "%s", text);
	smtpd_session_error(s, out);
}

/* Forgets the transaction (RSET, HELO, the end of a message). */
static void smtpd_session_reset(struct smtpd_session *s)
{
	smtpd_session_end(s);
	s->env.from[0] = '\0';
	s->env.rcpt[0] = '\0';
	s->env.rcpts = 0;
	s->env.body_8bit = false;
	if (s->state != SMTPD_STATE_GREETED && s->state != SMTPD_STATE_CLOSED)
		s->state = SMTPD_STATE_READY;
}

static void smtpd_session_helo(struct smtpd_session *s, const char *arg, size_t len,
	bool esmtp, struct smtpd_out *out)
{
	if (len < 2 || arg[0] != ' ' || memchr(arg + 1, ' ', len - 1) != NULL) {
		smtpd_session_refuse(s, out, 501, esmtp ? "5.5.4 Syntax: EHLO hostname" :
			"5.5.4 Syntax: HELO hostname");
		return;
	}
	if (len - 1 >= sizeof(s->env.helo)) {
		smtpd_session_refuse(s, out, 501, "5.5.2 Error: hostname too long");
		return;
	}
	smtpd_session_reset(s);
	memcpy(s->env.helo, arg + 1, len - 1);
	s->env.helo[len - 1] = '\0';
	s->env.esmtp = esmtp;
	s->state = SMTPD_STATE_READY;
	if (!esmtp) {
		smtpd_out_reply(out, 250, 0, "%s", s->hostname);
		return;
	}
	smtpd_out_reply(out, 250, 1, "%s", s->hostname);
	smtpd_out_reply(out, 250, 1, "PIPELINING");
	smtpd_out_reply(out, 250, 1, "SIZE %zu", s->limits->max_size_bytes);
	smtpd_out_reply(out, 250, 1, "8BITMIME");
	smtpd_out_reply(out, 250, 0, "ENHANCEDSTATUSCODES");
}

/* SIZE=n: digits only. Returns 0 and *n, or -1. */
static int smtpd_session_size(const char *v, size_t len, unsigned long long *n)
{
	*n = 0;
	if (len == 0 || len > SMTPD_SIZE_DIGITS_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		*n = *n * 10 + (unsigned)(v[i] - '0');
	}
	return 0;
}

/* MAIL's parameters: SIZE and BODY (ESMTP only). Returns 0, or -1 after
 * a reply. */
static int smtpd_session_mail_params(struct smtpd_session *s, const char *p,
	size_t len, struct smtpd_out *out)
{
	const char *end = p + len;
	struct smtpd_param prm;
	unsigned long long size;
	int r;

	while ((r = smtpd_addr_param(&p, end, &prm)) == 1) {
		if (!s->env.esmtp) {
			smtpd_session_refuse(s, out, 555, "5.5.4 Error: parameters need EHLO");
			return -1;
		}
		if (smtpd_addr_word_is(prm.key, prm.key_len, "SIZE")) {
			if (prm.value == NULL ||
			    smtpd_session_size(prm.value, prm.value_len, &size) < 0) {
				smtpd_session_refuse(s, out, 501, "5.5.4 Bad message size syntax");
				return -1;
			}
			if (size > s->limits->max_size_bytes) {
				smtpd_session_refuse(s, out, 552,
					"5.3.4 Message size exceeds fixed limit");
				return -1;
			}
		} else if (smtpd_addr_word_is(prm.key, prm.key_len, "BODY") &&
			   prm.value != NULL &&
			   (smtpd_addr_word_is(prm.value, prm.value_len, "8BITMIME") ||
			    smtpd_addr_word_is(prm.value, prm.value_len, "7BIT"))) {
			s->env.body_8bit = smtpd_addr_word_is(prm.value, prm.value_len,
				"8BITMIME");
		} else {
			smtpd_out_reply(out, 555, 0, "5.5.4 Unsupported option: %.*s",
				(int)prm.key_len, prm.key);
			smtpd_session_error(s, out);
			return -1;
		}
	}
	if (r < 0) {
		smtpd_session_refuse(s, out, 501, "5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME]");
		return -1;
	}
	return 0;
}

static void smtpd_session_mail(struct smtpd_session *s, const char *arg, size_t len,
	struct smtpd_out *out)
{
	const char *params;
	size_t params_len;
	enum smtpd_addr_result r;

	if (s->state == SMTPD_STATE_GREETED) {
		smtpd_session_refuse(s, out, 503, "5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->state != SMTPD_STATE_READY) {
		smtpd_session_refuse(s, out, 503, "5.5.1 Error: nested MAIL command");
		return;
	}
	r = smtpd_addr_parse(arg, len, "FROM:", SMTPD_ADDR_ALLOW_NULL, s->env.from,
		&params, &params_len);
	if (r == SMTPD_ADDR_SYNTAX) {
		smtpd_session_refuse(s, out, 501, "5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (r != SMTPD_ADDR_OK) {
		smtpd_session_refuse(s, out, 501, r == SMTPD_ADDR_TOO_LONG ?
			"5.1.7 Error: path too long" : "5.1.7 Bad sender address syntax");
		return;
	}
	s->env.body_8bit = false;
	if (smtpd_session_mail_params(s, params, params_len, out) < 0)
		return;
	s->env.rcpts = 0;
	s->state = SMTPD_STATE_MAIL;
	smtpd_out_reply(out, 250, 0, "2.1.0 Ok");
}

static void smtpd_session_rcpt(struct smtpd_session *s, const char *arg, size_t len,
	struct smtpd_out *out)
{
	char rcpt[SMTPD_PATH_MAX_BYTES];
	const char *params;
	size_t params_len;
	enum smtpd_addr_result r;

	if (s->state != SMTPD_STATE_MAIL && s->state != SMTPD_STATE_RCPT) {
		smtpd_session_refuse(s, out, 503, "5.5.1 Error: need MAIL command");
		return;
	}
	r = smtpd_addr_parse(arg, len, "TO:", SMTPD_ADDR_ALLOW_POSTMASTER, rcpt,
		&params, &params_len);
	if (r == SMTPD_ADDR_SYNTAX) {
		smtpd_session_refuse(s, out, 501, "5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (r != SMTPD_ADDR_OK) {
		smtpd_session_refuse(s, out, 501, r == SMTPD_ADDR_TOO_LONG ?
			"5.1.3 Error: path too long" : "5.1.3 Bad recipient address syntax");
		return;
	}
	if (params_len > 0) {   /* no RCPT extension is offered (no DSN) */
		smtpd_session_refuse(s, out, 555, "5.5.4 Unsupported option");
		return;
	}
	if (s->env.rcpts >= s->limits->max_recipients) {
		smtpd_session_refuse(s, out, 452, "4.5.3 Error: too many recipients");
		return;
	}
	if (s->env.rcpts++ == 0)
		memcpy(s->env.rcpt, rcpt, sizeof(rcpt));
	s->state = SMTPD_STATE_RCPT;
	smtpd_out_reply(out, 250, 0, "2.1.5 Ok");
}

static void smtpd_session_data(struct smtpd_session *s, size_t len, struct smtpd_out *out)
{
	if (len > 0)
		smtpd_session_refuse(s, out, 501, "5.5.4 Syntax: DATA");
	else if (s->state == SMTPD_STATE_GREETED || s->state == SMTPD_STATE_READY)
		smtpd_session_refuse(s, out, 503, "5.5.1 Error: need MAIL command");
	else if (s->state != SMTPD_STATE_RCPT)
		smtpd_session_refuse(s, out, 503, "5.5.1 Error: need RCPT command");
	else
		smtpd_data_begin(s, out);
}

/* Verbs recognized but not offered: 502, not 500 (RFC 5321 4.2.4). */
static const char *const smtpd_session_unimplemented[] = {
	"EXPN", "HELP", "TURN", "ETRN", "ATRN", "BDAT", "AUTH", "STARTTLS",
	"XCLIENT", "XFORWARD", "SEND", "SOML", "SAML",
};

static void smtpd_session_command(struct smtpd_session *s, const char *line, size_t len,
	struct smtpd_out *out)
{
	const char *sp = memchr(line, ' ', len);
	size_t vlen = sp != NULL ? (size_t)(sp - line) : len;
	const char *arg = line + vlen;
	size_t alen = len - vlen;

	if (smtpd_addr_word_is(line, vlen, "EHLO")) {
		smtpd_session_helo(s, arg, alen, true, out);
	} else if (smtpd_addr_word_is(line, vlen, "HELO")) {
		smtpd_session_helo(s, arg, alen, false, out);
	} else if (smtpd_addr_word_is(line, vlen, "MAIL")) {
		smtpd_session_mail(s, arg, alen, out);
	} else if (smtpd_addr_word_is(line, vlen, "RCPT")) {
		smtpd_session_rcpt(s, arg, alen, out);
	} else if (smtpd_addr_word_is(line, vlen, "DATA")) {
		smtpd_session_data(s, alen, out);
	} else if (smtpd_addr_word_is(line, vlen, "RSET")) {
		if (alen > 0) {
			smtpd_session_refuse(s, out, 501, "5.5.4 Syntax: RSET");
			return;
		}
		smtpd_session_reset(s);
		smtpd_out_reply(out, 250, 0, "2.0.0 Ok");
	} else if (smtpd_addr_word_is(line, vlen, "NOOP")) {
		smtpd_out_reply(out, 250, 0, "2.0.0 Ok");
	} else if (smtpd_addr_word_is(line, vlen, "QUIT")) {
		smtpd_out_reply(out, 221, 0, "2.0.0 Bye");
		smtpd_session_end(s);
		s->state = SMTPD_STATE_CLOSED;
	} else if (smtpd_addr_word_is(line, vlen, "VRFY")) {
		if (alen < 2)
			smtpd_session_refuse(s, out, 501, "5.5.4 Syntax: VRFY address");
		else    /* RFC 5321 3.5.3: 252, verification not offered */
			smtpd_out_reply(out, 252, 0, "2.0.0 Send some mail, I'll try my best");
	} else {
		for (size_t i = 0; i < sizeof(smtpd_session_unimplemented) /
				sizeof(smtpd_session_unimplemented[0]); i++) {
			if (smtpd_addr_word_is(line, vlen, smtpd_session_unimplemented[i])) {
				smtpd_session_refuse(s, out, 502,
					"5.5.1 Error: command not implemented");
				return;
			}
		}
		smtpd_session_refuse(s, out, 500, "5.5.2 Error: command not recognized");
	}
}

void smtpd_session_line(struct smtpd_session *s, const char *line, size_t len,
	unsigned flags, struct smtpd_out *out)
{
	if (s->state == SMTPD_STATE_CLOSED)
		return;
	if (s->state == SMTPD_STATE_DATA) {
		smtpd_data_line(s, line, len, flags, out);
		return;
	}
	if (++s->commands > s->limits->max_commands) {
		smtpd_session_close(s, out, "4.7.0", "too many commands");
		return;
	}
	if (flags & SMTPD_LINE_TOO_LONG) {
		smtpd_session_refuse(s, out, 500, "5.5.2 Error: line too long");
		return;
	}
	while (len > 0 && line[len - 1] == ' ')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c >= 0x7f) {
			smtpd_session_refuse(s, out, 500, "5.5.2 Error: bad character in command");
			return;
		}
	}
	if (len == 0) {
		smtpd_session_refuse(s, out, 500, "5.5.2 Error: bad syntax");
		return;
	}
	smtpd_session_command(s, line, len, out);
}
