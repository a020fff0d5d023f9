/* settings_env.c - owns the environment-list value type of the schema
 * (import_environment): parsing "NAME NAME=VALUE ..." items, refusing
 * invalid names and the names the worker contract sets itself, and the
 * list's copy and free. Out of memory is never fatal here: the value is
 * refused with that reason, as any other bad value. */
#include "settings.h"
#include "settings_schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void settings_env_free(char **env)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

char **settings_env_dup(char *const *env)
{
	size_t n = 0;
	while (env != NULL && env[n] != NULL)
		n++;
	char **dup = calloc(n + 1, sizeof(*dup));
	for (size_t i = 0; dup != NULL && i < n; i++)
		if ((dup[i] = strdup(env[i])) == NULL) {
			settings_env_free(dup);
			return NULL;
		}
	return dup;
}

static bool settings_env_name_ok(const char *item, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)item[0]) || item[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)item[i]) || item[i] == '_'))
			return false;
	return true;
}

/* The names the worker contract sets itself (service.c's environment,
 * libmaster/protocol.h's MASTER_*): an import of one would override the
 * master's value (the imports come first, and getenv finds the first). */
static const char *const settings_env_contract[] = {
	"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "STATE_DIRECTORY",
	"WATCHDOG_USEC", "WATCHDOG_PID", /* ready=notify (worker_daemon.h) */
};
#define SETTINGS_ENV_CONTRACT_PREFIX "MASTER_"

static bool settings_env_reserved(const char *name, size_t len)
{
	size_t plen = strlen(SETTINGS_ENV_CONTRACT_PREFIX);

	if (len >= plen && memcmp(name, SETTINGS_ENV_CONTRACT_PREFIX, plen) == 0)
		return true;
	for (size_t i = 0; i < sizeof(settings_env_contract) / sizeof(settings_env_contract[0]); i++)
		if (strlen(settings_env_contract[i]) == len &&
		    memcmp(settings_env_contract[i], name, len) == 0)
			return true;
	return false;
}

int settings_env_parse(const struct settings_row *row, const char *v,
		       char ***out, char *err, size_t errsize)
{
	static const char seps[] = " \t,";
	size_t n = 0;
	char **env = calloc(strlen(v) / 2 + 2, sizeof(*env)); /* upper bound on items */

	if (env == NULL)
		goto oom;
	for (const char *p = v + strspn(v, seps); *p != '\0'; p += strspn(p, seps)) {
		size_t len = strcspn(p, seps);
		size_t namelen = strcspn(p, "=");
		if (namelen > len)
			namelen = len;
		if (!settings_env_name_ok(p, namelen)) {
			snprintf(err, errsize, "%s \"%s\": invalid variable name \"%.*s\"",
				 row->name, v, (int)namelen, p);
			settings_env_free(env);
			return -1;
		}
		if (settings_env_reserved(p, namelen)) {
			snprintf(err, errsize, "%s \"%s\": \"%.*s\" is set by the master for "
				 "every worker (the worker contract) and cannot be imported",
				 row->name, v, (int)namelen, p);
			settings_env_free(env);
			return -1;
		}
		if ((env[n++] = strndup(p, len)) == NULL)
			goto oom;
		p += len;
	}
	*out = env;
	return 0;
oom:
	settings_env_free(env);
	snprintf(err, errsize, "%s \"%s\": out of memory", row->name, v);
	return SETTINGS_PARSE_OOM;
}
