/* confdiff.c - owns comparing configurations (see confdiff.h).
 *
 * Settings are compared through the schema table (settings_schema.h), so a
 * setting added later is compared without anyone remembering to: the one
 * file outside settings*.c that reads the table, for exactly that reason. */
#include "confdiff.h"

#include <stdio.h>
#include <string.h>

#include "settings_schema.h"

/* Daemon-wide settings that never reach a worker directly: resolved into
 * each service's own fields (compared there), or applied by the master
 * itself (admin_group and reload_timeout at every reload; the others need
 * a restart). */
static const char *const confdiff_master_only[] = {
	"run_directory", "daemon_directory", "default_user", "pid_file",
	"control_socket", "admin_group", "reload_timeout", "cgroup_parent", "containment",
	"resolve_timeout", /* used by the load itself */
	/* the allocator's range: the running services keep their uids */
	"dynamic_uid_min", "dynamic_uid_max",
};
/* cgroup_parent and containment: the base is chosen once, at start
 * (contain.c); services' cgroups follow it, not the configuration. */
static const char *const confdiff_restart[] = {
	"run_directory", "pid_file", "control_socket", "cgroup_parent", "containment",
};

static bool confdiff_str_equal(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static bool confdiff_strv_equal(char *const *a, char *const *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	for (i = 0; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return a[i] == NULL && b[i] == NULL;
}

/* One setting's value in two structs of the same kind. */
static bool confdiff_field_equal(const struct settings_row *row, const void *a, const void *b)
{
	const char *pa = (const char *)a + row->offset, *pb = (const char *)b + row->offset;

	switch (row->type) {
	case SETTINGS_BOOL:
		return *(const bool *)pa == *(const bool *)pb;
	case SETTINGS_SIZE:
	case SETTINGS_RLIMIT:
	case SETTINGS_RLIMIT_BYTES:
	case SETTINGS_RLIMIT_SECONDS:
		return *(const unsigned long long *)pa == *(const unsigned long long *)pb;
	case SETTINGS_UINT:
	case SETTINGS_DURATION:
	case SETTINGS_PERCENT:
	case SETTINGS_OCTAL:
		return *(const unsigned *)pa == *(const unsigned *)pb;
	case SETTINGS_ENVLIST:
		return confdiff_strv_equal(*(char **const *)pa, *(char **const *)pb);
	case SETTINGS_STRING:
	case SETTINGS_NAME:
	case SETTINGS_PATH:
	case SETTINGS_ABSPATH:
		return confdiff_str_equal(*(char *const *)pa, *(char *const *)pb);
	}
	return false; /* a type this file does not know: assume it changed */
}

static bool confdiff_settings_equal(const struct service_settings *a,
				    const struct service_settings *b)
{
	for (size_t i = 0; i < settings_count; i++)
		if (settings_table[i].per_service && !confdiff_field_equal(&settings_table[i], a, b))
			return false;
	return true;
}

bool confdiff_service_equal(const struct service_config *a, const struct service_config *b)
{
	if (a->type != b->type || a->private_ != b->private_ || a->unpriv != b->unpriv ||
	    a->chroot != b->chroot || a->uid != b->uid || a->gid != b->gid ||
	    a->wakeup_s != b->wakeup_s || a->wakeup_after_use != b->wakeup_after_use ||
	    a->naddrs != b->naddrs || a->ngroups != b->ngroups)
		return false;
	if (!confdiff_str_equal(a->name, b->name) || !confdiff_str_equal(a->command, b->command) ||
	    !confdiff_str_equal(a->path, b->path) || !confdiff_strv_equal(a->argv, b->argv))
		return false;
	for (size_t i = 0; i < a->naddrs; i++)
		if (a->addrs[i].len != b->addrs[i].len ||
		    memcmp(&a->addrs[i].sa, &b->addrs[i].sa, a->addrs[i].len) != 0)
			return false;
	if (a->ngroups > 0 && memcmp(a->groups, b->groups, a->ngroups * sizeof(gid_t)) != 0)
		return false;
	return confdiff_settings_equal(&a->set, &b->set);
}

static bool confdiff_listed(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

bool confdiff_master_affects_services(const struct master_settings *a,
				      const struct master_settings *b)
{
	const size_t n = sizeof(confdiff_master_only) / sizeof(confdiff_master_only[0]);

	for (size_t i = 0; i < settings_count; i++) {
		const struct settings_row *row = &settings_table[i];
		if (row->per_service || confdiff_listed(row->name, confdiff_master_only, n))
			continue;
		if (!confdiff_field_equal(row, a, b))
			return true;
	}
	return false;
}

size_t confdiff_restart_only(const struct master_settings *a, const struct master_settings *b,
			     char *buf, size_t size)
{
	const size_t n = sizeof(confdiff_restart) / sizeof(confdiff_restart[0]);
	size_t found = 0, len = 0;

	if (size > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < settings_count; i++) {
		const struct settings_row *row = &settings_table[i];
		if (row->per_service || !confdiff_listed(row->name, confdiff_restart, n) ||
		    confdiff_field_equal(row, a, b))
			continue;
		int k = snprintf(buf + len, size > len ? size - len : 0, "%s%s",
				 found ? ", " : "", row->name);
		if (k > 0 && len + (size_t)k < size)
			len += (size_t)k;
		found++;
	}
	return found;
}
