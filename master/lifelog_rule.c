/* lifelog_rule.c - owns the rate rule and the text of worker birth and
 * death lines (see lifelog_rule.h). Pure: no system call, nothing fatal. */
#include "lifelog_rule.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/wait.h>

#define LIFELOG_MS_PER_S 1000u

bool lifelog_rule_take(struct lifelog_rule *r, bool exit, uint64_t now_ms, char *summary,
		       size_t size)
{
	if (size > 0)
		summary[0] = '\0';
	if (!r->started) {
		bucket_init(&r->lines, LIFELOG_LINES_PER_S, LIFELOG_LINES_BURST, now_ms);
		r->started = true;
	}
	if (r->suppressing && bucket_level(&r->lines, now_ms) >= LIFELOG_RESUME_LINES) {
		uint64_t s = (now_ms - r->quiet_since_ms + LIFELOG_MS_PER_S / 2) / LIFELOG_MS_PER_S;
		if (size > 0)
			snprintf(summary, size, "(%" PRIu64 " worker start%s and %" PRIu64
				 " exit%s not logged in the last %" PRIu64 "s; -v logs each)",
				 r->quiet_starts, r->quiet_starts == 1 ? "" : "s", r->quiet_exits,
				 r->quiet_exits == 1 ? "" : "s", s);
		r->suppressing = false;
		r->quiet_starts = r->quiet_exits = 0;
	}
	if (!r->suppressing && bucket_take(&r->lines, 1, now_ms))
		return true;
	if (!r->suppressing) {
		r->suppressing = true;
		r->quiet_since_ms = now_ms;
	}
	if (exit)
		r->quiet_exits++;
	else
		r->quiet_starts++;
	return false;
}

size_t lifelog_rule_death(char *buf, size_t size, int wstatus, unsigned requests,
			  const char *why)
{
	int n;

	if (size == 0)
		return 0;
	if (WIFSIGNALED(wstatus))
		n = snprintf(buf, size, "killed by signal %d", WTERMSIG(wstatus));
	else
		n = snprintf(buf, size, "exited, status %d", WEXITSTATUS(wstatus));
	if (n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, ", after %u request%s", requests,
			      requests == 1 ? "" : "s");
	if (n >= 0 && (size_t)n < size && why != NULL && why[0] != '\0')
		n += snprintf(buf + n, size - (size_t)n, " (%s)", why);
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n >= size ? size - 1 : (size_t)n;
}
