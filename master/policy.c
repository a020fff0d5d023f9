/* policy.c - owns the pool decisions (see policy.h for the rules). */
#include "policy.h"

#include <limits.h>


bool policy_flood_note(struct policy_flood *f, bool full, uint64_t now_ms)
{
	if (!full) {
		f->streak = 0;
		return false;
	}
	if (f->streak++ == 0)
		f->since_ms = now_ms;
	return f->streak >= POLICY_FLOOD_WAKEUPS && now_ms >= f->since_ms + POLICY_FLOOD_MIN_MS;
}

unsigned policy_live(const struct policy_pool *p)
{
	return p->starting + p->idle + p->busy;
}

static unsigned policy_cap(const struct policy_pool *p)
{
	return p->maxproc ? p->maxproc : UINT32_MAX;
}

/* Workers that may be started under the bound on leaving ones (policy.h):
 * with maxproc, until maxproc + leaving_max in all; without, while fewer
 * than leaving_max are leaving. */
static unsigned policy_room(const struct policy_pool *p)
{
	if (p->leaving_max == 0)
		return UINT32_MAX;
	if (p->maxproc == 0)
		return p->retiring < p->leaving_max ? UINT32_MAX : 0;
	unsigned long long all = (unsigned long long)policy_live(p) + p->retiring;
	unsigned long long bound = (unsigned long long)p->maxproc + p->leaving_max;
	return all < bound ? (unsigned)(bound - all) : 0;
}

static unsigned policy_wanted(const struct policy_pool *p)
{
	unsigned live = policy_live(p);
	unsigned want = p->prefork;

	/* Grow by one when clients wait and nobody can take them. */
	if (p->demand && policy_wants_demand(p) && live + 1 > want)
		want = live + 1;
	if (want > policy_cap(p))
		want = policy_cap(p);
	return want;
}

struct policy_spawn policy_spawn(const struct policy_pool *p)
{
	struct policy_spawn s = { 0, 0 };
	unsigned live = policy_live(p);
	unsigned want = policy_wanted(p);
	unsigned deficit = want > live ? want - live : 0;
	unsigned room = policy_room(p);

	if (deficit > room)
		deficit = room;
	s.exempt = deficit < p->replace_credits ? deficit : p->replace_credits;
	s.limited = deficit - s.exempt;
	return s;
}

bool policy_wants_demand(const struct policy_pool *p)
{
	return p->idle + p->starting == 0 && !p->slack;
}

bool policy_at_maxproc(const struct policy_pool *p)
{
	return policy_live(p) >= policy_cap(p);
}

bool policy_may_stop_retiring(const struct policy_pool *p,
			      uint64_t retiring_since_ms, uint64_t now_ms)
{
	/* Make-before-break: capacity is back (no successor still starting,
	 * at least prefork serving), or the successor is overdue, or none can
	 * start (no room under the bound on leaving workers). */
	return (p->starting == 0 && policy_live(p) >= p->prefork) ||
	       now_ms >= retiring_since_ms + POLICY_HANDOVER_MAX_MS || policy_room(p) == 0;
}

unsigned policy_clamp_credits(const struct policy_pool *p)
{
	unsigned live = policy_live(p);
	unsigned want = policy_wanted(p);
	unsigned deficit = want > live ? want - live : 0;

	return p->replace_credits < deficit ? p->replace_credits : deficit;
}

bool policy_on_message(struct policy_worker *pw, enum protocol_msg msg, unsigned count,
		       unsigned *began)
{
	enum policy_worker_state from = pw->state;

	*began = 0;
	if (count == 0 || (count != 1 && msg != PROTOCOL_NEXT && msg != PROTOCOL_SPARE))
		return false;
	switch (msg) {
	case PROTOCOL_READY:
		if (from != POLICY_STARTING)
			return false;
		pw->state = POLICY_IDLE;
		return true;
	case PROTOCOL_BUSY:
	case PROTOCOL_NEXT:
	case PROTOCOL_SPARE:
		/* "busy" opens a request from idle, "next" and "spare" chain
		 * requests onto a busy spell; none may follow "retiring", and a
		 * repeated "busy" must not restart the max_busy clock. */
		if (pw->announced || from != (msg == PROTOCOL_BUSY ? POLICY_IDLE : POLICY_BUSY))
			return false;
		if (count > UINT_MAX - pw->requests)
			return false;
		pw->state = POLICY_BUSY;
		pw->requests += count;
		*began = count;
		return true;
	case PROTOCOL_IDLE:
		if (from != POLICY_BUSY)
			return false;
		pw->state = POLICY_IDLE;
		return true;
	case PROTOCOL_RETIRING:
		if (from == POLICY_STARTING || pw->announced)
			return false;
		pw->announced = true;
		return true;
	default:
		return false;
	}
}
