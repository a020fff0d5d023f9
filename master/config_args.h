/* config_args.h - load-time checks of the arguments of the shipped workers
 * whose arguments name something that must exist at start: spawn(8)'s
 * argv=/absolute/command. A mistake there would pass the load and then
 * make every worker exit at once (a crash loop the throttle slows down):
 * it is an error of the load instead, so `masterctl check` catches it. */
#ifndef MASTER_CONFIG_ARGS_H
#define MASTER_CONFIG_ARGS_H

#include "config.h"
#include "diag.h"

/* The command column's file name: "spawn" (whatever directory). */
#define CONFIG_ARGS_SPAWN "spawn"
#define CONFIG_ARGS_SPAWN_TOKEN "argv="

/* Checks sc's worker arguments if its command is one of those. */
void config_args_check(const struct service_config *sc, const struct master_settings *m,
		       const char *where, struct diag *errs);

#endif
