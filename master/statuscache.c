/* statuscache.c - owns the replies kept for status_group clients (see
 * statuscache.h).
 *
 * Why: a status reply is built anew for each request, two /proc reads a
 * worker, on the loop. A member of status_group (a monitor, metricsd,
 * which faces the network) asking as fast as it can in 16 threads took
 * the master from 65% to 92% of a CPU with 602 workers and made root's
 * own status 4x slower (the eighth adversarial round). Its requests now
 * cost at most STATUSCACHE_BUILDS_MAX replies a STATUSCACHE_MAX_AGE_MS,
 * the same request within that time a copy; root and admin_group are
 * always answered anew (what `masterctl` shows right after a change must
 * be the change). Nothing here is fatal: out of memory, no reply is kept. */
#include "statuscache.h"

#include <stdlib.h>
#include <string.h>

#include "outbuf.h"

static bool statuscache_fresh(const struct statuscache_slot *s, uint64_t now_ms)
{
	return s->data != NULL && now_ms >= s->made_ms &&
	       now_ms - s->made_ms < STATUSCACHE_MAX_AGE_MS;
}

bool statuscache_get(const struct statuscache *c, const char *key, uint64_t now_ms,
		     struct outbuf *out)
{
	for (size_t i = 0; i < STATUSCACHE_SLOTS; i++) {
		const struct statuscache_slot *s = &c->slots[i];
		if (s->key[0] != '\0' && strcmp(s->key, key) == 0 && statuscache_fresh(s, now_ms)) {
			outbuf_append(out, s->data, s->len);
			return true;
		}
	}
	return false;
}

bool statuscache_may_build(struct statuscache *c, uint64_t now_ms)
{
	return ratelimit_window_take(&c->builds, STATUSCACHE_BUILDS_MAX, STATUSCACHE_MAX_AGE_MS,
				     now_ms);
}

static void statuscache_empty(struct statuscache_slot *s)
{
	free(s->data);
	s->data = NULL;
	s->len = 0;
	s->made_ms = 0;
	s->key[0] = '\0';
}

void statuscache_put(struct statuscache *c, const char *key, const char *data, size_t len,
		     uint64_t now_ms)
{
	size_t klen = strlen(key), pick = 0;
	char *copy;

	if (klen == 0 || klen >= STATUSCACHE_KEY_BYTES)
		return;
	for (size_t i = 0; i < STATUSCACHE_SLOTS; i++) {
		if (strcmp(c->slots[i].key, key) == 0) {
			pick = i;
			break;
		}
		if (c->slots[i].made_ms < c->slots[pick].made_ms || c->slots[i].key[0] == '\0')
			pick = i;
	}
	statuscache_empty(&c->slots[pick]);
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return;
	memcpy(copy, data, len);
	memcpy(c->slots[pick].key, key, klen + 1);
	c->slots[pick].data = copy;
	c->slots[pick].len = len;
	c->slots[pick].made_ms = now_ms;
}

void statuscache_free(struct statuscache *c)
{
	for (size_t i = 0; i < STATUSCACHE_SLOTS; i++)
		statuscache_empty(&c->slots[i]);
}
