/* smtpd_args.h - smtpd's own arguments (the words after the command and
 * its -o settings on the master.cf line), all NAME=VALUE. Pure. */
#ifndef SMTPD_ARGS_H
#define SMTPD_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "smtpd_session.h"

/* Postfix's message_size_limit default. */
#define SMTPD_DEFAULT_MAX_SIZE_BYTES 10240000
/* RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted. */
#define SMTPD_DEFAULT_MAX_RECIPIENTS 100
#define SMTPD_DEFAULT_MAX_COMMANDS 1000
/* Postfix's smtpd_hard_error_limit. */
#define SMTPD_DEFAULT_MAX_ERRORS 20
/* RFC 5321 4.5.3.2.7: a server waits at least 5 minutes for a command. */
#define SMTPD_DEFAULT_TIMEOUT_S 300

enum smtpd_mode {
	SMTPD_MODE_MAILDIR,
	SMTPD_MODE_SINK,
};

struct smtpd_options {
	enum smtpd_mode mode;
	const char *spool;              /* maildir: the Maildir's directory */
	char hostname[SMTPD_HELO_MAX_BYTES];    /* "" until set or defaulted */
	struct smtpd_limits limits;
	int timeout_ms;
	bool sync;
	bool verbose;
};

/* Parses argv[1..argc-1] into o. state_directory (the STATE_DIRECTORY
 * the master gives a dynamic-user service, or NULL) is the default
 * spool. Returns 0, or -1 with the reason in why. hostname stays "" when
 * not given (the caller fills in the system's). */
int smtpd_args_parse(int argc, char **argv, const char *state_directory,
	struct smtpd_options *o, char *why, size_t why_size);

/* Whether name is fit for a greeting: letters, digits, "-" and "."
 * (1 to 255 of them). */
bool smtpd_args_hostname_ok(const char *name);

#endif
