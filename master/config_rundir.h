/* config_rundir.h - the load-time check that the master can make its run
 * directory and the directories of its control socket and pid file: the
 * master makes what is missing at start (rundir.c, like mkdir -p), and a
 * path that cannot be made (under a file, on /proc or /sys, on a
 * read-only file system) passed the check and then failed at start. */
#ifndef MASTER_CONFIG_RUNDIR_H
#define MASTER_CONFIG_RUNDIR_H

#include "diag.h"
#include "settings.h"

/* conf: the master.conf path, to name where a setting was written. */
void config_rundir_check(const struct master_settings *m, const char *conf, struct diag *errs);

#endif
