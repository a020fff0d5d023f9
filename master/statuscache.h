/* statuscache.h - the last status reply made for a status_group client,
 * kept for a moment and given to the next one that asks the same (see
 * statuscache.c). Pure: the caller passes the time. */
#ifndef MASTER_STATUSCACHE_H
#define MASTER_STATUSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbuf;

/* How long a reply may be given again: a monitor polling once a second
 * never sees it, a flood of requests costs one reply a period. */
#define STATUSCACHE_MAX_AGE_MS 100u
/* The request lines it keeps a reply for, at most (longer: not kept). */
#define STATUSCACHE_KEY_BYTES 256u

struct statuscache {
	char key[STATUSCACHE_KEY_BYTES]; /* the request, "" when empty */
	char *data;
	size_t len;
	uint64_t made_ms;
};

/* A reply to key made less than STATUSCACHE_MAX_AGE_MS ago: appended to
 * out, true. */
bool statuscache_get(const struct statuscache *c, const char *key, uint64_t now_ms,
		     struct outbuf *out);
/* Keeps data as the reply to key, made at now_ms. Out of memory or a key
 * too long: nothing kept (the next request is answered anew). */
void statuscache_put(struct statuscache *c, const char *key, const char *data, size_t len,
		     uint64_t now_ms);
void statuscache_free(struct statuscache *c);

#endif
