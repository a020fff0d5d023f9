/* retire.c - owns the retirement criteria (see retire.h). */
#include "retire.h"

#include <math.h>

#include "clock.h"

#define RETIRE_GOLDEN_RATIO_FRAC 0.6180339887498949

double retire_spread(uint64_t seq)
{
	double x = (double)(seq % 1000003u) * RETIRE_GOLDEN_RATIO_FRAC;

	return x - floor(x);
}

unsigned retire_jitter(unsigned value, unsigned jitter_pct, uint64_t seq)
{
	if (value == 0 || jitter_pct == 0)
		return value;
	double cut = (double)value * (double)jitter_pct / 100.0 * retire_spread(seq);
	unsigned v = value - (unsigned)cut;
	return v == 0 ? 1 : v;
}

uint64_t retire_jitter_ms(unsigned seconds, unsigned jitter_pct, uint64_t seq)
{
	uint64_t ms = (uint64_t)seconds * 1000u;

	if (ms == 0 || jitter_pct == 0)
		return ms;
	double cut = (double)ms * (double)jitter_pct / 100.0 * retire_spread(seq);
	uint64_t v = ms - (uint64_t)cut;
	return v == 0 ? 1 : v;
}

static uint64_t retire_after(uint64_t since_ms, uint64_t span_ms)
{
	return span_ms == 0 ? CLOCK_NEVER_MS : since_ms + span_ms;
}

uint64_t retire_idle_deadline_ms(uint64_t idle_since_ms, unsigned max_idle_s)
{
	return retire_after(idle_since_ms, (uint64_t)max_idle_s * 1000u);
}

bool retire_use_exceeded(unsigned requests, unsigned max_use)
{
	return max_use != 0 && requests > max_use;
}

uint64_t retire_lifetime_due_ms(uint64_t started_ms, uint64_t lifetime_ms)
{
	return retire_after(started_ms, lifetime_ms);
}

uint64_t retire_hard_cap_ms(uint64_t started_ms, uint64_t lifetime_ms, unsigned grace_s)
{
	if (lifetime_ms == 0)
		return CLOCK_NEVER_MS;
	return started_ms + lifetime_ms + (uint64_t)grace_s * 1000u;
}

uint64_t retire_busy_deadline_ms(uint64_t busy_since_ms, unsigned max_busy_s)
{
	return retire_after(busy_since_ms, (uint64_t)max_busy_s * 1000u);
}

uint64_t retire_startup_deadline_ms(uint64_t started_ms, unsigned timeout_s)
{
	return retire_after(started_ms, (uint64_t)timeout_s * 1000u);
}

bool retire_rss_exceeded(unsigned long long rss_bytes, unsigned long long rss_max_bytes)
{
	return rss_max_bytes != 0 && rss_bytes > rss_max_bytes;
}

bool retire_rss_hard_exceeded(unsigned long long rss_bytes, unsigned long long rss_max_bytes)
{
	return rss_max_bytes != 0 && rss_bytes / RETIRE_RSS_HARD_FACTOR > rss_max_bytes;
}

bool retire_may_start(unsigned retiring, unsigned max_retiring)
{
	return max_retiring == 0 || retiring < max_retiring;
}
