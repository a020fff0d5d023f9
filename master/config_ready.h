/* config_ready.h - load-time checks of how a service's workers say they
 * are ready (`-o ready=protocol|notify|exec`): a daemon that does not
 * speak the protocol reports no requests and no idle time, so the
 * settings that count them are refused on its master.cf line, and ignored
 * when they come from master.conf's defaults. */
#ifndef MASTER_CONFIG_READY_H
#define MASTER_CONFIG_READY_H

#include "config.h"
#include "diag.h"
#include "mastercf.h"

/* Resolves sc->ready from sc->set.ready and checks the settings that
 * depend on it against e's -o lines (errors "FILE:LINE: ..." in errs).
 * For notify and exec, max_use and max_idle become 0 (not counted). */
void config_ready_check(struct service_config *sc, const struct mastercf_entry *e,
			struct diag *errs);

#endif
