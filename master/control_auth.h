/* control_auth.h - who may use the control socket: root, the master's own
 * uid, and members of admin_group, for everything; members of status_group
 * for `status` alone (a worker such as metricsd that shows the master's
 * state must not be able to stop it). The caller's ids are the ones the
 * kernel recorded when it connected (SO_PEERCRED, SO_PEERGROUPS), not what
 * it claims; /proc/PID/status is the fallback for the groups on kernels
 * without SO_PEERGROUPS. */
#ifndef MASTER_CONTROL_AUTH_H
#define MASTER_CONTROL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct config;
struct control;

enum control_access {
	CONTROL_ACCESS_NONE,
	CONTROL_ACCESS_STATUS, /* status_group: `status` only */
	CONTROL_ACCESS_ALL,
};

/* What the peer of fd may do (its uid in *uid). For NONE, why (for the
 * refusal the caller sees) is written to why. */
enum control_access control_auth_allowed(const struct control *ctl, int fd, uid_t *uid,
					 char *why, size_t size);
/* Group and mode of the socket file: 0600 without either group; 0660 and
 * the group with one (or both the same); 0666 with two: connecting is then
 * open to all, and the credentials alone decide (as on D-Bus's system
 * socket). Changed on the file's own fd, only if it is still the socket
 * bound (control_sock.h): never through a symlink. */
int control_auth_apply_mode(const struct control *ctl);
/* admin_group and status_group as cfg's load found them (config.h): kept
 * in ctl, warned about if missing, and the socket's group and mode set to
 * match. */
void control_auth_set_groups(struct control *ctl, const struct config *cfg);

#endif
