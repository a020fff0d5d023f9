/* isolation.h - a service's launch environment beyond ids and fds:
 * capabilities kept, rlimits, umask, chroot, the service's network and
 * mount namespaces (one per service, entered by each worker), and its
 * cgroup. Prepared once per service in the master (where allocation and
 * libcap are allowed); each launch only points the launch_spec at the
 * prepared values and fds for the vfork-style child. */
#ifndef MASTER_ISOLATION_H
#define MASTER_ISOLATION_H

#include "config.h"
#include "launch.h"

struct contain;
struct isolation;

/* Prepares the isolation of service c. The service's cgroup goes under
 * the containment's base (contain.h), and exists whenever containment
 * gives each worker a leaf, limits or not (ct NULL: only with limits, under
 * cgroup_parent). Returns NULL with the reason logged ("service NAME:
 * cgroup: ...") when it cannot be had. */
struct isolation *isolation_create(const struct master_settings *m,
				   const struct service_config *c, const struct contain *ct);
/* Closes its namespaces and cgroup fds (the cgroup directory stays). */
void isolation_destroy(struct isolation *iso);
/* Fills the isolation part of a launch. */
void isolation_apply(const struct isolation *iso, struct launch_spec *spec);

#endif
