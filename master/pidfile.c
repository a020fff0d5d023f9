/* pidfile.c - owns the locked pid file (see pidfile.h). */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define PIDFILE_TEXT_BYTES 32
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

int pidfile_acquire(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0) {
		log_err("pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_err("another master is running (pid %ld, pid file %s)",
				pidfile_holder(fd), path);
		else
			log_err("pid file %s: lock: %s", path, strerror(errno));
		close(fd);
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
