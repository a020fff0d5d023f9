/* config_paths.c - owns opening and checking a service's jail and command
 * (see config_paths.h). Nothing here is fatal: a failed check is an error
 * of the configuration being loaded, which then does not load. */
#include "config_paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safepath.h"

#define CONFIG_PATHS_PROC_FD_BYTES 32

void config_paths_jail(struct service_config *sc, const char *jail, const char *where,
		       struct diag *errs)
{
	char why[SAFEPATH_WHY_BYTES];
	struct stat st;
	int fd;

	if (jail[0] != '/') {
		diag_add(errs, "%s: chroot \"%s\": must be an absolute path", where, jail);
		return;
	}
	/* Only root may own what leads to a jail: whoever can rename a
	 * directory on the way chooses what the next reload opens. */
	fd = safepath_open(-1, NULL, jail, 0, why, sizeof(why));
	if (fd < 0 || fstat(fd, &st) < 0) {
		diag_add(errs, "%s: chroot \"%s\": %s", where, jail, fd < 0 ? why : strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		diag_add(errs, "%s: chroot \"%s\": not a directory", where, jail);
	else if (st.st_uid != 0)
		diag_add(errs, "%s: chroot \"%s\": owned by uid %ld, not root", where, jail,
			 (long)st.st_uid);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		diag_add(errs, "%s: chroot \"%s\": writable by %s (mode %04o)", where, jail,
			 (st.st_mode & S_IWOTH) ? "others" : "its group", st.st_mode & 07777);
	else if (!sc->unpriv && (st.st_mode & S_IWUSR))
		/* Without capabilities a root worker is still the owner. */
		diag_add(errs, "%s: chroot \"%s\": writable by root, the user of this unpriv=n "
			 "worker (mode %04o; make it 0555)", where, jail, st.st_mode & 07777);
	else {
		sc->jail_fd = fd;
		return;
	}
	close(fd);
}

/* Whether the file behind fd starts with "#!". Read through a fresh open
 * of the same file (/proc/self/fd: an O_PATH fd cannot be read); where
 * that fails the file is taken for a binary (a script that cannot be read
 * could not run anyway). */
static bool config_paths_is_script(int fd)
{
	char proc[CONFIG_PATHS_PROC_FD_BYTES], head[2];
	bool script;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int rfd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (rfd < 0)
		return false;
	script = pread(rfd, head, sizeof(head), 0) == 2 && head[0] == '#' && head[1] == '!';
	close(rfd);
	return script;
}

static bool config_paths_executable(int fd, const struct stat *st)
{
	if (faccessat(fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) == 0)
		return true;
	if (errno != EINVAL && errno != ENOSYS)
		return false;
	/* No faccessat2 (before 5.8): root may run it if anyone may. */
	errno = EACCES;
	return (st->st_mode & 0111) != 0;
}

int config_paths_command(struct service_config *sc, const char *jail, const char *path,
			 char *why, size_t size)
{
	uid_t me = geteuid();
	struct stat st;
	int fd = safepath_open(sc->jail_fd, jail, path, me, why, size);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		snprintf(why, size, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, size, "not a regular file");
	else if (!config_paths_executable(fd, &st))
		snprintf(why, size, "%s", strerror(errno));
	else if (safepath_trusted(&st, me, false, NULL, NULL, why, size)) {
		/* A script's interpreter would get /dev/fd/N, which the close-
		 * on-exec fd no longer names (and a jail rarely has): by path. */
		if (config_paths_is_script(fd)) {
			close(fd);
			fd = -1;
		}
		sc->exec_fd = fd;
		return 0;
	}
	close(fd);
	return -1;
}

void config_paths_close(struct service_config *sc)
{
	if (sc->jail_fd >= 0)
		close(sc->jail_fd);
	if (sc->exec_fd >= 0)
		close(sc->exec_fd);
	sc->jail_fd = sc->exec_fd = -1;
}
