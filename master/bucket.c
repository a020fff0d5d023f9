/* bucket.c - owns the token bucket arithmetic (see bucket.h). Nothing is
 * fatal here: no allocation, no system call. */
#include "bucket.h"

#define BUCKET_MILLI 1000u

void bucket_init(struct bucket *b, uint64_t rate_per_s, uint64_t burst, uint64_t now_ms)
{
	b->rate_per_s = rate_per_s;
	b->burst = burst;
	b->milli = burst * BUCKET_MILLI;
	b->last_ms = now_ms;
}

static void bucket_refill(struct bucket *b, uint64_t now_ms)
{
	uint64_t cap = b->burst * BUCKET_MILLI;

	if (now_ms <= b->last_ms)
		return; /* same millisecond, or a clock that went back: no refill */
	uint64_t elapsed = now_ms - b->last_ms;
	b->last_ms = now_ms;
	/* ms x tokens/s = thousandths of a token; long gaps just fill it
	 * (and must not overflow on the way). */
	if (b->rate_per_s == 0 || elapsed >= cap / b->rate_per_s + 1) {
		if (b->rate_per_s != 0)
			b->milli = cap;
		return;
	}
	b->milli += elapsed * b->rate_per_s;
	if (b->milli > cap)
		b->milli = cap;
}

uint64_t bucket_level(struct bucket *b, uint64_t now_ms)
{
	bucket_refill(b, now_ms);
	return b->milli / BUCKET_MILLI;
}

bool bucket_take(struct bucket *b, uint64_t n, uint64_t now_ms)
{
	bucket_refill(b, now_ms);
	if (n > b->burst || b->milli < n * BUCKET_MILLI)
		return false;
	b->milli -= n * BUCKET_MILLI;
	return true;
}

uint64_t bucket_ready_ms(const struct bucket *b, uint64_t n, uint64_t now_ms)
{
	struct bucket now = *b;

	if (n > b->burst)
		n = b->burst;
	bucket_refill(&now, now_ms);
	if (now.milli >= n * BUCKET_MILLI)
		return now_ms;
	if (b->rate_per_s == 0)
		return UINT64_MAX;
	uint64_t missing = n * BUCKET_MILLI - now.milli;
	return now_ms + (missing + b->rate_per_s - 1) / b->rate_per_s;
}
