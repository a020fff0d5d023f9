/* config_ids.c - owns resolving names to ids at load: each service's
 * user, group and supplementary groups (user=dynamic is config_dynuser.c's)
 * and the control socket's admin_group. The lookups (getpwnam, getgrnam,
 * getgrouplist) may block on NSS: they run where config_load() runs, on the
 * reload thread (reload_load.c), never on the loop.
 *
 * Out of memory: never fatal; an error of the load, like any other. */
#include "config_ids.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "config_dynuser.h"
#include "config_where.h"

#define CONFIG_GROUPS_START 32 /* getgrouplist() tells us if it needs more */

/* getpwnam/getgrnam returned NULL: no such name (NSS reports it as no
 * error or as one of these), or the lookup itself failed. */
static void config_ids_not_found(const char *kind, const char *name, const char *where,
				 struct diag *errs)
{
	if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM)
		diag_add(errs, "%s: unknown %s \"%s\"", where, kind, name);
	else
		diag_add(errs, "%s: cannot look up %s \"%s\": %s", where, kind, name,
			 strerror(errno));
}

static int config_ids_group(const char *group, gid_t *gid, const char *where,
				struct diag *errs)
{
	errno = 0;
	struct group *gr = getgrnam(group);
	if (gr == NULL) {
		config_ids_not_found("group", group, where, errs);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

void config_ids_service(struct service_config *sc, const struct master_settings *m,
			       const char *where, struct diag *errs)
{
	const char *user = sc->set.user[0] != '\0' ? sc->set.user : m->default_user;
	int n = CONFIG_GROUPS_START;
	gid_t group_gid = 0;
	bool has_group = sc->set.group[0] != '\0';
	char at[CONFIG_WHERE_BYTES];

	if (has_group && config_ids_group(sc->set.group, &group_gid,
					  config_where(sc, m, "group", at, sizeof(at)), errs) < 0)
		return;
	if (!sc->unpriv)
		return; /* root: uid 0, gid 0, no supplementary groups */
	if (config_dynuser_is(user)) {
		config_dynuser_service(sc, has_group, group_gid, where, errs);
		return; /* ids allocated when the service is created */
	}
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		config_ids_not_found("user", user, config_where(sc, m, "user", at, sizeof(at)),
				     errs);
		return;
	}
	if (pw->pw_uid == 0) {
		diag_add(errs, "%s: user \"%s\" has uid 0, and an unpriv=y worker never runs as "
			 "root (write unpriv=n for that)", where, user);
		return;
	}
	sc->uid = pw->pw_uid;
	/* -o group= replaces the primary group; the supplementary ones stay
	 * the user's (as initgroups would give them). */
	sc->gid = has_group ? group_gid : pw->pw_gid;
	if (has_group && group_gid == 0) {
		diag_add(errs, "%s: group \"%s\" has gid 0, and an unpriv=y worker never runs "
			 "with group root", where, sc->set.group);
		return;
	}
	for (;;) {
		int want = n;
		gid_t *groups = realloc(sc->groups, (size_t)n * sizeof(gid_t));
		if (groups == NULL) {
			diag_oom(errs, where);
			return;
		}
		sc->groups = groups;
		if (getgrouplist(user, sc->gid, sc->groups, &n) >= 0)
			break;
		if (n <= want)
			n = want * 2; /* glibc reports the size it needs; be safe if not */
	}
	sc->ngroups = (size_t)n;
}

static void config_ids_control_group(const char *name, struct config_group *out)
{
	if (name == NULL || name[0] == '\0')
		return;
	errno = 0;
	struct group *gr = getgrnam(name);
	if (gr == NULL) {
		out->err = errno;
		return;
	}
	out->found = true;
	out->gid = gr->gr_gid;
}

void config_ids_control(struct config *cfg)
{
	config_ids_control_group(cfg->master.admin_group, &cfg->admin);
	config_ids_control_group(cfg->master.status_group, &cfg->status);
}
