/* safepath.h - opening a path that root then acts on, without trusting
 * the path: every directory on the way and every symlink followed must be
 * owned by root (or the master's own uid), and no directory on the way may
 * be writable by its group or others unless it is sticky (/tmp: there only
 * an entry's owner can rename or remove it, and every entry taken from it
 * is checked to be root's). Symlinks are followed by hand, one component
 * at a time (O_PATH|O_NOFOLLOW), so what is checked is what is opened; the
 * caller keeps the fd and never looks the path up again. A lookup can be
 * confined below a directory fd, as a chroot would see it (".." and
 * absolute symlinks stop there): how a jail's command is found. */
#ifndef MASTER_SAFEPATH_H
#define MASTER_SAFEPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SAFEPATH_WHY_BYTES 512

/* Whether st, an object called path (kind: "directory", "run directory",
 * ...; may be NULL), is safe to act on as root: owned by root or by
 * trusted, and not writable by its group or others (for a directory with
 * sticky_ok, unless it has the sticky bit). If not, why says so: "KIND
 * PATH: owned by uid 1000 (mode 0755), not root" or "KIND PATH: writable
 * by its group (owned by uid 0, mode 0775)"; without "KIND PATH: " when
 * path is NULL. */
bool safepath_trusted(const struct stat *st, uid_t trusted, bool sticky_ok,
		      const char *kind, const char *path, char *why, size_t size);

/* Opens path below root_fd (a directory fd; -1: below "/"); root_name is
 * how messages show root_fd ("" or NULL for "/"). Every directory on the
 * way (root_fd's included) and every symlink followed is checked with
 * safepath_trusted(sticky_ok); the object found last is not (the caller's
 * rules for it differ). Returns an O_PATH|O_CLOEXEC fd of it, or -1 with
 * errno set and why: strerror(errno) when a lookup failed, else what is
 * wrong with which directory ("directory /srv: owned by uid 1000 ..."). */
int safepath_open(int root_fd, const char *root_name, const char *path, uid_t trusted,
		  char *why, size_t size);

#endif
