/* relaylimit.h - how much of one worker's stderr reaches the log, and how
 * fast the master reads it at all. Pure: the caller passes the time.
 *
 * Logging: a token bucket of log lines and one of bytes (the worker's own
 * bytes, before escaping). A line is logged when both allow it; otherwise
 * it is suppressed (counted). Once suppressing, logging resumes only when
 * both buckets have refilled RELAYLIMIT_RESUME_PCT of their burst, so a
 * worker that keeps flooding gets one summary line and a run of lines about
 * once a second, not a summary between every two lines. The first line
 * logged after suppression is preceded by the summary
 * "(N bytes, M lines suppressed)"; a worker's exit flushes it too.
 *
 * Reading: a third bucket, in bytes read (logged or not). When it is empty
 * the master stops reading the stream until RELAYLIMIT_READ_RESUME_BYTES have
 * refilled: the worker then blocks on its own stderr once its buffer is full.
 * Under the read limit a flooding worker is drained and its excess dropped
 * (it keeps serving); past it, the master spends nothing on it. So the
 * master's cost per worker is bounded by RELAYLIMIT_READ_BYTES_PER_S
 * whatever the worker writes. */
#ifndef MASTER_RELAYLIMIT_H
#define MASTER_RELAYLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bucket.h"

/* Logged per worker: sustained rate and burst. */
#define RELAYLIMIT_LINES_PER_S 200u
#define RELAYLIMIT_LINES_BURST 2000u
#define RELAYLIMIT_BYTES_PER_S (32u * 1024u)
#define RELAYLIMIT_BYTES_BURST (256u * 1024u)
/* Logged per service, all its workers' stderr together: each new worker
 * starts with a full burst of its own, so a service whose workers come and
 * go (a worker that writes its burst and leaves, replaced at once) had no
 * bound at all: measured, 103 MB/s of log from one service. */
#define RELAYLIMIT_SERVICE_LINES_PER_S 1000u
#define RELAYLIMIT_SERVICE_LINES_BURST 10000u
#define RELAYLIMIT_SERVICE_BYTES_PER_S (256u * 1024u)
#define RELAYLIMIT_SERVICE_BYTES_BURST (2048u * 1024u)
/* Read per service, all its workers' streams together (logged or dropped):
 * each new worker's own read budget starts full too, so churning workers
 * had the master read (and drop) 100 MB/s, half a CPU. */
#define RELAYLIMIT_SERVICE_READ_BYTES_PER_S (2048u * 1024u)
#define RELAYLIMIT_SERVICE_READ_BURST_BYTES (2048u * 1024u)
/* Suppression ends once both buckets hold this share of their burst. */
#define RELAYLIMIT_RESUME_PCT 10u
/* Read per worker (logged or dropped): rate, burst, and how much must have
 * refilled before a paused stream is read again. */
#define RELAYLIMIT_READ_BYTES_PER_S (1024u * 1024u)
#define RELAYLIMIT_READ_BURST_BYTES (1024u * 1024u)
#define RELAYLIMIT_READ_RESUME_BYTES (64u * 1024u)
/* A read costs at least this much of the read budget, a worker's own
 * stream's as a shared one's (relay_shared.h). What a read costs the
 * master is the read, not its bytes: a worker that writes one byte at a
 * time is read as fast as it writes, ~10 bytes a read, and counted in
 * bytes alone kept the root master at 96-98% of a CPU within 0.8 MB/s
 * (the eighth adversarial round); on a shared stream, two writers taking
 * turns (a worker and its child) made 2-byte lines cost half a CPU. So
 * at most RELAYLIMIT_READ_BYTES_PER_S / this reads a second per worker
 * (256), RELAYLIMIT_SERVICE_READ_BYTES_PER_S / this per service (512);
 * a paused stream queues in its socket, so the next read takes many
 * lines at once. Measured (test_stderr_flood test_12): at 256 bytes
 * (8,192 reads) 2.3-7.3% of a CPU; at 1 KiB up to 7.3%; at 4 KiB 0-1.3%. */
#define RELAYLIMIT_READ_MIN_CHARGE_BYTES 4096u

struct relaylimit {
	struct bucket lines;
	struct bucket bytes;
	struct bucket read;
	bool suppressing;
	uint64_t dropped_bytes;   /* suppressed since the last summary */
	uint64_t dropped_lines;
};

void relaylimit_init(struct relaylimit *l, uint64_t now_ms);
/* A service's budget (RELAYLIMIT_SERVICE_*). */
void relaylimit_init_service(struct relaylimit *l, uint64_t now_ms);
/* A log line of `bytes` worker bytes: true if it may be logged, false if
 * it is suppressed (and counted). */
bool relaylimit_line(struct relaylimit *l, size_t bytes, uint64_t now_ms);
/* Counts bytes and lines suppressed without asking (left in the stream). */
void relaylimit_drop(struct relaylimit *l, uint64_t bytes, uint64_t lines);
/* True once per suppression run, when there is something to report: sets
 * the counts and starts counting anew. */
bool relaylimit_summary(struct relaylimit *l, uint64_t *bytes, uint64_t *lines);
/* Bytes that may be read now (0: stop reading). */
size_t relaylimit_readable(struct relaylimit *l, uint64_t now_ms);
/* Accounts n bytes read. */
void relaylimit_did_read(struct relaylimit *l, size_t n, uint64_t now_ms);
/* When a paused stream may be read again. */
uint64_t relaylimit_resume_ms(const struct relaylimit *l, uint64_t now_ms);

#endif
