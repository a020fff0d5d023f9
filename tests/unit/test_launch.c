/* test_launch.c - unit tests for launch.c/launch_caps.c: real launches of
 * /bin/sh, which reports its /proc/self/status, cwd and cgroup on its
 * stderr (the pipe the spec names). Checks: ids and every capability set
 * dropped, bounding set empty, no_new_privs, securebits; a kept capability
 * in ambient/permitted/effective only; cgroup placement by clone3 and by
 * the cgroup.procs fallback; and failing steps (chroot, rlimit, setns,
 * execve) reported by name and errno with the child already reaped; the
 * command exec'd from its fd (the path unused, the fd not inherited); a
 * jail swapped under a mount namespace refused;
 * cgroup_create() making a service cgroup below a missing cgroup_parent
 * (no controllers: this host's cgroup2 has none to spare) and refusing a
 * parent outside cgroup2 without creating anything.
 * Needs root (the launches switch ids); skipped otherwise. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "launch.h"
#include "unit.h"

#define NOBODY 65534
#define OUT_BYTES 8192

static struct launcher launcher;
static char pid_digits[16];
static char out[OUT_BYTES];

static void setup(void)
{
	ck_assert_int_eq(launcher_init(&launcher), 0);
}

static void teardown(void)
{
	launcher_fini(&launcher);
}

/* Launches PATH -c SCRIPT with iso; returns the pid (or -1 and *e), and
 * what it wrote to stderr in out. */
static pid_t run_path(const char *path, const char *script, const struct launch_isolation *iso,
		      bool ids, struct launch_error *e)
{
	static const gid_t groups[] = { NOBODY };
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	int chan[2], errp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan), 0);
	ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
	struct launch_spec spec = {
		.path = path, .argv = argv, .envp = envp,
		.pid_digits = pid_digits, .pid_digits_size = sizeof(pid_digits),
		.status_fd = chan[1], .stderr_fd = errp[1],
		.set_ids = ids, .uid = NOBODY, .gid = NOBODY, .groups = groups, .ngroups = 1,
		.parent = getpid(), .umask = 027, .iso = iso,
	};
	pid_t pid = launch_start(&launcher, &spec, e);
	close(chan[1]);
	close(errp[1]);
	size_t used = 0;
	ssize_t n;
	while (pid > 0 && used + 1 < sizeof(out) &&
	       (n = read(errp[0], out + used, sizeof(out) - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(errp[0]);
	close(chan[0]);
	if (pid > 0) {
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sh: %s", out);
	}
	return pid;
}

static pid_t run(const char *script, const struct launch_isolation *iso, bool ids,
		 struct launch_error *e)
{
	return run_path("/bin/sh", script, iso, ids, e);
}

static const char *field(const char *name)
{
	static char v[128];
	char key[64];
	snprintf(key, sizeof(key), "\n%s:\t", name);
	const char *p = strstr(out, key);
	ck_assert_msg(p != NULL, "no %s in %s", name, out);
	p += strlen(key);
	snprintf(v, sizeof(v), "%.*s", (int)strcspn(p, "\n"), p);
	return v;
}

static bool root(void)
{
	return geteuid() == 0 && launcher.privileged;
}

static const char status_script[] = "echo; cat /proc/self/status >&2; "
	"echo cwd=$(readlink /proc/self/cwd) >&2; echo umask=$(umask) >&2";

START_TEST(test_drops_everything)
{
	struct launch_isolation iso;
	struct launch_error e;

	if (!root())
		return;
	launch_isolation_init(&iso);
	ck_assert_int_gt(run(status_script, &iso, true, &e), 0);
	ck_assert_str_eq(field("Uid"), "65534\t65534\t65534\t65534");
	ck_assert_str_eq(field("Gid"), "65534\t65534\t65534\t65534");
	for (const char *const *f = (const char *const[]){ "CapInh", "CapPrm", "CapEff", "CapBnd",
							   "CapAmb", NULL }; *f; f++)
		ck_assert_msg(strcmp(field(*f), "0000000000000000") == 0, "%s %s", *f, field(*f));
	ck_assert_str_eq(field("NoNewPrivs"), "1");
	ck_assert_str_eq(field("SigBlk"), "0000000000000000");
	ck_assert_ptr_nonnull(strstr(out, "cwd=/\n"));
	ck_assert_ptr_nonnull(strstr(out, "umask=0027\n"));
}
END_TEST

START_TEST(test_keeps_named_cap)
{
	struct launch_isolation iso;
	struct launch_error e;

	if (!root())
		return;
	launch_isolation_init(&iso);
	iso.caps_keep = UINT64_C(1) << CAP_NET_BIND_SERVICE;
	for (int ids = 0; ids <= 1; ids++) { /* as nobody, and as root */
		ck_assert_int_gt(run(status_script, &iso, ids, &e), 0);
		ck_assert_str_eq(field("CapAmb"), "0000000000000400");
		ck_assert_str_eq(field("CapPrm"), "0000000000000400");
		ck_assert_str_eq(field("CapEff"), "0000000000000400");
		ck_assert_str_eq(field("CapInh"), "0000000000000400");
		ck_assert_str_eq(field("CapBnd"), "0000000000000000");
	}
}
END_TEST

static void assert_fails(const struct launch_isolation *iso, const char *path_script,
			 const char *step, int err)
{
	struct launch_error e;
	int status;

	ck_assert_int_eq(run(path_script, iso, true, &e), -1);
	ck_assert_str_eq(e.step, step);
	ck_assert_int_eq(e.err, err);
	/* already reaped: nothing left for a reaper to trip over */
	ck_assert_int_eq(waitpid(-1, &status, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

START_TEST(test_failing_steps)
{
	struct launch_isolation iso;
	const char *jail = "/var/empty-jail-for-test";

	if (!root())
		return;
	launch_isolation_init(&iso);
	iso.root_fd = launcher.devnull_fd; /* not a directory */
	assert_fails(&iso, "true", "chroot", ENOTDIR);
	launch_isolation_init(&iso);
	iso.rlimits[0] = (struct launch_rlimit){ RLIMIT_NOFILE, 1ULL << 40, "rlimit_nofile", 0 };
	iso.nrlimits = 1;
	assert_fails(&iso, "true", "rlimit_nofile", EPERM);
	launch_isolation_init(&iso);
	iso.netns_fd = launcher.devnull_fd; /* not a namespace */
	assert_fails(&iso, "true", "setns network", EINVAL);
	launch_isolation_init(&iso);
	mkdir(jail, 0555);
	iso.root_fd = open(jail, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(iso.root_fd, 0);
	assert_fails(&iso, "true", "execve", ENOENT); /* no /bin/sh in the jail */
	close(iso.root_fd);
	rmdir(jail);
}
END_TEST

/* The command is exec'd from its fd: spec->path is not looked up, and the
 * fd does not reach the worker (nothing past fd 3, the contract's last:
 * the child may place the command's fd anywhere above it). */
START_TEST(test_exec_fd)
{
	struct launch_isolation iso;
	struct launch_error e;

	if (!root())
		return;
	launch_isolation_init(&iso);
	iso.exec_fd = open("/bin/sh", O_PATH | O_CLOEXEC);
	ck_assert_int_ge(iso.exec_fd, 0);
	ck_assert_int_gt(run_path("/nonexistent/sh", "i=4; while [ $i -lt 512 ]; do "
				  "if [ -e /proc/self/fd/$i ]; then echo leaked $i >&2; exit 1; fi; "
				  "i=$((i+1)); done; echo; cat /proc/self/status >&2",
				  &iso, true, &e), 0);
	ck_assert_str_eq(field("Uid"), "65534\t65534\t65534\t65534");
	close(iso.exec_fd);
}
END_TEST

/* In a mount namespace the jail is found again by path, and must be the
 * directory the fd names: a jail swapped under it fails the launch. */
START_TEST(test_jail_swapped_in_namespace)
{
	struct launch_isolation iso;
	char a[] = "/tmp/test_launch_jail.XXXXXX", moved[64];
	struct stat st;

	if (!root())
		return;
	ck_assert_ptr_nonnull(mkdtemp(a));
	ck_assert_int_eq(chmod(a, 0555), 0);
	launch_isolation_init(&iso);
	iso.mntns_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	iso.root_fd = open(a, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(fstat(iso.root_fd, &st), 0);
	iso.root_dev = st.st_dev;
	iso.root_ino = st.st_ino;
	iso.chroot = a;
	/* the same directory: entered (then no /bin/sh there) */
	assert_fails(&iso, "true", "execve", ENOENT);
	snprintf(moved, sizeof(moved), "%s.moved", a);
	ck_assert_int_eq(rename(a, moved), 0);
	ck_assert_int_eq(mkdir(a, 0555), 0);
	assert_fails(&iso, "true", "jail is not the one checked", ESTALE);
	close(iso.root_fd);
	close(iso.mntns_fd);
	rmdir(a);
	rmdir(moved);
}
END_TEST

/* A fresh cgroup at the top of the cgroup2 mount, or NULL. */
static const char *test_cgroup(char *buf, size_t size)
{
	FILE *fp = fopen("/proc/self/mounts", "re");
	char dev[256], mnt[512], type[64], rest[512];
	struct statfs sfs;

	buf[0] = '\0';
	while (fp != NULL && fscanf(fp, "%255s %511s %63s %511[^\n]", dev, mnt, type, rest) == 4)
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(buf, size, "%s/test_launch.%ld", mnt, (long)getpid());
			break;
		}
	if (fp != NULL)
		fclose(fp);
	if (buf[0] == '\0' || mkdir(buf, 0755) != 0 || statfs(buf, &sfs) != 0 ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC)
		return NULL;
	return buf;
}

START_TEST(test_cgroup_placement)
{
	struct launch_isolation iso;
	struct launch_error e;
	char cg[600], procs[700], want[700];

	if (!root() || test_cgroup(cg, sizeof(cg)) == NULL)
		return;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	snprintf(want, sizeof(want), "0::/test_launch.%ld\n", (long)getpid());
	launch_isolation_init(&iso);
	iso.cgroup_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	iso.cgroup_procs_fd = open(procs, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(iso.cgroup_procs_fd, 0);
	/* clone3 into the cgroup, then the cgroup.procs write */
	for (int pass = 0; pass < 2; pass++) {
		ck_assert_int_gt(run("echo; cat /proc/self/cgroup >&2", &iso, true, &e), 0);
		ck_assert_msg(strstr(out, want) != NULL, "pass %d: %s", pass, out);
		launcher.clone3_missing = true;
	}
	close(iso.cgroup_fd);
	close(iso.cgroup_procs_fd);
	ck_assert_int_eq(rmdir(cg), 0);
}
END_TEST

START_TEST(test_cgroup_create)
{
	struct launch_isolation iso;
	struct launch_error e;
	struct cgroup cg;
	struct cgroup_limits none = { 0 };
	char top[600], parent[700], want[700], err[1024];
	struct stat st;

	if (!root() || test_cgroup(top, sizeof(top)) == NULL)
		return;
	snprintf(parent, sizeof(parent), "%s/parent", top);
	ck_assert_msg(cgroup_create(&cg, parent, "inet-x:1", &none, NULL, 0, err,
				    sizeof(err)) == 0, "%s", err);
	launch_isolation_init(&iso);
	iso.cgroup_fd = cg.dir_fd;
	iso.cgroup_procs_fd = cg.procs_fd;
	snprintf(want, sizeof(want), "0::/test_launch.%ld/parent/inet-x:1\n", (long)getpid());
	ck_assert_int_gt(run("echo; cat /proc/self/cgroup >&2", &iso, true, &e), 0);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	char leaf[800];
	snprintf(leaf, sizeof(leaf), "%s", cg.path);
	cgroup_destroy(&cg);
	ck_assert_int_eq(rmdir(leaf), 0);
	ck_assert_int_eq(rmdir(parent), 0);
	ck_assert_int_eq(rmdir(top), 0);
	/* not cgroup2: an error, and no directory made */
	ck_assert_int_eq(cgroup_create(&cg, "/tmp/test_launch-no/cg", "x", &none, NULL, 0, err,
				       sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/tmp/test_launch-no: mkdir") == NULL &&
		      stat("/tmp/test_launch-no", &st) != 0, "%s", err);
}
END_TEST

static Suite *launch_suite(void)
{
	Suite *suite = suite_create("launch");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_drops_everything);
	tcase_add_test(tc, test_keeps_named_cap);
	tcase_add_test(tc, test_failing_steps);
	tcase_add_test(tc, test_exec_fd);
	tcase_add_test(tc, test_jail_swapped_in_namespace);
	tcase_add_test(tc, test_cgroup_placement);
	tcase_add_test(tc, test_cgroup_create);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	if (geteuid() != 0)
		fprintf(stderr, "test_launch: not root: the launch tests are skipped\n");
	return unit_run(launch_suite());
}
