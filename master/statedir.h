/* statedir.h - directories the master makes as root for its workers, by
 * file descriptor, never following a symbolic link on the way: a
 * dynamic-user service's state directory, and the master's own empty
 * jail. Every existing directory above must be owned by root (or by the
 * master's own user) and not writable by group or others, unless sticky
 * (/tmp): nobody else can swap a component while the master works there.
 * Missing ones are created (0755). */
#ifndef MASTER_STATEDIR_H
#define MASTER_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define STATEDIR_DEPTH_MAX 64 /* levels chowned below a state directory */
#define STATEDIR_CHOWN_ENTRIES_MAX 100000u /* entries chowned at a takeover (statedir.c) */
#define STATEDIR_XATTR "trusted.master.state" /* root alone reads or sets it */

/* Makes path (mode, owned by uid:gid) if missing. When set_owner and it
 * is owned by anyone else (a new allocation, or a released directory),
 * everything inside is chowned too, without following links and skipping
 * files with more than one hard link (which could be anyone's); then the
 * directory itself, and its mode set. A chown by root through a whole tree
 * is only done on a directory the master made: created just now, marked
 * with the STATEDIR_XATTR extended attribute (set on each it makes), or
 * owned by a uid of owners_min..owners_max (the dynamic range); any other
 * (state_directory=/etc) is refused. Without set_owner (a master that is
 * not root) ownership is left alone. Returns 0; 1 with a warning in why
 * (entries left alone); -1 with why. */
int statedir_prepare(const char *path, uid_t uid, gid_t gid, mode_t mode, bool set_owner,
		     uid_t owners_min, uid_t owners_max, char *why, size_t whysize);

/* The service is gone and its uid released: the directory goes back to
 * root, mode 0700, so that whoever gets the uid next cannot reach the
 * files (its contents keep their owners until the next statedir_prepare).
 * A missing directory is not an error. Returns 0, or -1 with why. */
int statedir_release(const char *path, char *why, size_t whysize);

/* The master's own jail: path made if missing, owned by root, mode 0555
 * (not writable even by a root worker), and empty. Returns 0, or -1 with
 * why ("not empty", a symbolic link, ...). */
int statedir_jail(const char *path, char *why, size_t whysize);

#endif
