/* smtpd_addr.h - the arguments of MAIL and RCPT: the path in angle
 * brackets and the ESMTP parameters after it (RFC 5321 4.1.2), checked
 * against the grammar so that nothing else reaches a header or a log.
 * Pure. */
#ifndef SMTPD_ADDR_H
#define SMTPD_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets, brackets included;
 * the address inside (without them) fits this buffer with its NUL. */
#define SMTPD_PATH_MAX_BYTES 256

enum smtpd_addr_result {
	SMTPD_ADDR_OK,
	SMTPD_ADDR_SYNTAX,      /* not "FROM:<...>" / "TO:<...>" at all */
	SMTPD_ADDR_BAD,         /* a path, but not a valid mailbox */
	SMTPD_ADDR_TOO_LONG,    /* a path longer than the limit */
};

/* What a path may be besides a mailbox. */
#define SMTPD_ADDR_ALLOW_NULL 0x1u        /* "<>" (MAIL's null sender) */
#define SMTPD_ADDR_ALLOW_POSTMASTER 0x2u  /* "<Postmaster>" (RCPT) */

/* Parses arg (the command line after the verb, e.g. " FROM:<a@b> SIZE=9",
 * len bytes, no line ending) for keyword ("FROM:" or "TO:", any case).
 * On SMTPD_ADDR_OK, addr holds the address without brackets or source
 * route ("" for the null path) and *params, *params_len the rest after
 * the path's closing bracket (blanks skipped). */
enum smtpd_addr_result smtpd_addr_parse(const char *arg, size_t len,
	const char *keyword, unsigned allow, char addr[SMTPD_PATH_MAX_BYTES],
	const char **params, size_t *params_len);

/* One "KEYWORD[=VALUE]" parameter (RFC 5321 4.1.2 esmtp-param). */
struct smtpd_param {
	const char *key;
	size_t key_len;
	const char *value;      /* NULL when there is no "=" */
	size_t value_len;
};

/* Takes the next parameter from *cursor (up to end): 1 and *out set,
 * 0 at the end, -1 when the text is not a parameter list. */
int smtpd_addr_param(const char **cursor, const char *end, struct smtpd_param *out);

/* Case-insensitive comparison of a counted string with a C string. */
bool smtpd_addr_word_is(const char *s, size_t len, const char *word);

#endif
