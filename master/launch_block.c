/* launch_block.c - owns the launcher's fd block: a few low fd numbers
 * reserved at start, through which a child gets its fds without copying
 * the master's fd table (see launch.c for the design and its numbers).
 *
 * Between launches every slot holds a copy of the launcher's /dev/null
 * (close-on-exec), so no number of the block is ever free for anything
 * else of the master's. For a launch, launch_block_load() dup3()s each fd
 * the child needs into the next slot (an fd already below the block is
 * used where it is), and the child, sharing the table (CLONE_FILES),
 * first unshares it keeping only the fds below the highest one it needs.
 * launch_block_park() puts /dev/null back over every loaded slot: the
 * master must keep no reference to a worker's status channel or stderr
 * pipe, or it would never see their EOF.
 *
 * The child's side, placing those fds per the worker contract, is here too
 * (launch_block_place).
 *
 * Nothing here is fatal. A block that cannot be reserved, a slot found
 * holding something else (some other code closed it: its number may now
 * be in use, so it is never written again), or a slot that cannot be
 * parked turns the block off for good: launches then copy the whole table
 * as they did before the block. A dup3 that fails while loading makes
 * only that launch copy the table. */
#include "launch_child.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef F_DUPFD_QUERY
#define F_DUPFD_QUERY 1027 /* F_LINUX_SPECIFIC_BASE + 3, Linux 6.10 */
#endif

void launch_block_init(struct launcher *l)
{
	struct stat st;

	l->nblock = 0;
	l->block_lo = -1;
	if (l->devnull_fd < 0 || fstat(l->devnull_fd, &st) < 0)
		return;
	l->devnull_dev = st.st_dev;
	l->devnull_ino = st.st_ino;
	/* Each F_DUPFD takes the lowest free number: the block is as low as
	 * the master's fds at this point allow. */
	for (size_t i = 0; i < LAUNCH_BLOCK_SLOTS; i++) {
		int fd = fcntl(l->devnull_fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			launch_block_fini(l);
			return;
		}
		l->block[l->nblock++] = fd;
		if (l->block_lo < 0 || fd < l->block_lo)
			l->block_lo = fd;
	}
}

void launch_block_fini(struct launcher *l)
{
	for (size_t i = 0; i < l->nblock; i++)
		close(l->block[i]);
	l->nblock = 0;
	l->block_lo = -1;
}

/* Does this slot still hold our /dev/null? Where it does not, its number
 * was closed by someone else and may belong to another fd now: writing
 * over it would close that one. */
static bool launch_block_intact(const struct launcher *l, int slot)
{
	struct stat st;
	int same = fcntl(slot, F_DUPFD_QUERY, l->devnull_fd);

	if (same >= 0)
		return same == 1;
	return errno == EINVAL && fstat(slot, &st) == 0 && st.st_dev == l->devnull_dev &&
	       st.st_ino == l->devnull_ino;
}

/* The block is given up: its slots are closed (a slot found not intact is
 * someone else's now and is left alone). */
static void launch_block_off(struct launcher *l, size_t bad)
{
	for (size_t i = 0; i < l->nblock; i++)
		if (i != bad)
			close(l->block[i]);
	l->nblock = 0;
	l->block_lo = -1;
}

int launch_block_add(struct launcher *l, struct launch_child *c, int fd)
{
	int use = fd;

	if (fd < 0 || c->unshare_below == 0)
		return fd;
	if (fd >= l->block_lo) {
		if (c->nslots == l->nblock) /* LAUNCH_BLOCK_SLOTS covers every use */
			return -1;
		int slot = l->block[c->nslots];
		if (!launch_block_intact(l, slot)) {
			launch_block_off(l, c->nslots);
			c->nslots = 0;
			return -1;
		}
		if (dup3(fd, slot, O_CLOEXEC) < 0)
			return -1;
		c->nslots++;
		use = slot;
	}
	if ((unsigned)use >= c->unshare_below)
		c->unshare_below = (unsigned)use + 1;
	return use;
}

/* Each fd of the spec through the block; false if one could not be. */
static bool launch_block_load_all(struct launcher *l, struct launch_child *c)
{
	const struct launch_spec *s = c->spec;
	const struct launch_isolation *iso = s->iso;
	struct launch_child_fds *f = &c->fd;
	bool ok = true;

#define LAUNCH_BLOCK_PUT(dst, src) \
	do { \
		if (ok && (src) >= 0 && ((dst) = launch_block_add(l, c, (src))) < 0) \
			ok = false; \
	} while (0)
	for (size_t i = 0; i < s->nlisten; i++)
		LAUNCH_BLOCK_PUT(f->listen[i], s->listen_fds[i]);
	LAUNCH_BLOCK_PUT(f->status, s->status_fd);
	LAUNCH_BLOCK_PUT(f->stderr_fd, s->stderr_fd);
	LAUNCH_BLOCK_PUT(f->devnull, l->devnull_fd);
	if (iso != NULL) {
		LAUNCH_BLOCK_PUT(f->exec, iso->exec_fd);
		/* clone3 puts the child in its cgroup; the write is for where
		 * clone3 is missing (launch.c adds it if clone3 turns out to be). */
		if (iso->cgroup_fd < 0 || l->clone3_missing)
			LAUNCH_BLOCK_PUT(f->cgroup_procs, iso->cgroup_procs_fd);
		LAUNCH_BLOCK_PUT(f->netns, iso->netns_fd);
		LAUNCH_BLOCK_PUT(f->mntns, iso->mntns_fd);
		LAUNCH_BLOCK_PUT(f->root, iso->root_fd);
	}
#undef LAUNCH_BLOCK_PUT
	return ok;
}

/* The master's own numbers: the child gets a copy of the whole table. */
static void launch_block_copy(struct launcher *l, struct launch_child *c)
{
	const struct launch_spec *s = c->spec;
	const struct launch_isolation *iso = s->iso;
	struct launch_child_fds *f = &c->fd;

	for (size_t i = 0; i < s->nlisten; i++)
		f->listen[i] = s->listen_fds[i];
	f->status = s->status_fd;
	f->stderr_fd = s->stderr_fd;
	f->devnull = l->devnull_fd;
	f->exec = iso != NULL ? iso->exec_fd : -1;
	f->cgroup_procs = iso != NULL ? iso->cgroup_procs_fd : -1;
	f->netns = iso != NULL ? iso->netns_fd : -1;
	f->mntns = iso != NULL ? iso->mntns_fd : -1;
	f->root = iso != NULL ? iso->root_fd : -1;
	c->unshare_below = 0;
}

void launch_block_load(struct launcher *l, struct launch_child *c)
{
	struct launch_child_fds *f = &c->fd;

	c->nslots = 0;
	f->status = f->stderr_fd = f->devnull = f->exec = f->cgroup_procs = -1;
	f->netns = f->mntns = f->root = -1;
	if (l->nblock == 0 || l->copy_fd_table) {
		launch_block_copy(l, c);
		return;
	}
	c->unshare_below = 1; /* "shared": launch_block_add raises it */
	if (!launch_block_load_all(l, c)) {
		launch_block_park(l, c);
		launch_block_copy(l, c);
	}
}

void launch_block_park(struct launcher *l, struct launch_child *c)
{
	for (size_t i = 0; i < c->nslots && i < l->nblock; i++)
		if (dup3(l->devnull_fd, l->block[i], O_CLOEXEC) < 0) {
			/* Cannot happen with two valid fds; were it to, the slot
			 * would keep a worker's fd alive: give the block up. */
			launch_block_off(l, LAUNCH_BLOCK_SLOTS);
			break;
		}
	c->nslots = 0;
}

/* Child side: the contract's fds from where the parent put them (c->fd):
 * /dev/null on 0 and 1, the stderr stream on 2, the listening sockets from 3,
 * the status channel after them; the command's fd above them, close-on-
 * exec; every other fd closed. */
LAUNCH_NO_SANITIZE
int launch_block_place(struct launch_child *c)
{
	const struct launch_spec *s = c->spec;
	/* No status channel (a ready=notify|exec daemon): nothing at 3+nlisten. */
	bool chan = s->status_fd >= 0;
	int high = 3 + (int)s->nlisten + chan; /* first fd past the contract's */
	int moved[LAUNCH_LISTEN_MAX + 2];
	long rc;

	/* Move every source above the target range first, so that no dup2
	 * below can overwrite a source that has not been placed yet (the
	 * block's slots may be anywhere from fd 3 up). */
	for (size_t i = 0; i < s->nlisten; i++) {
		rc = LAUNCH_SYS(SYS_fcntl, c->fd.listen[i], F_DUPFD, high);
		if (rc < 0)
			return launch_fail(c, "dup listening socket", rc);
		moved[i] = (int)rc;
	}
	rc = chan ? LAUNCH_SYS(SYS_fcntl, c->fd.status, F_DUPFD, high) : -1;
	if (chan && rc < 0)
		return launch_fail(c, "dup status channel", rc);
	moved[s->nlisten] = (int)rc;
	rc = LAUNCH_SYS(SYS_fcntl, c->fd.stderr_fd, F_DUPFD, high);
	if (rc < 0)
		return launch_fail(c, "dup stderr", rc);
	moved[s->nlisten + 1] = (int)rc;
	/* The command's fd survives until the exec closes it (CLOEXEC). */
	if (c->fd.exec >= 0) {
		rc = LAUNCH_SYS(SYS_fcntl, c->fd.exec, F_DUPFD_CLOEXEC, high);
		if (rc < 0)
			return launch_fail(c, "dup command", rc);
		c->exec_fd = (int)rc;
	}

	/* dup2 clears FD_CLOEXEC on the copies: exactly the ones we keep.
	 * /dev/null is above 2 (launcher_init) and read before any fd above
	 * 2 is written: it needs no move. */
	if ((rc = LAUNCH_SYS(SYS_dup2, c->fd.devnull, 0)) < 0 ||
	    (rc = LAUNCH_SYS(SYS_dup2, c->fd.devnull, 1)) < 0)
		return launch_fail(c, "dup /dev/null", rc);
	if ((rc = LAUNCH_SYS(SYS_dup2, moved[s->nlisten + 1], 2)) < 0)
		return launch_fail(c, "dup2 stderr", rc);
	for (size_t i = 0; i < s->nlisten + chan; i++)
		if ((rc = LAUNCH_SYS(SYS_dup2, moved[i], 3 + (int)i)) < 0)
			return launch_fail(c, "dup2 contract fd", rc);
	/* Whatever the fd limit, not a loop to a guessed maximum: one call,
	 * or two around the command's fd. */
	rc = 0;
	if (c->exec_fd > high)
		rc = LAUNCH_SYS(SYS_close_range, (unsigned)high, (unsigned)c->exec_fd - 1, 0);
	if (rc >= 0)
		rc = LAUNCH_SYS(SYS_close_range, (unsigned)(c->exec_fd >= high ? c->exec_fd + 1
							    : high), ~0U, 0);
	if (rc < 0)
		return launch_fail(c, "close_range", rc);
	return 0;
}
