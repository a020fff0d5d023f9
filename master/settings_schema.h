/* settings_schema.h - the schema's internals, shared by settings.c (table,
 * checker, storage) and settings_conf.c (master.conf through libconfuse).
 * Nothing else includes it: the rest of the master sees settings.h. */
#ifndef MASTER_SETTINGS_SCHEMA_H
#define MASTER_SETTINGS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

#define SETTINGS_ERR_SIZE 512

enum settings_type {
	SETTINGS_STRING,   /* any text, "" allowed */
	SETTINGS_NAME,     /* non-empty text */
	SETTINGS_PATH,     /* non-empty path; relative ones resolved by config.c */
	SETTINGS_ABSPATH,  /* absolute path */
	SETTINGS_UINT,     /* decimal unsigned integer in min..max */
	SETTINGS_DURATION, /* seconds, or N with suffix s/m/h/d, in min..max */
	SETTINGS_PERCENT,  /* N or N%, in min..max */
	SETTINGS_OCTAL,    /* octal digits (umask), in min..max */
	SETTINGS_SIZE,     /* bytes, or N with suffix K/M/G/T (powers of 1024) */
	SETTINGS_RLIMIT,   /* "" (inherit), "unlimited", or a count */
	SETTINGS_RLIMIT_BYTES,   /* the same, with a size (K/M/G/T) */
	SETTINGS_RLIMIT_SECONDS, /* the same, with a duration (s/m/h/d) */
	SETTINGS_BOOL,     /* yes/no, true/false, y/n, on/off, 1/0 */
	SETTINGS_ENVLIST,  /* NAME or NAME=VALUE items, space or comma separated */
};

struct settings_row {
	const char *name;
	enum settings_type type;
	bool per_service; /* SERVICE scope: stored in struct service_settings */
	size_t offset;
	unsigned long long min, max;
	const char *def;  /* parsed by the checker like any other value */
	const char *words; /* NAME rows: the values allowed, blank-separated
			    * ("service worker"); NULL = any */
};

union settings_value {
	char *str;
	unsigned num;           /* UINT, DURATION, PERCENT, OCTAL */
	unsigned long long big; /* SIZE, RLIMIT* */
	bool flag;              /* BOOL */
	char **env;
};

extern const struct settings_row settings_table[];
extern const size_t settings_count;

const struct settings_row *settings_find(const char *name, size_t len);
void *settings_field(const struct settings_row *row, struct master_settings *m,
		     struct service_settings *s);
/* settings_parse() when the value is fine but memory ran out ("out of
 * memory" in err); a bad value is -1. */
#define SETTINGS_PARSE_OOM (-2)

/* The checker. err gets 'NAME "VALUE": why'. Returns 0, -1 or
 * SETTINGS_PARSE_OOM. */
int settings_parse(const struct settings_row *row, const char *v,
		   union settings_value *out, char *err, size_t errsize);
void settings_value_free(const struct settings_row *row, union settings_value *val);
/* Moves val into the field, freeing what the field held. */
void settings_store(const struct settings_row *row, void *field, union settings_value *val);
/* The environment-list type (settings_env.c). */
int settings_env_parse(const struct settings_row *row, const char *v,
		       char ***out, char *err, size_t errsize);
char **settings_env_dup(char *const *env);
void settings_env_free(char **env);
/* Values stored as unsigned long long (sizes and rlimits). */
bool settings_is_big(const struct settings_row *row);

#endif
