/* dynreg.c - owns the host's registry of dynamic uids held (see
 * dynreg.h): the directory's checks, this master's owner file and lock,
 * taking, giving back and reclaiming a dead master's uids. One registry
 * per process, opened at the first dynamic uid taken (root only). */
#include "dynreg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define DYNREG_MODE 0700
#define DYNREG_OWNER_MODE 0600
#define DYNREG_NAME_BYTES 48
#define DYNREG_WHY_BYTES 256
#define DYNREG_PROC_PATH_BYTES 300 /* "/proc/" NAME "/status" */
#define DYNREG_OWNER_PREFIX "owner."
#define DYNREG_TEMP_PREFIX "tmp."
#define DYNREG_TAKE_TRIES 2 /* once more after a dead master's entry went */
/* systemd's DynamicUser= keeps a lock file per uid it hands out here. */
#define DYNREG_SYSTEMD_DIR "/run/systemd/dynamic-uid"

enum dynreg_state { DYNREG_UNOPENED, DYNREG_OPEN, DYNREG_NONE, DYNREG_REFUSED };

static struct {
	enum dynreg_state state;
	int dirfd, ownerfd;
	char owner[DYNREG_NAME_BYTES]; /* our owner file's name */
	char why[DYNREG_WHY_BYTES];    /* DYNREG_REFUSED: the reason */
} dynreg = { DYNREG_UNOPENED, -1, -1, "", "" };

/* Whether the master whose owner file is owner lives: it holds the file's
 * lock. A missing file, or a name that is not an owner's, is no one's. */
static bool dynreg_alive(const char *owner)
{
	if (strcmp(owner, dynreg.owner) == 0)
		return true;
	if (strncmp(owner, DYNREG_OWNER_PREFIX, strlen(DYNREG_OWNER_PREFIX)) != 0 ||
	    strchr(owner, '/') != NULL)
		return false;
	int fd = openat(dynreg.dirfd, owner, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	bool alive = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd); /* and the lock with it, if it was free */
	return alive;
}

/* The owner files of masters that died go (their uids' entries then name
 * no one, and are reclaimed when wanted). */
static void dynreg_sweep_owners(void)
{
	int fd = openat(dynreg.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dir)) != NULL)
		if (strncmp(e->d_name, DYNREG_OWNER_PREFIX, strlen(DYNREG_OWNER_PREFIX)) == 0 &&
		    !dynreg_alive(e->d_name))
			unlinkat(dynreg.dirfd, e->d_name, 0);
	closedir(dir);
}

/* Our owner file: made under a temporary name and locked before it is
 * renamed, so that no other master ever sees it unlocked. */
static int dynreg_make_owner(void)
{
	char temp[DYNREG_NAME_BYTES];
	uint64_t nonce;

	if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return -1;
	snprintf(temp, sizeof(temp), DYNREG_TEMP_PREFIX "%016" PRIx64, nonce);
	snprintf(dynreg.owner, sizeof(dynreg.owner), DYNREG_OWNER_PREFIX "%016" PRIx64, nonce);
	dynreg.ownerfd = openat(dynreg.dirfd, temp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
				O_NOFOLLOW, DYNREG_OWNER_MODE);
	if (dynreg.ownerfd < 0)
		return -1;
	if (flock(dynreg.ownerfd, LOCK_EX | LOCK_NB) != 0 ||
	    renameat(dynreg.dirfd, temp, dynreg.dirfd, dynreg.owner) != 0) {
		int err = errno;
		unlinkat(dynreg.dirfd, temp, 0);
		close(dynreg.ownerfd);
		dynreg.ownerfd = -1;
		errno = err;
		return -1;
	}
	return 0;
}

int dynreg_open(char *why, size_t whysize)
{
	struct stat st;

	switch (dynreg.state) {
	case DYNREG_OPEN:
		return 0;
	case DYNREG_NONE:
		return 1;
	case DYNREG_REFUSED:
		snprintf(why, whysize, "%s", dynreg.why);
		return -1;
	case DYNREG_UNOPENED:
		break;
	}
	if ((mkdir(DYNREG_DIR, DYNREG_MODE) != 0 && errno != EEXIST) ||
	    (dynreg.dirfd = open(DYNREG_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				 O_CLOEXEC)) < 0) {
		log_warn("dynamic uid registry %s: %s: the uids this master hands out are not "
			 "known to other masters on this host", DYNREG_DIR, strerror(errno));
		dynreg.state = DYNREG_NONE;
		return 1;
	}
	if (fstat(dynreg.dirfd, &st) != 0) {
		snprintf(dynreg.why, sizeof(dynreg.why), "dynamic uid registry %s: %s", DYNREG_DIR,
			 strerror(errno));
	} else if (st.st_uid != geteuid() || (st.st_mode & 07777) != DYNREG_MODE) {
		snprintf(dynreg.why, sizeof(dynreg.why), "dynamic uid registry %s: owned by uid "
			 "%ld, mode %04o, not root's %04o: refused", DYNREG_DIR, (long)st.st_uid,
			 st.st_mode & 07777, DYNREG_MODE);
	} else if (dynreg_make_owner() != 0) {
		snprintf(dynreg.why, sizeof(dynreg.why), "dynamic uid registry %s: owner file: "
			 "%s", DYNREG_DIR, strerror(errno));
	} else {
		dynreg.state = DYNREG_OPEN;
		dynreg_sweep_owners();
		return 0;
	}
	close(dynreg.dirfd);
	dynreg.dirfd = -1;
	dynreg.state = DYNREG_REFUSED;
	log_err("%s", dynreg.why);
	snprintf(why, whysize, "%s", dynreg.why);
	return -1;
}

/* The owner named by uid's entry into owner; -1 if there is none. */
static int dynreg_read(const char *name, char owner[DYNREG_NAME_BYTES])
{
	ssize_t n = readlinkat(dynreg.dirfd, name, owner, DYNREG_NAME_BYTES - 1);

	if (n < 0)
		return -1;
	owner[n] = '\0';
	return 0;
}

/* Whether systemd's DynamicUser= holds uid (its lock file is there). */
static bool dynreg_systemd_holds(const char *name)
{
	char path[sizeof(DYNREG_SYSTEMD_DIR) + DYNREG_NAME_BYTES];

	if (faccessat(AT_FDCWD, DYNREG_SYSTEMD_DIR, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	snprintf(path, sizeof(path), "%s/%s", DYNREG_SYSTEMD_DIR, name);
	return faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Whether a process runs as uid (any of its ids), read off /proc: a master
 * that died without a guard (containment = subreaper) may leave its
 * workers' processes running, and its uid is not free while they do. Only
 * when a dead master's entry is to be reclaimed: a walk of every process. */
static bool dynreg_uid_running(uid_t uid)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	bool found = false;

	if (proc == NULL)
		return true; /* cannot tell: not free */
	while (!found && (e = readdir(proc)) != NULL) {
		char path[DYNREG_PROC_PATH_BYTES], line[DYNREG_WHY_BYTES];
		unsigned long ids[4];
		char state = '?';
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue;
		/* State comes before Uid; a zombie (its parent gone too) runs
		 * nothing. */
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "State: %c", &state) == 1 && state == 'Z')
				break;
			if (sscanf(line, "Uid: %lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) == 4) {
				for (size_t i = 0; i < 4; i++)
					found = found || ids[i] == (unsigned long)uid;
				break;
			}
		}
		fclose(f);
	}
	closedir(proc);
	return found;
}

int dynreg_take(uid_t uid, char *why, size_t whysize)
{
	char name[DYNREG_NAME_BYTES], owner[DYNREG_NAME_BYTES], again[DYNREG_NAME_BYTES];
	int rc = dynreg_open(why, whysize);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	/* The default range is systemd's: a uid it handed out is not ours to
	 * give (it does not look here, though: see docs/security.md). */
	if (dynreg_systemd_holds(name))
		return 1;
	for (int i = 0; i < DYNREG_TAKE_TRIES; i++) {
		if (symlinkat(dynreg.owner, dynreg.dirfd, name) == 0)
			return 0;
		if (errno != EEXIST) {
			snprintf(why, whysize, "dynamic uid registry %s/%s: %s", DYNREG_DIR, name,
				 strerror(errno));
			return -1;
		}
		if (dynreg_read(name, owner) < 0)
			continue; /* given back meanwhile */
		if (strcmp(owner, dynreg.owner) == 0)
			return 0;
		if (dynreg_alive(owner) || dynreg_uid_running(uid))
			return 1;
		/* A dead master's. Removed under the directory's lock, if it
		 * still names that master: two masters cannot both reclaim it
		 * (the loser reads the winner's entry). Busy: held, for now. */
		if (flock(dynreg.dirfd, LOCK_EX | LOCK_NB) != 0)
			return 1;
		if (dynreg_read(name, again) == 0 && strcmp(again, owner) == 0)
			unlinkat(dynreg.dirfd, name, 0);
		flock(dynreg.dirfd, LOCK_UN);
	}
	return 1;
}

void dynreg_release(uid_t uid)
{
	char name[DYNREG_NAME_BYTES], owner[DYNREG_NAME_BYTES];

	if (dynreg.state != DYNREG_OPEN)
		return;
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	if (dynreg_read(name, owner) == 0 && strcmp(owner, dynreg.owner) == 0)
		unlinkat(dynreg.dirfd, name, 0);
}

bool dynreg_held_elsewhere(uid_t uid)
{
	char name[DYNREG_NAME_BYTES], owner[DYNREG_NAME_BYTES];

	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	if (dynreg_systemd_holds(name))
		return true;
	if (dynreg.state != DYNREG_OPEN)
		return false;
	return dynreg_read(name, owner) == 0 && strcmp(owner, dynreg.owner) != 0 &&
	       dynreg_alive(owner);
}
