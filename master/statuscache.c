/* statuscache.c - owns the reply kept for status_group clients (see
 * statuscache.h).
 *
 * Why: a status reply is built anew for each request, two /proc reads a
 * worker, on the loop. A member of status_group (a monitor, metricsd,
 * which faces the network) asking as fast as it can in 16 threads took
 * the master from 65% to 92% of a CPU with 602 workers and made root's
 * own status 4x slower (the eighth adversarial round). Its requests now
 * cost one reply a STATUSCACHE_MAX_AGE_MS; root and admin_group are
 * always answered anew (what `masterctl` shows right after a change must
 * be the change). Nothing here is fatal: out of memory, no reply is kept. */
#include "statuscache.h"

#include <stdlib.h>
#include <string.h>

#include "outbuf.h"

bool statuscache_get(const struct statuscache *c, const char *key, uint64_t now_ms,
		     struct outbuf *out)
{
	if (c->data == NULL || c->key[0] == '\0' || strcmp(c->key, key) != 0 ||
	    now_ms < c->made_ms || now_ms - c->made_ms >= STATUSCACHE_MAX_AGE_MS)
		return false;
	outbuf_append(out, c->data, c->len);
	return true;
}

void statuscache_put(struct statuscache *c, const char *key, const char *data, size_t len,
		     uint64_t now_ms)
{
	size_t klen = strlen(key);
	char *copy;

	statuscache_free(c);
	if (klen == 0 || klen >= sizeof(c->key) || (copy = malloc(len > 0 ? len : 1)) == NULL)
		return;
	memcpy(copy, data, len);
	memcpy(c->key, key, klen + 1);
	c->data = copy;
	c->len = len;
	c->made_ms = now_ms;
}

void statuscache_free(struct statuscache *c)
{
	free(c->data);
	c->data = NULL;
	c->len = 0;
	c->key[0] = '\0';
}
