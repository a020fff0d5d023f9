/* cgroup.c - owns a service's cgroup v2 directory (see cgroup.h).
 *
 * cgroup v2 hands a controller to a child only when every cgroup above it
 * lists it in cgroup.subtree_control, so creation walks down from the
 * top of the cgroup2 mount to cgroup_parent, enabling what is missing.
 * The "no internal processes" rule means cgroup_parent must hold no
 * process itself (EBUSY otherwise): give the master a cgroup_parent of its
 * own (with systemd: Delegate=yes, and a sub-cgroup). Availability of the
 * controllers was checked at load (config_isolation.c). */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define CGROUP_PATH_BYTES 4096
#define CGROUP_FILE_BYTES (CGROUP_PATH_BYTES + 64) /* a path plus a file name */
#define CGROUP_LINE_BYTES 1024
#define CGROUP_DIR_MODE 0755

static int cgroup_write(const char *dir, const char *file, const char *value,
			char *err, size_t errsize)
{
	char path[CGROUP_FILE_BYTES];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 ||
	    write(fd, value, strlen(value)) != (ssize_t)strlen(value)) {
		snprintf(err, errsize, "%s: writing \"%s\": %s", path, value, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int cgroup_is_cgroup2(const char *dir)
{
	struct statfs sfs;

	return statfs(dir, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Enables each controller in dir's cgroup.subtree_control unless it is
 * there already (writing is not free: it may touch every child). */
static int cgroup_enable(const char *dir, const char *const *controllers, size_t n,
			 char *err, size_t errsize)
{
	char path[CGROUP_FILE_BYTES], have[CGROUP_LINE_BYTES] = "";
	char word[64];

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	FILE *fp = fopen(path, "re");
	if (fp != NULL) {
		if (fgets(have, sizeof(have), fp) == NULL)
			have[0] = '\0';
		fclose(fp);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(word, sizeof(word), " %s ", controllers[i]);
		char padded[CGROUP_LINE_BYTES + 2];
		snprintf(padded, sizeof(padded), " %.*s ", (int)strcspn(have, "\n"), have);
		if (strstr(padded, word) != NULL)
			continue;
		snprintf(word, sizeof(word), "+%s", controllers[i]);
		if (cgroup_write(dir, "cgroup.subtree_control", word, err, errsize) < 0)
			return -1;
	}
	return 0;
}

/* mkdir -p of parent, then controllers enabled from the top of the cgroup2
 * mount down to parent itself. */
static int cgroup_prepare_parent(const char *parent, const char *const *controllers, size_t n,
				 char *err, size_t errsize)
{
	char dir[CGROUP_PATH_BYTES];
	size_t len = strlen(parent);
	int inside = 0; /* the directory above is on cgroup2 */

	if (len >= sizeof(dir) || parent[0] != '/') {
		snprintf(err, errsize, "cgroup_parent \"%s\": not an absolute path", parent);
		return -1;
	}
	for (size_t i = 1; i <= len; i++) {
		if (i < len && parent[i] != '/')
			continue;
		memcpy(dir, parent, i);
		dir[i] = '\0';
		/* Only inside cgroup2 (above, a missing directory is an error):
		 * a mistyped cgroup_parent must not litter the host. */
		if (access(dir, F_OK) != 0 && inside &&
		    mkdir(dir, CGROUP_DIR_MODE) < 0 && errno != EEXIST) {
			snprintf(err, errsize, "%s: mkdir: %s", dir, strerror(errno));
			return -1;
		}
		inside = cgroup_is_cgroup2(dir);
		if (inside && cgroup_enable(dir, controllers, n, err, errsize) < 0)
			return -1;
	}
	if (!cgroup_is_cgroup2(parent)) {
		snprintf(err, errsize, "cgroup_parent \"%s\" is not on a cgroup2 file system", parent);
		return -1;
	}
	return 0;
}

static int cgroup_limits_write(const char *dir, const struct cgroup_limits *lim,
			       char *err, size_t errsize)
{
	char v[32];

	if (lim->memory_max_bytes != 0) {
		snprintf(v, sizeof(v), "%llu", lim->memory_max_bytes);
		if (cgroup_write(dir, "memory.max", v, err, errsize) < 0)
			return -1;
	}
	if (lim->pids_max != 0) {
		snprintf(v, sizeof(v), "%u", lim->pids_max);
		if (cgroup_write(dir, "pids.max", v, err, errsize) < 0)
			return -1;
	}
	if (lim->cpu_weight != 0) {
		snprintf(v, sizeof(v), "%u", lim->cpu_weight);
		if (cgroup_write(dir, "cpu.weight", v, err, errsize) < 0)
			return -1;
	}
	return 0;
}

int cgroup_create(struct cgroup *cg, const char *parent, const char *name,
		  const struct cgroup_limits *lim, const char *const *controllers,
		  size_t ncontrollers, char *err, size_t errsize)
{
	char procs[CGROUP_FILE_BYTES];

	cg->dir_fd = cg->procs_fd = -1;
	cg->path = NULL;
	if (cgroup_prepare_parent(parent, controllers, ncontrollers, err, errsize) < 0)
		return -1;
	if (asprintf(&cg->path, "%s/%s", parent, name) < 0) {
		cg->path = NULL;
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	/* An existing one (a previous master's) is reused: same name, same
	 * service; its limits are rewritten below. */
	if (mkdir(cg->path, CGROUP_DIR_MODE) < 0 && errno != EEXIST) {
		snprintf(err, errsize, "%s: mkdir: %s", cg->path, strerror(errno));
		goto fail;
	}
	if (cgroup_limits_write(cg->path, lim, err, errsize) < 0)
		goto fail;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->path);
	cg->dir_fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cg->procs_fd = cg->dir_fd < 0 ? -1 : open(procs, O_WRONLY | O_CLOEXEC);
	if (cg->procs_fd < 0) {
		snprintf(err, errsize, "%s: open: %s", cg->dir_fd < 0 ? cg->path : procs,
			 strerror(errno));
		goto fail;
	}
	return 0;
fail:
	cgroup_destroy(cg);
	return -1;
}

void cgroup_destroy(struct cgroup *cg)
{
	if (cg->dir_fd >= 0)
		close(cg->dir_fd);
	if (cg->procs_fd >= 0)
		close(cg->procs_fd);
	/* The directory stays: a reloaded successor of the same service uses
	 * the same one, and removing it under that successor's feet would
	 * fail its launches. An empty cgroup costs nothing; a new master
	 * reuses it. */
	free(cg->path);
	cg->path = NULL;
	cg->dir_fd = cg->procs_fd = -1;
}
