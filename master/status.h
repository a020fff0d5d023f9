/* status.h - what `masterctl status` shows: every service (or one) with its
 * state, worker counts and counters, and every worker, as text or JSON. */
#ifndef MASTER_STATUS_H
#define MASTER_STATUS_H

#include <stdbool.h>

struct master;
struct outbuf;

/* service: NULL for all. An unknown name renders an "error: " reply. */
void status_render(struct master *m, const char *service, bool json, struct outbuf *out);

#endif
