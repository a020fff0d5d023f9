/* config_dynuser.c - owns the load-time side of dynamic users (see
 * config_dynuser.h). Nothing here allocates ids or touches the file
 * system beyond reading /etc/passwd and /etc/group: `master -n` may run
 * it. Out of memory is an error of the configuration, never fatal. */
#include "config_dynuser.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_isolation.h"

#define CONFIG_DYNUSER_LINE_BYTES 4096
#define CONFIG_DYNUSER_SLUG_BYTES 256
#define CONFIG_DYNUSER_WHY_BYTES 256

bool config_dynuser_is(const char *user)
{
	return strcmp(user, CONFIG_DYNUSER_KEYWORD) == 0;
}

/* Whether path has a "." or ".." component (the master creates the
 * directory as root: it must be exactly where it says). */
static bool config_dynuser_has_dots(const char *path)
{
	for (const char *p = path; *p != '\0'; p += strspn(p, "/")) {
		size_t len = strcspn(p, "/");
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		p += len;
	}
	return false;
}

int config_dynuser_expand(const char *tmpl, const char *slug, char **out,
			  char *why, size_t whysize)
{
	size_t cap = strlen(tmpl) + 1, n = 0;
	char *buf;

	*out = NULL;
	if (tmpl[0] == '\0')
		return 0;
	for (const char *p = strstr(tmpl, "%n"); p != NULL; p = strstr(p + 2, "%n"))
		cap += strlen(slug);
	if ((buf = malloc(cap)) == NULL) {
		snprintf(why, whysize, "out of memory");
		return -1;
	}
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%') {
			buf[n++] = *p;
			continue;
		}
		if (p[1] == '%') {
			buf[n++] = '%';
		} else if (p[1] == 'n') {
			memcpy(buf + n, slug, strlen(slug));
			n += strlen(slug);
		} else {
			snprintf(why, whysize, "unknown %%-sequence \"%%%.1s\" (use %%n for the "
				 "service, %%%% for a %%)", p + 1);
			free(buf);
			return -1;
		}
		p++;
	}
	buf[n] = '\0';
	if (buf[0] != '/' || config_dynuser_has_dots(buf)) {
		snprintf(why, whysize, "\"%s\" must be an absolute path without \".\" or \"..\"",
			 buf);
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

void config_dynuser_service(struct service_config *sc, bool has_group, gid_t group_gid,
			    const char *where, struct diag *errs)
{
	char slug[CONFIG_DYNUSER_SLUG_BYTES], why[CONFIG_DYNUSER_WHY_BYTES];

	if (has_group && group_gid == 0) {
		diag_add(errs, "%s: group \"%s\" has gid 0, and an unpriv=y worker never runs "
			 "with group root", where, sc->set.group);
		return;
	}
	sc->dynamic_user = true;
	sc->dynamic_per_worker = strcmp(sc->set.dynamic_user, "worker") == 0;
	sc->uid = 0;
	sc->gid = has_group ? group_gid : 0;
	config_isolation_slug(sc->type, sc->name, slug, sizeof(slug));
	if (config_dynuser_expand(sc->set.state_directory, slug, &sc->state_dir, why,
				  sizeof(why)) < 0)
		diag_add(errs, "%s: state_directory \"%s\": %s", where, sc->set.state_directory,
			 why);
}

int config_dynuser_scan(const char *file, const char *what, unsigned min, unsigned max,
			struct diag *errs)
{
	FILE *fp = fopen(file, "re");
	char line[CONFIG_DYNUSER_LINE_BYTES];
	unsigned lineno = 0;
	int hits = 0;

	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		diag_add(errs, "%s: cannot read: %s (needed to check the dynamic user range)",
			 file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		/* name:password:ID:... ; comments and NIS "+" lines hold no id */
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *end;
		if (line[0] == '#' || c2 == NULL)
			continue;
		errno = 0;
		unsigned long id = strtoul(c2 + 1, &end, 10);
		if (end == c2 + 1 || *end != ':' || errno != 0 || id < min || id > max)
			continue;
		diag_add(errs, "%s:%u: %s \"%.*s\" has id %lu, inside the dynamic user range "
			 "%u..%u (dynamic_uid_min, dynamic_uid_max)", file, lineno, what,
			 (int)(c1 - line), line, id, min, max);
		hits++;
	}
	fclose(fp);
	return hits;
}

void config_dynuser_check(const struct config *cfg, const char *passwd, const char *group,
			  struct diag *errs)
{
	const struct master_settings *m = &cfg->master;
	bool any = false;

	for (size_t i = 0; i < cfg->nservices && !any; i++)
		any = cfg->services[i].dynamic_user;
	if (!any)
		return;
	if (m->dynamic_uid_min > m->dynamic_uid_max) {
		diag_add(errs, "%s/master.conf: dynamic_uid_min %u is above dynamic_uid_max %u",
			 cfg->dir, m->dynamic_uid_min, m->dynamic_uid_max);
		return;
	}
	if (m->dynamic_uid_max - m->dynamic_uid_min >= CONFIG_DYNUSER_RANGE_MAX) {
		diag_add(errs, "%s/master.conf: dynamic_uid_min..dynamic_uid_max %u..%u holds "
			 "more than %u ids", cfg->dir, m->dynamic_uid_min, m->dynamic_uid_max,
			 CONFIG_DYNUSER_RANGE_MAX);
		return;
	}
	config_dynuser_scan(passwd, "user", m->dynamic_uid_min, m->dynamic_uid_max, errs);
	config_dynuser_scan(group, "group", m->dynamic_uid_min, m->dynamic_uid_max, errs);
}
