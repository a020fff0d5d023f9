/* pidfile.c - owns the locked pid file (see pidfile.h). */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define PIDFILE_TEXT_BYTES 32
/* Root's alone: whoever can open the file can flock it, and would hold
 * the lock from the moment a master dies, so that no master could start
 * again (an adversarial run did, as nobody, with the 0644 of old). */
#define PIDFILE_MODE 0600
/* Made again at most this often when the one found is not as above. */
#define PIDFILE_REMAKES_MAX 3
/* The holder writes its pid right after locking: give it this long. */
#define PIDFILE_READ_RETRIES 20
#define PIDFILE_READ_PAUSE_NS 5000000L

/* The pid in a file that another master holds locked (0 if none yet). */
static long pidfile_holder(int fd)
{
	char buf[PIDFILE_TEXT_BYTES];
	long pid = 0;

	for (int i = 0; i < PIDFILE_READ_RETRIES && pid <= 0; i++) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, NULL, 10);
		if (pid <= 0)
			nanosleep(&(struct timespec){ .tv_nsec = PIDFILE_READ_PAUSE_NS }, NULL);
	}
	return pid;
}

int pidfile_write(int fd, const char *path)
{
	char buf[PIDFILE_TEXT_BYTES];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		log_err("pid file %s: write: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Opens and locks path. Returns the fd, -1 (logged), or -2 when the file
 * was someone else's or readable (it is gone now), or was removed after
 * the open: a new one is due. */
static int pidfile_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, PIDFILE_MODE);
	struct stat st;

	if (fd < 0) {
		log_err("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK && fstat(fd, &st) == 0 &&
		    (st.st_mode & 07777) != PIDFILE_MODE)
			log_err("pid file %s is locked (pid %ld in it): another master is running, "
				"or a process that opened the file while it was mode %04o holds its "
				"lock; if no master runs, remove the file", path, pidfile_holder(fd),
				st.st_mode & 07777);
		else if (errno == EWOULDBLOCK)
			log_err("another master is running (pid %ld, pid file %s)",
				pidfile_holder(fd), path);
		else
			log_err("pid file %s: lock: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		log_err("pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_nlink == 0) { /* removed after we opened it: look again */
		close(fd);
		return -2;
	}
	if (st.st_uid == geteuid() && (st.st_mode & 07777) == PIDFILE_MODE)
		return fd;
	/* A master that died left it, of an older version or someone else's:
	 * whoever opened it may hold it. Unlinked while we hold its lock: a
	 * master starting now finds it locked, or makes the new one first
	 * (and ours then finds that one locked). */
	log_warn("pid file %s: owned by uid %ld, mode %04o: made again, mode %04o", path,
		 (long)st.st_uid, st.st_mode & 07777, PIDFILE_MODE);
	struct stat there;
	int rc = -2;
	if (lstat(path, &there) == 0 && there.st_dev == st.st_dev && there.st_ino == st.st_ino &&
	    unlink(path) != 0) {
		log_err("pid file %s: cannot remove it: %s", path, strerror(errno));
		rc = -1;
	}
	close(fd);
	return rc;
}

int pidfile_acquire(const char *path)
{
	int fd = -2;

	for (int i = 0; i < PIDFILE_REMAKES_MAX && fd == -2; i++)
		fd = pidfile_lock(path);
	if (fd < 0) {
		if (fd == -2)
			log_err("pid file %s: made again %d times, never ours", path,
				PIDFILE_REMAKES_MAX);
		return -1;
	}
	if (pidfile_write(fd, path) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void pidfile_release(int fd, const char *path)
{
	if (fd < 0)
		return;
	unlink(path);
	close(fd);
}
