/* sweep_scan.c - one sweep of a Maildir spool (sweep_scan.h).
 *
 * Owns the walk: new/, cur/ and tmp/ one level deep, entries looked at
 * with fstatat(AT_SYMLINK_NOFOLLOW) and removed with unlinkat relative to
 * their directory's fd, so no path is looked up twice and no link leads
 * out of the spool. Nothing here is fatal: an entry that cannot be read
 * or removed is counted as an error and the sweep goes on. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep_scan.h"

static const char *const sweep_scan_dirs[3] = { "new", "cur", "tmp" };

bool sweep_expired(time_t mtime, time_t now, long long age_s)
{
	return age_s > 0 && (long long)now - (long long)mtime > age_s;
}

static void sweep_scan_dir(int spool_fd, int which, const struct sweep_policy *policy,
	time_t now, struct sweep_counts *c)
{
	long long age = which == 2 ? policy->tmp_age_s : policy->max_age_s;
	int fd = openat(spool_fd, sweep_scan_dirs[which],
		O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;

	if (fd < 0) {
		if (errno != ENOENT)
			c->errors++;
		return;
	}
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		c->errors++;
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')       /* ".", "..", and Maildir's hidden names */
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)    /* gone meanwhile: read by a client */
				c->errors++;
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (sweep_expired(st.st_mtime, now, age)) {
			if (unlinkat(fd, de->d_name, 0) == 0)
				(*(which == 2 ? &c->tmp_removed : &c->removed))++;
			else if (errno != ENOENT)
				c->errors++;
			continue;
		}
		c->files[which]++;
		c->bytes += (unsigned long long)st.st_size;
	}
	closedir(dir);
}

int sweep_scan(int spool_fd, const struct sweep_policy *policy, time_t now,
	struct sweep_counts *counts)
{
	struct stat st;

	memset(counts, 0, sizeof(*counts));
	if (fstat(spool_fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return -1;
	for (int which = 0; which < 3; which++)
		sweep_scan_dir(spool_fd, which, policy, now, counts);
	return 0;
}
