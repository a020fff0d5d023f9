/* safepath.c - owns the checked, symlink-by-hand path walk (see
 * safepath.h). Nothing here is fatal: every failure is an answer. */
#include "safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SAFEPATH_LINKS_MAX 40   /* as the kernel's own lookup (ELOOP) */
#define SAFEPATH_DEPTH_MAX 64   /* directories deep */
#define SAFEPATH_PATH_BYTES 4096

struct safepath_walk {
	int fd[SAFEPATH_DEPTH_MAX + 1]; /* fd[0] is the root */
	size_t len[SAFEPATH_DEPTH_MAX + 1]; /* strlen(shown) at each depth */
	size_t depth;
	bool own_root;
	char shown[SAFEPATH_PATH_BYTES]; /* the directories walked, for messages */
};

bool safepath_trusted(const struct stat *st, uid_t trusted, bool sticky_ok,
		      const char *kind, const char *path, char *why, size_t size)
{
	unsigned mode = st->st_mode & 07777;
	char others[32] = "", prefix[SAFEPATH_PATH_BYTES + 32] = "";

	if (path != NULL)
		snprintf(prefix, sizeof(prefix), "%s%s%s: ", kind != NULL ? kind : "",
			 kind != NULL && kind[0] != '\0' ? " " : "", path);
	if (st->st_uid != 0 && st->st_uid != trusted) {
		if (trusted != 0)
			snprintf(others, sizeof(others), " or uid %ld", (long)trusted);
		snprintf(why, size, "%sowned by uid %ld (mode %04o), not root%s", prefix,
			 (long)st->st_uid, mode, others);
		return false;
	}
	if (S_ISLNK(st->st_mode) || !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return true; /* a symlink's own mode means nothing */
	if (sticky_ok && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return true;
	snprintf(why, size, "%swritable by %s (owned by uid %ld, mode %04o)", prefix,
		 (st->st_mode & S_IWOTH) ? "others" : "its group", (long)st->st_uid, mode);
	return false;
}

static void safepath_pop(struct safepath_walk *w, size_t to_depth)
{
	while (w->depth > to_depth)
		close(w->fd[w->depth--]);
	w->shown[w->len[w->depth]] = '\0';
}

/* "DIR/name" for messages, in buf. */
static const char *safepath_show(const struct safepath_walk *w, const char *name,
				 char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", w->shown, name);
	return buf;
}

static int safepath_fail(int err, char *why, size_t size)
{
	snprintf(why, size, "%s", strerror(err));
	errno = err;
	return -1;
}

/* Replaces the component just read (rest up to *p) by the symlink's
 * target: rest becomes "TARGET/REMAINDER". */
static int safepath_splice(char *rest, size_t size, const char **p, const char *target)
{
	char tmp[SAFEPATH_PATH_BYTES];
	int n = snprintf(tmp, sizeof(tmp), "%s/%s", target, *p);

	if (n < 0 || (size_t)n >= sizeof(tmp) || (size_t)n >= size)
		return -1;
	memcpy(rest, tmp, (size_t)n + 1);
	*p = rest;
	return 0;
}

/* One step: comp opened below the current directory. Returns 1 (went on:
 * a directory pushed or a symlink spliced), 0 (fd is the last object, in
 * *out), or -1 (why set). */
static int safepath_step(struct safepath_walk *w, const char *comp, bool last, uid_t trusted,
			 char *rest, size_t restsize, const char **p, unsigned *links,
			 int *out, char *why, size_t size)
{
	char shown[SAFEPATH_PATH_BYTES], target[SAFEPATH_PATH_BYTES];
	struct stat st;
	int fd = openat(w->fd[w->depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return safepath_fail(err, why, size);
	}
	safepath_show(w, comp, shown, sizeof(shown));
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = -1;
		if (!safepath_trusted(&st, trusted, true, "symlink", shown, why, size)) {
			close(fd);
			errno = EPERM;
			return -1;
		}
		if (++*links <= SAFEPATH_LINKS_MAX)
			n = readlinkat(fd, "", target, sizeof(target) - 1);
		close(fd);
		if (*links > SAFEPATH_LINKS_MAX)
			return safepath_fail(ELOOP, why, size);
		if (n <= 0)
			return safepath_fail(n < 0 ? errno : ENOENT, why, size);
		target[n] = '\0';
		if (safepath_splice(rest, restsize, p, target) < 0)
			return safepath_fail(ENAMETOOLONG, why, size);
		if (target[0] == '/')
			safepath_pop(w, 0);
		return 1;
	}
	if (last) {
		*out = fd;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return safepath_fail(ENOTDIR, why, size);
	}
	if (!safepath_trusted(&st, trusted, true, "directory", shown, why, size) ||
	    w->depth == SAFEPATH_DEPTH_MAX) {
		close(fd);
		if (w->depth == SAFEPATH_DEPTH_MAX)
			return safepath_fail(ENAMETOOLONG, why, size);
		errno = EPERM;
		return -1;
	}
	w->fd[++w->depth] = fd;
	snprintf(w->shown, sizeof(w->shown), "%s", shown);
	w->len[w->depth] = strlen(w->shown);
	return 1;
}

static int safepath_walk(struct safepath_walk *w, char *rest, size_t restsize, uid_t trusted,
			 char *why, size_t size)
{
	const char *p = rest;
	unsigned links = 0;
	char comp[NAME_MAX + 1];
	int out = -1;

	for (;;) {
		p += strspn(p, "/");
		if (*p == '\0') { /* ends in a directory (or is the root) */
			out = fcntl(w->fd[w->depth], F_DUPFD_CLOEXEC, 3);
			return out >= 0 ? out : safepath_fail(errno, why, size);
		}
		size_t n = strcspn(p, "/");
		if (n > NAME_MAX)
			return safepath_fail(ENAMETOOLONG, why, size);
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += n;
		bool last = p[strspn(p, "/")] == '\0';
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) { /* never above the root */
			safepath_pop(w, w->depth > 0 ? w->depth - 1 : 0);
			continue;
		}
		int rc = safepath_step(w, comp, last, trusted, rest, restsize, &p, &links, &out,
				       why, size);
		if (rc <= 0)
			return rc < 0 ? -1 : out;
	}
}

int safepath_open(int root_fd, const char *root_name, const char *path, uid_t trusted,
		  char *why, size_t size)
{
	struct safepath_walk w = { .own_root = root_fd < 0 };
	char rest[SAFEPATH_PATH_BYTES];
	struct stat st;
	int fd = -1, err;

	if (strlen(path) >= sizeof(rest))
		return safepath_fail(ENAMETOOLONG, why, size);
	strcpy(rest, path);
	w.fd[0] = root_fd >= 0 ? root_fd : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w.fd[0] < 0)
		return safepath_fail(errno, why, size);
	snprintf(w.shown, sizeof(w.shown), "%s", root_name != NULL ? root_name : "");
	w.len[0] = strlen(w.shown);
	if (fstat(w.fd[0], &st) < 0) {
		err = errno;
		snprintf(why, size, "%s", strerror(err));
	} else if (!safepath_trusted(&st, trusted, true, "directory",
				     w.shown[0] != '\0' ? w.shown : "/", why, size)) {
		err = EPERM;
	} else {
		fd = safepath_walk(&w, rest, sizeof(rest), trusted, why, size);
		err = errno;
	}
	safepath_pop(&w, 0);
	if (w.own_root)
		close(w.fd[0]);
	errno = err;
	return fd;
}
