/* smtpd_args.c - smtpd's arguments (smtpd_args.h).
 *
 * Owns their names, defaults and ranges. Every argument is NAME=VALUE;
 * an unknown name, a value out of range or a repeated name is an error
 * (the worker then exits at start and the master's log says why), never
 * ignored. Numbers are plain decimal digits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_args.h"

#define SMTPD_ARGS_MAX_SIZE_LIMIT (1ull << 40)  /* 1 TiB: a sanity bound */
#define SMTPD_ARGS_TIMEOUT_MAX_S 86400

bool smtpd_args_hostname_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SMTPD_HELO_MAX_BYTES)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static int smtpd_args_number(const char *value, unsigned long long min,
	unsigned long long max, unsigned long long *out)
{
	char *end;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	*out = strtoull(value, &end, 10);
	if (errno != 0 || *end != '\0' || *out < min || *out > max)
		return -1;
	return 0;
}

static int smtpd_args_bool(const char *value, bool *out)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "y") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(value, "no") == 0 || strcmp(value, "n") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

/* The numeric arguments: name, range, where the value goes. */
struct smtpd_args_num {
	const char *name;
	unsigned long long min, max;
	size_t offset;                  /* into struct smtpd_options */
	int kind;                       /* 0 size_t, 1 unsigned, 2 seconds -> ms */
};

static const struct smtpd_args_num smtpd_args_nums[] = {
	{ "max_size", 1, SMTPD_ARGS_MAX_SIZE_LIMIT,
	  offsetof(struct smtpd_options, limits.max_size_bytes), 0 },
	{ "max_recipients", 1, 100000,
	  offsetof(struct smtpd_options, limits.max_recipients), 1 },
	{ "max_commands", 1, 1000000000,
	  offsetof(struct smtpd_options, limits.max_commands), 1 },
	{ "max_errors", 1, 1000000,
	  offsetof(struct smtpd_options, limits.max_errors), 1 },
	{ "timeout", 1, SMTPD_ARGS_TIMEOUT_MAX_S,
	  offsetof(struct smtpd_options, timeout_ms), 2 },
};

static int smtpd_args_one(struct smtpd_options *o, const char *name, const char *value,
	char *why, size_t why_size)
{
	unsigned long long n;

	for (size_t i = 0; i < sizeof(smtpd_args_nums) / sizeof(smtpd_args_nums[0]); i++) {
		const struct smtpd_args_num *a = &smtpd_args_nums[i];
		char *field = (char *)o + a->offset;

		if (strcmp(name, a->name) != 0)
			continue;
		if (smtpd_args_number(value, a->min, a->max, &n) < 0) {
			snprintf(why, why_size, "%s=\"%s\": not a number in %llu..%llu",
				name, value, a->min, a->max);
			return -1;
		}
		if (a->kind == 0)
			*(size_t *)(void *)field = (size_t)n;
		else if (a->kind == 1)
			*(unsigned *)(void *)field = (unsigned)n;
		else
			*(int *)(void *)field = (int)n * 1000;
		return 0;
	}
	if (strcmp(name, "mode") == 0) {
		if (strcmp(value, "maildir") == 0)
			o->mode = SMTPD_MODE_MAILDIR;
		else if (strcmp(value, "sink") == 0)
			o->mode = SMTPD_MODE_SINK;
		else
			goto bad_value;
		return 0;
	}
	if (strcmp(name, "spool") == 0) {
		if (value[0] != '/')
			goto bad_value;
		o->spool = value;
		return 0;
	}
	if (strcmp(name, "hostname") == 0) {
		if (!smtpd_args_hostname_ok(value))
			goto bad_value;
		snprintf(o->hostname, sizeof(o->hostname), "%s", value);
		return 0;
	}
	if (strcmp(name, "sync") == 0 || strcmp(name, "verbose") == 0) {
		if (smtpd_args_bool(value, name[0] == 's' ? &o->sync : &o->verbose) < 0)
			goto bad_value;
		return 0;
	}
	snprintf(why, why_size, "unknown argument \"%s\" (see smtpd(8))", name);
	return -1;
bad_value:
	snprintf(why, why_size, "%s=\"%s\": invalid value (see smtpd(8))", name, value);
	return -1;
}

int smtpd_args_parse(int argc, char **argv, const char *state_directory,
	struct smtpd_options *o, char *why, size_t why_size)
{
	memset(o, 0, sizeof(*o));
	o->mode = SMTPD_MODE_MAILDIR;
	o->spool = state_directory != NULL && state_directory[0] == '/' ?
		state_directory : NULL;
	o->limits.max_size_bytes = SMTPD_DEFAULT_MAX_SIZE_BYTES;
	o->limits.max_recipients = SMTPD_DEFAULT_MAX_RECIPIENTS;
	o->limits.max_commands = SMTPD_DEFAULT_MAX_COMMANDS;
	o->limits.max_errors = SMTPD_DEFAULT_MAX_ERRORS;
	o->timeout_ms = SMTPD_DEFAULT_TIMEOUT_S * 1000;
	o->sync = true;
	for (int i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char name[32];
		size_t len = eq != NULL ? (size_t)(eq - argv[i]) : 0;

		if (eq == NULL || len == 0 || len >= sizeof(name)) {
			snprintf(why, why_size, "argument \"%s\": not NAME=VALUE", argv[i]);
			return -1;
		}
		memcpy(name, argv[i], len);
		name[len] = '\0';
		for (int j = 1; j < i; j++) {
			if (strncmp(argv[j], argv[i], len + 1) == 0) {
				snprintf(why, why_size, "argument %s given twice", name);
				return -1;
			}
		}
		if (smtpd_args_one(o, name, eq + 1, why, why_size) < 0)
			return -1;
	}
	if (o->mode == SMTPD_MODE_MAILDIR && o->spool == NULL) {
		snprintf(why, why_size, "mode=maildir needs spool=DIR (or a STATE_DIRECTORY)");
		return -1;
	}
	return 0;
}
