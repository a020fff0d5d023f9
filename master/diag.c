/* diag.c - owns the configuration error list (see diag.h).
 *
 * Out of memory: never fatal; a message that cannot be stored is counted
 * as lost (the error itself is never lost). */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_add(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	for (size_t i = 0; msg != NULL && i < d->n; i++)
		if (strcmp(d->msgs[i], msg) == 0) {
			free(msg);
			d->repeats++;
			return;
		}
	if (msg != NULL && d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		char **m = realloc(d->msgs, cap * sizeof(*m));
		if (m == NULL) {
			free(msg);
			msg = NULL;
		} else {
			d->msgs = m;
			d->cap = cap;
		}
	}
	if (msg == NULL) {
		d->lost++;
		return;
	}
	d->msgs[d->n++] = msg;
}

void diag_oom(struct diag *d, const char *where)
{
	diag_add(d, "%s: out of memory", where);
}

size_t diag_count(const struct diag *d)
{
	return d->n + d->lost + d->repeats;
}

size_t diag_distinct(const struct diag *d)
{
	return d->n + d->lost;
}

void diag_print(const struct diag *d, FILE *fp)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(fp, "%s\n", d->msgs[i]);
	if (d->lost > 0)
		fprintf(fp, "out of memory: %zu more error%s not recorded\n", d->lost,
			d->lost == 1 ? "" : "s");
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}
