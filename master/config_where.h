/* config_where.h - where a problem with one setting of a service is
 * reported: the line that set the value (settings.h: struct
 * settings_origin), so that a bad master.conf value every service inherits
 * is reported once, against master.conf, not once per master.cf line. */
#ifndef MASTER_CONFIG_WHERE_H
#define MASTER_CONFIG_WHERE_H

#include <stddef.h>

#include "config.h"

#define CONFIG_WHERE_BYTES 4096

/* Writes into buf: "DIR/master.conf:LINE" (set there), "command line"
 * (master -o), "DIR/master.cf:LINE" (the -o's line), or the service's own
 * "FILE:LINE" (a default). A per-service user left empty is reported
 * where default_user was set. Returns buf. */
const char *config_where(const struct service_config *sc, const struct master_settings *m,
			 const char *setting, char *buf, size_t size);

/* The same for a daemon-wide setting: "CONF:LINE" (set there), "command
 * line (-o SETTING)", or "CONF" (its default, which only a setting written
 * there can change). conf: the master.conf path. Returns buf. */
const char *config_where_master(const struct master_settings *m, const char *conf,
				const char *setting, char *buf, size_t size);

#endif
