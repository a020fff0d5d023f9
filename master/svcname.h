/* svcname.h - what a service name (master.cf's first column) may hold:
 * valid UTF-8 without control characters, so that every place that shows
 * it (the log, status as text, JSON and Prometheus labels) shows it as
 * written, and a terminal is never sent an escape sequence. */
#ifndef MASTER_SVCNAME_H
#define MASTER_SVCNAME_H

#include <stddef.h>

#define SVCNAME_WHY_BYTES 96

/* Returns 0, or -1 with why (naming the offending byte's offset). */
int svcname_check(const char *name, char *why, size_t whysize);

#endif
