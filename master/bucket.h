/* bucket.h - a token bucket, pure: `rate_per_s` tokens a second flow in,
 * at most `burst` are kept, and taking n tokens succeeds only when n are
 * there. The caller passes the time (milliseconds, monotonic), so tests
 * drive it with a fake clock.
 *
 * Tokens are kept in thousandths: a rate of 200 a second refills 0.2 of a
 * token a millisecond, which whole tokens would round away. A bucket starts
 * full: the first burst is allowed at once. */
#ifndef MASTER_BUCKET_H
#define MASTER_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct bucket {
	uint64_t rate_per_s;
	uint64_t burst;
	uint64_t milli;    /* tokens held, in thousandths */
	uint64_t last_ms;  /* when milli was last refilled */
};

void bucket_init(struct bucket *b, uint64_t rate_per_s, uint64_t burst, uint64_t now_ms);
/* Whole tokens available at now_ms. */
uint64_t bucket_level(struct bucket *b, uint64_t now_ms);
/* Takes n tokens if all n are there; otherwise takes none. */
bool bucket_take(struct bucket *b, uint64_t n, uint64_t now_ms);
/* When the bucket will hold n tokens (n above the burst counts as the
 * burst): now_ms if it does already, UINT64_MAX if it never will. */
uint64_t bucket_ready_ms(const struct bucket *b, uint64_t n, uint64_t now_ms);

#endif
