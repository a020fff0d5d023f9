/* settings.c - owns the option schema: one table row per setting, the one
 * value checker behind master.conf and `-o name=value`, and the storage of
 * checked values in struct master_settings / struct service_settings.
 * Reading master.conf through libconfuse is settings_conf.c.
 *
 * Out of memory: never fatal; the checker returns SETTINGS_PARSE_OOM
 * ("out of memory" in err), and every caller turns that into an error of
 * the load. */
#include "settings.h"
#include "settings_schema.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build_config.h"

#define SETTINGS_YEAR_S (365u * 86400u)

#define SETTINGS_M(name, type, def) \
	{ #name, type, false, offsetof(struct master_settings, name), 0, 0, def, NULL }
#define SETTINGS_S(name, field, type, min, max, def) \
	{ #name, type, true, offsetof(struct service_settings, field), min, max, def, NULL }
/* A daemon-wide number with a range. */
#define SETTINGS_MR(name, type, min, max, def) \
	{ #name, type, false, offsetof(struct master_settings, name), min, max, def, NULL }
/* A per-service word out of a fixed list. */
#define SETTINGS_SW(name, field, words, def) \
	{ #name, SETTINGS_NAME, true, offsetof(struct service_settings, field), 0, 0, def, words }

const struct settings_row settings_table[] = {
	SETTINGS_M(run_directory, SETTINGS_ABSPATH, "/run/master"),
	SETTINGS_M(daemon_directory, SETTINGS_ABSPATH, MASTER_DEFAULT_DAEMON_DIR),
	SETTINGS_M(pid_file, SETTINGS_PATH, "master.pid"),
	SETTINGS_M(control_socket, SETTINGS_PATH, "master.ctl"),
	SETTINGS_M(default_user, SETTINGS_NAME, "nobody"),
	SETTINGS_S(user, user, SETTINGS_STRING, 0, 0, ""),
	SETTINGS_S(import_environment, import_environment, SETTINGS_ENVLIST, 0, 0, "TZ"),
	SETTINGS_S(prefork, prefork, SETTINGS_UINT, 0, 100000, "1"),
	SETTINGS_S(maxproc, maxproc, SETTINGS_UINT, 0, 100000, "100"),
	SETTINGS_S(listen_backlog, listen_backlog, SETTINGS_UINT, 1, 65535, "128"),
	/* IP_FREEBIND at bind (listener.c): an address that comes up later */
	SETTINGS_S(freebind, freebind, SETTINGS_BOOL, 0, 0, "no"),
	SETTINGS_S(max_use, max_use, SETTINGS_UINT, 0, 1000000000, "100"),
	SETTINGS_S(max_idle, max_idle_s, SETTINGS_DURATION, 0, SETTINGS_YEAR_S, "100s"),
	SETTINGS_S(spawn_rate, spawn_rate, SETTINGS_UINT, 1, 100000, "64"),
	SETTINGS_S(stop_timeout, stop_timeout_s, SETTINGS_DURATION, 0, 3600, "10s"),
	/* lifecycle */
	SETTINGS_S(max_lifetime, max_lifetime_s, SETTINGS_DURATION, 0, SETTINGS_YEAR_S, "1h"),
	SETTINGS_S(retire_grace, retire_grace_s, SETTINGS_DURATION, 0, 86400, "60s"),
	SETTINGS_S(max_busy, max_busy_s, SETTINGS_DURATION, 0, SETTINGS_YEAR_S, "1h"),
	SETTINGS_S(kill_grace, kill_grace_s, SETTINGS_DURATION, 0, 3600, "5s"),
	SETTINGS_S(startup_timeout, startup_timeout_s, SETTINGS_DURATION, 1, 3600, "10s"),
	SETTINGS_S(rss_max, rss_max_bytes, SETTINGS_SIZE, 0, 1ULL << 50, "0"),
	SETTINGS_S(lifetime_jitter, lifetime_jitter_pct, SETTINGS_PERCENT, 0, 50, "10%"),
	SETTINGS_S(max_retiring, max_retiring, SETTINGS_UINT, 0, 100000, "2"),
	SETTINGS_S(max_leaving, max_leaving, SETTINGS_UINT, 0, 100000, "0"),
	SETTINGS_S(throttle_min, throttle_min_s, SETTINGS_DURATION, 1, 3600, "1s"),
	SETTINGS_S(throttle_max, throttle_max_s, SETTINGS_DURATION, 1, 86400, "60s"),
	/* workers that do not speak the protocol (config_ready.c, foreign.h) */
	SETTINGS_SW(ready, ready, "protocol notify exec", "protocol"),
	SETTINGS_S(watchdog_timeout, watchdog_timeout_s, SETTINGS_DURATION, 0, 86400, "0"),
	SETTINGS_SW(stop_signal, stop_signal, "TERM INT QUIT HUP USR1 USR2 WINCH", "TERM"),
	/* stderr: a pipe per worker, or one socket per service (relay_shared.h) */
	SETTINGS_SW(worker_stderr, worker_stderr, "own shared", "own"),
	/* isolation */
	/* Relative: in run_directory, made by the master (config.c, isolation.c). */
	SETTINGS_M(chroot_directory, SETTINGS_PATH, "empty"),
	/* "auto" or an absolute path (config_isolation_check_master); the
	 * base rule is in contain_path.h. */
	SETTINGS_M(cgroup_parent, SETTINGS_NAME, "auto"),
	/* auto, cgroup or subreaper (contain.h) */
	SETTINGS_M(containment, SETTINGS_NAME, "auto"),
	SETTINGS_M(admin_group, SETTINGS_STRING, ""),
	SETTINGS_M(status_group, SETTINGS_STRING, ""),
	/* reload.c: a configuration still loading after this is refused */
	{ "reload_timeout", SETTINGS_DURATION, false, offsetof(struct master_settings,
	  reload_timeout_s), 1, 3600, "30s", NULL },
	/* resolve.c: the host names in master.cf, all of one load together */
	{ "resolve_timeout", SETTINGS_DURATION, false, offsetof(struct master_settings,
	  resolve_timeout_s), 1, 3600, "10s", NULL },
	SETTINGS_S(group, group, SETTINGS_STRING, 0, 0, ""),
	SETTINGS_S(chroot, chroot, SETTINGS_STRING, 0, 0, ""),
	SETTINGS_S(umask, umask, SETTINGS_OCTAL, 0, 0777, "077"),
	SETTINGS_S(capabilities, capabilities, SETTINGS_STRING, 0, 0, ""),
	SETTINGS_S(rlimit_nofile, rlimit_nofile, SETTINGS_RLIMIT, 0, 1ULL << 30, ""),
	SETTINGS_S(rlimit_nproc, rlimit_nproc, SETTINGS_RLIMIT, 0, 1ULL << 30, ""),
	SETTINGS_S(rlimit_as, rlimit_as, SETTINGS_RLIMIT_BYTES, 0, 1ULL << 50, ""),
	SETTINGS_S(rlimit_core, rlimit_core, SETTINGS_RLIMIT_BYTES, 0, 1ULL << 50, ""),
	SETTINGS_S(rlimit_cpu, rlimit_cpu, SETTINGS_RLIMIT_SECONDS, 0, 1ULL << 40, ""),
	SETTINGS_S(memory_max, memory_max_bytes, SETTINGS_SIZE, 0, 1ULL << 50, "0"),
	SETTINGS_S(pids_max, pids_max, SETTINGS_UINT, 0, 4194304, "0"),
	SETTINGS_S(cpu_weight, cpu_weight, SETTINGS_UINT, 0, 10000, "0"),
	SETTINGS_S(private_network, private_network, SETTINGS_BOOL, 0, 0, "no"),
	SETTINGS_S(private_tmp, private_tmp, SETTINGS_BOOL, 0, 0, "no"),
	SETTINGS_S(user_namespaces, user_namespaces, SETTINGS_BOOL, 0, 0, "no"),
	SETTINGS_S(private_tmp_size, private_tmp_size_bytes, SETTINGS_SIZE, 4096, 1ULL << 40, "64M"),
	/* dynamic users: systemd's DynamicUser= range by default */
	SETTINGS_MR(dynamic_uid_min, SETTINGS_UINT, 1, 4294967294u, "61184"),
	SETTINGS_MR(dynamic_uid_max, SETTINGS_UINT, 1, 4294967294u, "65519"),
	SETTINGS_SW(dynamic_user, dynamic_user, "service worker", "service"),
	SETTINGS_S(state_directory, state_directory, SETTINGS_STRING, 0, 0, "/var/lib/master/%n"),
};
const size_t settings_count = sizeof(settings_table) / sizeof(settings_table[0]);
_Static_assert(sizeof(settings_table) / sizeof(settings_table[0]) <= SETTINGS_ROWS_MAX,
	       "SETTINGS_ROWS_MAX (settings.h) is smaller than the table");

const struct settings_row *settings_find(const char *name, size_t len)
{
	for (size_t i = 0; i < settings_count; i++)
		if (strlen(settings_table[i].name) == len &&
		    memcmp(settings_table[i].name, name, len) == 0)
			return &settings_table[i];
	return NULL;
}

void *settings_field(const struct settings_row *row,
			    struct master_settings *m, struct service_settings *s)
{
	return (char *)(row->per_service ? (void *)s : (void *)m) + row->offset;
}

/* Parses a decimal number with an optional unit (durations only).
 * Returns NULL or why not. Signs and spaces, which strtoull would quietly
 * accept ("-1" wraps to a huge number), are rejected first. */
static const char *settings_number(const struct settings_row *row, const char *v,
				   unsigned long long *out)
{
	static const struct { char unit; unsigned long long s; } time_units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	}, size_units[] = {
		{ 'K', 1ULL << 10 }, { 'M', 1ULL << 20 }, { 'G', 1ULL << 30 }, { 'T', 1ULL << 40 },
	};
	char *end;

	if (*v == '-' && isdigit((unsigned char)v[1]))
		return "negative numbers are not allowed";
	if (!isdigit((unsigned char)*v))
		return "not a number";
	errno = 0;
	*out = strtoull(v, &end, row->type == SETTINGS_OCTAL ? 8 : 10);
	if (errno == ERANGE)
		return "out of range";
	if (*end == '\0')
		return NULL;
	if (row->type == SETTINGS_PERCENT)
		return strcmp(end, "%") == 0 ? NULL : "not a percentage";
	bool time = row->type == SETTINGS_DURATION || row->type == SETTINGS_RLIMIT_SECONDS;
	bool size = row->type == SETTINGS_SIZE || row->type == SETTINGS_RLIMIT_BYTES;
	const size_t nunits = time ? 4 : size ? 4 : 0;
	for (size_t i = 0; i < nunits; i++) {
		unsigned long long mult = time ? time_units[i].s : size_units[i].s;
		char unit = time ? time_units[i].unit : size_units[i].unit;
		if (end[0] == unit && end[1] == '\0') {
			if (*out > ULLONG_MAX / mult)
				return "out of range";
			*out *= mult;
			return NULL;
		}
	}
	if (time)
		return "unknown unit (use s, m, h or d)";
	if (size)
		return "unknown unit (use K, M, G or T)";
	return row->type == SETTINGS_OCTAL ? "not an octal number" : "not a number";
}

static int settings_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "y", "on", "1" };
	static const char *const no[] = { "no", "false", "n", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* Whether v is one of the blank-separated words. */
static bool settings_is_word(const char *words, const char *v)
{
	size_t vl = strlen(v);

	for (const char *p = words; *p != '\0'; p += strspn(p, " ")) {
		size_t len = strcspn(p, " ");
		if (len == vl && memcmp(p, v, len) == 0)
			return true;
		p += len;
	}
	return false;
}

/* The checker: every value from master.conf, -o and the built-in defaults
 * goes through here. err gets 'NAME "VALUE": why'. */
int settings_parse(const struct settings_row *row, const char *v,
			  union settings_value *out, char *err, size_t errsize)
{
	const char *why = NULL;
	unsigned long long n = 0;

	switch (row->type) {
	case SETTINGS_ENVLIST:
		return settings_env_parse(row, v, &out->env, err, errsize);
	case SETTINGS_BOOL:
		if (settings_bool(v, &out->flag) == 0)
			return 0;
		snprintf(err, errsize, "%s \"%s\": not a boolean (yes or no)", row->name, v);
		return -1;
	case SETTINGS_RLIMIT:
	case SETTINGS_RLIMIT_BYTES:
	case SETTINGS_RLIMIT_SECONDS:
		if (v[0] == '\0' || strcmp(v, "unlimited") == 0 || strcmp(v, "infinity") == 0) {
			out->big = v[0] == '\0' ? SETTINGS_RLIMIT_INHERIT : SETTINGS_RLIMIT_UNLIMITED;
			return 0;
		}
		/* fall through */
	case SETTINGS_UINT:
	case SETTINGS_DURATION:
	case SETTINGS_PERCENT:
	case SETTINGS_OCTAL:
	case SETTINGS_SIZE:
		why = settings_number(row, v, &n);
		if (why == NULL && (n < row->min || n > row->max))
			why = "out of range";
		if (why != NULL) {
			snprintf(err, errsize, row->type == SETTINGS_OCTAL ? "%s \"%s\": %s (%llo..%llo)"
				 : "%s \"%s\": %s (%llu..%llu%s)", row->name, v, why, row->min, row->max,
				 row->type == SETTINGS_DURATION ||
				 row->type == SETTINGS_RLIMIT_SECONDS ? " seconds" :
				 row->type == SETTINGS_SIZE ||
				 row->type == SETTINGS_RLIMIT_BYTES ? " bytes" : "");
			return -1;
		}
		if (settings_is_big(row))
			out->big = n;
		else
			out->num = (unsigned)n;
		return 0;
	case SETTINGS_ABSPATH:
		if (v[0] != '/')
			why = "must be an absolute path";
		break;
	case SETTINGS_NAME:
	case SETTINGS_PATH:
		if (v[0] == '\0')
			why = "must not be empty";
		else if (row->words != NULL && !settings_is_word(row->words, v)) {
			snprintf(err, errsize, "%s \"%s\": expected one of: %s", row->name, v,
				 row->words);
			return -1;
		}
		break;
	case SETTINGS_STRING:
		break;
	}
	if (why != NULL) {
		snprintf(err, errsize, "%s \"%s\": %s", row->name, v, why);
		return -1;
	}
	if ((out->str = strdup(v)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return SETTINGS_PARSE_OOM;
	}
	return 0;
}

bool settings_is_big(const struct settings_row *row)
{
	return row->type == SETTINGS_SIZE || row->type == SETTINGS_RLIMIT ||
	       row->type == SETTINGS_RLIMIT_BYTES || row->type == SETTINGS_RLIMIT_SECONDS;
}

static bool settings_is_pointer(const struct settings_row *row)
{
	switch (row->type) {
	case SETTINGS_STRING:
	case SETTINGS_NAME:
	case SETTINGS_PATH:
	case SETTINGS_ABSPATH:
	case SETTINGS_ENVLIST:
		return true;
	default:
		return false;
	}
}

void settings_value_free(const struct settings_row *row, union settings_value *val)
{
	if (row->type == SETTINGS_ENVLIST)
		settings_env_free(val->env);
	else if (settings_is_pointer(row))
		free(val->str);
}

/* Moves val into the field, freeing what the field held. */
void settings_store(const struct settings_row *row, void *field,
			   union settings_value *val)
{
	if (row->type == SETTINGS_BOOL) {
		*(bool *)field = val->flag;
	} else if (settings_is_big(row)) {
		*(unsigned long long *)field = val->big;
	} else if (!settings_is_pointer(row)) {
		*(unsigned *)field = val->num;
	} else if (row->type == SETTINGS_ENVLIST) {
		settings_env_free(*(char ***)field);
		*(char ***)field = val->env;
	} else {
		free(*(char **)field);
		*(char **)field = val->str;
	}
}

int settings_defaults(struct master_settings *m, struct service_settings *s)
{
	memset(m, 0, sizeof(*m));
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < settings_count; i++) {
		union settings_value val;
		char err[SETTINGS_ERR_SIZE];
		/* Out of memory (a bad built-in default would be a programming
		 * error, which test_settings catches). */
		if (settings_parse(&settings_table[i], settings_table[i].def, &val,
				   err, sizeof(err)) != 0) {
			settings_free_master(m);
			settings_free_service(s);
			return -1;
		}
		settings_store(&settings_table[i], settings_field(&settings_table[i], m, s), &val);
	}
	return 0;
}

/* Table driven, so a new setting needs no code here. */
int settings_copy_service(struct service_settings *dst, const struct service_settings *src)
{
	struct service_settings *from = (struct service_settings *)src; /* read only */

	*dst = *src;
	for (size_t i = 0; i < settings_count; i++)
		if (settings_table[i].per_service && settings_is_pointer(&settings_table[i]))
			*(void **)settings_field(&settings_table[i], NULL, dst) = NULL;
	for (size_t i = 0; i < settings_count; i++) {
		const struct settings_row *row = &settings_table[i];
		/* Only per-service rows have a field here: a master row's
		 * address would be an offset from NULL (undefined). */
		if (!row->per_service || !settings_is_pointer(row))
			continue;
		void *d = settings_field(row, NULL, dst), *f = settings_field(row, NULL, from);
		if (row->type == SETTINGS_ENVLIST)
			*(char ***)d = settings_env_dup(*(char ***)f);
		else
			*(char **)d = strdup(*(char **)f != NULL ? *(char **)f : "");
		if (*(void **)d == NULL) {
			settings_free_service(dst);
			return -1;
		}
	}
	return 0;
}

void settings_free_service(struct service_settings *s)
{
	for (size_t i = 0; i < settings_count; i++) {
		const struct settings_row *row = &settings_table[i];
		if (!row->per_service)
			continue;
		if (row->type == SETTINGS_ENVLIST)
			settings_env_free(*(char ***)settings_field(row, NULL, s));
		else if (settings_is_pointer(row))
			free(*(char **)settings_field(row, NULL, s));
	}
	memset(s, 0, sizeof(*s));
}

void settings_free_master(struct master_settings *m)
{
	for (size_t i = 0; i < settings_count; i++)
		if (!settings_table[i].per_service && settings_is_pointer(&settings_table[i]))
			free(*(char **)settings_field(&settings_table[i], m, NULL));
	memset(m, 0, sizeof(*m));
}
