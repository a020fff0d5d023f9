/* config_isolation.c - owns the load-time checks of the isolation settings
 * (see config_isolation.h): capability names (libcap), the chroot jail,
 * cgroup v2 controllers, rlimits that cannot work. Everything a launch
 * would otherwise find out too late, in a worker that never starts. */
#include "config_isolation.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "contain_path.h"

#define CONFIG_ISOLATION_LINE_BYTES 4096
#define CONFIG_ISOLATION_CAP_NAME_BYTES 64
#define CONFIG_ISOLATION_CAP_LAST_FILE "/proc/sys/kernel/cap_last_cap"

/* The highest capability the running kernel knows; libcap's idea of it
 * when /proc does not say. */
static unsigned config_isolation_cap_last(void)
{
	FILE *fp = fopen(CONFIG_ISOLATION_CAP_LAST_FILE, "re");
	unsigned last = 0;

	if (fp == NULL || fscanf(fp, "%u", &last) != 1)
		last = (unsigned)cap_max_bits() - 1;
	if (fp != NULL)
		fclose(fp);
	return last;
}

int config_isolation_caps(const char *list, uint64_t *mask, char *err, size_t errsize)
{
	static const char seps[] = " \t,";
	unsigned last = config_isolation_cap_last();

	*mask = 0;
	for (const char *p = list + strspn(list, seps); *p != '\0'; p += strspn(p, seps)) {
		size_t len = strcspn(p, seps);
		char name[CONFIG_ISOLATION_CAP_NAME_BYTES];
		cap_value_t cap;

		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		/* libcap also takes numbers: names only, so a typo never
		 * quietly grants capability 12. */
		if (len >= sizeof(name) || name[strspn(name, "0123456789")] == '\0' ||
		    cap_from_name(name, &cap) != 0 || cap < 0 || cap > 63) {
			snprintf(err, errsize, "unknown capability \"%.*s\"", (int)len, p);
			return -1;
		}
		if ((unsigned)cap > last) {
			snprintf(err, errsize, "capability \"%s\" is not supported by this kernel "
				 "(its last is %u)", name, last);
			return -1;
		}
		*mask |= UINT64_C(1) << cap;
		p += len;
	}
	return 0;
}

const char *config_isolation_jail(const struct service_config *c,
				  const struct master_settings *m)
{
	if (c->set.chroot != NULL && c->set.chroot[0] != '\0')
		return c->set.chroot;
	return c->chroot ? m->chroot_directory : NULL;
}

bool config_isolation_jail_usable(const char *jail)
{
	struct stat st;

	return jail[0] == '/' && stat(jail, &st) == 0 && S_ISDIR(st.st_mode);
}

size_t config_isolation_controllers(const struct service_settings *s,
				    const char *controller[CONFIG_ISOLATION_CONTROLLERS_MAX],
				    const char *setting[CONFIG_ISOLATION_CONTROLLERS_MAX])
{
	size_t n = 0;

	if (s->memory_max_bytes != 0) {
		controller[n] = "memory";
		setting[n++] = "memory_max";
	}
	if (s->pids_max != 0) {
		controller[n] = "pids";
		setting[n++] = "pids_max";
	}
	if (s->cpu_weight != 0) {
		controller[n] = "cpu";
		setting[n++] = "cpu_weight";
	}
	return n;
}

/* Where cgroup2 is mounted, for the hint in an error; "" if nowhere. */
static void config_isolation_cgroup2_mount(char *out, size_t size)
{
	FILE *fp = fopen("/proc/self/mounts", "re");
	char line[CONFIG_ISOLATION_LINE_BYTES];

	out[0] = '\0';
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
		char dev[256], dir[1024], type[64];
		if (sscanf(line, "%255s %1023s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "cgroup2") == 0) {
			snprintf(out, size, "%s", dir);
			break;
		}
	}
	if (fp != NULL)
		fclose(fp);
}

/* Whether word is one of the blank-separated words of text. */
static int config_isolation_has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = text; (p = strstr(p, word)) != NULL; p += wl)
		if ((p == text || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
			return 1;
	return 0;
}

/* The top of the cgroup2 hierarchy that dir is in (the mount point, as
 * this process sees it): its cgroup.controllers lists every controller the
 * hierarchy has; enabling them on the way down is the master's job at
 * start (cgroup.c). Returns 0, or -1 if dir is not on cgroup2. */
static int config_isolation_cgroup_top(const char *dir, char *top, size_t size)
{
	struct statfs sfs;
	size_t len = strlen(dir);

	for (size_t i = 1; i <= len; i++) {
		if (i < len && dir[i] != '/')
			continue;
		snprintf(top, size, "%.*s", (int)i, dir);
		if (statfs(top, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
			return 0;
	}
	return -1;
}

int config_isolation_cgroup_check(const char *cgroup_parent, const char *controller,
				  char *why, size_t whysize)
{
	char dir[CONFIG_ISOLATION_LINE_BYTES], top[CONFIG_ISOLATION_LINE_BYTES];
	char file[CONFIG_ISOLATION_LINE_BYTES + 32], have[CONFIG_ISOLATION_LINE_BYTES] = "";
	struct stat st;

	/* The nearest directory that exists: cgroup_parent itself, or where
	 * the master will create it. */
	snprintf(dir, sizeof(dir), "%s", cgroup_parent);
	while (stat(dir, &st) != 0 && strrchr(dir, '/') != NULL && strcmp(dir, "/") != 0) {
		char *slash = strrchr(dir, '/');
		slash[slash == dir ? 1 : 0] = '\0';
	}
	if (config_isolation_cgroup_top(dir, top, sizeof(top)) != 0) {
		char mnt[1024];
		config_isolation_cgroup2_mount(mnt, sizeof(mnt));
		snprintf(why, whysize, "cgroup_parent \"%s\" is not on a cgroup2 file system (%s%s)",
			 cgroup_parent, mnt[0] ? "cgroup2 is mounted at " : "no cgroup2 file system "
			 "is mounted", mnt);
		return -1;
	}
	snprintf(file, sizeof(file), "%s/cgroup.controllers", top);
	FILE *fp = fopen(file, "re");
	if (fp == NULL) {
		snprintf(why, whysize, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fgets(have, sizeof(have), fp) == NULL)
		have[0] = '\0';
	fclose(fp);
	have[strcspn(have, "\n")] = '\0';
	if (config_isolation_has_word(have, controller))
		return 0;
	snprintf(why, whysize, "not in %s (which lists \"%s\")", file, have);
	return -1;
}

/* Exists, is a directory, owned by root, writable by nobody else. */
static void config_isolation_check_jail(const struct service_config *sc, const char *jail,
					const char *where, struct diag *errs)
{
	struct stat st;

	if (jail[0] != '/') {
		diag_add(errs, "%s: chroot \"%s\": must be an absolute path", where, jail);
		return;
	}
	if (stat(jail, &st) != 0)
		diag_add(errs, "%s: chroot \"%s\": %s", where, jail, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		diag_add(errs, "%s: chroot \"%s\": not a directory", where, jail);
	else if (st.st_uid != 0)
		diag_add(errs, "%s: chroot \"%s\": owned by uid %ld, not root", where, jail,
			 (long)st.st_uid);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		diag_add(errs, "%s: chroot \"%s\": writable by %s (mode %04o)", where, jail,
			 (st.st_mode & S_IWOTH) ? "others" : "its group", st.st_mode & 07777);
	else if (!sc->unpriv && (st.st_mode & S_IWUSR))
		/* Without capabilities a root worker is still the owner. */
		diag_add(errs, "%s: chroot \"%s\": writable by root, the user of this unpriv=n "
			 "worker (mode %04o; make it 0555)", where, jail, st.st_mode & 07777);
}

static void config_isolation_check_caps(const struct service_config *sc, const char *where,
					struct diag *errs)
{
	char err[256];
	uint64_t mask;

	if (config_isolation_caps(sc->set.capabilities, &mask, err, sizeof(err)) != 0) {
		diag_add(errs, "%s: capabilities \"%s\": %s", where, sc->set.capabilities, err);
		return;
	}
	/* The id change must stay irreversible (launch checks it too). */
	if (sc->unpriv && (mask & ((UINT64_C(1) << CAP_SETUID) | (UINT64_C(1) << CAP_SETGID))))
		diag_add(errs, "%s: capabilities \"%s\": an unpriv=y worker may not keep "
			 "cap_setuid or cap_setgid (it could become root again)", where,
			 sc->set.capabilities);
}

void config_isolation_check(const struct service_config *sc,
			    const struct master_settings *m,
			    const char *where, struct diag *errs)
{
	const char *controller[CONFIG_ISOLATION_CONTROLLERS_MAX];
	const char *setting[CONFIG_ISOLATION_CONTROLLERS_MAX];
	const char *jail = config_isolation_jail(sc, m);
	char why[CONFIG_ISOLATION_LINE_BYTES];

	config_isolation_check_caps(sc, where, errs);
	if (jail != NULL)
		config_isolation_check_jail(sc, jail, where, errs);
	size_t n = config_isolation_controllers(&sc->set, controller, setting);
	/* Where the master will put the service's cgroup (contain_path.h). */
	struct contain_path_choice *base = n > 0 ? malloc(sizeof(*base)) : NULL;
	if (base != NULL && contain_path_resolve(m, base) < 0)
		snprintf(why, sizeof(why), "%s", base->why);
	for (size_t i = 0; i < n; i++)
		if (base == NULL || base->base[0] == '\0' ||
		    config_isolation_cgroup_check(base->base, controller[i], why,
						  sizeof(why)) != 0)
			diag_add(errs, "%s: %s: cgroup v2 controller \"%s\" unavailable: %s",
				 where, setting[i], controller[i], base == NULL ? "out of memory" : why);
	free(base);
	/* The worker execs after entering its mount namespace, where /tmp is
	 * an empty tmpfs: a command under /tmp would not be found there. */
	if (sc->set.private_tmp && jail == NULL && sc->path != NULL &&
	    strncmp(sc->path, "/tmp/", 5) == 0)
		diag_add(errs, "%s: command \"%s\": under /tmp, which private_tmp hides from "
			 "the worker (install it elsewhere)", where, sc->path);
	/* The kernel caps open files at fs.nr_open: "unlimited" always fails. */
	if (sc->set.rlimit_nofile == SETTINGS_RLIMIT_UNLIMITED)
		diag_add(errs, "%s: rlimit_nofile \"unlimited\": the kernel does not allow it "
			 "(give a number)", where);
}

void config_isolation_check_master(const struct master_settings *m, struct diag *errs)
{
	static const char *const modes[] = { "auto", "cgroup", "subreaper" };
	bool known = false;

	if (strcmp(m->cgroup_parent, CONTAIN_PATH_AUTO) != 0 && m->cgroup_parent[0] != '/')
		diag_add(errs, "cgroup_parent \"%s\": must be \"auto\" or an absolute path",
			 m->cgroup_parent);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		known |= strcmp(m->containment, modes[i]) == 0;
	if (!known)
		diag_add(errs, "containment \"%s\": must be auto, cgroup or subreaper",
			 m->containment);
}
