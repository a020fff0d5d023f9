/* statedir.c - owns making the master's directories for workers (see
 * statedir.h): the component-by-component walk with openat(O_NOFOLLOW),
 * the checks on each directory above, and the chown of a state directory
 * through file descriptors (O_PATH, AT_EMPTY_PATH), so that no name is
 * looked up twice. Nothing here is fatal to the master: a failure fails
 * the service's creation, with the reason. */
#include "statedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define STATEDIR_NAME_BYTES 256
#define STATEDIR_PARENT_MODE 0755
#define STATEDIR_RELEASED_MODE 0700
#define STATEDIR_JAIL_MODE 0555

/* A directory above: root's (or ours), writable only by its owner, or
 * sticky (/tmp), where nobody can rename another's entry. */
static int statedir_check_parent(int fd, const char *name, char *why, size_t whysize)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(why, whysize, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, whysize, "%s: owned by uid %ld, not root", name, (long)st.st_uid);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(why, whysize, "%s: writable by %s (mode %04o)", name,
			 (st.st_mode & S_IWOTH) ? "others" : "its group", st.st_mode & 07777);
		return -1;
	}
	return 0;
}

/* Opens path's last component as a directory, walking from "/" with
 * O_NOFOLLOW; missing components are made (the last one with leaf_mode)
 * when create (*created says whether the last one was). Returns the fd,
 * or -1 with errno and why. */
static int statedir_walk(const char *path, bool create, mode_t leaf_mode, bool *created,
			 char *why, size_t whysize)
{
	char name[STATEDIR_NAME_BYTES];
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (path[0] != '/' || fd < 0) {
		snprintf(why, whysize, "%s: must be an absolute path", path);
		if (fd >= 0)
			close(fd);
		errno = EINVAL;
		return -1;
	}
	for (const char *p = path + strspn(path, "/"); *p != '\0'; p += strspn(p, "/")) {
		size_t len = strcspn(p, "/"), upto = (size_t)(p - path) + len;
		bool last = p[len + strspn(p + len, "/")] == '\0';
		/* fd is the directory above p: "/", or path up to p's slash */
		snprintf(name, sizeof(name), "%.*s", (int)(p - path > 1 ? p - path - 1 : 1), path);
		if (statedir_check_parent(fd, name, why, whysize) < 0) {
			err = EPERM;
			break;
		}
		if (len >= sizeof(name)) {
			snprintf(why, whysize, "%.*s: name too long", (int)upto, path);
			err = ENAMETOOLONG;
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if (create && mkdirat(fd, name, last ? leaf_mode : STATEDIR_PARENT_MODE) == 0) {
			if (last && created != NULL)
				*created = true;
		} else if (create && errno != EEXIST) {
			err = errno;
			snprintf(why, whysize, "%.*s: mkdir: %s", (int)upto, path, strerror(err));
			break;
		}
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			struct stat st;
			err = errno;
			/* O_DIRECTORY|O_NOFOLLOW on a link: ELOOP or ENOTDIR */
			bool link = err == ELOOP || (err == ENOTDIR && fstatat(fd, name, &st,
					AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode));
			snprintf(why, whysize, "%.*s: %s", (int)upto, path, link ?
				 "a symbolic link (not followed)" : strerror(err));
			break;
		}
		close(fd);
		fd = next;
		p += len;
	}
	if (err != 0) {
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* chowns what is inside dirfd, depth levels deep at most, *budget entries
 * at most (the walk runs on the master's loop, 3.8 us an entry measured:
 * a worker that filled its directory with 300,000 files held the loop 1.1
 * s at the takeover). Returns the number of entries left alone
 * (hard-linked files, too deep, past the budget, errors). */
static unsigned statedir_chown_tree(int dirfd, uid_t uid, gid_t gid, unsigned depth,
				    unsigned *budget)
{
	int listfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = listfd >= 0 ? fdopendir(listfd) : NULL;
	struct dirent *de;
	unsigned skipped = 0;

	if (dir == NULL) {
		if (listfd >= 0)
			close(listfd);
		return 1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*budget == 0) {
			skipped++;
			continue;
		}
		--*budget;
		/* O_PATH|O_NOFOLLOW: the entry itself, link or not, whatever
		 * its name points at later. */
		int fd = openat(dirfd, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			skipped++;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = depth > 0 ? openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
			skipped += sub >= 0 ? statedir_chown_tree(sub, uid, gid, depth - 1, budget) : 1;
			if (sub >= 0)
				close(sub);
			if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) != 0)
				skipped++;
		} else if (!S_ISLNK(st.st_mode) && st.st_nlink > 1) {
			skipped++; /* another name may be anyone's file */
		} else if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) != 0) {
			skipped++;
		}
		if (fd >= 0)
			close(fd);
	}
	closedir(dir);
	return skipped;
}

/* Whether the master may chown the tree of fd (see statedir.h). */
static bool statedir_ours(int fd, const struct stat *st, bool created, uid_t owners_min,
			  uid_t owners_max)
{
	char mark;

	if (created || (st->st_uid >= owners_min && st->st_uid <= owners_max))
		return true;
	return fgetxattr(fd, STATEDIR_XATTR, &mark, sizeof(mark)) >= 0;
}

int statedir_prepare(const char *path, uid_t uid, gid_t gid, mode_t mode, bool set_owner,
		     uid_t owners_min, uid_t owners_max, char *why, size_t whysize)
{
	struct stat st;
	bool created = false;
	int fd = statedir_walk(path, true, mode, &created, why, whysize);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (set_owner && (st.st_uid != uid || st.st_gid != gid)) {
		if (!statedir_ours(fd, &st, created, owners_min, owners_max)) {
			snprintf(why, whysize, "%s: owned by uid %ld and not made by the master: "
				 "not taken over (give each service a directory of its own, e.g. "
				 "with %%n)", path, (long)st.st_uid);
			close(fd);
			return -1;
		}
		/* Marked first: a failure half-way leaves it ours to retry. */
		(void)fsetxattr(fd, STATEDIR_XATTR, "1", 1, 0);
		unsigned budget = STATEDIR_CHOWN_ENTRIES_MAX;
		unsigned skipped = statedir_chown_tree(fd, uid, gid, STATEDIR_DEPTH_MAX, &budget);
		if (fchown(fd, uid, gid) != 0) {
			snprintf(why, whysize, "%s: chown: %s", path, strerror(errno));
			rc = -1;
		} else if (skipped > 0) {
			snprintf(why, whysize, "%s: %u entries inside not given to uid %ld "
				 "(hard-linked, too deep, past %u entries, or failed)", path, skipped,
				 (long)uid, STATEDIR_CHOWN_ENTRIES_MAX);
			rc = 1; /* a warning: the directory itself is ready */
		}
	}
	if (rc >= 0 && fchmod(fd, mode) != 0) {
		snprintf(why, whysize, "%s: chmod: %s", path, strerror(errno));
		rc = -1;
	}
	close(fd);
	return rc;
}

int statedir_release(const char *path, char *why, size_t whysize)
{
	int fd = statedir_walk(path, false, 0, NULL, why, whysize);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	int rc = geteuid() != 0 ? 0 : fchown(fd, 0, 0);
	if (rc == 0)
		rc = fchmod(fd, STATEDIR_RELEASED_MODE);
	if (rc != 0)
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int statedir_jail(const char *path, char *why, size_t whysize)
{
	int fd = statedir_walk(path, true, STATEDIR_JAIL_MODE, NULL, why, whysize);
	DIR *dir;
	struct dirent *de;
	bool empty = true;

	if (fd < 0)
		return -1;
	if ((geteuid() == 0 && fchown(fd, 0, 0) != 0) || fchmod(fd, STATEDIR_JAIL_MODE) != 0) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if ((dir = fdopendir(fd)) == NULL) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while (empty && (de = readdir(dir)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(dir);
	if (!empty) {
		snprintf(why, whysize, "%s: not empty (the master's own jail holds nothing; "
			 "set chroot_directory to an absolute path for a jail of yours)", path);
		return -1;
	}
	return 0;
}
