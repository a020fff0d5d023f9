/* masterctl.h - the parts of masterctl: the command line and its verbs
 * (masterctl.c), talking to the master and checking offline
 * (masterctl_request.c). */
#ifndef MASTERCTL_H
#define MASTERCTL_H

#include <stdbool.h>

/* Exit statuses a script can act on (masterctl(8) EXIT STATUS). */
enum masterctl_exit {
	MASTERCTL_EXIT_OK = 0,        /* done */
	MASTERCTL_EXIT_REFUSED = 1,   /* an error reply, a refusal, a bad configuration */
	MASTERCTL_EXIT_USAGE = 2,     /* unknown command or option, wrong arguments */
	MASTERCTL_EXIT_NO_MASTER = 3, /* not running, or no complete reply */
};

/* Sends request (one line, newline included) to the master of
 * configuration directory dir (overrides: -o, NULL-terminated) and prints
 * its reply: stdout, or stderr for an "error: " reply. reload: the reply
 * may take the master's reload_timeout more. An enum masterctl_exit. */
int masterctl_request(const char *dir, char **overrides, const char *request, bool reload);
/* `check`: loads the configuration as the master would. */
int masterctl_check(const char *dir, char **overrides);

#endif
