/* lifelog.c - owns logging worker births and deaths (see lifelog_rule.h
 * for the lines, their levels and the rate rule). Nothing here is fatal. */
#include "lifelog.h"

#include "lifelog_rule.h"
#include "log.h"
#include "service.h"
#include "worker.h"

#define LIFELOG_TEXT_BYTES 256

static struct lifelog_rule lifelog_state;

/* Whether a normal line may go now (always with -v); logs the summary of
 * those held back first. */
static bool lifelog_take(bool exit, uint64_t now_ms)
{
	char summary[LIFELOG_TEXT_BYTES];

	if (log_verbose())
		return true;
	bool ok = lifelog_rule_take(&lifelog_state, exit, now_ms, summary, sizeof(summary));
	if (summary[0] != '\0')
		log_info("%s", summary);
	return ok;
}

void lifelog_born(const struct worker *w, uint64_t now_ms)
{
	if (lifelog_take(false, now_ms))
		log_info("service %s: worker %ld started", w->svc->cfg->name, (long)w->pid);
}

void lifelog_died(const struct worker *w, int wstatus, bool abnormal, uint64_t now_ms)
{
	char text[LIFELOG_TEXT_BYTES];

	if (!abnormal && !lifelog_take(true, now_ms))
		return;
	lifelog_rule_death(text, sizeof(text), wstatus, w->proto.requests, w->kill_why);
	if (abnormal)
		log_warn("service %s: worker %ld %s", w->svc->cfg->name, (long)w->pid, text);
	else
		log_info("service %s: worker %ld %s", w->svc->cfg->name, (long)w->pid, text);
}
