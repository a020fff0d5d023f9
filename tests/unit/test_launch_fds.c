/* test_launch_fds.c - unit tests for launch_block.c (the fd block through
 * which a child gets its fds without a copy of the master's table), with
 * real launches from a process holding thousands of fds:
 *  - the worker holds exactly the contract's fds (0, 1 = /dev/null, 2 =
 *    the stderr pipe, 3.. = the listening sockets, then the status
 *    channel), none of the thousands around it, whether the block is used
 *    or the table is copied; and the launching process's table is the
 *    same after the launch (same numbers, same files, same close-on-exec);
 *  - the parked block keeps no reference to a worker's status channel or
 *    stderr pipe: their EOF is seen once the worker exits;
 *  - the load itself (white box): with the block on, every fd the child
 *    uses is the spec's file, under a limit set by the block, not by the
 *    thousands of fds above it;
 *  - a slot closed and reused behind the launcher's back is never written
 *    over: the block is given up and launches copy the table.
 * Needs root (the launches switch ids, and setns); skipped otherwise. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "launch_child.h"
#include "unit.h"

#define NOBODY 65534
#define EXTRA_FDS 4000      /* "many": a master with 2,000 workers */
#define TARGET_BYTES 128
#define NLISTEN 2

struct fd_entry {
	int fd;
	int cloexec;
	char target[TARGET_BYTES];
};

struct fd_table {
	struct fd_entry *e;
	size_t n;
};

static struct launcher launcher;
static int extra[EXTRA_FDS];

/* What pid's fds are: numbers, targets, and (for ourselves) FD_CLOEXEC. */
static void table_of(pid_t pid, struct fd_table *t)
{
	char dir[64], link[96];
	struct dirent *d;
	size_t cap = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	DIR *dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	t->e = NULL;
	t->n = 0;
	while ((d = readdir(dp)) != NULL) {
		int fd = atoi(d->d_name);
		if (d->d_name[0] == '.' || (pid == getpid() && fd == dirfd(dp)))
			continue;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 64;
			t->e = realloc(t->e, cap * sizeof(*t->e));
			ck_assert_ptr_nonnull(t->e);
		}
		struct fd_entry *e = &t->e[t->n++];
		snprintf(link, sizeof(link), "%s/%d", dir, fd);
		ssize_t len = readlink(link, e->target, sizeof(e->target) - 1);
		ck_assert_int_gt(len, 0);
		e->target[len] = '\0';
		e->fd = fd;
		e->cloexec = pid == getpid() ? fcntl(fd, F_GETFD) : -1;
	}
	closedir(dp);
}

static const char *target_in(const struct fd_table *t, int fd)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].fd == fd)
			return t->e[i].target;
	return NULL;
}

static void assert_same_table(const struct fd_table *a, const struct fd_table *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const char *t = target_in(b, a->e[i].fd);
		ck_assert_msg(t != NULL, "fd %d gone after the launch", a->e[i].fd);
		ck_assert_msg(strcmp(t, a->e[i].target) == 0, "fd %d was %s, is %s",
			      a->e[i].fd, a->e[i].target, t);
		for (size_t j = 0; j < b->n; j++)
			if (b->e[j].fd == a->e[i].fd)
				ck_assert_int_eq(b->e[j].cloexec, a->e[i].cloexec);
	}
}

static bool root(void)
{
	return geteuid() == 0 && launcher.privileged;
}

static void setup(void)
{
	struct rlimit rl;
	int sv[2];

	ck_assert_int_eq(launcher_init(&launcher), 0);
	for (int i = 0; i < EXTRA_FDS; i++)
		extra[i] = -1;
	if (!root())
		return;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < EXTRA_FDS + 1024) {
		rl.rlim_cur = rl.rlim_max;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	/* Socketpairs like the master's channels; one pair in 16 without
	 * close-on-exec, which a worker must not get either. */
	for (int i = 0; i < EXTRA_FDS; i += 2) {
		int cloexec = (i / 2) % 16 != 0 ? SOCK_CLOEXEC : 0;
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | cloexec, 0, sv), 0);
		extra[i] = sv[0];
		extra[i + 1] = sv[1];
	}
}

static void teardown(void)
{
	for (int i = 0; i < EXTRA_FDS; i++)
		if (extra[i] >= 0)
			close(extra[i]);
	launcher_fini(&launcher);
}

struct run {
	int chan[2], errp[2], listen[NLISTEN];
	pid_t pid;
};

/* Launches the command open at exec_fd (argv) as nobody, in our own
 * network and mount namespaces entered by fd (isolation fds for the
 * block), with NLISTEN listening sockets. The parent's ends stay open.
 * before and after (if not NULL): our fd table just before and just after
 * launch_start. */
static void launch(struct run *r, int exec_fd, char *const argv[], struct fd_table *before,
		   struct fd_table *after)
{
	static char pid_digits[16];
	static const gid_t groups[] = { NOBODY };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct launch_isolation iso;
	struct launch_error e;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->chan), 0);
	ck_assert_int_eq(pipe2(r->errp, O_CLOEXEC), 0);
	for (int i = 0; i < NLISTEN; i++) {
		r->listen[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(r->listen[i], 0);
	}
	launch_isolation_init(&iso);
	iso.exec_fd = exec_fd;
	iso.netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	iso.mntns_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(iso.mntns_fd, 0);
	struct launch_spec spec = {
		.path = "/nonexistent", .argv = argv, .envp = envp,
		.pid_digits = pid_digits, .pid_digits_size = sizeof(pid_digits),
		.listen_fds = r->listen, .nlisten = NLISTEN,
		.status_fd = r->chan[1], .stderr_fd = r->errp[1],
		.set_ids = true, .uid = NOBODY, .gid = NOBODY, .groups = groups, .ngroups = 1,
		.parent = getpid(), .umask = 027, .iso = &iso,
	};
	if (before != NULL)
		table_of(getpid(), before);
	r->pid = launch_start(&launcher, &spec, &e);
	if (after != NULL)
		table_of(getpid(), after);
	ck_assert_msg(r->pid > 0, "launch: %s: %s", e.step, strerror(e.err));
	close(iso.netns_fd);
	close(iso.mntns_fd);
}

static void run_close(struct run *r)
{
	close(r->chan[0]);
	close(r->chan[1]);
	close(r->errp[0]);
	close(r->errp[1]);
	for (int i = 0; i < NLISTEN; i++)
		close(r->listen[i]);
}

/* The worker's table once its exec has closed the close-on-exec fds:
 * launch_start returns when the exec has let go of our memory, a moment
 * before that. Polled until it holds `want` fds, for at most a second (a
 * leaked fd keeps it above). */
static void worker_table(pid_t pid, size_t want, struct fd_table *t)
{
	for (int i = 0; i < 100; i++) {
		table_of(pid, t);
		if (t->n <= want)
			return;
		free(t->e);
		usleep(10000);
	}
	table_of(pid, t);
}

/* A worker sleeping, so that its fds can be read from /proc. */
static void check_contract(bool copy)
{
	char *argv[] = { "sleep", "30", NULL };
	struct fd_table before, after, child;
	struct run r;
	int exec_fd = open("/bin/sleep", O_PATH | O_CLOEXEC);

	ck_assert_int_ge(exec_fd, 0);
	launcher.copy_fd_table = copy;
	launch(&r, exec_fd, argv, &before, &after);
	ck_assert_uint_ge(before.n, EXTRA_FDS);
	worker_table(r.pid, 3 + NLISTEN + 1, &child);
	kill(r.pid, SIGKILL);
	ck_assert_int_eq(waitpid(r.pid, NULL, 0), r.pid);
	const int want[] = { -1, -1, r.errp[1], r.listen[0], r.listen[1], r.chan[1] };
	ck_assert_uint_eq(child.n, 3 + NLISTEN + 1);
	for (int fd = 0; fd < 3 + NLISTEN + 1; fd++) {
		const char *t = target_in(&child, fd);
		ck_assert_msg(t != NULL, "worker has no fd %d", fd);
		ck_assert_str_eq(t, want[fd] < 0 ? "/dev/null" : target_in(&before, want[fd]));
	}
	assert_same_table(&before, &after);
	ck_assert_uint_gt(launcher.nblock, 0); /* still on */
	run_close(&r);
	close(exec_fd);
	free(before.e);
	free(after.e);
	free(child.e);
}

START_TEST(test_contract_fds_only)
{
	if (!root())
		return;
	check_contract(false); /* through the block */
	check_contract(true);  /* the whole table copied, as before */
}
END_TEST

START_TEST(test_worker_eof_seen)
{
	char *argv[] = { "sh", "-c", "echo bye >&2", NULL };
	char buf[16];
	struct run r;
	int exec_fd = open("/bin/sh", O_PATH | O_CLOEXEC);

	if (!root())
		return;
	ck_assert_int_ge(exec_fd, 0);
	launch(&r, exec_fd, argv, NULL, NULL);
	/* as worker_spawn does: the worker's ends are closed at once */
	close(r.chan[1]);
	close(r.errp[1]);
	r.chan[1] = r.errp[1] = -1;
	ck_assert_int_eq(waitpid(r.pid, NULL, 0), r.pid);
	ck_assert_int_eq(read(r.errp[0], buf, sizeof(buf)), 4);
	/* No copy of the worker's ends left in the block: EOF, not EAGAIN. */
	ck_assert_int_eq(recv(r.chan[0], buf, sizeof(buf), MSG_DONTWAIT), 0);
	ck_assert_int_eq(fcntl(r.errp[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(read(r.errp[0], buf, sizeof(buf)), 0);
	for (size_t i = 0; i < launcher.nblock; i++) {
		char link[64], t[TARGET_BYTES];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", launcher.block[i]);
		ssize_t len = readlink(link, t, sizeof(t) - 1);
		ck_assert_int_gt(len, 0);
		t[len] = '\0';
		ck_assert_msg(strcmp(t, "/dev/null") == 0, "slot %d holds %s", launcher.block[i], t);
	}
	run_close(&r);
	close(exec_fd);
}
END_TEST

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

START_TEST(test_load_through_block)
{
	int chan[2], errp[2], listen[NLISTEN], hi = -1;
	struct launch_isolation iso;
	struct launch_error e;

	if (!root())
		return;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan), 0);
	ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
	for (int i = 0; i < NLISTEN; i++)
		listen[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	launch_isolation_init(&iso);
	iso.exec_fd = open("/bin/sh", O_PATH | O_CLOEXEC);
	iso.netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ck_assert_int_gt(iso.netns_fd, EXTRA_FDS); /* far above the block */
	struct launch_spec spec = { .listen_fds = listen, .nlisten = NLISTEN,
				    .status_fd = chan[1], .stderr_fd = errp[1], .iso = &iso };
	struct launch_child c = { .spec = &spec, .err = &e };
	launch_block_load(&launcher, &c);
	for (size_t i = 0; i < launcher.nblock; i++)
		hi = launcher.block[i] > hi ? launcher.block[i] : hi;
	ck_assert_uint_gt(c.unshare_below, 0);
	ck_assert_uint_le(c.unshare_below, (unsigned)hi + 1);
	const int pairs[][2] = { { c.fd.listen[0], listen[0] }, { c.fd.listen[1], listen[1] },
				 { c.fd.status, chan[1] }, { c.fd.stderr_fd, errp[1] },
				 { c.fd.devnull, launcher.devnull_fd },
				 { c.fd.exec, iso.exec_fd }, { c.fd.netns, iso.netns_fd } };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ck_assert_int_ge(pairs[i][0], 0);
		ck_assert_uint_lt((unsigned)pairs[i][0], c.unshare_below);
		ck_assert_msg(same_file(pairs[i][0], pairs[i][1]), "fd %d for %d", pairs[i][0],
			      pairs[i][1]);
	}
	ck_assert_int_eq(c.fd.mntns, -1);
	launch_block_park(&launcher, &c);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		ck_assert_msg(pairs[i][1] == launcher.devnull_fd ||
			      !same_file(pairs[i][0], pairs[i][1]), "slot %d still holds fd %d",
			      pairs[i][0], pairs[i][1]);
	close(iso.exec_fd);
	close(iso.netns_fd);
	for (int i = 0; i < NLISTEN; i++)
		close(listen[i]);
	close(chan[0]);
	close(chan[1]);
	close(errp[0]);
	close(errp[1]);
}
END_TEST

/* A slot closed by someone else, its number reused: never written over. */
START_TEST(test_stolen_slot)
{
	char *argv[] = { "sh", "-c", "exit 0", NULL };
	struct fd_table before, after;
	struct run r;
	int exec_fd = open("/bin/sh", O_PATH | O_CLOEXEC);
	int sv[2];

	if (!root())
		return;
	ck_assert_int_ge(exec_fd, 0);
	ck_assert_uint_gt(launcher.nblock, 0);
	int stolen = launcher.block[0];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(dup3(sv[0], stolen, O_CLOEXEC), stolen);
	launch(&r, exec_fd, argv, &before, &after);
	ck_assert_int_eq(waitpid(r.pid, NULL, 0), r.pid);
	ck_assert_uint_eq(launcher.nblock, 0); /* given up */
	ck_assert_int_eq(send(sv[1], "x", 1, 0), 1);
	ck_assert_int_eq(recv(stolen, (char[1]){ 0 }, 1, MSG_DONTWAIT), 1); /* still ours */
	run_close(&r);
	/* the block's other slots are closed; everything else is as it was */
	ck_assert_uint_eq(after.n, before.n - (LAUNCH_BLOCK_SLOTS - 1));
	ck_assert_ptr_nonnull(target_in(&after, stolen));
	close(stolen);
	close(sv[0]);
	close(sv[1]);
	close(exec_fd);
	free(before.e);
	free(after.e);
}
END_TEST

static Suite *launch_fds_suite(void)
{
	Suite *suite = suite_create("launch_fds");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_contract_fds_only);
	tcase_add_test(tc, test_worker_eof_seen);
	tcase_add_test(tc, test_load_through_block);
	tcase_add_test(tc, test_stolen_slot);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	if (geteuid() != 0)
		fprintf(stderr, "test_launch_fds: not root: the launch tests are skipped\n");
	return unit_run(launch_fds_suite());
}
