/* control_request.h - parsing one control-socket request line (pure: no
 * sockets, no master state, so it is unit-tested and fuzzed on its own).
 *
 * A request is one line of words separated by blanks (space, tab, CR):
 * a verb and its arguments. The line is split in place; the result points
 * into it. control.c reads the line off the socket (bounded by
 * CONTROL_REQUEST_MAX_BYTES) and carries the request out. */
#ifndef MASTER_CONTROL_REQUEST_H
#define MASTER_CONTROL_REQUEST_H

/* Words in one request, the verb included. */
#define CONTROL_REQUEST_ARGS_MAX 8

enum control_request_verb {
	CONTROL_REQUEST_INVALID = 0, /* req->error says why */
	CONTROL_REQUEST_STATUS,      /* argv[1..]: [SERVICE] [--json|--prometheus] */
	CONTROL_REQUEST_STOP,
	CONTROL_REQUEST_STOP_NOW,
	CONTROL_REQUEST_RELOAD,
	CONTROL_REQUEST_RECYCLE,     /* argv[1]: SERVICE or "all" */
};

struct control_request {
	enum control_request_verb verb;
	int argc;
	char *argv[CONTROL_REQUEST_ARGS_MAX];
	/* For CONTROL_REQUEST_INVALID: the reply line without "error: " and
	 * without the newline; it may quote argv[0] (bounded by the line). */
	const char *error;
	const char *error_arg; /* NULL, or the word the error names */
};

/* Splits LINE (a NUL-terminated line without its newline; modified) into
 * words and classifies the verb. Returns the verb (also in req->verb). */
enum control_request_verb control_request_parse(char *line, struct control_request *req);

#endif
