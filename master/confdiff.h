/* confdiff.h - comparing two loaded configurations, for reload: is a
 * service the same in both (every field that reaches its sockets or its
 * workers), and which daemon-wide settings differ. Pure: no processes, no
 * sockets. */
#ifndef MASTER_CONFDIFF_H
#define MASTER_CONFDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Same identity is assumed (service_same_identity). True if nothing that
 * matters differs: type flags, command, path, argv, addresses, ids, every
 * per-service setting. Where the entry sits in master.cf does not matter. */
bool confdiff_service_equal(const struct service_config *a, const struct service_config *b);

/* True if a daemon-wide setting that reaches workers differs (and is not
 * already resolved into each service's fields, as run_directory,
 * daemon_directory and default_user are): then every service is changed. */
bool confdiff_master_affects_services(const struct master_settings *a,
				      const struct master_settings *b);

/* Names the daemon-wide settings that only a restart applies (pid_file,
 * control_socket, run_directory) and that differ, comma-separated into
 * buf; returns how many. */
size_t confdiff_restart_only(const struct master_settings *a, const struct master_settings *b,
			     char *buf, size_t size);

#endif
