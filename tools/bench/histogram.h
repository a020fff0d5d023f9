/* histogram.h - log-linear latency histogram in microseconds (bench-client).
 *
 * Values below 2^HISTOGRAM_SUB_BITS us are exact; above, each power of two
 * is split into 2^HISTOGRAM_SUB_BITS linear buckets, so a reported
 * percentile is within ~3% of the true value. The maximum is kept exactly.
 * No allocation: a histogram is a plain value that can be zeroed, copied
 * and merged. */
#ifndef BENCH_HISTOGRAM_H
#define BENCH_HISTOGRAM_H

#include <stdint.h>

#define HISTOGRAM_SUB_BITS 5
#define HISTOGRAM_MAX_EXP 40 /* values clamp at 2^40 us (~12 days) */
#define HISTOGRAM_BUCKETS ((HISTOGRAM_MAX_EXP - HISTOGRAM_SUB_BITS + 1) << HISTOGRAM_SUB_BITS)

struct histogram {
	uint64_t count;
	uint64_t max_us;
	uint64_t sum_us;
	uint64_t buckets[HISTOGRAM_BUCKETS];
};

void histogram_reset(struct histogram *h);
void histogram_add(struct histogram *h, uint64_t value_us);
void histogram_merge(struct histogram *into, const struct histogram *from);
/* The value at quantile q (0..1), as the midpoint of its bucket, never
 * above the recorded maximum; 0 for an empty histogram. */
uint64_t histogram_quantile(const struct histogram *h, double q);

#endif
