/* test_policy.c - the pool decisions and the protocol state machine, with
 * a fake clock and no processes. */
#include <limits.h>
#include <check.h>
#include <stdlib.h>

#include "policy.h"
#include "unit.h"

static struct policy_pool pool(unsigned prefork, unsigned maxproc, unsigned starting,
			       unsigned idle, unsigned busy, unsigned retiring,
			       unsigned credits, bool demand)
{
	struct policy_pool p = { .prefork = prefork, .maxproc = maxproc, .starting = starting,
				 .idle = idle, .busy = busy, .retiring = retiring,
				 .replace_credits = credits, .demand = demand };
	return p; /* leaving_max 0: no bound (test_leaving_bound has one) */
}

START_TEST(test_initial_pool_is_exempt)
{
	struct policy_pool p = pool(4, 10, 0, 0, 0, 0, 4, false);
	struct policy_spawn s = policy_spawn(&p);

	ck_assert_uint_eq(s.exempt, 4);
	ck_assert_uint_eq(s.limited, 0);
}
END_TEST

START_TEST(test_crash_replacement_is_limited)
{
	/* One of four died without retiring: no credit, through the limiter. */
	struct policy_pool p = pool(4, 10, 0, 3, 0, 0, 0, false);
	struct policy_spawn s = policy_spawn(&p);

	ck_assert_uint_eq(s.exempt, 0);
	ck_assert_uint_eq(s.limited, 1);
}
END_TEST

START_TEST(test_retiring_is_replaced_first)
{
	/* make-before-break: a retiring worker is not capacity, its
	 * successor starts while it still runs, even at maxproc. */
	struct policy_pool p = pool(4, 4, 0, 2, 1, 1, 1, false);
	struct policy_spawn s = policy_spawn(&p);

	ck_assert_uint_eq(s.exempt, 1);
	ck_assert_uint_eq(s.limited, 0);
}
END_TEST

START_TEST(test_growth_on_demand_only)
{
	struct policy_pool busy_no_demand = pool(2, 10, 0, 0, 2, 0, 0, false);
	struct policy_pool busy_demand = pool(2, 10, 0, 0, 2, 0, 0, true);
	struct policy_pool idle_demand = pool(2, 10, 0, 1, 1, 0, 0, true);
	struct policy_pool starting_demand = pool(2, 10, 1, 0, 2, 0, 0, true);

	ck_assert_uint_eq(policy_spawn(&busy_no_demand).limited, 0);
	ck_assert_uint_eq(policy_spawn(&busy_demand).limited, 1);
	ck_assert_uint_eq(policy_spawn(&busy_demand).exempt, 0);
	ck_assert_uint_eq(policy_spawn(&idle_demand).limited, 0);
	ck_assert_uint_eq(policy_spawn(&starting_demand).limited, 0);
	ck_assert(policy_wants_demand(&busy_no_demand));
	ck_assert(!policy_wants_demand(&idle_demand));
	ck_assert(!policy_wants_demand(&starting_demand));
}
END_TEST

/* Slack (a worker said "busy" or "spare" just now: it waited for a
 * client) holds growth and the demand watch off: the waiting client is one
 * a lingering worker is about to take. */
START_TEST(test_slack_holds_growth)
{
	struct policy_pool busy_demand = pool(2, 10, 0, 0, 2, 0, 0, true);

	busy_demand.slack = true;
	ck_assert_uint_eq(policy_spawn(&busy_demand).limited, 0);
	ck_assert(!policy_wants_demand(&busy_demand));
	busy_demand.slack = false;
	ck_assert_uint_eq(policy_spawn(&busy_demand).limited, 1);
	ck_assert(policy_wants_demand(&busy_demand));
}
END_TEST

START_TEST(test_maxproc_caps_growth)
{
	struct policy_pool at_cap = pool(2, 3, 0, 0, 3, 0, 0, true);
	struct policy_pool unlimited = pool(2, 0, 0, 0, 500, 0, 0, true);

	ck_assert_uint_eq(policy_spawn(&at_cap).limited, 0);
	ck_assert(policy_at_maxproc(&at_cap));
	ck_assert_uint_eq(policy_spawn(&unlimited).limited, 1);
	ck_assert(!policy_at_maxproc(&unlimited));
}
END_TEST

START_TEST(test_credits_clamped_to_deficit)
{
	struct policy_pool p = pool(2, 10, 0, 2, 0, 0, 5, false);

	ck_assert_uint_eq(policy_spawn(&p).exempt, 0);
	ck_assert_uint_eq(policy_clamp_credits(&p), 0);
	p = pool(4, 10, 0, 2, 0, 0, 5, false);
	ck_assert_uint_eq(policy_clamp_credits(&p), 2);
}
END_TEST

START_TEST(test_handover)
{
	struct policy_pool successor_starting = pool(2, 4, 1, 1, 0, 1, 0, false);
	struct policy_pool successor_ready = pool(2, 4, 0, 2, 0, 1, 0, false);

	ck_assert(!policy_may_stop_retiring(&successor_starting, 1000, 1500));
	ck_assert(policy_may_stop_retiring(&successor_starting, 1000,
					   1000 + POLICY_HANDOVER_MAX_MS));
	ck_assert(policy_may_stop_retiring(&successor_ready, 1000, 1001));
	/* No successor could start (limiter, failed launch): capacity is not
	 * back, so the old worker keeps serving until the handover deadline. */
	struct policy_pool successor_missing = pool(2, 4, 0, 1, 0, 1, 0, false);
	ck_assert(!policy_may_stop_retiring(&successor_missing, 1000, 1001));
	ck_assert(policy_may_stop_retiring(&successor_missing, 1000,
					   1000 + POLICY_HANDOVER_MAX_MS));
}
END_TEST

/* Workers that say "retiring" and never go: with maxproc, no worker is
 * started past maxproc + leaving_max in all, not even a successor with a
 * credit; without maxproc, none while leaving_max are leaving. At the
 * bound an idle retiring worker may be stopped at once. */
START_TEST(test_leaving_bound)
{
	struct policy_pool p = pool(2, 4, 0, 0, 0, 7, 3, false);
	struct policy_spawn s;

	p.leaving_max = 4;
	s = policy_spawn(&p); /* 7 leaving of at most 4 + 4: room for 1 of the 2 */
	ck_assert_uint_eq(s.exempt + s.limited, 1);
	ck_assert(!policy_may_stop_retiring(&p, 0, 0));
	p.starting = 1;
	p.retiring = 7; /* 1 + 7 = maxproc + leaving_max */
	s = policy_spawn(&p);
	ck_assert_uint_eq(s.exempt + s.limited, 0);
	ck_assert(policy_may_stop_retiring(&p, 0, 0)); /* no room: break first */
	p.leaving_max = 0; /* no bound: the successor starts */
	ck_assert_uint_eq(policy_spawn(&p).exempt, 1);
	/* maxproc 0 ("no limit"): only the leaving ones count. */
	p = pool(2, 0, 0, 0, 0, 2, 2, false);
	p.leaving_max = 2;
	ck_assert_uint_eq(policy_spawn(&p).exempt + policy_spawn(&p).limited, 0);
	p.retiring = 1;
	ck_assert_uint_eq(policy_spawn(&p).exempt, 2);
}
END_TEST

START_TEST(test_protocol_state_machine)
{
	struct policy_worker pw = { POLICY_STARTING, false, 0 };
	unsigned began;

	/* Nothing before "ready". */
	ck_assert(!policy_on_message(&pw, PROTOCOL_BUSY, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_NEXT, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_RETIRING, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_IDLE, 1, &began));
	ck_assert(policy_on_message(&pw, PROTOCOL_READY, 1, &began));
	ck_assert_int_eq(pw.state, POLICY_IDLE);
	ck_assert(!began);
	/* Valid words in the wrong state. */
	ck_assert(!policy_on_message(&pw, PROTOCOL_READY, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_IDLE, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_NEXT, 1, &began));
	ck_assert(policy_on_message(&pw, PROTOCOL_BUSY, 1, &began));
	ck_assert(began);
	ck_assert_int_eq(pw.requests, 1);
	/* A repeated "busy" is a violation and counts nothing. */
	ck_assert(!policy_on_message(&pw, PROTOCOL_BUSY, 1, &began));
	ck_assert_int_eq(pw.requests, 1);
	ck_assert(policy_on_message(&pw, PROTOCOL_NEXT, 1, &began));
	ck_assert_uint_eq(began, 1);
	ck_assert_int_eq(pw.requests, 2);
	ck_assert_int_eq(pw.state, POLICY_BUSY);
	/* "next N": N requests began back to back; a count on any other
	 * word, or none at all, is a violation that counts nothing. */
	ck_assert(policy_on_message(&pw, PROTOCOL_NEXT, 5, &began));
	ck_assert_uint_eq(began, 5);
	ck_assert_int_eq(pw.requests, 7);
	ck_assert(policy_on_message(&pw, PROTOCOL_SPARE, 3, &began));
	ck_assert_uint_eq(began, 3);
	ck_assert_int_eq(pw.requests, 10);
	ck_assert(!policy_on_message(&pw, PROTOCOL_NEXT, 0, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_IDLE, 2, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_RETIRING, 2, &began));
	ck_assert_int_eq(pw.requests, 10);
	ck_assert_int_eq(pw.state, POLICY_BUSY);
	ck_assert(!policy_on_message(&pw, PROTOCOL_READY, 1, &began));
	/* "retiring": this request is the last; only "idle" may follow. */
	ck_assert(policy_on_message(&pw, PROTOCOL_RETIRING, 1, &began));
	ck_assert(pw.announced);
	ck_assert(!policy_on_message(&pw, PROTOCOL_RETIRING, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_NEXT, 1, &began));
	ck_assert(policy_on_message(&pw, PROTOCOL_IDLE, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_BUSY, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_SPARE, 1, &began));
	ck_assert_int_eq(pw.requests, 10);
	/* Never from a worker. */
	ck_assert(!policy_on_message(&pw, PROTOCOL_STOP, 1, &began));
	ck_assert(!policy_on_message(&pw, PROTOCOL_INVALID, 1, &began));
}
END_TEST

/* The flood rule: POLICY_FLOOD_WAKEUPS full wake-ups in a row, over at
 * least POLICY_FLOOD_MIN_MS; one that is not full starts over. */
/* A count that would wrap the request counter is refused: a worker must
 * not bring itself back under max_use by overflowing. */
START_TEST(test_next_count_cannot_wrap)
{
	struct policy_worker pw = { POLICY_BUSY, false, UINT_MAX - 3 };
	unsigned began;

	ck_assert(!policy_on_message(&pw, PROTOCOL_NEXT, 4, &began));
	ck_assert_uint_eq(pw.requests, UINT_MAX - 3);
	ck_assert_uint_eq(began, 0);
	ck_assert(policy_on_message(&pw, PROTOCOL_NEXT, 3, &began));
	ck_assert_uint_eq(pw.requests, UINT_MAX);
}
END_TEST

START_TEST(test_flood_rule)
{
	struct policy_flood fl = { 0, 0 };
	uint64_t t = 1000;

	for (unsigned i = 0; i + 1 < POLICY_FLOOD_WAKEUPS; i++)
		ck_assert(!policy_flood_note(&fl, true, t += 10));
	ck_assert(!policy_flood_note(&fl, false, t += 10)); /* drained: over */
	for (unsigned i = 0; i < POLICY_FLOOD_WAKEUPS; i++)
		ck_assert(!policy_flood_note(&fl, true, t)); /* too quick to judge */
	ck_assert(policy_flood_note(&fl, true, t + POLICY_FLOOD_MIN_MS));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("pool");

	tcase_add_test(tc, test_initial_pool_is_exempt);
	tcase_add_test(tc, test_crash_replacement_is_limited);
	tcase_add_test(tc, test_retiring_is_replaced_first);
	tcase_add_test(tc, test_growth_on_demand_only);
	tcase_add_test(tc, test_slack_holds_growth);
	tcase_add_test(tc, test_maxproc_caps_growth);
	tcase_add_test(tc, test_credits_clamped_to_deficit);
	tcase_add_test(tc, test_handover);
	tcase_add_test(tc, test_leaving_bound);
	tcase_add_test(tc, test_protocol_state_machine);
	tcase_add_test(tc, test_next_count_cannot_wrap);
	tcase_add_test(tc, test_flood_rule);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
