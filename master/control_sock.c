/* control_sock.c - owns the control socket's file (see control_sock.h).
 * Failures are logged; at start they stop the master (main.c), later they
 * leave the old socket serving. */
#include "control_sock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmsg.h"
#include "log.h"
#include "rundir.h"

/* As many waiting as the master serves at once (CONTROL_CLIENTS_MAX): a
 * longer queue only puts more of a flood ahead of root's `status`. */
#define CONTROL_SOCK_BACKLOG 64
#define CONTROL_SOCK_WHY_BYTES 640

/* (Re)opens the socket's directory, checked, into ctl->dir_fd. */
static int control_sock_dir(struct control *ctl)
{
	char why[CONTROL_SOCK_WHY_BYTES];
	int fd;

	if (ctl->dir == NULL) {
		const char *slash = strrchr(ctl->path, '/');
		if (slash == NULL) {
			log_err("control socket %s: not an absolute path", ctl->path);
			return -1;
		}
		ctl->name = slash + 1;
		ctl->dir = strndup(ctl->path, slash == ctl->path ? 1 : (size_t)(slash - ctl->path));
		if (ctl->dir == NULL) {
			log_err("control socket %s: out of memory", ctl->path);
			return -1;
		}
	}
	fd = rundir_open_dir(ctl->dir, "directory of the control socket", why, sizeof(why));
	if (fd < 0) {
		log_err("control socket %s: %s: refused", ctl->path, why);
		return -1;
	}
	if (ctl->dir_fd >= 0)
		close(ctl->dir_fd);
	ctl->dir_fd = fd;
	return 0;
}

/* Binds and listens at ctl->path. The directory is checked (root's, and
 * nobody else may write it or any directory above it), so the name leads
 * nowhere else; bind(2) itself never follows a symlink in the last
 * component (EADDRINUSE); and the file bound is checked afterwards. */
static int control_sock_bind(struct control *ctl)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (strlen(ctl->path) >= sizeof(sun.sun_path)) {
		log_err("control socket path too long: %s", ctl->path);
		return -1;
	}
	strcpy(sun.sun_path, ctl->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("control socket %s: %s", ctl->path, strerror(errno));
		return -1;
	}
	/* No fds from clients (cmsg.h): the connections accepted inherit it. */
	(void)cmsg_refuse_fds(fd);
	/* stale: a live master would hold the pid file lock. A symlink goes
	 * as a name; what it points to is not touched. */
	if (unlinkat(ctl->dir_fd, ctl->name, 0) < 0 && errno != ENOENT)
		log_warn("control socket %s: cannot remove the old one: %s", ctl->path,
			 strerror(errno));
	mode_t old = umask(0177); /* born 0600: no window where others connect */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(fd, CONTROL_SOCK_BACKLOG) < 0) {
		log_err("control socket %s: %s", ctl->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (fstatat(ctl->dir_fd, ctl->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		log_err("control socket %s: not the socket just bound: refused", ctl->path);
		close(fd);
		return -1;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	return fd;
}

int control_sock_open(struct control *ctl)
{
	ctl->dir = NULL;
	if (control_sock_dir(ctl) < 0)
		return -1;
	return control_sock_bind(ctl);
}

int control_sock_file(const struct control *ctl)
{
	struct stat st;
	int fd;

	if (ctl->dir_fd < 0)
		return -1;
	fd = openat(ctl->dir_fd, ctl->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		return fd;
	close(fd);
	return -1;
}

int control_sock_renew(struct control *ctl)
{
	if (control_sock_dir(ctl) < 0)
		return -1;
	int fd = control_sock_file(ctl);
	if (fd >= 0) {
		close(fd);
		return CONTROL_SOCK_KEPT;
	}
	fd = control_sock_bind(ctl);
	if (fd >= 0)
		log_warn("control socket %s was removed or replaced: listening on a new one",
			 ctl->path);
	return fd;
}

void control_sock_remove(struct control *ctl)
{
	int fd = control_sock_file(ctl);

	if (fd >= 0) {
		unlinkat(ctl->dir_fd, ctl->name, 0);
		close(fd);
	}
	if (ctl->dir_fd >= 0)
		close(ctl->dir_fd);
	ctl->dir_fd = -1;
	free(ctl->dir);
	ctl->dir = NULL;
}
