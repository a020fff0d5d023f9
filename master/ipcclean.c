/* ipcclean.c - owns removing what a dynamic uid left in the host's shared
 * kernel namespaces once nobody holds the uid (see ipcclean.h): SysV
 * shared memory, semaphore sets and message queues, POSIX message queues
 * and POSIX shared memory (/dev/shm), as systemd's
 * RemoveIPC= does for its dynamic users. Without it the next service to
 * get the uid owns what the last one left: its data to read, its memory
 * (a SysV segment outlives every process) held for good.
 *
 * Nothing here is fatal: what cannot be removed is counted and logged by
 * the caller. The SysV tables are walked by index (*_STAT) only when the
 * kernel says some object exists (*_INFO), so a host without SysV IPC
 * pays three system calls a release. POSIX message queues are seen
 * through a mount of the IPC namespace's mqueue filesystem that the master
 * makes once and attaches nowhere (fsopen, fsmount: one fd kept for the
 * master's life), so they are found whether or not the host mounted
 * /dev/mqueue; where that fails, through /dev/mqueue if it is one. Names
 * are never followed: the
 * directories are walked by fd with O_NOFOLLOW, and a directory is
 * entered only if it is still the one its entry's owner was read from.
 * ipcclean_step walks the same two directories over many calls, for the
 * uids a release's walk could not finish (ipcsweep.c). */
#include "ipcclean.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h>

#include "clock.h"

#define IPCCLEAN_MQUEUE_DIR "/dev/mqueue"
#define IPCCLEAN_SHM_DIR "/dev/shm"
#define IPCCLEAN_MQUEUE_MAGIC 0x19800202 /* linux/magic.h MQUEUE_MAGIC */
#define IPCCLEAN_DEPTH_MAX 16            /* directories below /dev/shm */
/* Entries read in one release, anyone's: every entry of /dev/shm costs the
 * walk a getdents slot and an fstatat, and /dev/shm is writable by every
 * local user (the eighth adversarial round padded it with 100,000 empty
 * files of its own: 49 ms of the loop a release, where the budget
 * counted only the stats and the walk read on). ~1.2 us an entry here:
 * 12 ms a release at 10,000. */
#define IPCCLEAN_ENTRIES_MAX 4096u
#define IPCCLEAN_WALK_MAX_MS 5u      /* and at most this long (a walk or a step) */
#define IPCCLEAN_CLOCK_EVERY 64u     /* entries between two looks at the clock */
#define IPCCLEAN_SEALED_MODE 0700

union ipcclean_semun { /* semctl(2)'s fourth argument, as far as used here */
	struct semid_ds *buf;
	struct seminfo *info;
};

struct ipcclean_range {
	uid_t min, max;
	bool (*skip)(uid_t uid); /* NULL: none */
	bool (*member)(uid_t uid, void *ctx); /* not NULL: the set, in place of min..max */
	void *ctx;
};

static bool ipcclean_in(const struct ipcclean_range *r, uid_t uid)
{
	if (r->member != NULL)
		return r->member(uid, r->ctx);
	return uid >= r->min && uid <= r->max && (r->skip == NULL || !r->skip(uid));
}

/* Owned or created by a uid of the range. */
static bool ipcclean_ours(const struct ipcclean_range *r, uid_t uid, uid_t cuid)
{
	return ipcclean_in(r, uid) || ipcclean_in(r, cuid);
}

/* One kind of SysV object: its table's highest index and how many are in
 * use (*_INFO), an index's id, owner and creator (*_STAT_ANY), removal. */
struct ipcclean_kind {
	int (*top)(unsigned long *used);
	int (*stat)(int index, uid_t *uid, uid_t *cuid);
	int (*remove)(int id);
};

static int ipcclean_shm_top(unsigned long *used)
{
	struct shm_info info;
	int top = shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&info);

	*used = top < 0 ? 0 : (unsigned long)info.used_ids;
	return top;
}

static int ipcclean_shm_stat(int index, uid_t *uid, uid_t *cuid)
{
	struct shmid_ds ds;
	int id = shmctl(index, SHM_STAT_ANY, &ds);

	if (id >= 0) {
		*uid = ds.shm_perm.uid;
		*cuid = ds.shm_perm.cuid;
	}
	return id;
}

static int ipcclean_shm_remove(int id)
{
	return shmctl(id, IPC_RMID, NULL);
}

static int ipcclean_sem_top(unsigned long *used)
{
	struct seminfo info;
	int top = semctl(0, 0, SEM_INFO, (union ipcclean_semun){ .info = &info });

	*used = top < 0 ? 0 : (unsigned long)info.semusz;
	return top;
}

static int ipcclean_sem_stat(int index, uid_t *uid, uid_t *cuid)
{
	struct semid_ds ds;
	int id = semctl(index, 0, SEM_STAT_ANY, (union ipcclean_semun){ .buf = &ds });

	if (id >= 0) {
		*uid = ds.sem_perm.uid;
		*cuid = ds.sem_perm.cuid;
	}
	return id;
}

static int ipcclean_sem_remove(int id)
{
	return semctl(id, 0, IPC_RMID);
}

static int ipcclean_msg_top(unsigned long *used)
{
	struct msginfo info;
	int top = msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&info);

	*used = top < 0 ? 0 : (unsigned long)info.msgpool;
	return top;
}

static int ipcclean_msg_stat(int index, uid_t *uid, uid_t *cuid)
{
	struct msqid_ds ds;
	int id = msgctl(index, MSG_STAT_ANY, &ds);

	if (id >= 0) {
		*uid = ds.msg_perm.uid;
		*cuid = ds.msg_perm.cuid;
	}
	return id;
}

static int ipcclean_msg_remove(int id)
{
	return msgctl(id, IPC_RMID, NULL);
}

static const struct ipcclean_kind ipcclean_kinds[] = {
	{ ipcclean_shm_top, ipcclean_shm_stat, ipcclean_shm_remove },
	{ ipcclean_sem_top, ipcclean_sem_stat, ipcclean_sem_remove },
	{ ipcclean_msg_top, ipcclean_msg_stat, ipcclean_msg_remove },
};

/* The objects of one kind that the range owns or created. */
static void ipcclean_sysv(const struct ipcclean_kind *k, const struct ipcclean_range *r,
			  struct ipcclean_count *n)
{
	unsigned long used;
	int top = k->top(&used);
	uid_t uid, cuid;

	for (int i = 0; used > 0 && i <= top; i++) {
		int id = k->stat(i, &uid, &cuid);
		if (id < 0 || !ipcclean_ours(r, uid, cuid))
			continue;
		if (k->remove(id) == 0)
			n->removed++;
		else
			n->failed++;
	}
}

/* A walk of /dev/shm or /dev/mqueue: what to remove, how many entries it
 * may still look at (it runs on the master's loop: an adversarial run had
 * a worker leave a million files there, and the release held the loop 5
 * s), and the counts. */
struct ipcclean_walk {
	const struct ipcclean_range *r;
	unsigned budget;
	struct ipcclean_count *n;
	uint64_t until_ms; /* and no later than this */
};

/* Whether the walk may look at one more entry: its budget of entries, and
 * of time, read every IPCCLEAN_CLOCK_EVERY entries. A removal costs more
 * than a look (a worker that left 100,000 empty files of its own: 4,096
 * removals held the loop ~80 ms a step). */
static bool ipcclean_more(struct ipcclean_walk *w)
{
	if (w->budget == 0)
		return false;
	if (w->budget % IPCCLEAN_CLOCK_EVERY == 0 && clock_now_ms() >= w->until_ms) {
		w->budget = 0;
		return false;
	}
	return true;
}

static void ipcclean_dir(int dirfd, struct ipcclean_walk *w, bool all, int depth);

/* name in dirfd opened with flags (O_NOFOLLOW added), if it is still the
 * entry st was read from: not one renamed in since. -1 otherwise. */
static int ipcclean_open_same(int dirfd, const char *name, const struct stat *st, int flags)
{
	struct stat opened;
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 && (fstat(fd, &opened) != 0 || opened.st_ino != st->st_ino ||
			opened.st_dev != st->st_dev)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* What the released uid left at the top and could not be removed (too
 * deep, too many, busy) becomes root's, mode 0700: nothing below it is
 * reachable by the next holder of the uid (an adversarial run read a
 * file 20 directories down otherwise). */
static void ipcclean_seal(int dirfd, const char *name, const struct stat *st,
			  struct ipcclean_count *n)
{
	int fd = ipcclean_open_same(dirfd, name, st,
				    S_ISDIR(st->st_mode) ? O_RDONLY | O_DIRECTORY : O_PATH);

	if (fd >= 0 && fchownat(fd, "", 0, 0, AT_EMPTY_PATH) == 0 &&
	    (!S_ISDIR(st->st_mode) || fchmod(fd, IPCCLEAN_SEALED_MODE) == 0))
		n->sealed++;
	if (fd >= 0)
		close(fd);
}

/* Removes name in dirfd: an entry of the range, or, inside one (all), any
 * entry. */
static void ipcclean_entry(int dirfd, const char *name, struct ipcclean_walk *w, bool all,
			   int depth)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return;
	if (!all && !ipcclean_in(w->r, st.st_uid))
		return;
	if (S_ISDIR(st.st_mode) && depth < IPCCLEAN_DEPTH_MAX) {
		int fd = ipcclean_open_same(dirfd, name, &st, O_RDONLY | O_DIRECTORY);
		if (fd >= 0)
			ipcclean_dir(fd, w, true, depth + 1);
	}
	if (unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) == 0) {
		w->n->removed++;
	} else if (errno != ENOENT) {
		w->n->failed++;
		if (!all)
			ipcclean_seal(dirfd, name, &st, w->n);
	}
}

/* The directory's next entry but . and .., or NULL at its end. */
static struct dirent *ipcclean_next(DIR *dir)
{
	struct dirent *e;

	while ((e = readdir(dir)) != NULL &&
	       (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0))
		;
	return e;
}

/* Each entry of the directory dirfd (closed here): those of the range, or
 * all of them (inside one of the range's). */
static void ipcclean_dir(int dirfd, struct ipcclean_walk *w, bool all, int depth)
{
	DIR *dir = fdopendir(dirfd);
	struct dirent *e;

	if (dir == NULL) {
		close(dirfd);
		w->n->failed++;
		return;
	}
	while ((e = ipcclean_next(dir)) != NULL) {
		if (!ipcclean_more(w)) { /* the rest not looked at: nobody's known */
			w->n->unseen = true;
			break;
		}
		w->budget--;
		ipcclean_entry(dirfd, e->d_name, w, all, depth);
	}
	closedir(dir);
}

/* A detached mount of the mqueue filesystem (-1: none could be made). */
static int ipcclean_mqueue_mount(void)
{
	static int mnt = -2;
	int fs;

	if (mnt != -2)
		return mnt;
	mnt = -1;
	if ((fs = (int)syscall(SYS_fsopen, "mqueue", FSOPEN_CLOEXEC)) < 0)
		return mnt;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	close(fs);
	return mnt;
}

/* The message queues' directory, open (closed by the caller), or -1. */
static int ipcclean_mqueue_dir(void)
{
	struct statfs fs;
	int mnt = ipcclean_mqueue_mount();
	int fd = mnt >= 0 ? openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
		 open(IPCCLEAN_MQUEUE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	/* A /dev/mqueue that is a plain directory is not looked at. */
	if (fd >= 0 && (fstatfs(fd, &fs) != 0 || fs.f_type != IPCCLEAN_MQUEUE_MAGIC)) {
		close(fd);
		return -1;
	}
	return fd;
}

void ipcclean_range(uid_t min, uid_t max, bool (*skip)(uid_t uid), struct ipcclean_count *n)
{
	const struct ipcclean_range r = { min, max, skip, NULL, NULL };
	struct ipcclean_walk w = { &r, IPCCLEAN_ENTRIES_MAX, n,
				   clock_now_ms() + IPCCLEAN_WALK_MAX_MS };
	int fd = ipcclean_mqueue_dir();

	for (size_t i = 0; i < sizeof(ipcclean_kinds) / sizeof(ipcclean_kinds[0]); i++)
		ipcclean_sysv(&ipcclean_kinds[i], &r, n);
	if (fd >= 0)
		ipcclean_dir(fd, &w, false, 0);
	if ((fd = open(IPCCLEAN_SHM_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
		ipcclean_dir(fd, &w, false, 0);
}

/* Opens the cursor's directory of its stage: 0 the message queues, 1
 * /dev/shm; false past the last. A directory that cannot be opened is
 * passed over. */
static bool ipcclean_cursor_open(struct ipcclean_cursor *c)
{
	for (; c->stage < 2; c->stage++) {
		int fd = c->stage == 0 ? ipcclean_mqueue_dir()
				       : open(IPCCLEAN_SHM_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						  O_CLOEXEC);
		if (fd >= 0 && (c->dir = fdopendir(fd)) != NULL)
			return true;
		if (fd >= 0)
			close(fd);
	}
	return false;
}

bool ipcclean_step(struct ipcclean_cursor *c, bool (*member)(uid_t uid, void *ctx), void *ctx,
		   unsigned budget, struct ipcclean_count *n)
{
	const struct ipcclean_range r = { 0, 0, NULL, member, ctx };
	struct ipcclean_walk w = { &r, budget, n, clock_now_ms() + IPCCLEAN_WALK_MAX_MS };
	struct dirent *e;

	/* The budget is looked at before each readdir: an entry read is
	 * always looked at, so the next step goes on from the one after. */
	while (ipcclean_more(&w)) {
		if (c->dir == NULL && !ipcclean_cursor_open(c)) {
			c->stage = 0; /* the pass is over: the next starts anew */
			return true;
		}
		if ((e = ipcclean_next(c->dir)) == NULL) {
			closedir(c->dir);
			c->dir = NULL;
			c->stage++;
			continue;
		}
		w.budget--;
		ipcclean_entry(dirfd(c->dir), e->d_name, &w, false, 0);
	}
	return false;
}

void ipcclean_cursor_close(struct ipcclean_cursor *c)
{
	if (c->dir != NULL)
		closedir(c->dir);
	c->dir = NULL;
	c->stage = 0;
}
