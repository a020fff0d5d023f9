/* control_auth.c - owns the control socket's access check and file mode
 * (see control_auth.h). */
#include "control_auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13; older headers lack the name */
#endif

/* Supplementary groups beyond this are not checked (NGROUPS_MAX is 65536,
 * but a member of admin_group with thousands of groups is not a case). */
#define CONTROL_AUTH_GROUPS_MAX 1024
#define CONTROL_AUTH_PROC_LINE_BYTES 8192

/* Whether gid is among the peer's supplementary groups. */
static bool control_auth_peer_groups_have(int fd, pid_t pid, gid_t gid)
{
	gid_t groups[CONTROL_AUTH_GROUPS_MAX];
	socklen_t len = sizeof(groups);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == gid)
				return true;
		return false;
	}
	if (errno != ENOPROTOOPT)
		return false;
	/* Old kernel: the groups the process has now (it may have changed
	 * them since it connected, but only a privileged process can add). */
	char path[64], line[CONTROL_AUTH_PROC_LINE_BYTES];
	bool found = false;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (char *save = NULL, *tok = strtok_r(line + 7, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			if (strtoul(tok, NULL, 10) == gid)
				found = true;
		break;
	}
	fclose(f);
	return found;
}

bool control_auth_allowed(const struct control *ctl, int fd, char *why, size_t size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		snprintf(why, size, "cannot read the caller's credentials: %s", strerror(errno));
		return false;
	}
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (ctl->admin_set && (cred.gid == ctl->admin_gid ||
			       control_auth_peer_groups_have(fd, cred.pid, ctl->admin_gid)))
		return true;
	if (ctl->admin_set)
		snprintf(why, size, "uid %ld is not root, the master's uid %ld, or a member of "
			 "admin_group \"%s\"", (long)cred.uid, (long)geteuid(), ctl->admin_name);
	else
		snprintf(why, size, "uid %ld is not root or the master's uid %ld (admin_group "
			 "is not set)", (long)cred.uid, (long)geteuid());
	return false;
}

int control_auth_apply_mode(const struct control *ctl)
{
	if (ctl->path == NULL)
		return 0;
	/* chown first: a moment of 0660 with the old group grants nothing new. */
	if (ctl->admin_set) {
		if (chown(ctl->path, (uid_t)-1, ctl->admin_gid) < 0 || chmod(ctl->path, 0660) < 0) {
			log_err("control socket %s: group %s: %s", ctl->path, ctl->admin_name,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	if (chmod(ctl->path, 0600) < 0 || chown(ctl->path, (uid_t)-1, getegid()) < 0) {
		log_err("control socket %s: %s", ctl->path, strerror(errno));
		return -1;
	}
	return 0;
}
