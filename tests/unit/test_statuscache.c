/* test_statuscache.c - the reply kept for status_group clients
 * (statuscache.c): given again to the same request for
 * STATUSCACHE_MAX_AGE_MS, never to another, never after; a request too
 * long to key is not kept. */
#include <check.h>
#include <stdio.h>
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
	statuscache_put(&c, "status", "text\n", 5, t0 + 10); /* both kept */
	ck_assert(got(&c, "status --json", t0 + 11, "{\"a\":1}\n"));
	ck_assert(got(&c, "status", t0 + 11, "text\n"));
	statuscache_put(&c, "status", "new\n", 4, t0 + 20); /* its own slot again */
	ck_assert(got(&c, "status", t0 + 21, "new\n"));
	statuscache_free(&c);
}
END_TEST

/* Past STATUSCACHE_SLOTS keys the oldest goes; past STATUSCACHE_BUILDS_MAX
 * replies in a window no more are made until it ends. */
START_TEST(test_slots_and_builds)
{
	struct statuscache c = { 0 };
	char key[32];
	const uint64_t t0 = 9000;

	for (unsigned i = 0; i <= STATUSCACHE_SLOTS; i++) {
		snprintf(key, sizeof(key), "text svc%u", i);
		statuscache_put(&c, key, "r\n", 2, t0 + i);
	}
	ck_assert(!got(&c, "text svc0", t0 + 20, ""));       /* the oldest, gone */
	ck_assert(got(&c, "text svc1", t0 + 20, "r\n"));
	snprintf(key, sizeof(key), "text svc%u", STATUSCACHE_SLOTS);
	ck_assert(got(&c, key, t0 + 20, "r\n"));
	for (unsigned i = 0; i < STATUSCACHE_BUILDS_MAX; i++)
		ck_assert(statuscache_may_build(&c, t0 + 100 + i));
	ck_assert(!statuscache_may_build(&c, t0 + 100 + STATUSCACHE_MAX_AGE_MS - 1));
	ck_assert(statuscache_may_build(&c, t0 + 100 + STATUSCACHE_MAX_AGE_MS));
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
	tcase_add_test(tc, test_slots_and_builds);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
