/* diag.h - a list of configuration errors, each "file:line: message".
 *
 * Loading collects every error it finds (never stopping at the first), so
 * `master -n`, `masterctl check` and a refused reload print them all. */
#ifndef MASTER_DIAG_H
#define MASTER_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char **msgs;
	size_t n;
	size_t cap;
};

void diag_add(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag_print(const struct diag *d, FILE *fp);
void diag_free(struct diag *d);

#endif
