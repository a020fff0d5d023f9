/* forker.c - a worker that leaves processes behind, for the containment
 * end-to-end tests (tests/e2e/test_containment.py).
 *
 * Usage: forker MODE DIR [N]
 *   child   forks one child that keeps every fd of the worker (the listening
 *           socket too) and sleeps
 *   setsid  the same, but the child leaves the worker's session and process
 *           group first (setsid), as a daemonizing program would
 *   bomb    forks N processes (1..64, default 50): a third stay in the
 *           worker's process group, a third call setsid, a third fork a
 *           grandchild and exit at once (the grandchild is orphaned)
 *   orphan  double-forks one process and reaps the middle one: the
 *           grandchild is an orphan, re-parented to the nearest subreaper
 *           or the namespace's init, and the worker leaves no zombie of
 *           its own (the PID 1 test, tests/e2e/test_pid1.py)
 *   stubborn  forks one child like "child"; the worker itself ignores
 *           "stop" while serving (its handler sleeps) and answers SIGTERM
 *           by writing "forker: SIGTERM" to stderr, then sleeping on
 *   subcg   makes a cgroup "x" below its own (it can: an unpriv=n worker
 *           owns its leaf's files), then forks one child like "child"
 *   zombie  "stubborn" with every process a zombie leader: the child and
 *           the worker each go on in a thread and end their main thread
 *           (the child lingers, the worker serves), which cgroup.kill
 *           passes over (Linux 6.18)
 * Every process it leaves behind ignores SIGTERM and SIGHUP (only a kill
 * ends it), sleeps, and first creates DIR/p.PID holding "WORKERPID
 * STARTTIME\n" (its own start time from /proc/self/stat), so the test knows
 * exactly which pids to watch, and cleans up only those processes, never a
 * recycled pid. The forks
 * happen at start, before "ready". The worker itself is a libmaster worker
 * that answers each connection with "forker pid=PID\n" and closes it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmaster.h"

#define FORKER_BOMB_MAX 64
#define FORKER_BOMB_DEFAULT 50
#define FORKER_SLEEP_S 600
#define FORKER_PATH_BYTES 4096

static void forker_answer(int fd, void *ctx);

static const char *forker_dir;
static pid_t forker_worker;

/* Field 22 of /proc/self/stat (after the parenthesised command name). */
static unsigned long long forker_starttime(void)
{
	char buf[1024];
	unsigned long long start = 0;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	for (int field = 2; p != NULL && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

/* Records this process in DIR/p.PID, then sleeps through everything but a
 * kill (bounded: FORKER_SLEEP_S, so a broken test leaves nothing for ever). */
static void forker_linger(void)
{
	char path[FORKER_PATH_BYTES], line[64];
	struct timespec left = { .tv_sec = FORKER_SLEEP_S };

	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	snprintf(path, sizeof(path), "%s/p.%ld", forker_dir, (long)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int len = snprintf(line, sizeof(line), "%ld %llu\n", (long)forker_worker,
			   forker_starttime());
	if (fd >= 0) {
		(void)!write(fd, line, (size_t)len);
		close(fd);
	}
	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* mkdir of a cgroup "x" below this process's own (cgroup2's mount point
 * from /proc/self/mountinfo, the cgroup from /proc/self/cgroup). */
static int forker_subcgroup(void)
{
	char line[FORKER_PATH_BYTES], mnt[FORKER_PATH_BYTES] = "", cg[FORKER_PATH_BYTES] = "";
	char path[2 * FORKER_PATH_BYTES + 4];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f != NULL && mnt[0] == '\0' && fgets(line, sizeof(line), f) != NULL) {
		char *dash = strstr(line, " - cgroup2 ");
		if (dash != NULL && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			mnt[0] = '\0';
	}
	if (f != NULL)
		fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	while (f != NULL && cg[0] == '\0' && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "0::", 3) == 0 && sscanf(line + 3, "%4095s", cg) != 1)
			cg[0] = '\0';
	if (f != NULL)
		fclose(f);
	if (mnt[0] == '\0' || cg[0] == '\0')
		return -1;
	snprintf(path, sizeof(path), "%s%s/x", mnt, cg);
	if (mkdir(path, 0755) < 0) {
		perror("forker: mkdir");
		return -1;
	}
	return 0;
}

/* Goes on in a new thread running fn and ends the main thread alone: the
 * process lives on with a zombie leader. */
static void forker_zombie_leader(void *(*fn)(void *))
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, NULL) != 0)
		_exit(1);
	syscall(SYS_exit, 0);
}

static void *forker_thread_linger(void *arg)
{
	(void)arg;
	forker_linger();
	return NULL;
}

/* kind: 0 stays in the group, 1 setsid, 2 double fork, 3 a zombie leader. */
static int forker_fork(int kind)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("forker: fork");
		return -1;
	}
	if (pid > 0)
		return 0;
	if (kind == 1 && setsid() < 0)
		perror("forker: setsid");
	if (kind == 2) {
		pid_t grandchild = fork();
		if (grandchild != 0)
			_exit(grandchild < 0 ? 1 : 0);
	}
	if (kind == 3)
		forker_zombie_leader(forker_thread_linger);
	forker_linger();
	return 0;
}

static void forker_on_term(int sig)
{
	static const char line[] = "forker: SIGTERM\n";

	(void)sig;
	(void)!write(2, line, sizeof(line) - 1);
}

/* Hangs in the request: only a kill ends it. */
static void forker_hang(int fd, void *ctx)
{
	struct timespec left = { .tv_sec = FORKER_SLEEP_S };

	forker_answer(fd, ctx);
	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

static void *forker_thread_serve(void *arg)
{
	(void)arg;
	_exit(libmaster_run(forker_hang, NULL));
	return NULL;
}

static void forker_answer(int fd, void *ctx)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "forker pid=%ld\n", (long)getpid());

	(void)ctx;
	(void)!write(fd, line, (size_t)len);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: forker child|setsid|bomb|orphan|stubborn|zombie|subcg DIR [N]\n");
		return 2;
	}
	forker_dir = argv[2];
	forker_worker = getpid();
	if (strcmp(argv[1], "child") == 0 || strcmp(argv[1], "setsid") == 0) {
		if (forker_fork(argv[1][0] == 's' ? 1 : 0) < 0)
			return 1;
	} else if (strcmp(argv[1], "orphan") == 0) {
		/* The middle process is the only child so far. */
		if (forker_fork(2) < 0 || wait(NULL) < 0)
			return 1;
	} else if (strcmp(argv[1], "stubborn") == 0) {
		struct sigaction sa = { .sa_handler = forker_on_term };
		if (forker_fork(0) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
			return 1;
		return libmaster_run(forker_hang, NULL);
	} else if (strcmp(argv[1], "subcg") == 0) {
		if (forker_subcgroup() < 0 || forker_fork(0) < 0)
			return 1;
	} else if (strcmp(argv[1], "zombie") == 0) {
		struct sigaction sa = { .sa_handler = forker_on_term };
		if (forker_fork(3) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
			return 1;
		forker_zombie_leader(forker_thread_serve);
	} else if (strcmp(argv[1], "bomb") == 0) {
		int n = argc > 3 ? atoi(argv[3]) : FORKER_BOMB_DEFAULT;
		if (n < 1 || n > FORKER_BOMB_MAX) {
			fprintf(stderr, "forker: bomb size %d not in 1..%d\n", n, FORKER_BOMB_MAX);
			return 2;
		}
		for (int i = 0; i < n; i++)
			if (forker_fork(i % 3) < 0)
				return 1;
	} else {
		fprintf(stderr, "forker: unknown mode \"%s\"\n", argv[1]);
		return 2;
	}
	return libmaster_run(forker_answer, NULL);
}
