/* lifelog.h - worker births and deaths in the log, with lifelog_rule.h's
 * levels and rate rule. Called by the monitor (monitor.c) where a worker
 * is started and where its exit is accounted. */
#ifndef MASTER_LIFELOG_H
#define MASTER_LIFELOG_H

#include <stdbool.h>
#include <stdint.h>

struct worker;

void lifelog_born(const struct worker *w, uint64_t now_ms);
/* abnormal: killed by the master, crashed, or a start failure (warning,
 * never rate-limited); otherwise a normal end (info, rate-limited). */
void lifelog_died(const struct worker *w, int wstatus, bool abnormal, uint64_t now_ms);

#endif
