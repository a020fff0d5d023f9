/* control_request.c - owns splitting a control request line into a verb
 * and its arguments and checking their number (see control_request.h).
 * Nothing is fatal here: every malformed line becomes an error reply. */
#include "control_request.h"

#include <stddef.h>
#include <string.h>

/* Blanks between words; CR so that a client sending CRLF still works. */
#define CONTROL_REQUEST_SEPARATORS " \t\r"

static enum control_request_verb control_request_invalid(struct control_request *req,
							 const char *error, const char *arg)
{
	req->verb = CONTROL_REQUEST_INVALID;
	req->error = error;
	req->error_arg = arg;
	return req->verb;
}

enum control_request_verb control_request_parse(char *line, struct control_request *req)
{
	char *save = NULL;

	memset(req, 0, sizeof(*req));
	for (char *tok = strtok_r(line, CONTROL_REQUEST_SEPARATORS, &save);
	     tok != NULL; tok = strtok_r(NULL, CONTROL_REQUEST_SEPARATORS, &save)) {
		if (req->argc == CONTROL_REQUEST_ARGS_MAX)
			return control_request_invalid(req, "too many arguments", NULL);
		req->argv[req->argc++] = tok;
	}
	if (req->argc == 0)
		return control_request_invalid(req, "empty request", NULL);

	const char *verb = req->argv[0];
	int argc = req->argc;
	if (strcmp(verb, "status") == 0)
		req->verb = CONTROL_REQUEST_STATUS;
	else if (strcmp(verb, "stop") == 0 && argc == 1)
		req->verb = CONTROL_REQUEST_STOP;
	else if (strcmp(verb, "stop") == 0 && argc == 2 && strcmp(req->argv[1], "--now") == 0)
		req->verb = CONTROL_REQUEST_STOP_NOW;
	else if (strcmp(verb, "reload") == 0 && argc == 1)
		req->verb = CONTROL_REQUEST_RELOAD;
	else if (strcmp(verb, "recycle") == 0 && argc == 2)
		req->verb = CONTROL_REQUEST_RECYCLE;
	else if (strcmp(verb, "stop") == 0 || strcmp(verb, "reload") == 0 ||
		 strcmp(verb, "recycle") == 0)
		return control_request_invalid(req, "usage: stop [--now] | reload | "
					       "recycle SERVICE|all", NULL);
	else
		return control_request_invalid(req, "unknown request", req->argv[0]);
	return req->verb;
}
