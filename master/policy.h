/* policy.h - the pool's decisions, as pure functions of a snapshot and a
 * clock: how many workers to start and which of them may bypass the fork
 * limiter, when an idle worker is retired, when a retiring worker may be
 * stopped, when a worker has lied about its use count. No processes, no
 * clock reads: tests drive it with a fake clock (tests/unit/test_policy.c).
 *
 * Counting rules (the mechanism in pool.c keeps them):
 *  - live workers are starting + idle + busy; retiring workers are not
 *    live: they are on their way out and their successors may already run.
 *  - maxproc caps live workers, so a successor can start while the worker
 *    it replaces finishes its last request (make-before-break).
 *  - leaving_max bounds the rest: workers on their way out (retiring,
 *    told to stop, killed, not yet reaped) are a worker's word away from
 *    gone, and a worker can say "retiring" and never go. At maxproc +
 *    leaving_max workers in all (or leaving_max leaving, maxproc 0), no
 *    worker is started, not even a successor; an idle retiring worker is
 *    then stopped at once (break before make: there is no room to make).
 *  - replace_credits counts normal retirements not yet replaced (plus the
 *    initial pool): forks that use a credit bypass the limiter, so normal
 *    recycling is never throttled; growth and crash replacement are.
 *  - slack: a worker showed capacity to spare within the last
 *    POLICY_SLACK_MS (it said "busy", so it had waited idle for that
 *    request, or "spare", so it lingered for one). A worker lingers for
 *    the next request before it says "idle" (libmaster, up to
 *    PROTOCOL_REPORT_MS) and looks busy meanwhile: while there is slack,
 *    a client seen waiting is one a lingering worker is about to take, not
 *    a reason to grow the pool or to call it saturated. */
#ifndef MASTER_POLICY_H
#define MASTER_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

/* How long an idle retiring worker waits for its successor to be ready
 * before it is stopped anyway. */
#define POLICY_HANDOVER_MAX_MS 10000u
/* How long a "busy" or "spare" counts as capacity to spare: a worker
 * lingering for requests reports at least every PROTOCOL_REPORT_MS, and
 * as much again for scheduling delays. */
#define POLICY_SLACK_MS (2u * PROTOCOL_REPORT_MS)

struct policy_pool {
	unsigned prefork;
	unsigned maxproc;          /* 0 = no limit */
	unsigned starting, idle, busy, retiring;
	unsigned leaving_max;      /* the bound on retiring; 0 = none */
	unsigned replace_credits;
	bool demand;               /* a client is waiting in the listen backlog */
	bool slack;                /* a worker had capacity to spare just now */
};

/* A worker's protocol state as the master tracks it. */
enum policy_worker_state { POLICY_STARTING, POLICY_IDLE, POLICY_BUSY };

struct policy_spawn {
	unsigned exempt;   /* forks that replace normal retirements: no limiter */
	unsigned limited;  /* growth or crash replacement: through the limiter */
};

/* A worker's protocol state as the master tracks it. */
struct policy_worker {
	enum policy_worker_state state;
	bool announced;     /* it said "retiring": its current request is its last */
	unsigned requests;  /* requests it began ("busy" 1, "next N" N) */
};

/* Applies one status message (protocol version 2, docs/protocol.md):
 *   ready:    starting -> idle
 *   busy:     idle -> busy, a request began
 *   next N:   busy -> busy, the request ended and N more began back to
 *             back (plain "next": N = 1)
 *   spare N:  the same, and the worker waited for one of them (slack)
 *   idle:     busy -> idle
 *   retiring: idle or busy, once: no request after the current one
 * After "retiring" only "idle" (ending the last request) is accepted.
 * count is the message's (protocol_decode_count: N for "next N", else 1).
 * Sets *began to the requests that began (0, 1 or N). Returns false,
 * changing nothing, for anything else: a protocol violation, for which
 * the master kills it; a count that would wrap the request counter is
 * one too. */
bool policy_on_message(struct policy_worker *pw, enum protocol_msg msg, unsigned count,
		       unsigned *began);

/* A status flood: a worker that keeps its status channel full. A channel
 * holds about 280 short packets and the monitor empties it every few
 * milliseconds, reading up to MONITOR_PACKETS_PER_WAKEUP (256) at a time;
 * a real worker sends one or two messages per request (some tens per
 * wake-up even at its fastest), so it fills its channel only when the
 * master was held up, and then for a wake-up or two. A worker found with
 * a full channel at POLICY_FLOOD_WAKEUPS wake-ups in a row, over at least
 * POLICY_FLOOD_MIN_MS, is flooding: the master kills it. The rule does not
 * depend on how fast the machine is (a rate cap would kill the fastest
 * honest workers on a fast one), and a flood costs the master at most
 * one full channel per wake-up until it is caught. */
#define POLICY_FLOOD_WAKEUPS 8u
#define POLICY_FLOOD_MIN_MS 50u
struct policy_flood {
	unsigned streak;        /* wake-ups in a row that found the channel full */
	uint64_t since_ms;      /* the first of them */
};
/* Notes one wake-up's read (full: it read as much as one wake-up takes).
 * Returns true when the worker is flooding. */
bool policy_flood_note(struct policy_flood *f, bool full, uint64_t now_ms);

unsigned policy_live(const struct policy_pool *p);
/* Workers to start now. */
struct policy_spawn policy_spawn(const struct policy_pool *p);
/* Whether the master should watch the listening socket for waiting
 * clients: only when nobody can accept them (no idle or starting worker,
 * no slack). */
bool policy_wants_demand(const struct policy_pool *p);
/* Whether live workers are at maxproc. */
bool policy_at_maxproc(const struct policy_pool *p);

/* A retiring worker that is idle may be stopped once capacity is back (no
 * successor still starting and prefork workers serving), or once it has
 * waited POLICY_HANDOVER_MAX_MS. */
bool policy_may_stop_retiring(const struct policy_pool *p,
			      uint64_t retiring_since_ms, uint64_t now_ms);
/* Credits are owed only for missing workers: clamp after spawning. */
unsigned policy_clamp_credits(const struct policy_pool *p);

#endif
