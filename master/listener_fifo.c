/* listener_fifo.c - owns a fifo service's named pipe (see listener.h):
 * made anew in its checked directory and opened through that directory's
 * fd, never looked up by path from the root; mode 0622: whoever may reach
 * the directory may write a request, only the master and its workers
 * read. Two opens of one pipe: the workers' (read-write, as Postfix does,
 * so that the pipe always has a writer and never reports end-of-file to
 * a waiting worker) and the master's own write end for wake-ups, a file
 * description of its own so that no worker can make the master's writes
 * blocking. Nothing here is fatal: a failure is logged, and the half-made
 * pipe removed. */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define LISTENER_FIFO_MODE 0622

int listener_fifo_open(const struct service_config *c, int dirfd, const char *base,
		       struct listener_made *made)
{
	const int flags = O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	struct stat st, wst;
	const char *what = "open";
	int fd = -1, wfd = -1;

	if (mkfifoat(dirfd, base, 0600) < 0) {
		log_err("service %s: mkfifo %s: %s", c->name, base, strerror(errno));
		return -1;
	}
	if ((fd = openat(dirfd, base, O_RDWR | flags)) < 0 || fstat(fd, &st) < 0)
		goto fail;
	what = "not the fifo just made";
	errno = EEXIST;
	if (!S_ISFIFO(st.st_mode) || st.st_uid != geteuid())
		goto fail;
	what = "open for wake-ups";
	if ((wfd = openat(dirfd, base, O_WRONLY | flags)) < 0 || fstat(wfd, &wst) < 0)
		goto fail;
	what = "opened for wake-ups as another file";
	errno = EEXIST;
	if (wst.st_dev != st.st_dev || wst.st_ino != st.st_ino)
		goto fail;
	/* Open to writers only now: an open of a pipe takes its lock, which
	 * a writer can hold through a slow fault (offloop.h), and until here
	 * the pipe is the master's alone (0600). mkfifoat's mode is less the
	 * umask; the fd names no path to follow. */
	what = "chmod";
	if (fchmod(fd, LISTENER_FIFO_MODE) < 0)
		goto fail;
	made->wake_fd = wfd;
	made->dev = st.st_dev;
	made->ino = st.st_ino;
	return fd;
fail:
	log_err("service %s: fifo %s: %s: %s", c->name, base, what, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (wfd >= 0)
		close(wfd);
	unlinkat(dirfd, base, 0);
	return -1;
}
