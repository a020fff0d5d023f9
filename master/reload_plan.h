/* reload_plan.h - applying a loaded configuration (reload.c's second half,
 * on the loop thread): the plan, the all-or-nothing switch, the handover
 * of changed services, the report. */
#ifndef MASTER_RELOAD_PLAN_H
#define MASTER_RELOAD_PLAN_H

#include <stdint.h>

struct config;
struct master;
struct outbuf;

/* Applies nc (taken over: it becomes m->cfg, or is freed) to the running
 * services; the reply and the log say what changed, or why nothing did.
 * Returns 0 or -1. */
int reload_plan_apply(struct master *m, struct config *nc, struct outbuf *reply);
/* Ends handovers that are due and frees drained services (dropping their
 * generation's reference). Returns the next handover deadline. */
uint64_t reload_plan_tick(struct master *m, uint64_t now_ms);

#endif
