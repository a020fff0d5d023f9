/* launch_confine.c - owns the child's confinement steps (see launch.h):
 * rlimits, cgroup (the cgroup.procs fallback), namespaces, the jail,
 * entered through the fd its configuration opened and checked, and the
 * kernel keyrings of a uid new to its holder. Runs in
 * the vfork-style child: raw system calls only (launch_child.h); every fd
 * is the one the parent put in c->fd (launch_block.c), not the spec's. */
#include "launch_child.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>

/* Sets the service's rlimits: all but RLIMIT_NOFILE (nofile_only false),
 * or RLIMIT_NOFILE alone (true). The fd limit comes last, once the fds are
 * in place: it only governs new fds, and placing them needs a few free
 * ones (with a small limit and a master whose low fds are all taken, the
 * moves would fail with EMFILE). */
LAUNCH_NO_SANITIZE
int launch_rlimits(struct launch_child *c, bool nofile_only)
{
	const struct launch_isolation *iso = c->spec->iso;
	long rc;

	for (size_t i = 0; iso != NULL && i < iso->nrlimits; i++) {
		if ((iso->rlimits[i].resource == RLIMIT_NOFILE) != nofile_only)
			continue;
		/* soft = hard: the worker cannot raise it back (except the
		 * master's original fd limit, given back as it was). */
		unsigned long long lim[2] = { iso->rlimits[i].value,
					      iso->rlimits[i].hard ? iso->rlimits[i].hard
								   : iso->rlimits[i].value };
		rc = LAUNCH_SYS(SYS_prlimit64, 0, iso->rlimits[i].resource, lim, NULL);
		if (rc < 0)
			return launch_fail(c, iso->rlimits[i].step, rc);
	}
	return 0;
}

/* fchdir into the jail checked at load, and chroot("."): no path lookup,
 * except inside a mount namespace (see launch.h), where the directory
 * found must be that one. */
LAUNCH_NO_SANITIZE
static int launch_enter_jail(struct launch_child *c)
{
	const struct launch_isolation *iso = c->spec->iso;
	int fd = c->fd.root;
	struct stat st;
	long rc;

	if (iso->mntns_fd >= 0) {
		if (iso->chroot == NULL)
			return launch_fail(c, "chroot", -EINVAL);
		rc = LAUNCH_SYS(SYS_openat, AT_FDCWD, iso->chroot,
				O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rc < 0)
			return launch_fail(c, "chroot", rc);
		fd = (int)rc;
		rc = LAUNCH_SYS(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH);
		if (rc < 0)
			return launch_fail(c, "chroot", rc);
		if (st.st_dev != iso->root_dev || st.st_ino != iso->root_ino)
			return launch_fail(c, "jail is not the one checked", -ESTALE);
	}
	rc = LAUNCH_SYS(SYS_fchdir, fd);
	if (fd != c->fd.root)
		syscall(SYS_close, fd);
	if (rc < 0 || (rc = LAUNCH_SYS(SYS_chroot, ".")) < 0)
		return launch_fail(c, "chroot", rc);
	return 0;
}

/* rlimits, cgroup, namespaces, root and working directory. */
LAUNCH_NO_SANITIZE
int launch_confine(struct launch_child *c)
{
	long rc;

	if ((rc = launch_rlimits(c, false)) < 0)
		return rc;
	if (c->fd.cgroup_procs >= 0 && !c->in_cgroup) {
		/* "0" moves the writer itself (cgroup v2). */
		if ((rc = LAUNCH_SYS(SYS_write, c->fd.cgroup_procs, "0", 1)) < 0)
			return launch_fail(c, "cgroup", rc);
	}
	if (c->fd.netns >= 0 &&
	    (rc = LAUNCH_SYS(SYS_setns, c->fd.netns, CLONE_NEWNET)) < 0)
		return launch_fail(c, "setns network", rc);
	/* Entering a mount namespace also moves root and cwd to its root. */
	if (c->fd.mntns >= 0 &&
	    (rc = LAUNCH_SYS(SYS_setns, c->fd.mntns, CLONE_NEWNS)) < 0)
		return launch_fail(c, "setns mount", rc);
	if (c->fd.root >= 0 && launch_enter_jail(c) < 0)
		return -1;
	/* "/" with or without a jail: never a directory of the master's. */
	if ((rc = LAUNCH_SYS(SYS_chdir, "/")) < 0)
		return launch_fail(c, "chdir /", rc);
	return 0;
}

/* A uid new to its holder (a dynamic user's, spec->fresh_uid) starts with
 * empty kernel keyrings. The user keyring (@u), the user session keyring
 * (@us) and the persistent keyring of a uid are the kernel's, per uid,
 * kept after every process of it is gone: what the last holder of the uid
 * put there (a token, a Kerberos cache) would be the next one's to read,
 * or planted for it (request_key searches them). Only the uid itself may
 * clear them, so this runs after the id change. The persistent keyring is
 * linked into the thread keyring, which the exec discards. A kernel
 * without keyrings (ENOSYS) or persistent keyrings (EOPNOTSUPP) has
 * nothing to clear; any other failure fails the launch. */
LAUNCH_NO_SANITIZE
int launch_clear_keyrings(struct launch_child *c)
{
	static const int rings[] = { KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING };
	long rc;

	if (!c->spec->set_ids || !c->spec->fresh_uid)
		return 0;
	for (size_t i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
		rc = LAUNCH_SYS(SYS_keyctl, KEYCTL_CLEAR, rings[i], 0, 0, 0);
		if (rc == -ENOSYS)
			return 0;
		if (rc < 0)
			return launch_fail(c, "clear keyrings", rc);
	}
	rc = LAUNCH_SYS(SYS_keyctl, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_THREAD_KEYRING, 0, 0);
	if (rc == -EOPNOTSUPP)
		return 0;
	if (rc >= 0)
		rc = LAUNCH_SYS(SYS_keyctl, KEYCTL_CLEAR, rc, 0, 0, 0);
	return rc < 0 ? launch_fail(c, "clear persistent keyring", rc) : 0;
}
