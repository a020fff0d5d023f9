/* test_contain.c - unit tests for containment's pure parts and its cgroup
 * file operations: the cgroup2 mount and the master's cgroup found in
 * /proc text (hybrid, pure v2, escaped, several mounts), the base rule
 * (cgroup_parent, a delegated unit cgroup, its supervisor leaf, a base of
 * our own), the names under the base, and, on a fake cgroupfs tree (plain
 * directories and files), a previous master's leftovers found, killed
 * (cgroup.kill, or freeze and kill pid by pid without it), counted and
 * their leaves removed, with nothing else touched. As root with a
 * writable cgroup2, the same kill on a real cgroup with a real process,
 * and the pid-by-pid fallback kill (contain_reaper_kill_pid) refusing a
 * process outside the base. A reaped worker's leaf (contain_leaf_signal,
 * contain_leaf_kill) never signalling its pid, a live process's now. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contain.h"
#include "contain_cg.h"
#include "contain_path.h"
#include "unit.h"

/* This host's layout: v1 controllers, cgroup2 at /sys/fs/cgroup/unified. */
static const char hybrid_mountinfo[] =
	"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char hybrid_cgroup[] =
	"4:memory:/process_api/0bbf\n1:cpu:/\n0::/\n";

START_TEST(test_mount_and_own)
{
	char mnt[256], root[256], own[256];

	ck_assert_int_eq(contain_path_mountinfo(hybrid_mountinfo, "/", mnt, sizeof(mnt),
						root, sizeof(root)), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/unified");
	ck_assert_str_eq(root, "/");
	ck_assert_int_eq(contain_path_own_cgroup(hybrid_cgroup, own, sizeof(own)), 0);
	ck_assert_str_eq(own, "/");
	/* pure v2, optional fields before the separator */
	ck_assert_int_eq(contain_path_mountinfo(
		"30 24 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n",
		NULL, mnt, sizeof(mnt), root, sizeof(root)), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup");
	ck_assert_int_eq(contain_path_own_cgroup("0::/system.slice/master.service\n", own,
						 sizeof(own)), 0);
	ck_assert_str_eq(own, "/system.slice/master.service");
	/* none */
	ck_assert_int_eq(contain_path_mountinfo("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n",
						NULL, mnt, sizeof(mnt), root, sizeof(root)), -1);
	ck_assert_int_eq(contain_path_own_cgroup("1:name=systemd:/\n", own, sizeof(own)), -1);
	/* an escaped mount point; a second mount whose root shows our cgroup */
	ck_assert_int_eq(contain_path_mountinfo(
		"40 1 0:38 /other /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n"
		"41 1 0:38 /box /mnt/box rw - cgroup2 cgroup2 rw\n",
		"/box/inner", mnt, sizeof(mnt), root, sizeof(root)), 0);
	ck_assert_str_eq(mnt, "/mnt/box");
	ck_assert_str_eq(root, "/box");
	ck_assert_int_eq(contain_path_mountinfo(
		"40 1 0:38 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n"
		"41 1 0:38 /box /mnt/box rw - cgroup2 cgroup2 rw\n",
		"/elsewhere", mnt, sizeof(mnt), root, sizeof(root)), 0);
	ck_assert_str_eq(mnt, "/mnt/cg two");
}
END_TEST

START_TEST(test_on_mount)
{
	char out[256];

	ck_assert_int_eq(contain_path_on_mount("/sys/fs/cgroup", "/", "/system.slice/x", out,
					       sizeof(out)), 0);
	ck_assert_str_eq(out, "/sys/fs/cgroup/system.slice/x");
	ck_assert_int_eq(contain_path_on_mount("/sys/fs/cgroup/unified", "/", "/", out,
					       sizeof(out)), 0);
	ck_assert_str_eq(out, "/sys/fs/cgroup/unified");
	ck_assert_int_eq(contain_path_on_mount("/mnt/box", "/box", "/box/a", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/mnt/box/a");
	ck_assert_int_eq(contain_path_on_mount("/mnt/box", "/box", "/boxer", out, sizeof(out)), -1);
	ck_assert_int_eq(contain_path_on_mount("/mnt/box", "/box", "/c", out, sizeof(out)), -1);
}
END_TEST

static void host(struct contain_path_host *h, const char *mount, const char *own,
		 bool delegated, bool parent_delegated)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->mount, sizeof(h->mount), "%s", mount);
	snprintf(h->mount_root, sizeof(h->mount_root), "/");
	snprintf(h->own, sizeof(h->own), "%s", own);
	if (mount[0] != '\0' && own[0] != '\0')
		ck_assert_int_eq(contain_path_on_mount(mount, "/", own, h->own_dir,
						       sizeof(h->own_dir)), 0);
	h->own_delegated = delegated;
	h->parent_delegated = parent_delegated;
}

START_TEST(test_choose)
{
	struct contain_path_host h;
	struct contain_path_choice c;
	char name[64], want[256];

	contain_path_instance("/run/master/master.pid", name, sizeof(name));
	ck_assert_uint_eq(strlen(name), strlen("master.") + 16);
	ck_assert_int_eq(strncmp(name, "master.", 7), 0);
	ck_assert_uint_eq(strspn(name + 7, "0123456789abcdef"), 16);
	contain_path_instance("/run/master/master.pid", want, sizeof(want));
	ck_assert_str_eq(name, want); /* the same instance, the same base */
	contain_path_instance("/run/other/master.pid", want, sizeof(want));
	ck_assert_str_ne(name, want);

	/* from a shell (this host): a base of its own at the top of the mount */
	host(&h, "/sys/fs/cgroup/unified", "/", false, false);
	ck_assert_int_eq(contain_path_choose("auto", "/run/master/master.pid", &h, &c), 0);
	snprintf(want, sizeof(want), "/sys/fs/cgroup/unified/%s", name);
	ck_assert_str_eq(c.base, want);
	snprintf(want, sizeof(want), "/%s", name);
	ck_assert_str_eq(c.base_rel, want);
	ck_assert_str_eq(c.supervisor, "");
	ck_assert(c.own);
	/* systemd, Delegate=yes: the unit's cgroup, the master in a leaf */
	host(&h, "/sys/fs/cgroup", "/system.slice/master.service", true, false);
	ck_assert_int_eq(contain_path_choose("auto", "/run/master/master.pid", &h, &c), 0);
	ck_assert_str_eq(c.base, "/sys/fs/cgroup/system.slice/master.service");
	ck_assert_str_eq(c.base_rel, "/system.slice/master.service");
	ck_assert_str_eq(c.supervisor, "/sys/fs/cgroup/system.slice/master.service/supervisor");
	ck_assert(!c.own);
	/* restarted inside the unit, already in its supervisor leaf */
	host(&h, "/sys/fs/cgroup", "/system.slice/master.service/supervisor", false, true);
	ck_assert_int_eq(contain_path_choose("auto", "/run/master/master.pid", &h, &c), 0);
	ck_assert_str_eq(c.base, "/sys/fs/cgroup/system.slice/master.service");
	ck_assert_str_eq(c.supervisor, "");
	/* a "supervisor" that is not in a delegated cgroup: nothing special */
	host(&h, "/sys/fs/cgroup", "/user.slice/supervisor", false, false);
	ck_assert_int_eq(contain_path_choose("auto", "/run/master/master.pid", &h, &c), 0);
	snprintf(want, sizeof(want), "/sys/fs/cgroup/%s", name);
	ck_assert_str_eq(c.base, want);
	/* systemd without Delegate=yes: not its to write; a base of its own */
	host(&h, "/sys/fs/cgroup", "/system.slice/master.service", false, false);
	ck_assert_int_eq(contain_path_choose("auto", "/run/master/master.pid", &h, &c), 0);
	ck_assert_str_eq(c.base, want);
	ck_assert_ptr_nonnull(strstr(c.why, "not delegated"));
	/* cgroup_parent: as given; the master moves out of it if it lives there */
	ck_assert_int_eq(contain_path_choose("/sys/fs/cgroup/workers", "/x.pid", &h, &c), 0);
	ck_assert_str_eq(c.base, "/sys/fs/cgroup/workers");
	ck_assert_str_eq(c.base_rel, "/workers");
	ck_assert_str_eq(c.supervisor, "");
	ck_assert(!c.own);
	ck_assert_int_eq(contain_path_choose("/sys/fs/cgroup/system.slice/master.service",
					     "/x.pid", &h, &c), 0);
	ck_assert_str_eq(c.supervisor, "/sys/fs/cgroup/system.slice/master.service/supervisor");
	/* a cgroup_parent outside the mount: chosen, not on it (the caller finds out) */
	ck_assert_int_eq(contain_path_choose("/sys/fs/cgroup/master", "/x.pid", &h, &c), 0);
	host(&h, "/sys/fs/cgroup/unified", "/", false, false);
	ck_assert_int_eq(contain_path_choose("/sys/fs/cgroup/master", "/x.pid", &h, &c), 0);
	ck_assert_str_eq(c.base_rel, "");
	ck_assert_int_eq(contain_path_choose("workers", "/x.pid", &h, &c), -1);
	ck_assert_ptr_nonnull(strstr(c.why, "absolute"));
	/* no cgroup2 at all */
	host(&h, "", "", false, false);
	ck_assert_int_eq(contain_path_choose("auto", "/x.pid", &h, &c), -1);
	ck_assert_str_eq(c.base, "");
	ck_assert_str_eq(c.why, "no cgroup2 file system is mounted");
}
END_TEST

START_TEST(test_names)
{
	char out[64];

	contain_path_service_name("inet", "127.0.0.1:7070", out, sizeof(out));
	ck_assert_str_eq(out, "inet-127.0.0.1:7070");
	contain_path_service_name("unix", "re lay/x", out, sizeof(out));
	ck_assert_str_eq(out, "unix-re_lay_x");
	ck_assert(contain_path_is_service("inet-a"));
	ck_assert(contain_path_is_service("unix-b"));
	ck_assert(contain_path_is_service("fifo-c"));
	ck_assert(contain_path_is_service("dgram-d"));
	ck_assert(contain_path_is_service("pass-e"));
	ck_assert(!contain_path_is_service("unix"));
	ck_assert(!contain_path_is_service("supervisor"));
	ck_assert(!contain_path_is_service("cgroup.procs"));
	ck_assert(contain_path_is_leaf("w0"));
	ck_assert(contain_path_is_leaf("w123"));
	ck_assert(!contain_path_is_leaf("w"));
	ck_assert(!contain_path_is_leaf("w1a"));
	ck_assert(!contain_path_is_leaf("worker"));
	ck_assert_int_eq(contain_path_populated("populated 1\nfrozen 0\n"), 1);
	ck_assert_int_eq(contain_path_populated("frozen 0\npopulated 0\n"), 0);
	ck_assert_int_eq(contain_path_populated("unpopulated 1\n"), -1);
	ck_assert_int_eq(contain_path_populated(""), -1);
}
END_TEST

/* --- a fake cgroupfs ---------------------------------------------------- */

static char base[64];
static pid_t killed[16];
static size_t nkilled;

static void mk(const char *rel)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void put(const char *rel, const char *text)
{
	unit_put(base, rel, text, 0644);
}

static char *get(const char *rel)
{
	static char buf[256];
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	FILE *fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static bool exists(const char *rel)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	return access(path, F_OK) == 0;
}

static int fake_kill(pid_t pid, void *ctx)
{
	(void)ctx;
	ck_assert_uint_lt(nkilled, sizeof(killed) / sizeof(killed[0]));
	killed[nkilled++] = pid;
	return 0;
}

/* cgroupfs removes a cgroup's files with it; a plain directory does not. */
static int fake_rmdir(int dirfd, const char *name, void *ctx)
{
	static const char *const files[] = { "cgroup.procs", "cgroup.events", "cgroup.kill",
					     "cgroup.freeze" };
	char path[256];
	(void)ctx;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", name, files[i]);
		unlinkat(dirfd, path, 0);
	}
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

static void fake_cgroup(const char *rel, const char *procs, bool with_kill)
{
	char f[256];
	mk(rel);
	snprintf(f, sizeof(f), "%s/cgroup.procs", rel);
	put(f, procs);
	snprintf(f, sizeof(f), "%s/cgroup.events", rel);
	put(f, "populated 0\nfrozen 0\n");
	snprintf(f, sizeof(f), "%s/cgroup.freeze", rel);
	put(f, "");
	if (with_kill) {
		snprintf(f, sizeof(f), "%s/cgroup.kill", rel);
		put(f, "");
	}
}

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/test_contain.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	nkilled = 0;
}

static void teardown(void)
{
	unit_rm_tree(base);
}

START_TEST(test_leftovers)
{
	const struct contain_cg_ops ops = { fake_kill, fake_rmdir, NULL };
	struct contain_cg_tally t;

	/* with cgroup.kill: two leaves, three processes */
	fake_cgroup("inet-a:1", "", true);
	fake_cgroup("inet-a:1/w1", "101\n102\n", true);
	fake_cgroup("inet-a:1/w2", "103\n", true);
	put("inet-a:1/cgroup.events", "populated 1\nfrozen 0\n");
	/* without (before 5.14): a leaf with a sub-cgroup its worker made */
	fake_cgroup("unix-b", "", false);
	fake_cgroup("unix-b/w7", "201\n", false);
	fake_cgroup("unix-b/w7/sub", "202\n", false);
	put("unix-b/cgroup.events", "populated 1\nfrozen 0\n");
	/* an empty service: not killed, its empty leaf removed */
	fake_cgroup("inet-idle", "", true);
	fake_cgroup("inet-idle/w3", "", true);
	/* not ours: the master's own leaf, a stranger */
	fake_cgroup("supervisor", "1\n", true);
	put("supervisor/cgroup.events", "populated 1\n");
	fake_cgroup("other", "301\n", true);
	put("other/cgroup.events", "populated 1\n");

	int fd = open(base, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(contain_cg_count(fd, "inet-a:1", CONTAIN_CG_DEPTH_MAX), 3);
	ck_assert_uint_eq(contain_cg_count(fd, "unix-b", 0), 0);
	ck_assert_int_eq(contain_cg_populated(fd, "inet-a:1"), 1);
	ck_assert_int_eq(contain_cg_populated(fd, "inet-idle"), 0);
	ck_assert_int_eq(contain_cg_populated(fd, "missing"), -1);

	contain_cg_leftovers_kill(fd, &ops, &t);
	ck_assert_uint_eq(t.procs, 5);
	ck_assert_uint_eq(t.cgroups, 2);
	ck_assert_str_eq(get("inet-a:1/cgroup.kill"), "1");
	ck_assert_str_eq(get("inet-a:1/w1/cgroup.kill"), ""); /* the service's kill covers it */
	ck_assert_str_eq(get("unix-b/cgroup.freeze"), "1");  /* frozen, then pid by pid */
	/* Pid by pid in both: after cgroup.kill too (what it passes over,
	 * contain_cg.h), the leaves' own processes included. */
	ck_assert_uint_eq(nkilled, 5);
	for (pid_t want = 101; want <= 202; want = want == 103 ? 201 : want + 1) {
		bool seen = false;
		for (unsigned i = 0; i < nkilled; i++)
			seen |= killed[i] == want;
		ck_assert_msg(seen, "pid %ld not signalled", (long)want);
	}
	ck_assert_str_eq(get("inet-idle/cgroup.kill"), "");
	ck_assert_str_eq(get("supervisor/cgroup.kill"), "");
	ck_assert_str_eq(get("other/cgroup.kill"), "");

	ck_assert_uint_eq(contain_cg_leftovers_busy(fd), 2);
	put("inet-a:1/cgroup.events", "populated 0\n");
	put("unix-b/cgroup.events", "populated 0\n");
	ck_assert_uint_eq(contain_cg_leftovers_busy(fd), 0);

	ck_assert_uint_eq(contain_cg_leftovers_remove(fd, &ops), 0);
	ck_assert(!exists("inet-a:1/w1"));
	ck_assert(!exists("inet-a:1/w2"));
	ck_assert(!exists("unix-b/w7"));
	ck_assert(!exists("inet-idle/w3"));
	ck_assert(exists("inet-a:1/cgroup.procs")); /* the services stay */
	ck_assert(exists("unix-b"));
	ck_assert(exists("supervisor"));
	ck_assert(exists("other"));
	close(fd);
}
END_TEST

static int plain_rmdir(int dirfd, const char *name, void *ctx)
{
	(void)ctx;
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

START_TEST(test_remove_refuses_busy)
{
	const struct contain_cg_ops ops = { fake_kill, plain_rmdir, NULL };

	fake_cgroup("inet-a", "", true);
	fake_cgroup("inet-a/w1", "7\n", true);
	int fd = open(base, O_RDONLY | O_DIRECTORY);
	/* like cgroupfs refusing a cgroup with processes: not removed, -1 */
	ck_assert_int_eq(contain_cg_remove(fd, "inet-a", &ops, CONTAIN_CG_DEPTH_MAX), -1);
	ck_assert(exists("inet-a/w1"));
	close(fd);
}
END_TEST

/* A real cgroup2 directory of this test's under the mount, its parent's
 * fd in *pfd, its path in the hierarchy (as /proc/PID/cgroup says it) in
 * rel if not NULL, or false (skipped, said why) without root or cgroup2. */
static bool real_cgroup(const char *test, char *dir, size_t size, char *rel, size_t rel_size,
			int *pfd)
{
	char mnt[256], root[256];
	FILE *fp = fopen("/proc/self/mountinfo", "r");
	static char text[1 << 16];
	size_t n = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;

	if (fp)
		fclose(fp);
	text[n] = '\0';
	if (geteuid() != 0 || contain_path_mountinfo(text, NULL, mnt, sizeof(mnt), root,
						      sizeof(root)) < 0) {
		fprintf(stderr, "%s: skipped (needs root and cgroup2)\n", test);
		return false;
	}
	snprintf(dir, size, "%s/test_contain.%ld", mnt, (long)getpid());
	if (rel != NULL)
		snprintf(rel, rel_size, "%s/test_contain.%ld", strcmp(root, "/") == 0 ? "" : root,
			 (long)getpid());
	if (mkdir(dir, 0755) < 0) {
		fprintf(stderr, "%s: skipped (%s: %s)\n", test, dir, strerror(errno));
		return false;
	}
	*pfd = open(mnt, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(*pfd, 0);
	return true;
}

/* Forks a child that joins dir's cgroup and runs child_main; returns
 * once it has joined and told us so. */
static pid_t real_child_in(const char *dir, void (*child_main)(int go_fd))
{
	int go[2];
	char x;

	ck_assert_int_eq(pipe(go), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char procs[400];
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		int fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(3);
		close(fd);
		child_main(go[1]);
		_exit(0);
	}
	ck_assert_int_eq(read(go[0], &x, 1), 1);
	close(go[0]);
	close(go[1]);
	return pid;
}

static void child_pause(int go_fd)
{
	(void)!write(go_fd, "x", 1);
	for (;;)
		pause();
}

/* A real cgroup: a child in it, killed through cgroup.kill, the cgroup
 * then empty and removable. */
START_TEST(test_real_cgroup_kill)
{
	char dir[320];
	int pfd, st;

	if (!real_cgroup("test_real_cgroup_kill", dir, sizeof(dir), NULL, 0, &pfd))
		return;
	const char *name = strrchr(dir, '/') + 1;
	pid_t pid = real_child_in(dir, child_pause);
	ck_assert_int_eq(contain_cg_populated(pfd, name), 1);
	ck_assert_uint_eq(contain_cg_count(pfd, name, 0), 1);
	const struct contain_cg_ops ops = { fake_kill, plain_rmdir, NULL };
	ck_assert_int_eq(contain_cg_kill(pfd, name, &ops), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	/* fake_kill signals nothing: cgroup.kill did it (the walk after it
	 * may have found the child still dying: at most once). */
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_uint_le(nkilled, 1);
	ck_assert_int_eq(contain_cg_populated(pfd, name), 0);
	ck_assert_int_eq(contain_cg_remove(pfd, name, &ops, 0), 0);
	ck_assert_int_ne(access(dir, F_OK), 0);
	close(pfd);
}
END_TEST

static void *thread_pause(void *go)
{
	(void)!write(*(int *)go, "x", 1);
	for (;;)
		pause();
	return NULL;
}

/* Its main thread exits; a thread of it lives on and says so. */
static void child_zombie_leader(int go_fd)
{
	static int fd;
	pthread_t t;

	fd = go_fd;
	if (pthread_create(&t, NULL, thread_pause, &fd) != 0)
		_exit(4);
	syscall(SYS_exit, 0); /* this thread only */
}

static int real_kill(pid_t pid, void *ctx)
{
	(void)ctx;
	return kill(pid, SIGKILL);
}

/* A process whose main thread has exited while another thread lives:
 * cgroup.kill passes over it (Linux 6.18); contain_cg_kill kills it
 * anyway, pid by pid after the cgroup.kill. */
START_TEST(test_real_cgroup_kill_zombie_leader)
{
	char dir[320];
	int pfd, st = 0;
	pid_t got = 0;

	if (!real_cgroup("test_real_cgroup_kill_zombie_leader", dir, sizeof(dir), NULL, 0,
			 &pfd))
		return;
	const char *name = strrchr(dir, '/') + 1;
	pid_t pid = real_child_in(dir, child_zombie_leader);
	const struct contain_cg_ops ops = { real_kill, plain_rmdir, NULL };
	ck_assert_int_eq(contain_cg_kill(pfd, name, &ops), 0);
	for (int i = 0; i < 200 && got == 0; i++) { /* 2 s at most */
		got = waitpid(pid, &st, WNOHANG);
		if (got == 0)
			usleep(10000);
	}
	if (got != pid) { /* left alive: clean up, then fail */
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	ck_assert_msg(got == pid, "a process with an exited main thread outlived the kill");
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_eq(contain_cg_remove(pfd, name, &ops, 0), 0);
	close(pfd);
}
END_TEST

/* A child of the test in a process group of its own (as a worker is),
 * in the test's own cgroup, that answers each byte on *fd while it lives:
 * echo_alive() is then a sure test of a signal sent before it (a pending
 * SIGKILL or SIGTERM ends it before it runs another instruction). */
static pid_t echo_child(int *fd)
{
	int sv[2];
	char x;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		close(sv[0]);
		/* SIGTERM ends it, as a worker (Check's handler would signal
		 * the test's group). */
		if (setpgid(0, 0) < 0 || signal(SIGTERM, SIG_DFL) == SIG_ERR ||
		    sigprocmask(SIG_SETMASK, &none, NULL) < 0)
			_exit(3);
		while (write(sv[1], "x", 1) == 1 && read(sv[1], &x, 1) == 1)
			;
		_exit(0);
	}
	close(sv[1]);
	*fd = sv[0];
	ck_assert_int_eq(read(*fd, &x, 1), 1); /* in its own group now */
	return pid;
}

static bool echo_alive(int fd)
{
	char x;
	return send(fd, "?", 1, MSG_NOSIGNAL) == 1 && read(fd, &x, 1) == 1;
}

/* Ends an echo_child for good; its wait status. */
static int echo_end(pid_t pid, int fd)
{
	int st = 0;
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(fd);
	return st;
}

/* The fallback kill of a pid read from a cgroup.procs (kernels without
 * cgroup.kill) signals it only if it runs below the base: a pid reused
 * by a stranger between the read and the kill is left alone. */
START_TEST(test_real_kill_pid_only_below_base)
{
	char dir[320], rel[320], leaf[340];
	struct contain c;
	int pfd, fd, st;

	if (!real_cgroup("test_real_kill_pid_only_below_base", dir, sizeof(dir), rel,
			 sizeof(rel), &pfd))
		return;
	snprintf(leaf, sizeof(leaf), "%s/w1", dir);
	ck_assert_int_eq(mkdir(leaf, 0755), 0);
	memset(&c, 0, sizeof(c));
	c.base_rel = rel;
	pid_t inside = real_child_in(leaf, child_pause);
	pid_t stranger = echo_child(&fd);

	int refused = contain_reaper_kill_pid(stranger, &c);
	bool alive = echo_alive(fd);
	(void)echo_end(stranger, fd);
	int sent = contain_reaper_kill_pid(inside, &c);
	if (sent != 0)
		kill(inside, SIGKILL);
	ck_assert_int_eq(waitpid(inside, &st, 0), inside);
	const struct contain_cg_ops ops = { fake_kill, plain_rmdir, NULL };
	ck_assert_int_eq(contain_cg_remove(pfd, strrchr(dir, '/') + 1, &ops, 1), 0);
	close(pfd);

	ck_assert_int_eq(refused, -1);
	ck_assert_msg(alive, "a process outside the base was killed");
	ck_assert_int_eq(sent, 0);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}
END_TEST

/* A worker's leaf without a cgroup (subreaper mode), its pid reaped: its
 * pid may be a stranger's by now (here a live child of the test), never
 * signalled again, neither its SIGTERM nor its SIGKILL. Before the reaping
 * it is. */
START_TEST(test_reaped_leaf_is_never_signalled)
{
	struct contain c;
	struct contain_leaf leaf;
	struct launch_spec spec;
	struct launch_isolation iso;
	int fd;

	memset(&c, 0, sizeof(c));
	c.mode = CONTAIN_SUBREAPER;
	memset(&spec, 0, sizeof(spec));
	pid_t pid = echo_child(&fd);
	ck_assert_int_eq(contain_leaf_prepare(&c, &leaf, &spec, &iso, false), 0);
	contain_leaf_launched(&c, &leaf, pid);
	ck_assert(contain_leaf_exited(&c, &leaf, 0)); /* nothing left: gone */

	contain_leaf_signal(&c, &leaf, SIGTERM);
	bool after_signal = echo_alive(fd);
	contain_leaf_kill(&c, &leaf);
	bool after_kill = after_signal && echo_alive(fd);
	/* The same pid as a live worker's: signalled. */
	ck_assert_int_eq(contain_leaf_prepare(&c, &leaf, &spec, &iso, false), 0);
	contain_leaf_launched(&c, &leaf, pid);
	contain_leaf_signal(&c, &leaf, SIGTERM);
	bool live_alive = echo_alive(fd);
	int st = echo_end(pid, fd);

	ck_assert_msg(after_signal, "contain_leaf_signal signalled a reaped pid");
	ck_assert_msg(after_kill, "contain_leaf_kill killed a reaped pid");
	ck_assert(!live_alive);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}
END_TEST

/* Writes a fake leaf w7 below dir with npids pids in its cgroup.procs:
 * ours, then 1 (a process we may read), then pids that do not exist. */
static void fake_leaf(int dir, unsigned npids)
{
	char line[32];
	ck_assert_int_eq(mkdirat(dir, "w7", 0700), 0);
	int fd = openat(dir, "w7/cgroup.procs", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	for (unsigned i = 0; i < npids; i++) {
		long pid = i == 0 ? (long)getpid() : i == 1 ? 1L : 4000000L + i;
		int n = snprintf(line, sizeof(line), "%ld\n", pid);
		ck_assert_int_eq(write(fd, line, (size_t)n), n);
	}
	close(fd);
}

static void fake_leaf_remove(int dir)
{
	unlinkat(dir, "w7/cgroup.procs", 0);
	unlinkat(dir, "w7/memory.current", 0);
	unlinkat(dir, "w7", AT_REMOVEDIR);
}

/* What rss_max's probe reads for a leaf, counted for its budget
 * (evict_scan.c): memory.current, cgroup.procs, then a statm for each
 * process; with memory.current, that alone; without a leaf, one statm. */
START_TEST(test_leaf_memory_counts_its_reads)
{
	char tmpl[] = "/tmp/test_contain_mem.XXXXXX", how[64];
	struct contain_leaf leaf = { .svc_fd = -1, .seq = 7 };
	unsigned long long bytes = 0;
	size_t reads = 0;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	int dir = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dir, 0);
	/* No leaf: the main process's statm. */
	ck_assert(contain_leaf_memory(&leaf, getpid(), &bytes, &reads, how, sizeof(how)));
	ck_assert_uint_eq(reads, 1);
	ck_assert_uint_gt(bytes, 0);
	/* Three processes. */
	leaf.svc_fd = dir;
	fake_leaf(dir, 3);
	ck_assert(contain_leaf_memory(&leaf, getpid(), &bytes, &reads, how, sizeof(how)));
	ck_assert_uint_eq(reads, 5);
	ck_assert_uint_gt(bytes, 0);
	/* The kernel's count where there is one. */
	int fd = openat(dir, "w7/memory.current", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "12345\n", 6), 6);
	close(fd);
	ck_assert(contain_leaf_memory(&leaf, getpid(), &bytes, &reads, how, sizeof(how)));
	ck_assert_uint_eq(reads, 1);
	ck_assert_uint_eq(bytes, 12345);
	fake_leaf_remove(dir);
	/* More than are counted: 1,024 statm reads, and not whole. */
	fake_leaf(dir, 1100);
	ck_assert(!contain_leaf_memory(&leaf, getpid(), &bytes, &reads, how, sizeof(how)));
	ck_assert_uint_eq(reads, 2 + 1024);
	fake_leaf_remove(dir);
	close(dir);
	ck_assert_int_eq(rmdir(tmpl), 0);
}
END_TEST

static Suite *contain_suite(void)
{
	Suite *suite = suite_create("contain");
	TCase *tc = tcase_create("path");
	tcase_add_test(tc, test_mount_and_own);
	tcase_add_test(tc, test_on_mount);
	tcase_add_test(tc, test_choose);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_reaped_leaf_is_never_signalled);
	tcase_add_test(tc, test_leaf_memory_counts_its_reads);
	suite_add_tcase(suite, tc);
	tc = tcase_create("cgroupfs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_leftovers);
	tcase_add_test(tc, test_remove_refuses_busy);
	tcase_add_test(tc, test_real_cgroup_kill);
	tcase_add_test(tc, test_real_cgroup_kill_zombie_leader);
	tcase_add_test(tc, test_real_kill_pid_only_below_base);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(contain_suite());
}
