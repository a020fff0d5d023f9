/* config_where.c - owns naming where a setting of a service was written
 * (see config_where.h). Nothing is fatal here: no allocation. */
#include "config_where.h"

#include <stdio.h>
#include <string.h>

const char *config_where(const struct service_config *sc, const struct master_settings *m,
			 const char *setting, char *buf, size_t size)
{
	struct settings_origin o = { SETTINGS_FROM_DEFAULT, 0 };
	const char *file = sc->file != NULL ? sc->file : "master.cf";
	const char *slash = strrchr(file, '/');
	int dirlen = slash != NULL ? (int)(slash - file) : 0;

	if (strcmp(setting, "user") == 0 && sc->set.user[0] == '\0')
		settings_origin_of(m, NULL, "default_user", &o);
	else
		settings_origin_of(m, &sc->set, setting, &o);
	switch (o.from) {
	case SETTINGS_FROM_CONF:
		if (slash != NULL)
			snprintf(buf, size, "%.*s/master.conf:%u", dirlen, file, o.line);
		else
			snprintf(buf, size, "master.conf:%u", o.line);
		break;
	case SETTINGS_FROM_CMDLINE:
		snprintf(buf, size, "command line (-o %s)", setting);
		break;
	case SETTINGS_FROM_CF:
		snprintf(buf, size, "%s:%u", file, o.line != 0 ? o.line : sc->line);
		break;
	default:
		snprintf(buf, size, "%s:%u", file, sc->line);
	}
	return buf;
}

const char *config_where_master(const struct master_settings *m, const char *conf,
				const char *setting, char *buf, size_t size)
{
	struct settings_origin o = { SETTINGS_FROM_DEFAULT, 0 };

	settings_origin_of(m, NULL, setting, &o);
	if (o.from == SETTINGS_FROM_CONF)
		snprintf(buf, size, "%s:%u", conf, o.line);
	else if (o.from == SETTINGS_FROM_CMDLINE)
		snprintf(buf, size, "command line (-o %s)", setting);
	else
		snprintf(buf, size, "%s", conf);
	return buf;
}
