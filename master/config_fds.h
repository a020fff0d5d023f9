/* config_fds.h - the master's file descriptor budget of a configuration:
 * how many fds the master itself holds when every service runs at its
 * maximum, and the load-time refusal of a configuration it cannot hold.
 *
 * Pure: numbers in, numbers and errors out (the limit the host allows is
 * the caller's, fdlimit.h). Per worker the master holds its end of the
 * status channel and the read end of the worker's stderr socket (only the
 * channel with worker_stderr=shared, relay_shared.h); per service its
 * listening sockets and the fds its isolation keeps open (and the shared
 * stderr socket); then a fixed part (control clients, the loop, logs,
 * containment). */
#ifndef MASTER_CONFIG_FDS_H
#define MASTER_CONFIG_FDS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "launch.h"

#define CONFIG_FDS_PER_WORKER 2u   /* status channel + stderr socket, master side */
#define CONFIG_FDS_PER_WORKER_SHARED 1u /* worker_stderr=shared: the channel alone */
#define CONFIG_FDS_STDERR_SHARED 3u /* the shared socket's two ends, its pause timer */
#define CONFIG_FDS_PER_SERVICE 8u  /* exec, jail, cgroup dir and procs, namespaces, spare */
#define CONFIG_FDS_CONTROL 64u     /* = CONTROL_CLIENTS_MAX (checked in the unit test) */
/* The launcher's fd block (launch.h, launch_block.c): its slots are the
 * master's own fds for good. */
#define CONFIG_FDS_LAUNCH ((unsigned)LAUNCH_BLOCK_SLOTS)
/* std fds, epoll, signalfd, pid file, run directory, control socket,
 * /dev/null, containment, sd_notify, the reload reader, one launch in
 * flight (its end of the channel and pipe, its cgroup leaf), and slack;
 * the control clients; the fd block. */
#define CONFIG_FDS_FIXED (64u + CONFIG_FDS_CONTROL + CONFIG_FDS_LAUNCH)

/* The workers a service can have at once: maxproc (or prefork where
 * maxproc is 0, "no limit": *from_prefork says so), plus those leaving
 * while their successors start (config_leaving_max: max_leaving, or as
 * many again), plus one starting. */
unsigned long long config_fds_workers(const struct service_config *sc, bool *from_prefork);
/* The master's fds per worker of the service (its worker_stderr). */
unsigned config_fds_per_worker(const struct service_config *sc);
/* The service's fds in the master at its maximum. */
unsigned long long config_fds_service(const struct service_config *sc);
/* The whole configuration's, fixed part included. */
unsigned long long config_fds_need(const struct config *cfg);
/* What to raise the limit to while the configuration `incoming` replaces
 * `active` (a reload: both generations hold workers during the handover);
 * at start, active and incoming are the same configuration, which leaves
 * room for a reload that replaces every service. */
unsigned long long config_fds_target(const struct config *active, const struct config *incoming);

/* Refuses cfg if it needs more than max fds (max_source says where the
 * number comes from: "fs.nr_open", "the hard RLIMIT_NOFILE"): the error
 * names the numbers and the service that needs the most (file:line). */
void config_fds_check(const struct config *cfg, unsigned long long max,
		      const char *max_source, struct diag *errs);

/* One line for the log: the need, its parts, and the services counted at
 * prefork because their maxproc is 0. Returns the length (as snprintf). */
int config_fds_describe(const struct config *cfg, char *buf, size_t size);

#endif
