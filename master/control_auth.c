/* control_auth.c - owns the control socket's access check, its file mode
 * and the admin_group behind both (see control_auth.h). */
#include "control_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control.h"
#include "control_sock.h"
#include "log.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13; older headers lack the name */
#endif

/* Supplementary groups beyond this are not checked (NGROUPS_MAX is 65536,
 * but a member of admin_group with thousands of groups is not a case). */
#define CONTROL_AUTH_GROUPS_MAX 1024
#define CONTROL_AUTH_PROC_LINE_BYTES 8192
#define CONTROL_AUTH_PROC_FD_BYTES 32
#define CONTROL_AUTH_SYS_FCHMODAT2 452 /* Linux 6.6, the same on every arch */

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

bool control_auth_allowed(const struct control *ctl, int fd, uid_t *uid, char *why,
			  size_t size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		snprintf(why, size, "cannot read the caller's credentials: %s", strerror(errno));
		return false;
	}
	*uid = cred.uid;
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

/* chmod of an O_PATH fd: fchmodat2 (Linux 6.6) with AT_EMPTY_PATH, else
 * through /proc/self/fd (the fd's own file, not a lookup of the name). */
static int control_auth_fchmod(int fd, mode_t mode)
{
	char proc[CONTROL_AUTH_PROC_FD_BYTES];

	if (syscall(CONTROL_AUTH_SYS_FCHMODAT2, fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return chmod(proc, mode);
}

int control_auth_apply_mode(const struct control *ctl)
{
	int fd, rc;

	if (ctl->path == NULL)
		return 0;
	fd = control_sock_file(ctl);
	if (fd < 0) {
		log_err("control socket %s: not the socket the master bound (removed or "
			"replaced): its group and mode left alone", ctl->path);
		return -1;
	}
	/* chown first: a moment of 0660 with the old group grants nothing new. */
	if (ctl->admin_set) {
		rc = fchownat(fd, "", (uid_t)-1, ctl->admin_gid, AT_EMPTY_PATH);
		if (rc == 0)
			rc = control_auth_fchmod(fd, 0660);
		if (rc < 0)
			log_err("control socket %s: group %s: %s", ctl->path, ctl->admin_name,
				strerror(errno));
	} else {
		rc = control_auth_fchmod(fd, 0600);
		if (rc == 0)
			rc = fchownat(fd, "", (uid_t)-1, getegid(), AT_EMPTY_PATH);
		if (rc < 0)
			log_err("control socket %s: %s", ctl->path, strerror(errno));
	}
	close(fd);
	return rc < 0 ? -1 : 0;
}

void control_auth_set_group(struct control *ctl, const char *admin_group, bool found, gid_t gid,
			    int err)
{
	free(ctl->admin_name);
	ctl->admin_name = NULL;
	ctl->admin_set = false;
	if (admin_group != NULL && admin_group[0] != '\0') {
		if (!found) {
			log_warn("admin_group \"%s\": %s; only root and uid %ld may use masterctl",
				 admin_group, err ? strerror(err) : "no such group",
				 (long)geteuid());
		} else if ((ctl->admin_name = strdup(admin_group)) != NULL) {
			ctl->admin_gid = gid;
			ctl->admin_set = true;
		}
	}
	(void)control_auth_apply_mode(ctl);
}

void control_auth_lookup_group(struct control *ctl, const char *admin_group)
{
	struct group *gr = NULL;

	errno = 0;
	if (admin_group != NULL && admin_group[0] != '\0')
		gr = getgrnam(admin_group);
	control_auth_set_group(ctl, admin_group, gr != NULL, gr ? gr->gr_gid : 0, errno);
}
