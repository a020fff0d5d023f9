/* leaver.c - a worker that leaves things in the host's shared kernel
 * namespaces for the next holder of its uid (dynamic-user e2e tests).
 *
 * For each connection it makes, 0600 and with no process left to hold
 * them: a SysV shared memory segment of LEAVER_SHM_BYTES, one more given
 * to root with IPC_SET (its creator stays this uid), a semaphore set, a
 * message queue with one message, a POSIX message queue
 * /dev/mqueue/leaver-PID-N, a file /dev/shm/leaver-PID-N and a directory
 * /dev/shm/leaver-PID-N.d with a file in it, a tree 20 directories deep
 * /dev/shm/leaver-PID-N.deep/d1/.../d20/secret, and a key "leaver" in each
 * of its uid's kernel keyrings (user, user session, persistent), after
 * looking for one a previous holder of the uid put there; it looks in its
 * session keyring (@s, the master's) too, and tries to add one there. It
 * answers one JSON line:
 *   {"pid":P,"uid":U,"shm":[ID,ID],"sem":ID,"msg":ID,"mq":"leaver-PID-N",
 *    "shm_file":"leaver-PID-N","found":"keys found: @u @us @p @s, or empty",
 *    "s_add":ERRNO (0: a key was added to @s),
 *    "errors":"what failed, or empty"}
 * then closes (run it with max_use=1 to have it leave at once). With an
 * argument N it then makes N empty files /dev/shm/leaver-PID-N.pad.K of
 * its own, after the rest: a worker hiding what it left behind its own
 * padding, past what a release's walk looks at (tmpfs lists the newest
 * first). */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>

#include "libmaster.h"

#define LEAVER_SHM_BYTES (64 * 1024)
#define LEAVER_MODE 0600
#define LEAVER_ANSWER_BYTES 1024
#define LEAVER_NAME_BYTES 64
#define LEAVER_DEEP 20         /* directories: past the master's walk (16) */

struct leaver_msg {
	long mtype;
	char mtext[16];
};

static char leaver_errors[256];
static unsigned leaver_pad; /* empty files made last */

static void leaver_fail(const char *what)
{
	size_t len = strlen(leaver_errors);

	snprintf(leaver_errors + len, sizeof(leaver_errors) - len, "%s%s: %s",
		 len > 0 ? "; " : "", what, strerror(errno));
}

static int leaver_shm(bool to_root)
{
	int id = shmget(IPC_PRIVATE, LEAVER_SHM_BYTES, IPC_CREAT | LEAVER_MODE);
	struct shmid_ds ds;

	if (id < 0) {
		leaver_fail("shmget");
		return -1;
	}
	if (to_root) { /* the owner may give it away; the creator stays */
		if (shmctl(id, IPC_STAT, &ds) != 0)
			leaver_fail("shmctl IPC_STAT");
		ds.shm_perm.uid = 0;
		if (shmctl(id, IPC_SET, &ds) != 0)
			leaver_fail("shmctl IPC_SET");
	}
	return id;
}

/* /dev/shm/NAME.deep/d1/.../dLEAVER_DEEP/secret. */
static void leaver_deep(const char *name)
{
	char path[LEAVER_NAME_BYTES * 2];
	int dir, fd;

	snprintf(path, sizeof(path), "/dev/shm/%s.deep", name);
	if (mkdir(path, 0700) != 0 || (dir = open(path, O_RDONLY | O_DIRECTORY)) < 0) {
		leaver_fail(path);
		return;
	}
	for (int i = 1; i <= LEAVER_DEEP; i++) {
		char sub[8];
		snprintf(sub, sizeof(sub), "d%d", i);
		int next = mkdirat(dir, sub, 0700) == 0 ? openat(dir, sub, O_RDONLY | O_DIRECTORY) : -1;
		close(dir);
		if ((dir = next) < 0) {
			leaver_fail("deep tree");
			return;
		}
	}
	if ((fd = openat(dir, "secret", O_CREAT | O_WRONLY, LEAVER_MODE)) < 0 ||
	    write(fd, "secret\n", 7) != 7)
		leaver_fail("deep secret");
	if (fd >= 0)
		close(fd);
	close(dir);
}

static void leaver_files(const char *name)
{
	char path[LEAVER_NAME_BYTES * 2];
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 16 };
	mqd_t q;
	int fd;

	snprintf(path, sizeof(path), "/%s", name);
	if ((q = mq_open(path, O_CREAT | O_RDWR, LEAVER_MODE, &attr)) == (mqd_t)-1)
		leaver_fail("mq_open");
	else if (mq_close(q) != 0)
		leaver_fail("mq_close");
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, LEAVER_MODE)) < 0 ||
	    write(fd, "left\n", 5) != 5)
		leaver_fail(path);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "/dev/shm/%s.d", name);
	if (mkdir(path, 0700) != 0)
		leaver_fail(path);
	snprintf(path, sizeof(path), "/dev/shm/%s.d/inside", name);
	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, LEAVER_MODE)) < 0)
		leaver_fail(path);
	else
		close(fd);
	leaver_deep(name);
	for (unsigned k = 0; k < leaver_pad; k++) {
		snprintf(path, sizeof(path), "/dev/shm/%s.pad.%u", name, k);
		if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, LEAVER_MODE)) < 0) {
			leaver_fail("pad");
			break;
		}
		close(fd);
	}
}

/* Looks for a "leaver" key in each keyring of the uid (into found), then
 * adds one. */
static void leaver_keys(char *found, size_t size)
{
	static const char *const names[] = { "@u", "@us", "@p" };
	long rings[] = { KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING,
			 syscall(SYS_keyctl, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_THREAD_KEYRING) };

	found[0] = '\0';
	if (syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", "leaver", 0) >= 0)
		snprintf(found, size, "@s");
	for (size_t i = 0; i < 3; i++) {
		if (rings[i] == -1) { /* the persistent one could not be had */
			leaver_fail(names[i]);
			continue;
		}
		if (syscall(SYS_keyctl, KEYCTL_SEARCH, rings[i], "user", "leaver", 0) >= 0)
			snprintf(found + strlen(found), size - strlen(found), "%s%s",
				 found[0] ? " " : "", names[i]);
		if (syscall(SYS_add_key, "user", "leaver", "left", 4, rings[i]) < 0)
			leaver_fail(names[i]);
	}
}

/* 0 if a key could be added to the session keyring, else the errno. */
static int leaver_session_add(void)
{
	return syscall(SYS_add_key, "user", "leaver-s", "x", 1, KEY_SPEC_SESSION_KEYRING) >= 0 ? 0
		: errno;
}

static void leaver_handle(int fd, void *ctx)
{
	static unsigned n;
	char name[LEAVER_NAME_BYTES], answer[LEAVER_ANSWER_BYTES], found[LEAVER_NAME_BYTES];
	struct leaver_msg msg = { 1, "left" };
	int shm = leaver_shm(false), shm_root = leaver_shm(true);
	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | LEAVER_MODE);
	int mq = msgget(IPC_PRIVATE, IPC_CREAT | LEAVER_MODE);

	(void)ctx;
	leaver_errors[0] = '\0';
	if (sem < 0)
		leaver_fail("semget");
	if (mq < 0)
		leaver_fail("msgget");
	else if (msgsnd(mq, &msg, sizeof(msg.mtext), IPC_NOWAIT) != 0)
		leaver_fail("msgsnd");
	snprintf(name, sizeof(name), "leaver-%ld-%u", (long)getpid(), n++);
	leaver_files(name);
	leaver_keys(found, sizeof(found));
	int len = snprintf(answer, sizeof(answer), "{\"pid\":%ld,\"uid\":%u,\"shm\":[%d,%d],\"sem\":%d,"
			   "\"msg\":%d,\"mq\":\"%s\",\"shm_file\":\"%s\",\"found\":\"%s\","
			   "\"s_add\":%d,\"errors\":\"%s\"}\n",
			   (long)getpid(), (unsigned)getuid(), shm, shm_root, sem, mq, name, name, found, leaver_session_add(),
			   leaver_errors);
	if (write(fd, answer, (size_t)len) != len)
		perror("leaver: write");
}

int main(int argc, char **argv)
{
	leaver_pad = argc > 1 ? (unsigned)atoi(argv[1]) : 0;
	return libmaster_run(leaver_handle, NULL);
}
