/* policy.c - owns the pool decisions (see policy.h for the rules). */
#include "policy.h"


unsigned policy_live(const struct policy_pool *p)
{
	return p->starting + p->idle + p->busy;
}

static unsigned policy_cap(const struct policy_pool *p)
{
	return p->maxproc ? p->maxproc : UINT32_MAX;
}

static unsigned policy_wanted(const struct policy_pool *p)
{
	unsigned live = policy_live(p);
	unsigned want = p->prefork;

	/* Grow by one when clients wait and nobody can take them. */
	if (p->demand && p->idle + p->starting == 0 && live + 1 > want)
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

	s.exempt = deficit < p->replace_credits ? deficit : p->replace_credits;
	s.limited = deficit - s.exempt;
	return s;
}

bool policy_wants_demand(const struct policy_pool *p)
{
	return p->idle + p->starting == 0;
}

bool policy_at_maxproc(const struct policy_pool *p)
{
	return policy_live(p) >= policy_cap(p);
}

bool policy_may_stop_retiring(const struct policy_pool *p,
			      uint64_t retiring_since_ms, uint64_t now_ms)
{
	return p->starting == 0 || now_ms >= retiring_since_ms + POLICY_HANDOVER_MAX_MS;
}

unsigned policy_clamp_credits(const struct policy_pool *p)
{
	unsigned live = policy_live(p);
	unsigned want = policy_wanted(p);
	unsigned deficit = want > live ? want - live : 0;

	return p->replace_credits < deficit ? p->replace_credits : deficit;
}

bool policy_on_message(enum policy_worker_state *state, bool *retiring,
		       unsigned *requests, enum protocol_msg msg)
{
	switch (msg) {
	case PROTOCOL_READY:
		if (*state != POLICY_STARTING)
			return false;
		*state = POLICY_IDLE;
		return true;
	case PROTOCOL_BUSY:
		/* From busy: the previous request ended and the next began
		 * (a worker going straight on to a waiting client). */
		if (*state == POLICY_STARTING)
			return false;
		*state = POLICY_BUSY;
		(*requests)++;
		return true;
	case PROTOCOL_IDLE:
		if (*state != POLICY_BUSY)
			return false;
		*state = POLICY_IDLE;
		return true;
	case PROTOCOL_RETIRING:
		if (*state == POLICY_STARTING)
			return false;
		*retiring = true;
		return true;
	default:
		return false;
	}
}
