/* isolation.h - a service's launch environment beyond fds: capabilities
 * kept, rlimits, umask, chroot, the service's network and mount
 * namespaces (one per service, entered by each worker), its cgroup, and
 * its dynamic user (user=dynamic: the ids, per worker too). Prepared once per service in the master (where allocation and
 * libcap are allowed); each launch only points the launch_spec at the
 * prepared values and fds for the vfork-style child. */
#ifndef MASTER_ISOLATION_H
#define MASTER_ISOLATION_H

#include "config.h"
#include "ipcsweep.h"
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
/* Points iso at the jail and command fds of c, the configuration its
 * service now follows (a reload that leaves the service unchanged: the
 * fds the new configuration opened and checked). Cannot fail. */
void isolation_follow(struct isolation *iso, const struct service_config *c);
/* Fills the isolation part of a launch. */
void isolation_apply(const struct isolation *iso, struct launch_spec *spec);

/* user=dynamic: takes the service's uid and gid from sweep->pool (the master's;
 * donor: the isolation of an earlier generation of the same service that
 * still runs, whose uid is shared, or NULL) and makes its state directory.
 * Does nothing for other services. Returns 0, or -1 (logged). */
int isolation_dynamic_user(struct isolation *iso, struct ipcsweep *sweep,
			   const struct master_settings *m, const struct service_config *c,
			   const struct isolation *donor);

/* The hooks of one launch, for dynamic_user=worker (no-ops otherwise):
 * before launch_start, after isolation_apply, a uid of the worker's own
 * into spec (-1, logged: the range is exhausted, do not launch); after
 * launch_start, with its pid (or -1: the uid is given back); when the
 * worker is reaped, its uid is given back. */
int isolation_worker_ids(struct isolation *iso, struct launch_spec *spec);
/* Whether the last isolation_worker_ids failed for want of a uid while
 * some were held back for a walk of /dev/shm (ipcsweep.h): they come
 * back by themselves, so the launch should wait, not count a failure. */
bool isolation_worker_ids_held_back(const struct isolation *iso);
void isolation_worker_launched(struct isolation *iso, const struct launch_spec *spec, pid_t pid);
void isolation_worker_reaped(struct isolation *iso, pid_t pid);

#endif
