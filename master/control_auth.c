/* control_auth.c - owns the control socket's access check, its file mode
 * and the admin_group and status_group behind both (see control_auth.h). */
#include "control_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
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

/* Whether the peer (cred, on fd) is in g. */
static bool control_auth_member(const struct control_group *g, int fd, const struct ucred *cred)
{
	return g->set && (cred->gid == g->gid || control_auth_peer_groups_have(fd, cred->pid, g->gid));
}

enum control_access control_auth_allowed(const struct control *ctl, int fd, uid_t *uid,
					 char *why, size_t size)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		snprintf(why, size, "cannot read the caller's credentials: %s", strerror(errno));
		return CONTROL_ACCESS_NONE;
	}
	*uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid() || control_auth_member(&ctl->admin, fd, &cred))
		return CONTROL_ACCESS_ALL;
	if (control_auth_member(&ctl->status, fd, &cred))
		return CONTROL_ACCESS_STATUS;
	snprintf(why, size, "uid %ld is not root, the master's uid %ld, or a member of "
		 "admin_group%s%s%s or status_group%s%s%s", (long)cred.uid, (long)geteuid(),
		 ctl->admin.set ? " \"" : " (not set)", ctl->admin.set ? ctl->admin.name : "",
		 ctl->admin.set ? "\"" : "", ctl->status.set ? " \"" : " (not set)",
		 ctl->status.set ? ctl->status.name : "", ctl->status.set ? "\"" : "");
	return CONTROL_ACCESS_NONE;
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
	const struct control_group *one = ctl->admin.set ? &ctl->admin : &ctl->status;
	bool two = ctl->admin.set && ctl->status.set && ctl->admin.gid != ctl->status.gid;
	if (one->set) {
		rc = fchownat(fd, "", (uid_t)-1, one->gid, AT_EMPTY_PATH);
		if (rc == 0)
			rc = control_auth_fchmod(fd, two ? 0666 : 0660);
		if (rc < 0)
			log_err("control socket %s: group %s: %s", ctl->path, one->name,
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

/* One group as cfg's load found it (what: its setting's name). */
static void control_auth_group(struct control_group *g, const char *what, const char *name,
			       const struct config_group *found, const char *grants)
{
	free(g->name);
	g->name = NULL;
	g->set = false;
	if (name == NULL || name[0] == '\0')
		return;
	if (!found->found)
		log_warn("%s \"%s\": %s; its members may not %s", what, name,
			 found->err ? strerror(found->err) : "no such group", grants);
	else if ((g->name = strdup(name)) != NULL) {
		g->gid = found->gid;
		g->set = true;
	}
}

void control_auth_set_groups(struct control *ctl, const struct config *cfg)
{
	control_auth_group(&ctl->admin, "admin_group", cfg->master.admin_group, &cfg->admin,
			   "use masterctl");
	control_auth_group(&ctl->status, "status_group", cfg->master.status_group, &cfg->status,
			   "ask for status");
	(void)control_auth_apply_mode(ctl);
}
