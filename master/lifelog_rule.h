/* lifelog_rule.h - how worker births and deaths reach the log (pure: the
 * caller passes the time; lifelog.c does the logging).
 *
 * Postfix logs "process ... pid N exit status S"; here every worker's
 * start and end is a line:
 *   service NAME: worker PID started
 *   service NAME: worker PID exited, status S, after R requests
 *   service NAME: worker PID killed by signal N, after R requests (WHY)
 * An abnormal end (killed by the master, a crash, a start failure) is a
 * warning, every one: the throttle and spawn_rate bound how often. A
 * normal start or end is info, but a service with max_use=1 starts and
 * ends thousands of workers a second, which would drown the log and make
 * journald suppress the whole unit (RateLimitBurst=10000 per 30 s): so
 * they go through a token bucket for the whole master, LIFELOG_LINES_PER_S
 * a second with a burst of LIFELOG_LINES_BURST (a pool's start-up). Past
 * it they are counted; logging resumes once LIFELOG_RESUME_LINES have
 * refilled, after "(N worker starts and M exits not logged in the last
 * T s; -v logs each)". A sustained churn thus logs about one summary and
 * LIFELOG_RESUME_LINES lines a second. The summary of the last run waits
 * for the next birth or death. With -v every one is logged. */
#ifndef MASTER_LIFELOG_RULE_H
#define MASTER_LIFELOG_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bucket.h"

#define LIFELOG_LINES_PER_S 10u
#define LIFELOG_LINES_BURST 100u
#define LIFELOG_RESUME_LINES 10u

struct lifelog_rule {
	struct bucket lines;
	bool started;
	bool suppressing;
	uint64_t quiet_starts;    /* not logged since the last summary */
	uint64_t quiet_exits;
	uint64_t quiet_since_ms;  /* the first of them */
};

/* A normal birth (exit false) or death (exit true) at now_ms: whether to
 * log it. When a summary is due, its text goes to summary (else "");
 * log it first. */
bool lifelog_rule_take(struct lifelog_rule *r, bool exit, uint64_t now_ms, char *summary,
		       size_t size);
/* The death line's text after "service NAME: worker PID " for wait(2)
 * status wstatus, requests served and the master's reason for killing it
 * (NULL or "": none). Returns its length (cut to size). */
size_t lifelog_rule_death(char *buf, size_t size, int wstatus, unsigned requests,
			  const char *why);

#endif
