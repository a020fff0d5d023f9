/* options.h - the master's command line (options.c): what master(8)'s
 * SYNOPSIS lists, short and long. */
#ifndef MASTER_OPTIONS_H
#define MASTER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#define OPTIONS_OVERRIDES_MAX 64

struct options {
	const char *dir;
	bool foreground;
	bool check_only;
	bool verbose;
	char *overrides[OPTIONS_OVERRIDES_MAX + 1]; /* NULL-terminated */
	size_t noverrides;
};

enum options_result {
	OPTIONS_RUN,   /* go on with o */
	OPTIONS_DONE,  /* --help or --version printed: exit 0 */
	OPTIONS_USAGE, /* a usage error, said on stderr: exit 2 */
};

enum options_result options_parse(int argc, char **argv, struct options *o);

#endif
