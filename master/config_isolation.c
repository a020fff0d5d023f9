/* config_isolation.c - owns the load-time checks of the isolation settings
 * (see config_isolation.h): capability names (libcap), cgroup v2
 * controllers, rlimits that cannot work, what the master's own empty jail
 * can run (the chroot jail itself: config_paths.c). Everything a launch
 * would otherwise find out too late, in a worker that never starts.
 *
 * Out of memory: never fatal; reads use no allocation that could fail into
 * a wrong answer, and errors go to the load's list like any other. */
#include "config_isolation.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "config_where.h"
#include "contain_path.h"

#define CONFIG_ISOLATION_LINE_BYTES 4096
#define CONFIG_ISOLATION_CAP_NAME_BYTES 64
#define CONFIG_ISOLATION_CAP_LAST_FILE "/proc/sys/kernel/cap_last_cap"

/* The highest capability the running kernel knows; libcap's idea of it
 * when /proc does not say. Read without stdio: no allocation that could
 * fail into a wrong answer. */
static unsigned config_isolation_cap_last(void)
{
	char buf[CONFIG_ISOLATION_CAP_NAME_BYTES];
	unsigned last = 0;
	ssize_t n = -1;
	int fd = open(CONFIG_ISOLATION_CAP_LAST_FILE, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%u", &last) == 1)
			return last;
	}
	return (unsigned)cap_max_bits() - 1;
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

void config_isolation_slug(enum service_type type, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s-", svctype_tag(type));

	for (const char *p = name; *p != '\0' && (size_t)n + 1 < size; p++)
		out[n++] = (strchr("._:-", *p) != NULL || (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '_';
	out[n] = '\0';
}

bool config_isolation_own_jail(const struct service_config *c,
			       const struct master_settings *m)
{
	return m->own_jail && (c->set.chroot == NULL || c->set.chroot[0] == '\0') && c->chroot;
}

int config_isolation_static_exe(const char *path, char *why, size_t whysize)
{
	unsigned char hdr[EI_NIDENT + 64];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int rc = -1;

	if (fd < 0) {
		snprintf(why, whysize, "%s", strerror(errno));
		return -1;
	}
	ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < (ssize_t)sizeof(Elf32_Ehdr) || memcmp(hdr, ELFMAG, SELFMAG) != 0) {
		snprintf(why, whysize, "not an ELF executable (a script needs its interpreter, "
			 "which the empty jail does not have)");
		goto out;
	}
	bool wide = hdr[EI_CLASS] == ELFCLASS64;
	Elf64_Ehdr e64 = { 0 };
	Elf32_Ehdr e32 = { 0 };
	memcpy(&e64, hdr, sizeof(e64) <= (size_t)n ? sizeof(e64) : (size_t)n);
	memcpy(&e32, hdr, sizeof(e32));
	uint64_t phoff = wide ? e64.e_phoff : e32.e_phoff;
	unsigned phnum = wide ? e64.e_phnum : e32.e_phnum;
	size_t phsize = wide ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	for (unsigned i = 0; i < phnum; i++) {
		Elf64_Phdr p64;
		Elf32_Phdr p32;
		void *ph = wide ? (void *)&p64 : (void *)&p32;
		if (pread(fd, ph, phsize, (off_t)(phoff + i * phsize)) != (ssize_t)phsize)
			break;
		if ((wide ? p64.p_type : p32.p_type) != PT_INTERP)
			continue;
		char interp[256] = "";
		size_t len = wide ? p64.p_filesz : p32.p_filesz;
		if (pread(fd, interp, len < sizeof(interp) ? len : sizeof(interp) - 1,
			  (off_t)(wide ? p64.p_offset : p32.p_offset)) < 0)
			interp[0] = '\0';
		interp[sizeof(interp) - 1] = '\0';
		snprintf(why, whysize, "dynamically linked (its loader %s is not in the empty "
			 "jail): link it statically, or give -o chroot=DIR a jail that holds it",
			 interp[0] ? interp : "(unreadable)");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
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

static void config_isolation_check_caps(const struct service_config *sc,
					const struct master_settings *m, struct diag *errs)
{
	char err[256], where[CONFIG_WHERE_BYTES];
	uint64_t mask;

	config_where(sc, m, "capabilities", where, sizeof(where));

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
	char why[CONFIG_ISOLATION_LINE_BYTES], at[CONFIG_WHERE_BYTES];

	/* The jail itself: opened and checked by config_paths.c. */
	config_isolation_check_caps(sc, m, errs);
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
				 config_where(sc, m, setting[i], at, sizeof(at)), setting[i],
				 controller[i], base == NULL ? "out of memory" : why);
	free(base);
	/* A jailed worker's private /tmp is mounted on JAIL/tmp, which the
	 * master's own jail, empty by design, does not have. */
	if (sc->set.private_tmp && jail != NULL && config_isolation_own_jail(sc, m))
		diag_add(errs, "%s: private_tmp: the master's own jail (chroot_directory) is "
			 "empty, with no /tmp to mount it on (use -o chroot=DIR with a tmp "
			 "directory)", where);
	/* The worker execs after entering its mount namespace, where /tmp is
	 * an empty tmpfs: a command under /tmp would not be found there. */
	if (sc->set.private_tmp && jail == NULL && sc->path != NULL &&
	    strncmp(sc->path, "/tmp/", 5) == 0)
		diag_add(errs, "%s: command \"%s\": under /tmp, which private_tmp hides from "
			 "the worker (install it elsewhere)", where, sc->path);
	/* The kernel caps open files at fs.nr_open: "unlimited" always fails. */
	if (sc->set.rlimit_nofile == SETTINGS_RLIMIT_UNLIMITED)
		diag_add(errs, "%s: rlimit_nofile \"unlimited\": the kernel does not allow it "
			 "(give a number)", config_where(sc, m, "rlimit_nofile", at, sizeof(at)));
}

void config_isolation_check_master(const struct master_settings *m, const char *conf,
				   struct diag *errs)
{
	static const char *const modes[] = { "auto", "cgroup", "subreaper" };
	char at[CONFIG_WHERE_BYTES];
	bool known = false;

	if (strcmp(m->cgroup_parent, CONTAIN_PATH_AUTO) != 0 && m->cgroup_parent[0] != '/')
		diag_add(errs, "%s: cgroup_parent \"%s\": must be \"auto\" or an absolute path",
			 config_where_master(m, conf, "cgroup_parent", at, sizeof(at)),
			 m->cgroup_parent);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		known |= strcmp(m->containment, modes[i]) == 0;
	if (!known)
		diag_add(errs, "%s: containment \"%s\": must be auto, cgroup or subreaper",
			 config_where_master(m, conf, "containment", at, sizeof(at)),
			 m->containment);
}
