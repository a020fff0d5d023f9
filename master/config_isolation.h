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

/* "inet-127.0.0.1:7070", "unix-relay": a service's name in file system
 * paths (its cgroup, its state directory). The type keeps an inet and a
 * unix service of one name apart, and no name can clash with a cgroup's
 * own files ("cgroup.procs"). Only [A-Za-z0-9._:-] survive; others are
 * written '_'. */
void config_isolation_slug(enum service_type type, const char *name, char *out, size_t size);

/* Whether jail is the master's own empty jail (chroot_directory given
 * relative, as by default): made by the master at service creation, so
 * it need not exist at load, and the command is the host's. */
bool config_isolation_own_jail(const struct service_config *c,
			       const struct master_settings *m);

/* Whether path is an ELF executable with no program interpreter (static),
 * which alone can run in an empty jail. Returns 0, or -1 with why
 * ("dynamically linked (its loader /lib64/ld-linux-x86-64.so.2 ...)"). */
int config_isolation_static_exe(const char *path, char *why, size_t whysize);


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
void config_isolation_check_master(const struct master_settings *m, const char *conf,
				   struct diag *errs);

/* Checks every isolation setting of sc (its ids already resolved); each
 * error is added to errs as "WHERE: ...". */
void config_isolation_check(const struct service_config *sc,
			    const struct master_settings *m,
			    const char *where, struct diag *errs);

#endif
