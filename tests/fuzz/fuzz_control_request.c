/* fuzz_control_request.c - fuzz target: the control-socket request parser
 * (control_request_parse) on one line as control.c hands it over: at most
 * CONTROL_REQUEST_MAX_BYTES, cut at the first newline, NUL-terminated.
 * Checks the limits: at most CONTROL_REQUEST_ARGS_MAX words, none empty or
 * holding a separator, all inside the line, and an error for every
 * invalid request. */
#include <string.h>

#include "control.h"
#include "control_request.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_request req;
	char *line;

	if (size > CONTROL_REQUEST_MAX_BYTES)
		size = CONTROL_REQUEST_MAX_BYTES;
	const uint8_t *nl = memchr(data, '\n', size);
	if (nl != NULL)
		size = (size_t)(nl - data);
	if ((line = fuzz_cstring(data, size)) == NULL)
		return 0;
	enum control_request_verb verb = control_request_parse(line, &req);
	FUZZ_CHECK(verb == req.verb);
	FUZZ_CHECK(req.argc >= 0 && req.argc <= CONTROL_REQUEST_ARGS_MAX);
	for (int i = 0; i < req.argc; i++) {
		FUZZ_CHECK(req.argv[i] >= line && req.argv[i] < line + size);
		FUZZ_CHECK(req.argv[i][0] != '\0');
		FUZZ_CHECK(strpbrk(req.argv[i], " \t\r") == NULL);
	}
	if (verb == CONTROL_REQUEST_INVALID)
		FUZZ_CHECK(req.error != NULL && req.error[0] != '\0');
	else
		FUZZ_CHECK(req.error == NULL && req.argc >= 1);
	if (verb == CONTROL_REQUEST_RECYCLE)
		FUZZ_CHECK(req.argc == 2);
	free(line);
	return 0;
}
