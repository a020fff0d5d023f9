/* test_statuscache.c - the reply kept for status_group clients
 * (statuscache.c): given again to the same request for
 * STATUSCACHE_MAX_AGE_MS, never to another, never after; a request too
 * long to key is not kept. */
#include <check.h>
#include <string.h>

#include "outbuf.h"
#include "statuscache.h"
#include "unit.h"

static bool got(const struct statuscache *c, const char *key, uint64_t now, const char *want)
{
	struct outbuf out = { 0 };
	bool hit = statuscache_get(c, key, now, &out);

	if (hit)
		ck_assert(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0);
	outbuf_free(&out);
	return hit;
}

START_TEST(test_kept_for_a_moment)
{
	struct statuscache c = { 0 };
	const uint64_t t0 = 5000;

	ck_assert(!got(&c, "status --json", t0, ""));
	statuscache_put(&c, "status --json", "{\"a\":1}\n", 8, t0);
	ck_assert(got(&c, "status --json", t0, "{\"a\":1}\n"));
	ck_assert(got(&c, "status --json", t0 + STATUSCACHE_MAX_AGE_MS - 1, "{\"a\":1}\n"));
	ck_assert(!got(&c, "status --json", t0 + STATUSCACHE_MAX_AGE_MS, ""));
	ck_assert(!got(&c, "status", t0 + 1, ""));          /* another request */
	ck_assert(!got(&c, "status --json", t0 - 1, ""));   /* a clock that went back */
	statuscache_put(&c, "status", "text\n", 5, t0 + 10); /* the last one kept */
	ck_assert(!got(&c, "status --json", t0 + 11, ""));
	ck_assert(got(&c, "status", t0 + 11, "text\n"));
	statuscache_free(&c);
}
END_TEST

START_TEST(test_long_request_not_kept)
{
	struct statuscache c = { 0 };
	char key[STATUSCACHE_KEY_BYTES + 8];

	memset(key, 'x', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	statuscache_put(&c, key, "reply\n", 6, 1000);
	ck_assert(!got(&c, key, 1000, ""));
	ck_assert(!got(&c, "", 1000, ""));
	statuscache_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("statuscache");
	TCase *tc = tcase_create("cache");

	tcase_add_test(tc, test_kept_for_a_moment);
	tcase_add_test(tc, test_long_request_not_kept);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
