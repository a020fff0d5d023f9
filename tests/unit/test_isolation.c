/* test_isolation.c - unit tests for the load-time isolation checks
 * (config_isolation.c and their use in config.c): capability-name parsing
 * (libcap names, lists, unknown and numeric names), -o group= resolution,
 * the chroot jail checks (missing, not a directory, not root-owned,
 * writable, the command looked up inside the jail), cgroup controller
 * availability, rlimit_nofile=unlimited, and the chroot column accepted;
 * the jail and command fds opened at load, every directory on the way
 * checked (config_paths.c).
 * Jail ownership tests need root (chown) and are skipped otherwise. */
#include <check.h>
#include <elf.h>
#include <dirent.h>
#include <ftw.h>
#include <stddef.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_isolation.h"
#include "unit.h"

static char dir[64];      /* config dir, daemon dir and jails in one */
static struct config cfg;
static struct diag errs;

static char *path_of(const char *name)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static void put(const char *name, const char *text, mode_t mode)
{
	unit_put(dir, name, text, mode);
}

static void setup(void)
{
	char *conf = NULL;
	strcpy(dir, "/tmp/test_isolation.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	put("w", "#!/bin/sh\nexit 0\n", 0755);
	ck_assert_int_ge(asprintf(&conf, "run_directory = /run/ti\ndaemon_directory = \"%s\"\n",
				  dir), 0);
	put("master.conf", conf, 0644);
	free(conf);
	memset(&errs, 0, sizeof(errs));
}

static void teardown(void)
{
	config_free(&cfg);
	diag_free(&errs);
	unit_rm_tree(dir);
}

/* Loads a one-line master.cf (LINE with {DIR} replaced); returns the
 * number of errors. */
static size_t load_line(const char *line)
{
	char text[1024];
	const char *at = strstr(line, "{DIR}");
	if (at != NULL)
		snprintf(text, sizeof(text), "%.*s%s%s\n", (int)(at - line), line, dir, at + 5);
	else
		snprintf(text, sizeof(text), "%s\n", line);
	put("master.cf", text, 0644);
	config_free(&cfg);
	diag_free(&errs);
	if (config_load(dir, NULL, &cfg, &errs) == 0)
		ck_assert_uint_eq(errs.n, 0);
	return errs.n;
}

static void assert_error(const char *line, const char *want)
{
	char full[1024];
	ck_assert_uint_eq(load_line(line), 1);
	snprintf(full, sizeof(full), "%s/master.cf:1: %s", dir, want);
	ck_assert_str_eq(errs.msgs[0], full);
}

START_TEST(test_caps_parse)
{
	char err[256];
	uint64_t mask = 1;

	ck_assert_int_eq(config_isolation_caps("", &mask, err, sizeof(err)), 0);
	ck_assert_uint_eq(mask, 0);
	ck_assert_int_eq(config_isolation_caps("cap_net_bind_service", &mask, err, sizeof(err)), 0);
	ck_assert_uint_eq(mask, UINT64_C(1) << CAP_NET_BIND_SERVICE);
	ck_assert_int_eq(config_isolation_caps(" cap_chown, cap_net_raw\tcap_kill ", &mask, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(mask, (UINT64_C(1) << CAP_CHOWN) | (UINT64_C(1) << CAP_NET_RAW) |
			  (UINT64_C(1) << CAP_KILL));
	ck_assert_int_eq(config_isolation_caps("cap_chown,cap_bogus", &mask, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown capability \"cap_bogus\"");
	/* Numbers are not names, even though libcap would take them. */
	ck_assert_int_eq(config_isolation_caps("12", &mask, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown capability \"12\"");
	ck_assert_int_eq(config_isolation_caps("net_bind_service", &mask, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_caps_config)
{
	ck_assert_uint_eq(load_line("a unix - y - - - w -o capabilities=cap_net_bind_service"), 0);
	ck_assert_str_eq(cfg.services[0].set.capabilities, "cap_net_bind_service");
	assert_error("a unix - y - - - w -o capabilities=cap_nope",
		     "capabilities \"cap_nope\": unknown capability \"cap_nope\"");
	assert_error("a unix - y - - - w -o capabilities=cap_setuid",
		     "capabilities \"cap_setuid\": an unpriv=y worker may not keep cap_setuid or "
		     "cap_setgid (it could become root again)");
	/* root workers may keep it: they are root already */
	ck_assert_uint_eq(load_line("a unix - n - - - w -o capabilities=cap_setuid"), 0);
}
END_TEST

START_TEST(test_group)
{
	struct group *gr = getgrnam("daemon");
	ck_assert_ptr_nonnull(gr);
	gid_t gid = gr->gr_gid;
	ck_assert_uint_eq(load_line("a unix - y - - - w -o user=nobody -o group=daemon"), 0);
	ck_assert_uint_eq(cfg.services[0].gid, gid);
	bool found = false;
	for (size_t i = 0; i < cfg.services[0].ngroups; i++)
		found |= cfg.services[0].groups[i] == gid;
	ck_assert(found);
	assert_error("a unix - y - - - w -o group=no_such_group_x", "unknown group \"no_such_group_x\"");
	/* unknown even where it is not used (unpriv=n) */
	assert_error("a unix - n - - - w -o group=no_such_group_x", "unknown group \"no_such_group_x\"");
	assert_error("a unix - y - - - w -o group=root",
		     "group \"root\" has gid 0, and an unpriv=y worker never runs with group root");
}
END_TEST

/* A jail DIR/j with the command inside, with mode and owner. */
static void make_jail(mode_t mode, uid_t owner)
{
	char *j = path_of("j");
	ck_assert_int_eq(mkdir(j, 0755), 0);
	put("j/w", "#!/bin/sh\n", 0755);
	ck_assert_int_eq(chown(j, owner, 0), 0);
	ck_assert_int_eq(chmod(j, mode), 0);
	free(j);
}

START_TEST(test_chroot_column)
{
	char conf[512], want[512];

	/* chroot=y is accepted, and means chroot_directory */
	snprintf(conf, sizeof(conf), "run_directory = /run/ti\ndaemon_directory = \"%s\"\n"
		 "chroot_directory = \"%s/none\"\n", dir, dir);
	put("master.conf", conf, 0644);
	snprintf(want, sizeof(want), "chroot \"%s/none\": No such file or directory", dir);
	assert_error("a unix - y y - - /w", want);
}
END_TEST

/* Writes a minimal ELF executable header to DIR/name: no program headers
 * at all (so no PT_INTERP: "static"), or one PT_INTERP naming interp. */
static void put_elf(const char *name, const char *interp)
{
	struct {
		Elf64_Ehdr e;
		Elf64_Phdr p;
		char interp[32];
	} img;
	memset(&img, 0, sizeof(img));
	memcpy(img.e.e_ident, ELFMAG, SELFMAG);
	img.e.e_ident[EI_CLASS] = ELFCLASS64;
	img.e.e_ident[EI_DATA] = ELFDATA2LSB;
	img.e.e_type = ET_EXEC;
	img.e.e_phoff = offsetof(__typeof__(img), p);
	img.e.e_phentsize = sizeof(Elf64_Phdr);
	if (interp != NULL) {
		img.e.e_phnum = 1;
		img.p.p_type = PT_INTERP;
		img.p.p_offset = offsetof(__typeof__(img), interp);
		img.p.p_filesz = strlen(interp) + 1;
		snprintf(img.interp, sizeof(img.interp), "%s", interp);
	}
	char *path = path_of(name);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(&img, sizeof(img), 1, fp), 1);
	fclose(fp);
	ck_assert_int_eq(chmod(path, 0755), 0);
	free(path);
}

/* chroot_directory relative (the default "empty"): the master's own jail
 * in run_directory, need not exist at load; the command is the host's
 * and must be a static ELF. */
START_TEST(test_own_jail)
{
	char want[512];

	put_elf("static", NULL);
	put_elf("dynamic", "/lib/ld-test.so");
	ck_assert_uint_eq(load_line("a unix - y y - - static"), 0);
	ck_assert(cfg.master.own_jail);
	ck_assert_str_eq(cfg.master.chroot_directory, "/run/ti/empty");
	ck_assert(cfg.services[0].exec_outside);
	ck_assert_str_eq(cfg.services[0].path + strlen(dir), "/static");
	/* not the own jail: -o chroot= names another one */
	assert_error("a unix - y y - - static -o chroot=/nonexistent",
		     "chroot \"/nonexistent\": No such file or directory");
	snprintf(want, sizeof(want), "command \"dynamic\": %s/dynamic: dynamically linked (its "
		 "loader /lib/ld-test.so is not in the empty jail): link it statically, or give "
		 "-o chroot=DIR a jail that holds it (chroot_directory is the master's own empty "
		 "jail)", dir);
	assert_error("a unix - y y - - dynamic", want);
	snprintf(want, sizeof(want), "command \"w\": %s/w: not an ELF executable (a script "
		 "needs its interpreter, which the empty jail does not have) (chroot_directory "
		 "is the master's own empty jail)", dir);
	assert_error("a unix - y y - - w", want);
	assert_error("a unix - y y - - static -o private_tmp=yes", "private_tmp: the master's "
		     "own jail (chroot_directory) is empty, with no /tmp to mount it on (use "
		     "-o chroot=DIR with a tmp directory)");
	/* chroot column n: no jail, anything goes */
	ck_assert_uint_eq(load_line("a unix - y n - - w"), 0);
	ck_assert(!cfg.services[0].exec_outside);
}
END_TEST

START_TEST(test_chroot_checks)
{
	char want[512];

	if (geteuid() != 0)
		return; /* chown needs root */
	snprintf(want, sizeof(want), "chroot \"%s/j\": No such file or directory", dir);
	assert_error("a unix - y n - - /w -o chroot={DIR}/j", want);
	snprintf(want, sizeof(want), "chroot \"%s/w\": not a directory", dir);
	assert_error("a unix - y n - - /w -o chroot={DIR}/w", want);
	make_jail(0755, 65534);
	snprintf(want, sizeof(want), "chroot \"%s/j\": owned by uid 65534, not root", dir);
	assert_error("a unix - y n - - /w -o chroot={DIR}/j", want);
	char *j = path_of("j");
	ck_assert_int_eq(chown(j, 0, 0), 0);
	ck_assert_int_eq(chmod(j, 0775), 0);
	snprintf(want, sizeof(want), "chroot \"%s/j\": writable by its group (mode 0775)", dir);
	assert_error("a unix - y n - - /w -o chroot={DIR}/j", want);
	ck_assert_int_eq(chmod(j, 0757), 0);
	snprintf(want, sizeof(want), "chroot \"%s/j\": writable by others (mode 0757)", dir);
	assert_error("a unix - y n - - /w -o chroot={DIR}/j", want);
	ck_assert_int_eq(chmod(j, 0755), 0);
	/* good: the command is looked up inside the jail, path kept as seen there */
	ck_assert_uint_eq(load_line("a unix - y n - - /w -o chroot={DIR}/j"), 0);
	ck_assert_str_eq(cfg.services[0].path, "/w");
	snprintf(want, sizeof(want), "command \"/nothere\": %s/j/nothere: No such file or "
		 "directory (the jail holds what the worker executes)", dir);
	assert_error("a unix - y n - - /nothere -o chroot={DIR}/j", want);
	/* a root worker owns a 0755 root jail: not good enough */
	snprintf(want, sizeof(want), "chroot \"%s/j\": writable by root, the user of this "
		 "unpriv=n worker (mode 0755; make it 0555)", dir);
	assert_error("a unix - n n - - /w -o chroot={DIR}/j", want);
	ck_assert_int_eq(chmod(j, 0555), 0);
	ck_assert_uint_eq(load_line("a unix - n n - - /w -o chroot={DIR}/j"), 0);
	assert_error("a unix - y n - - w -o chroot=rel", "chroot \"rel\": must be an absolute path");
	free(j);
}
END_TEST

/* Open fds of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* DIR/name: a copy of /bin/true (an ELF binary), mode 0755. */
static void put_binary(const char *name)
{
	char buf[65536], *to = path_of(name);
	FILE *in = fopen("/bin/true", "rb"), *out = fopen(to, "wb");
	size_t n;
	ck_assert(in != NULL && out != NULL);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	ck_assert_int_eq(chmod(to, 0755), 0);
	free(to);
}

/* The jail and the command are opened at load and checked on the fd,
 * every directory on the way root's (sticky ones allowed); a binary keeps
 * its fd, a script is exec'd by path; config_free closes them. */
START_TEST(test_paths_checked)
{
	char want[2048], p[128], pw[128], pj[128];
	int before = count_fds();

	snprintf(p, sizeof(p), "%s/p", dir);
	snprintf(pw, sizeof(pw), "%s/p/w", dir);
	snprintf(pj, sizeof(pj), "%s/p/j", dir);

	if (geteuid() != 0)
		return; /* chown needs root */
	put_binary("b");
	ck_assert_uint_eq(load_line("a unix - y n - - b"), 0);
	ck_assert_int_ge(cfg.services[0].exec_fd, 3);
	ck_assert_int_eq(cfg.services[0].jail_fd, -1);
	ck_assert_uint_eq(load_line("a unix - y n - - w"), 0);
	ck_assert_int_eq(cfg.services[0].exec_fd, -1); /* "#!": by path */
	config_free(&cfg);
	ck_assert_int_eq(count_fds(), before);

	ck_assert_int_eq(mkdir(p, 0755), 0);
	put("p/w", "#!/bin/sh\n", 0755);
	ck_assert_int_eq(chown(p, 65534, 0), 0);
	snprintf(want, sizeof(want), "command \"%s\": %s: directory %s: owned by uid 65534 "
		 "(mode 0755), not root", pw, pw, p);
	assert_error("a unix - y n - - {DIR}/p/w", want);
	ck_assert_int_eq(chown(p, 0, 0), 0);
	ck_assert_int_eq(chmod(p, 0775), 0);
	snprintf(want, sizeof(want), "command \"%s\": %s: directory %s: writable by its group "
		 "(owned by uid 0, mode 0775)", pw, pw, p);
	assert_error("a unix - y n - - {DIR}/p/w", want);
	ck_assert_int_eq(chmod(p, 01777), 0); /* like /tmp: only the owner renames w */
	ck_assert_uint_eq(load_line("a unix - y n - - {DIR}/p/w"), 0);
	ck_assert_int_eq(chown(pw, 65534, 0), 0);
	snprintf(want, sizeof(want), "command \"%s\": %s: owned by uid 65534 (mode 0755), "
		 "not root", pw, pw);
	assert_error("a unix - y n - - {DIR}/p/w", want);
	ck_assert_int_eq(chown(pw, 0, 0), 0);
	ck_assert_int_eq(chmod(pw, 0757), 0);
	snprintf(want, sizeof(want), "command \"%s\": %s: writable by others (owned by uid 0, "
		 "mode 0757)", pw, pw);
	assert_error("a unix - y n - - {DIR}/p/w", want);

	/* a jail whose parent another user owns: refused, naming the parent */
	ck_assert_int_eq(chmod(p, 0755), 0);
	ck_assert_int_eq(mkdir(pj, 0755), 0);
	put("p/j/w", "#!/bin/sh\n", 0755);
	ck_assert_int_eq(chown(p, 65534, 0), 0);
	snprintf(want, sizeof(want), "chroot \"%s\": directory %s: owned by uid 65534 (mode "
		 "0755), not root", pj, p);
	assert_error("a unix - y n - - /w -o chroot={DIR}/p/j", want);
	ck_assert_int_eq(chown(p, 0, 0), 0);
	ck_assert_uint_eq(load_line("a unix - y n - - /w -o chroot={DIR}/p/j"), 0);
	ck_assert_int_ge(cfg.services[0].jail_fd, 3);
	ck_assert_str_eq(cfg.services[0].path, "/w");
}
END_TEST

START_TEST(test_cgroup)
{
	const char *c[CONFIG_ISOLATION_CONTROLLERS_MAX], *s[CONFIG_ISOLATION_CONTROLLERS_MAX];
	struct service_settings set = { .memory_max_bytes = 1, .cpu_weight = 5 };
	char why[1024], want[1200];

	ck_assert_uint_eq(config_isolation_controllers(&set, c, s), 2);
	ck_assert_str_eq(c[0], "memory");
	ck_assert_str_eq(s[0], "memory_max");
	ck_assert_str_eq(c[1], "cpu");
	ck_assert_str_eq(s[1], "cpu_weight");
	/* A temp directory is no cgroup2 file system. */
	snprintf(want, sizeof(want), "%s/cg", dir);
	ck_assert_int_eq(config_isolation_cgroup_check(want, "pids", why, sizeof(why)), -1);
	snprintf(want, sizeof(want), "cgroup_parent \"%s/cg\" is not on a cgroup2 file system (", dir);
	ck_assert_msg(strncmp(why, want, strlen(want)) == 0, "%s", why);
	char conf[512];
	snprintf(conf, sizeof(conf), "run_directory = /run/ti\ndaemon_directory = \"%s\"\n"
		 "cgroup_parent = \"%s/cg\"\n", dir, dir);
	put("master.conf", conf, 0644);
	ck_assert_uint_eq(load_line("a unix - y n - - w -o pids_max=10"), 1);
	snprintf(want, sizeof(want), "%s/master.cf:1: pids_max: cgroup v2 controller \"pids\" "
		 "unavailable: cgroup_parent \"%s/cg\" is not on a cgroup2 file system", dir, dir);
	ck_assert_msg(strncmp(errs.msgs[0], want, strlen(want)) == 0, "%s", errs.msgs[0]);
}
END_TEST

/* containment and cgroup_parent: words and paths only (contain.h). */
START_TEST(test_containment_settings)
{
	char conf[512];

	ck_assert_uint_eq(load_line("a unix - y n - - w"), 0);
	ck_assert_str_eq(cfg.master.containment, "auto");
	ck_assert_str_eq(cfg.master.cgroup_parent, "auto");
	snprintf(conf, sizeof(conf), "run_directory = /run/ti\ndaemon_directory = \"%s\"\n"
		 "containment = subreaper\ncgroup_parent = /sys/fs/cgroup/x\n", dir);
	put("master.conf", conf, 0644);
	ck_assert_uint_eq(load_line("a unix - y n - - w"), 0);
	ck_assert_str_eq(cfg.master.containment, "subreaper");
	snprintf(conf, sizeof(conf), "run_directory = /run/ti\ndaemon_directory = \"%s\"\n"
		 "containment = cgroups\ncgroup_parent = workers\n", dir);
	put("master.conf", conf, 0644);
	ck_assert_uint_eq(load_line("a unix - y n - - w"), 2);
	/* Reported against the master.conf lines that set them. */
	char want[1024];
	snprintf(want, sizeof(want), "%s/master.conf:4: cgroup_parent \"workers\": must be "
		 "\"auto\" or an absolute path", dir);
	ck_assert_str_eq(errs.msgs[0], want);
	snprintf(want, sizeof(want), "%s/master.conf:3: containment \"cgroups\": must be auto, "
		 "cgroup or subreaper", dir);
	ck_assert_str_eq(errs.msgs[1], want);
}
END_TEST

START_TEST(test_rlimit_nofile_unlimited)
{
	assert_error("a unix - y n - - w -o rlimit_nofile=unlimited",
		     "rlimit_nofile \"unlimited\": the kernel does not allow it (give a number)");
	ck_assert_uint_eq(load_line("a unix - y n - - w -o rlimit_nproc=unlimited "
				    "-o rlimit_nofile=64"), 0);
}
END_TEST

static Suite *isolation_suite(void)
{
	Suite *suite = suite_create("isolation");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_caps_parse);
	tcase_add_test(tc, test_caps_config);
	tcase_add_test(tc, test_group);
	tcase_add_test(tc, test_chroot_column);
	tcase_add_test(tc, test_chroot_checks);
	tcase_add_test(tc, test_own_jail);
	tcase_add_test(tc, test_paths_checked);
	tcase_add_test(tc, test_cgroup);
	tcase_add_test(tc, test_rlimit_nofile_unlimited);
	tcase_add_test(tc, test_containment_settings);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(isolation_suite());
}
