/* config_paths.h - what a service's workers are started from, opened once
 * per configuration load (start and every reload) and checked on the fd
 * the master then uses: the chroot jail (entered by fchdir + chroot(".")
 * at each launch) and the command (exec'd with execveat). A path renamed
 * or replaced after the check changes nothing until the next reload, which
 * checks the new one. The fds belong to the service_config (config_free
 * closes them). */
#ifndef MASTER_CONFIG_PATHS_H
#define MASTER_CONFIG_PATHS_H

#include <stddef.h>

#include "config.h"
#include "diag.h"

/* Opens and checks jail for sc: an absolute path; every directory above
 * it owned by root and not writable by group or others (sticky ones, as
 * /tmp, allowed: safepath.h); itself a directory owned by root, not
 * writable by group or others, and for an unpriv=n worker (root owns it)
 * not writable at all. Sets sc->jail_fd, or adds "WHERE: chroot ..." to
 * errs. */
void config_paths_jail(struct service_config *sc, const char *jail, const char *where,
		       struct diag *errs);

/* Opens and checks the command at path (inside sc's jail when it has
 * one): a regular file, executable, owned by root or the master's uid, not
 * writable by group or others, and every directory on the way owned by
 * them too. Sets sc->exec_fd; a "#!" script is exec'd by its (checked)
 * path instead, and gets -1 (docs/security.md says why). Returns 0, or -1
 * with why ("No such file or directory", "not a regular file", "directory
 * /srv: owned by uid 1000 (mode 0755), not root"). */
int config_paths_command(struct service_config *sc, const char *jail, const char *path,
			 char *why, size_t size);

/* Closes sc's fds. */
void config_paths_close(struct service_config *sc);

#endif
