/* config_ids.h - user and group names to ids, at load (config_ids.c). */
#ifndef MASTER_CONFIG_IDS_H
#define MASTER_CONFIG_IDS_H

#include "config.h"
#include "diag.h"

/* The worker's uid, gid and supplementary groups of sc (unpriv=y), its
 * -o group= for unpriv=n too; user=dynamic is left to config_dynuser.c.
 * Errors go to errs as "WHERE: unknown user \"NAME\"" and the like. */
void config_ids_service(struct service_config *sc, const struct master_settings *m,
			const char *where, struct diag *errs);
/* admin_group's and status_group's gids into cfg->admin and cfg->status,
 * or the lookups' errno, for control.c to report. */
void config_ids_control(struct config *cfg);

#endif
