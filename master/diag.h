/* diag.h - a list of configuration errors, each "file:line: message".
 *
 * Loading collects every error it finds (never stopping at the first), so
 * `master -n`, `masterctl check` and a refused reload print them all.
 *
 * Out of memory is never fatal here: a message that cannot be stored is
 * counted in `lost` instead, so diag_count() still grows with every error
 * and diag_print() says how many were lost ("out of memory: ..."). */
#ifndef MASTER_DIAG_H
#define MASTER_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char **msgs;
	size_t n;      /* stored messages: msgs[0..n-1] */
	size_t cap;
	size_t lost;   /* errors whose message could not be stored (no memory) */
	size_t repeats; /* errors whose message was already stored: not stored
			 * again (a master.conf value every service inherits
			 * is one error, said once) */
};

void diag_add(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "WHERE: out of memory": an allocation failed while loading at WHERE. */
void diag_oom(struct diag *d, const char *where);
/* Every error added, stored, repeated or lost: compare before and after a
 * step. */
size_t diag_count(const struct diag *d);
/* The errors an operator sees: distinct messages, and the lost ones. */
size_t diag_distinct(const struct diag *d);
/* One line per stored message, then one for the lost ones, if any. */
void diag_print(const struct diag *d, FILE *fp);
void diag_free(struct diag *d);

#endif
