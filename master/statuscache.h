/* statuscache.h - the status replies made for status_group clients, kept
 * for a moment and given to the next that asks the same, and how many a
 * moment those clients may have made at all (see statuscache.c). Pure:
 * the caller passes the time. */
#ifndef MASTER_STATUSCACHE_H
#define MASTER_STATUSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratelimit.h"

struct outbuf;

/* How long a reply may be given again: a monitor polling once a second
 * never sees it, a flood of requests costs one reply a period. */
#define STATUSCACHE_MAX_AGE_MS 100u
/* Replies kept: a format (text, --json, --prometheus, --check) for the
 * whole master or one service each. */
#define STATUSCACHE_SLOTS 8u
/* Replies made for status_group clients in STATUSCACHE_MAX_AGE_MS, all of
 * them together: asking for ever other services or formats (keys) made
 * every request a new reply (a tester's: ~930 a second, 97% of a CPU). */
#define STATUSCACHE_BUILDS_MAX 8u
/* The request's key, at most (longer: not kept). */
#define STATUSCACHE_KEY_BYTES 256u

struct statuscache_slot {
	char key[STATUSCACHE_KEY_BYTES]; /* "" when empty */
	char *data;
	size_t len;
	uint64_t made_ms;
};

struct statuscache {
	struct statuscache_slot slots[STATUSCACHE_SLOTS];
	struct ratelimit_window builds;
};

/* A reply to key made less than STATUSCACHE_MAX_AGE_MS ago: appended to
 * out, true. */
bool statuscache_get(const struct statuscache *c, const char *key, uint64_t now_ms,
		     struct outbuf *out);
/* Whether one more reply may be made now (taken if so). */
bool statuscache_may_build(struct statuscache *c, uint64_t now_ms);
/* Keeps data as the reply to key, made at now_ms, in key's slot or the
 * oldest. Out of memory or a key too long: nothing kept. */
void statuscache_put(struct statuscache *c, const char *key, const char *data, size_t len,
		     uint64_t now_ms);
void statuscache_free(struct statuscache *c);

#endif
