/* control_auth.h - who may use the control socket: root, the master's own
 * uid, and members of admin_group. The caller's ids are the ones the
 * kernel recorded when it connected (SO_PEERCRED, SO_PEERGROUPS), not what
 * it claims; /proc/PID/status is the fallback for the groups on kernels
 * without SO_PEERGROUPS. */
#ifndef MASTER_CONTROL_AUTH_H
#define MASTER_CONTROL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct control;

/* True if the peer of fd may talk to the master (its uid in *uid).
 * Otherwise why (for the refusal the caller sees) is written to why. */
bool control_auth_allowed(const struct control *ctl, int fd, uid_t *uid, char *why,
			  size_t size);
/* Group and mode of the socket file: 0660 and admin_gid, or 0600. Changed
 * on the file's own fd, only if it is still the socket bound
 * (control_sock.h): never through a symlink. */
int control_auth_apply_mode(const struct control *ctl);
/* admin_group as a lookup found it (gid), or did not (err: its errno, 0
 * for "no such group"): kept in ctl, warned about if missing, and the
 * socket's group and mode set to match. */
void control_auth_set_group(struct control *ctl, const char *admin_group, bool found, gid_t gid,
			    int err);
/* The same, looking admin_group up here: at start only, since the lookup
 * may block (NSS); a reload's reader looks it up off the loop. */
void control_auth_lookup_group(struct control *ctl, const char *admin_group);

#endif
