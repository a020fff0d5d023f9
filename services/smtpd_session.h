/* smtpd_session.h - one SMTP session as a state machine: lines in,
 * replies out, messages handed to a store. Pure: no sockets, no clock,
 * no files (the store is a set of callbacks), so every reply can be
 * tested by feeding lines (tests/unit/test_smtpd_session.c). */
#ifndef SMTPD_SESSION_H
#define SMTPD_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "smtpd_addr.h"
#include "smtpd_out.h"

/* A HELO/EHLO name is one printable word of at most this many octets
 * (a domain's 255, RFC 5321 4.5.3.1.2). */
#define SMTPD_HELO_MAX_BYTES 256
/* Room for a message identifier in the "250 ... queued as ID" reply. */
#define SMTPD_ID_MAX_BYTES 128

enum smtpd_state {
	SMTPD_STATE_GREETED,    /* 220 sent; no HELO/EHLO yet */
	SMTPD_STATE_READY,      /* after HELO/EHLO or a finished transaction */
	SMTPD_STATE_MAIL,       /* MAIL accepted */
	SMTPD_STATE_RCPT,       /* at least one RCPT accepted */
	SMTPD_STATE_DATA,       /* 354 sent: lines are message text */
	SMTPD_STATE_CLOSED,     /* QUIT or a 421: the connection ends */
};

struct smtpd_limits {
	size_t max_size_bytes;          /* message text as received (SIZE) */
	unsigned max_recipients;        /* per message */
	unsigned max_commands;          /* per connection */
	unsigned max_errors;            /* negative replies per connection */
};

/* What the store learns of a message (RFC 5321 4.4 trace material). All
 * strings are checked: printable ASCII of the grammar only. */
struct smtpd_envelope {
	const char *client;             /* "[127.0.0.1]", set by the caller */
	char helo[SMTPD_HELO_MAX_BYTES];
	bool esmtp;
	char from[SMTPD_PATH_MAX_BYTES];        /* "" for the null sender */
	char rcpt[SMTPD_PATH_MAX_BYTES];        /* the first recipient */
	unsigned rcpts;
	bool body_8bit;                 /* BODY=8BITMIME */
};

/* Where accepted text goes. Each returns 0 on success, -1 on failure
 * (the session answers 451 and keeps going). begin is called at DATA,
 * then write for every piece of text (unstuffed, lines end in CRLF),
 * then commit at the final "." (which fills id) or abort. */
struct smtpd_store {
	int (*begin)(void *ctx, const struct smtpd_envelope *env);
	int (*write)(void *ctx, const char *data, size_t len);
	int (*commit)(void *ctx, char *id, size_t id_size);
	void (*abort)(void *ctx);
	/* Optional: told of each message committed (for logging). */
	void (*accepted)(void *ctx, const char *id, const struct smtpd_envelope *env,
		size_t size_bytes);
};

/* Why the message in progress will be refused at its final ".". */
#define SMTPD_REFUSE_TOO_BIG 0x1u
#define SMTPD_REFUSE_LINE_TOO_LONG 0x2u
#define SMTPD_REFUSE_BARE_LF 0x4u
#define SMTPD_REFUSE_STORE 0x8u

struct smtpd_session {
	enum smtpd_state state;
	const struct smtpd_limits *limits;
	const char *hostname;
	const struct smtpd_store *store;
	void *store_ctx;
	bool store_open;
	struct smtpd_envelope env;
	unsigned commands;
	unsigned errors;
	size_t data_bytes;              /* text so far, saturating */
	unsigned refuse;                /* SMTPD_REFUSE_* */
	bool data_line_start;           /* the last text line ended in CRLF */
	/* Counters for the worker's summary. */
	unsigned long accepted;
	unsigned long refused;
	unsigned long long accepted_bytes;
};

/* client: the peer as an address literal ("[192.0.2.1]"); the strings
 * and structs must outlive the session. */
void smtpd_session_init(struct smtpd_session *s, const struct smtpd_limits *limits,
	const char *hostname, const char *client, const struct smtpd_store *store,
	void *store_ctx);

/* The 220 greeting. */
void smtpd_session_greet(struct smtpd_session *s, struct smtpd_out *out);

/* One line from the client, without its line ending; flags are
 * smtpd_lines.h's SMTPD_LINE_*. Needs SMTPD_OUT_RESERVE_BYTES free in out. */
void smtpd_session_line(struct smtpd_session *s, const char *line, size_t len,
	unsigned flags, struct smtpd_out *out);

/* The client said nothing for too long: 421, and the session is closed. */
void smtpd_session_timeout(struct smtpd_session *s, struct smtpd_out *out);

/* The connection is gone (or the session closed): drops an unfinished
 * message. Safe to call more than once. */
void smtpd_session_end(struct smtpd_session *s);

bool smtpd_session_closed(const struct smtpd_session *s);

/* The end-of-data and DATA-phase half (smtpd_data.c). */
void smtpd_data_begin(struct smtpd_session *s, struct smtpd_out *out);
void smtpd_data_line(struct smtpd_session *s, const char *line, size_t len,
	unsigned flags, struct smtpd_out *out);

/* A negative reply counts toward max_errors; at the limit the session
 * answers 421 and closes (smtpd_session.c). */
void smtpd_session_error(struct smtpd_session *s, struct smtpd_out *out);

#endif
