/* settings_origin.c - owns applying one `-o name=value` through the schema
 * and recording where each setting's value came from (settings.h: struct
 * settings_origin): the default, a master.conf line, a master.cf line or
 * the command line.
 *
 * Out of memory: never fatal; the override fails with "out of memory" in
 * errs, like a bad value. */
#include "settings.h"
#include "settings_schema.h"

#include <string.h>

int settings_override_from(struct master_settings *m, struct service_settings *s,
			   const char *name_value, bool scope_service, const char *where,
			   struct settings_origin from, struct diag *errs)
{
	const char *eq = strchr(name_value, '=');
	if (eq == NULL || eq == name_value) {
		diag_add(errs, "%s: \"%s\": expected name=value", where, name_value);
		return -1;
	}
	size_t len = (size_t)(eq - name_value);
	const struct settings_row *row = settings_find(name_value, len);
	if (row == NULL) {
		diag_add(errs, "%s: unknown setting \"%.*s\"", where, (int)len, name_value);
		return -1;
	}
	/* m may be NULL for master.cf lines: only per-service rows reach it. */
	if (!row->per_service && (scope_service || m == NULL)) {
		diag_add(errs, "%s: \"%s\" is a master.conf setting and cannot be set per service",
			 where, row->name);
		return -1;
	}
	union settings_value val;
	char err[SETTINGS_ERR_SIZE];
	if (settings_parse(row, eq + 1, &val, err, sizeof(err)) != 0) {
		diag_add(errs, "%s: %s", where, err);
		return -1;
	}
	settings_store(row, settings_field(row, m, s), &val);
	size_t i = (size_t)(row - settings_table);
	if (row->per_service)
		s->origin[i] = from;
	else
		m->origin[i] = from;
	return 0;
}

int settings_override(struct master_settings *m, struct service_settings *s,
		      const char *name_value, bool scope_service,
		      const char *where, struct diag *errs)
{
	struct settings_origin from = {
		scope_service ? SETTINGS_FROM_CF : SETTINGS_FROM_CMDLINE, 0
	};

	return settings_override_from(m, s, name_value, scope_service, where, from, errs);
}

bool settings_origin_of(const struct master_settings *m, const struct service_settings *s,
			const char *name, struct settings_origin *out)
{
	const struct settings_row *row = settings_find(name, strlen(name));

	if (row == NULL || (row->per_service ? s == NULL : m == NULL))
		return false;
	*out = row->per_service ? s->origin[row - settings_table] : m->origin[row - settings_table];
	return true;
}
