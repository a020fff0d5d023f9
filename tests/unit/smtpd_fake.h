/* smtpd_fake.h - a session under test: an in-memory store that records
 * what smtpd would have delivered, and a feeder that pushes client text
 * through the real line framing (smtpd_lines) into the session, in
 * chunks as a network would, collecting every reply. */
#ifndef TESTS_SMTPD_FAKE_H
#define TESTS_SMTPD_FAKE_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "services/smtpd_lines.h"
#include "services/smtpd_session.h"

#define FAKE_BYTES (256 * 1024)

struct fake_store {
	int begins, commits, aborts;
	int fail_begin, fail_write, fail_commit;
	struct smtpd_envelope env;      /* as seen at begin */
	char text[FAKE_BYTES];          /* the message being written */
	size_t len;
	char last[FAKE_BYTES];          /* the last committed message */
	size_t last_len;
};

static int fake_begin(void *ctx, const struct smtpd_envelope *env)
{
	struct fake_store *f = ctx;

	f->begins++;
	if (f->fail_begin)
		return -1;
	f->env = *env;
	f->len = 0;
	return 0;
}

static int fake_write(void *ctx, const char *data, size_t len)
{
	struct fake_store *f = ctx;

	if (f->fail_write)
		return -1;
	ck_assert_uint_le(f->len + len, sizeof(f->text));
	memcpy(f->text + f->len, data, len);
	f->len += len;
	return 0;
}

static int fake_commit(void *ctx, char *id, size_t id_size)
{
	struct fake_store *f = ctx;

	if (f->fail_commit)
		return -1;
	f->commits++;
	memcpy(f->last, f->text, f->len);
	f->last_len = f->len;
	snprintf(id, id_size, "ID%d", f->commits);
	return 0;
}

static void fake_abort(void *ctx)
{
	struct fake_store *f = ctx;

	f->aborts++;
	f->len = 0;
}

static const struct smtpd_store fake_store_ops = {
	fake_begin, fake_write, fake_commit, fake_abort, NULL,
};

/* A session, its framing and its fake store. */
struct fake {
	struct smtpd_limits limits;
	struct fake_store store;
	struct smtpd_session s;
	struct smtpd_lines in;
	struct smtpd_out out;
	char replies[FAKE_BYTES];       /* everything answered so far */
	size_t replies_len;
};

static void fake_drain(struct fake *t)
{
	ck_assert_uint_le(t->replies_len + t->out.len, sizeof(t->replies) - 1);
	memcpy(t->replies + t->replies_len, t->out.buf, t->out.len);
	t->replies_len += t->out.len;
	t->replies[t->replies_len] = '\0';
	smtpd_out_consume(&t->out, t->out.len);
}

static void fake_init(struct fake *t)
{
	memset(t, 0, sizeof(*t));
	t->limits.max_size_bytes = 10000;
	t->limits.max_recipients = 3;
	t->limits.max_commands = 100;
	t->limits.max_errors = 10;
}

/* Starts the session (after fake_init and any limit changes): the 220. */
static void fake_start(struct fake *t)
{
	smtpd_session_init(&t->s, &t->limits, "mx.test", "[192.0.2.1]",
		&fake_store_ops, &t->store);
	smtpd_lines_init(&t->in);
	smtpd_out_init(&t->out);
	smtpd_session_greet(&t->s, &t->out);
	fake_drain(t);
}

/* Sends text in chunks of at most chunk bytes (0: as much as fits);
 * returns the replies to it (a pointer into t->replies). */
static const char *fake_send_chunked(struct fake *t, const char *text, size_t n, size_t chunk)
{
	size_t from = t->replies_len;

	while (n > 0 && !smtpd_session_closed(&t->s)) {
		size_t room, k;
		char *space = smtpd_lines_space(&t->in, &room);
		const char *line;
		size_t len;
		unsigned flags;

		k = n < room ? n : room;
		if (chunk > 0 && k > chunk)
			k = chunk;
		memcpy(space, text, k);
		smtpd_lines_filled(&t->in, k);
		text += k;
		n -= k;
		while (!smtpd_session_closed(&t->s) &&
		       smtpd_lines_next(&t->in, &line, &len, &flags)) {
			smtpd_session_line(&t->s, line, len, flags, &t->out);
			fake_drain(t);
		}
	}
	return t->replies + from;
}

static const char *fake_send(struct fake *t, const char *text)
{
	return fake_send_chunked(t, text, strlen(text), 0);
}

#endif
