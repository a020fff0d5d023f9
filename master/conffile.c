/* conffile.c - owns reading a configuration file (see conffile.h).
 *
 * Why the fd checks: reading happens on the reload thread, but a FIFO in
 * place of master.cf would still hang that reload until someone writes
 * to it, and /dev/zero would fill memory. O_NONBLOCK makes the open of a
 * FIFO return at once; fstat on the opened fd (not a second lookup of the
 * path) decides.
 *
 * Out of memory: never fatal; the read fails with "out of memory". */
#include "conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *conffile_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a fifo";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	case S_IFSOCK: return "a socket";
	default: return "not a file";
	}
}

__attribute__((format(printf, 5, 6)))
static int conffile_fail(int fd, int err, char *why, size_t whysize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysize, fmt, ap);
	va_end(ap);
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}

int conffile_read(const char *path, char **text, size_t *len, char *why, size_t whysize)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	*text = NULL;
	*len = 0;
	if (fd < 0)
		return conffile_fail(-1, errno, why, whysize, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		return conffile_fail(fd, errno, why, whysize, "cannot read: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return conffile_fail(fd, EINVAL, why, whysize, "not a regular file (%s)",
					conffile_kind(st.st_mode));
	if ((unsigned long long)st.st_size > CONFFILE_MAX_BYTES) {
		snprintf(why, whysize, "too large (%lld bytes, at most %u)",
			 (long long)st.st_size, CONFFILE_MAX_BYTES);
		close(fd);
		errno = EFBIG;
		return -1;
	}
	/* One byte more than fstat says: a file that grows meanwhile shows. */
	size_t cap = (size_t)st.st_size + 2;
	char *buf = malloc(cap);
	if (buf == NULL)
		return conffile_fail(fd, ENOMEM, why, whysize, "%s", "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return conffile_fail(fd, errno, why, whysize, "cannot read: %s",
						strerror(errno));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got < cap - 1)
			continue;
		if (cap > CONFFILE_MAX_BYTES) {
			free(buf);
			return conffile_fail(fd, EFBIG, why, whysize, "%s",
						"too large (it grew while read)");
		}
		char *more = realloc(buf, cap * 2);
		if (more == NULL) {
			free(buf);
			return conffile_fail(fd, ENOMEM, why, whysize, "%s", "out of memory");
		}
		buf = more;
		cap *= 2;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}
