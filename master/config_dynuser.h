/* config_dynuser.h - the load-time side of dynamic users (user=dynamic,
 * like systemd's DynamicUser=): which services have one, where their
 * state directory is (the state_directory template expanded), and the
 * checks of the uid range dynamic_uid_min..dynamic_uid_max: ordered, not
 * too large, and used by no entry of /etc/passwd or /etc/group (each hit
 * reported as FILE:LINE). The ids themselves are allocated at run time
 * (dynuser.c, isolation_dynuser.c). */
#ifndef MASTER_CONFIG_DYNUSER_H
#define MASTER_CONFIG_DYNUSER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "diag.h"

#define CONFIG_DYNUSER_KEYWORD "dynamic"     /* user = dynamic */
#define CONFIG_DYNUSER_RANGE_MAX 65536u      /* uids in the range, at most */
#define CONFIG_DYNUSER_PASSWD "/etc/passwd"
#define CONFIG_DYNUSER_GROUP "/etc/group"

/* Whether the user name (user, or default_user) asks for a dynamic user. */
bool config_dynuser_is(const char *user);

/* Marks sc as a dynamic-user service: gid from -o group= when has_group
 * (gid 0 refused), its per-worker mode, and its state directory. Errors
 * go to errs as "WHERE: ...". */
void config_dynuser_service(struct service_config *sc, bool has_group, gid_t group_gid,
			    const char *where, struct diag *errs);

/* Expands a state_directory template for a service whose name in paths is
 * slug ("inet-127.0.0.1:7070"): "%n" is slug, "%%" a '%'. Returns 0 with
 * *out malloc'd (NULL for an empty template), or -1 with why: a '%' that
 * is neither, not absolute, a "." or ".." component, or out of memory. */
int config_dynuser_expand(const char *tmpl, const char *slug, char **out,
			  char *why, size_t whysize);

/* Scans file, in passwd or group format ("name:x:ID:..."), for an ID in
 * min..max; each hit is added to errs as 'FILE:LINE: what "name" has id
 * ID, inside the dynamic user range MIN..MAX (dynamic_uid_min,
 * dynamic_uid_max)'. what: "user" or "group". A missing file holds
 * nothing. Returns the number of hits, or -1 (error added) if unreadable. */
int config_dynuser_scan(const char *file, const char *what, unsigned min, unsigned max,
			struct diag *errs);

/* The range checks of cfg (every error to errs), done once per load and
 * only when a service is dynamic. passwd, group: the files to scan
 * (CONFIG_DYNUSER_PASSWD, CONFIG_DYNUSER_GROUP). */
void config_dynuser_check(const struct config *cfg, const char *passwd, const char *group,
			  struct diag *errs);

#endif
