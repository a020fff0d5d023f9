/* histogram.c - log-linear latency histogram (see histogram.h). Owns the
 * value <-> bucket mapping and quantile lookup; nothing else. */
#include "histogram.h"

#include <string.h>

#define HISTOGRAM_SUB_COUNT (1u << HISTOGRAM_SUB_BITS)

static unsigned histogram_index(uint64_t v)
{
	if (v >= (1ull << HISTOGRAM_MAX_EXP))
		v = (1ull << HISTOGRAM_MAX_EXP) - 1;
	if (v < HISTOGRAM_SUB_COUNT)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - HISTOGRAM_SUB_BITS;
	unsigned sub = (unsigned)(v >> shift) - HISTOGRAM_SUB_COUNT;
	return ((shift + 1) << HISTOGRAM_SUB_BITS) + sub;
}

/* Lowest value and width of bucket i. */
static void histogram_bounds(unsigned i, uint64_t *low, uint64_t *width)
{
	if (i < HISTOGRAM_SUB_COUNT) {
		*low = i;
		*width = 1;
		return;
	}
	unsigned shift = (i >> HISTOGRAM_SUB_BITS) - 1;
	uint64_t sub = i & (HISTOGRAM_SUB_COUNT - 1);
	*low = (sub + HISTOGRAM_SUB_COUNT) << shift;
	*width = 1ull << shift;
}

void histogram_reset(struct histogram *h)
{
	memset(h, 0, sizeof *h);
}

void histogram_add(struct histogram *h, uint64_t value_us)
{
	h->buckets[histogram_index(value_us)]++;
	h->count++;
	h->sum_us += value_us;
	if (value_us > h->max_us)
		h->max_us = value_us;
}

void histogram_merge(struct histogram *into, const struct histogram *from)
{
	for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
	into->count += from->count;
	into->sum_us += from->sum_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

uint64_t histogram_quantile(const struct histogram *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	uint64_t rank = (uint64_t)(q * (double)h->count + 0.5);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t low, width;
			histogram_bounds(i, &low, &width);
			uint64_t mid = low + width / 2;
			return mid > h->max_us ? h->max_us : mid;
		}
	}
	return h->max_us;
}
