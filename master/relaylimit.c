/* relaylimit.c - owns the stderr rate-limit decisions (see relaylimit.h).
 * Nothing is fatal here: no allocation, no system call. */
#include "relaylimit.h"

void relaylimit_init(struct relaylimit *l, uint64_t now_ms)
{
	bucket_init(&l->lines, RELAYLIMIT_LINES_PER_S, RELAYLIMIT_LINES_BURST, now_ms);
	bucket_init(&l->bytes, RELAYLIMIT_BYTES_PER_S, RELAYLIMIT_BYTES_BURST, now_ms);
	bucket_init(&l->read, RELAYLIMIT_READ_BYTES_PER_S, RELAYLIMIT_READ_BURST_BYTES, now_ms);
	l->suppressing = false;
	l->dropped_bytes = l->dropped_lines = 0;
}

void relaylimit_init_service(struct relaylimit *l, uint64_t now_ms)
{
	relaylimit_init(l, now_ms);
	bucket_init(&l->lines, RELAYLIMIT_SERVICE_LINES_PER_S, RELAYLIMIT_SERVICE_LINES_BURST,
		    now_ms);
	bucket_init(&l->bytes, RELAYLIMIT_SERVICE_BYTES_PER_S, RELAYLIMIT_SERVICE_BYTES_BURST,
		    now_ms);
	bucket_init(&l->read, RELAYLIMIT_SERVICE_READ_BYTES_PER_S,
		    RELAYLIMIT_SERVICE_READ_BURST_BYTES, now_ms);
}

static bool relaylimit_refilled(struct relaylimit *l, uint64_t now_ms)
{
	return bucket_level(&l->lines, now_ms) >= l->lines.burst * RELAYLIMIT_RESUME_PCT / 100u &&
	       bucket_level(&l->bytes, now_ms) >= l->bytes.burst * RELAYLIMIT_RESUME_PCT / 100u;
}

bool relaylimit_line(struct relaylimit *l, size_t bytes, uint64_t now_ms)
{
	if (l->suppressing && relaylimit_refilled(l, now_ms))
		l->suppressing = false;
	/* Both or neither: a line refused for its bytes keeps its line token. */
	if (!l->suppressing && bucket_level(&l->bytes, now_ms) >= bytes &&
	    bucket_take(&l->lines, 1, now_ms)) {
		bucket_take(&l->bytes, bytes, now_ms);
		return true;
	}
	l->suppressing = true;
	relaylimit_drop(l, bytes, 1);
	return false;
}

void relaylimit_drop(struct relaylimit *l, uint64_t bytes, uint64_t lines)
{
	l->dropped_bytes += bytes;
	l->dropped_lines += lines;
}

bool relaylimit_summary(struct relaylimit *l, uint64_t *bytes, uint64_t *lines)
{
	if (l->dropped_bytes == 0 && l->dropped_lines == 0)
		return false;
	*bytes = l->dropped_bytes;
	*lines = l->dropped_lines;
	l->dropped_bytes = l->dropped_lines = 0;
	return true;
}

size_t relaylimit_readable(struct relaylimit *l, uint64_t now_ms)
{
	uint64_t n = bucket_level(&l->read, now_ms);

	return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

void relaylimit_did_read(struct relaylimit *l, size_t n, uint64_t now_ms)
{
	uint64_t have = bucket_level(&l->read, now_ms);

	bucket_take(&l->read, n < have ? n : have, now_ms);
}

uint64_t relaylimit_resume_ms(const struct relaylimit *l, uint64_t now_ms)
{
	return bucket_ready_ms(&l->read, RELAYLIMIT_READ_RESUME_BYTES, now_ms);
}
