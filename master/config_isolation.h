/* config_isolation.h - load-time checks of a service's isolation settings
 * (capabilities, chroot jail, cgroup controllers, rlimits), and the small
 * helpers the master reuses when it prepares a service (isolation.c), so
 * that a configuration that loads is one that can start. */
#ifndef MASTER_CONFIG_ISOLATION_H
#define MASTER_CONFIG_ISOLATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

#define CONFIG_ISOLATION_CONTROLLERS_MAX 3

/* Parses a capability list ("cap_net_bind_service cap_chown", separated by
 * blanks or commas, names as libcap knows them; "" = none) into a bit mask
 * (bit N = capability N). Returns 0, or -1 with err = 'unknown capability
 * "x"' or 'capability "x" is not supported by this kernel'. */
int config_isolation_caps(const char *list, uint64_t *mask, char *err, size_t errsize);

/* The jail of service c: `-o chroot=DIR` if set, else chroot_directory
 * when the chroot column is y; NULL for none. */
const char *config_isolation_jail(const struct service_config *c,
				  const struct master_settings *m);

/* Whether jail is an absolute path to a directory (anything else is an
 * error config_isolation_check reports). */
bool config_isolation_jail_usable(const char *jail);

/* The cgroup v2 controllers service settings s need ("memory" for
 * memory_max, "pids" for pids_max, "cpu" for cpu_weight), each with the
 * setting that asks for it. Returns how many (0: no cgroup at all). */
size_t config_isolation_controllers(const struct service_settings *s,
				    const char *controller[CONFIG_ISOLATION_CONTROLLERS_MAX],
				    const char *setting[CONFIG_ISOLATION_CONTROLLERS_MAX]);

/* Whether controller can be used below cgroup_parent. Returns 0, or -1
 * with why (e.g. 'not in /sys/fs/cgroup/cgroup.controllers ("cpuset")'). */
int config_isolation_cgroup_check(const char *cgroup_parent, const char *controller,
				  char *why, size_t whysize);

/* Checks the daemon-wide containment settings: cgroup_parent ("auto" or
 * an absolute path) and containment (auto, cgroup, subreaper). */
void config_isolation_check_master(const struct master_settings *m, struct diag *errs);

/* Checks every isolation setting of sc (its ids already resolved); each
 * error is added to errs as "WHERE: ...". */
void config_isolation_check(const struct service_config *sc,
			    const struct master_settings *m,
			    const char *where, struct diag *errs);

#endif
