/* settings_show.c - owns showing settings as text (`masterctl config`):
 * each value in a form the checker reads back (durations in seconds with
 * "s", sizes in bytes, umask in octal), and each origin.
 *
 * Nothing is fatal here: no allocation; text is cut at the buffer's size. */
#include "settings.h"
#include "settings_schema.h"

#include <stdio.h>
#include <string.h>

size_t settings_show_count(void)
{
	return settings_count;
}

const char *settings_show_name(size_t i, bool *per_service)
{
	*per_service = settings_table[i].per_service;
	return settings_table[i].name;
}

static void settings_show_rlimit(unsigned long long v, const char *unit, char *buf, size_t size)
{
	if (v == SETTINGS_RLIMIT_INHERIT)
		snprintf(buf, size, "%s", "");
	else if (v == SETTINGS_RLIMIT_UNLIMITED)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%llu%s", v, unit);
}

void settings_show_value(size_t i, const struct master_settings *m,
			 const struct service_settings *s, char *buf, size_t size)
{
	const struct settings_row *row = &settings_table[i];
	const void *f = settings_field(row, (struct master_settings *)m,
				       (struct service_settings *)s); /* read only */

	switch (row->type) {
	case SETTINGS_UINT:
		snprintf(buf, size, "%u", *(const unsigned *)f);
		break;
	case SETTINGS_DURATION:
		snprintf(buf, size, "%us", *(const unsigned *)f);
		break;
	case SETTINGS_PERCENT:
		snprintf(buf, size, "%u%%", *(const unsigned *)f);
		break;
	case SETTINGS_OCTAL:
		snprintf(buf, size, "%03o", *(const unsigned *)f);
		break;
	case SETTINGS_SIZE:
		snprintf(buf, size, "%llu", *(const unsigned long long *)f);
		break;
	case SETTINGS_RLIMIT:
	case SETTINGS_RLIMIT_BYTES:
		settings_show_rlimit(*(const unsigned long long *)f, "", buf, size);
		break;
	case SETTINGS_RLIMIT_SECONDS:
		settings_show_rlimit(*(const unsigned long long *)f, "s", buf, size);
		break;
	case SETTINGS_BOOL:
		snprintf(buf, size, "%s", *(const bool *)f ? "yes" : "no");
		break;
	case SETTINGS_ENVLIST: {
		char *const *env = *(char *const *const *)f;
		size_t len = 0;
		buf[0] = '\0';
		for (size_t k = 0; env != NULL && env[k] != NULL && len < size; k++) {
			int n = snprintf(buf + len, size - len, "%s%s", k > 0 ? " " : "", env[k]);
			len += n > 0 ? (size_t)n : 0;
		}
		break;
	}
	default: {
		const char *str = *(char *const *)f;
		snprintf(buf, size, "%s", str != NULL ? str : "");
	}
	}
}

void settings_show_origin(struct settings_origin o, const char *conf, const char *cf,
			  char *buf, size_t size)
{
	switch (o.from) {
	case SETTINGS_FROM_CONF:
		snprintf(buf, size, "%s:%u", conf, o.line);
		break;
	case SETTINGS_FROM_CF:
		snprintf(buf, size, "%s:%u", cf, o.line);
		break;
	case SETTINGS_FROM_CMDLINE:
		snprintf(buf, size, "command line");
		break;
	default:
		snprintf(buf, size, "default");
	}
}
