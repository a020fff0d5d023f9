/* config_rundir.c - owns checking that the run-time directories can be
 * made (see config_rundir.h): the nearest existing ancestor of each must
 * be a directory on a file system where directories can be created. What
 * exists already is rundir.c's to check at start (owner, mode).
 *
 * Nothing is fatal here: no allocation; every problem is an error of the
 * load. */
#include "config_rundir.h"
#include "config_where.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>

#define CONFIG_RUNDIR_PATH_BYTES 4096

static void config_rundir_one(const char *setting, const char *dir, bool parent,
			      const struct master_settings *m, const char *conf,
			      struct diag *errs)
{
	char path[CONFIG_RUNDIR_PATH_BYTES], at[CONFIG_WHERE_BYTES];
	struct stat st;
	struct statfs sfs;
	struct statvfs svfs;
	const char *why = NULL;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return; /* rundir.c says "too long" at start */
	if (parent && strrchr(path, '/') != NULL)
		strrchr(path, '/')[path[0] == '/' && strrchr(path, '/') == path ? 1 : 0] = '\0';
	if (stat(path, &st) == 0)
		return; /* exists: checked at start */
	/* The nearest ancestor that exists: the first thing made is in it. */
	while (stat(path, &st) != 0) {
		char *slash = strrchr(path, '/');
		if (errno != ENOENT || slash == NULL || slash == path) {
			if (errno != ENOENT)
				why = strerror(errno);
			if (slash == path)
				snprintf(path, sizeof(path), "/");
			break;
		}
		*slash = '\0';
	}
	if (why == NULL && stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
		why = "not a directory";
	else if (why == NULL && statfs(path, &sfs) == 0 &&
		 (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC))
		why = "a kernel file system (/proc or /sys): nothing can be made there";
	else if (why == NULL && statvfs(path, &svfs) == 0 && (svfs.f_flag & ST_RDONLY))
		why = "a read-only file system";
	if (why == NULL)
		return;
	diag_add(errs, "%s: %s \"%s\": cannot be made: %s: %s",
		 config_where_master(m, conf, setting, at, sizeof(at)), setting, dir, path, why);
}

void config_rundir_check(const struct master_settings *m, const char *conf, struct diag *errs)
{
	size_t before = diag_count(errs);

	config_rundir_one("run_directory", m->run_directory, false, m, conf, errs);
	/* The same path, the same error: one is enough. */
	if (diag_count(errs) != before)
		return;
	config_rundir_one("control_socket", m->control_socket, true, m, conf, errs);
	config_rundir_one("pid_file", m->pid_file, true, m, conf, errs);
}
