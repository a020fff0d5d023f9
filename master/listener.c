/* listener.c - owns creating listening sockets (see listener.h); a fifo's
 * named pipe is listener_fifo.c's. The directories of local services are
 * made if missing and checked as fds (rundir.h) before anything is made
 * in them. Nothing here is fatal: a failure is logged and the service is
 * not created. */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "rundir.h"

#define LISTENER_UNIX_SOCKET_MODE 0666 /* the directory decides who may connect */
#define LISTENER_WHY_BYTES 640

/* The directory of a local service's file, made if missing and checked:
 * its fd (O_PATH), with *base pointing at the file name in sun_path; or -1
 * (logged). A socket or fifo already there is removed. */
static int listener_prepare_local(const struct service_config *c, const struct sockaddr_un *sun,
				  const char **base)
{
	char dir[sizeof(sun->sun_path)], why[LISTENER_WHY_BYTES];
	struct stat st;
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", (int)sizeof(dir) - 1, sun->sun_path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir || slash[1] == '\0') {
		log_err("service %s: %s: not a path in a directory", c->name, dir);
		return -1;
	}
	*slash = '\0';
	*base = sun->sun_path + (slash + 1 - dir);
	/* private/ is for the master's own user; public/ for anyone. */
	if (mkdir(dir, c->private_ ? 0700 : 0755) < 0 && errno != EEXIST) {
		log_err("service %s: mkdir %s: %s", c->name, dir, strerror(errno));
		return -1;
	}
	/* One made earlier by someone else would let them swap the file the
	 * master binds (rundir.h). */
	if ((fd = rundir_open_dir(dir, "directory of local services", why, sizeof(why))) < 0) {
		log_err("service %s: %s: refused", c->name, why);
		return -1;
	}
	if (fstatat(fd, *base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode)) {
			log_err("service %s: %s exists and is not a socket or fifo", c->name,
				sun->sun_path);
			close(fd);
			return -1;
		}
		/* stale, from a master that died; or the file of a service of
		 * another type at this path, which a reload removes */
		unlinkat(fd, *base, 0);
	}
	return fd;
}

/* Remembers which file was made at the path (it is removed only if so). */
static void listener_note_file(int dirfd, const char *base, struct listener_made *made)
{
	struct stat st;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode)) {
		made->dev = st.st_dev;
		made->ino = st.st_ino;
	}
}

static int listener_socket(const struct service_config *c, const struct service_addr *a,
			   int dirfd, const char *base, struct listener_made *made,
			   char *desc, size_t desc_size)
{
	int family = a->sa.ss_family;
	int kind = c->type == SERVICE_UNIX_DGRAM ? SOCK_DGRAM : SOCK_STREAM;
	int fd, one = 1;
	struct service_addr bound;

	fd = socket(family, kind | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("service %s: socket: %s", c->name, strerror(errno));
		return -1;
	}
	if (family != AF_UNIX) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	/* A unix socket is born with its mode (0777 less the umask; inet
	 * binds ignore it): no chmod afterwards, which would follow a symlink
	 * put in its place. */
	mode_t old = umask(0777 & ~LISTENER_UNIX_SOCKET_MODE);
	int rc = bind(fd, (const struct sockaddr *)&a->sa, a->len);
	umask(old);
	if (rc < 0) {
		config_format_addr(a, desc, desc_size);
		log_err("service %s: bind %s: %s", c->name, desc, strerror(errno));
		goto fail;
	}
	if (dirfd >= 0)
		listener_note_file(dirfd, base, made);
	if (svctype_listens(c->type) && listen(fd, (int)c->set.listen_backlog) < 0) {
		log_err("service %s: listen: %s", c->name, strerror(errno));
		goto fail;
	}
	bound.len = sizeof(bound.sa);
	if (family != AF_UNIX && getsockname(fd, (struct sockaddr *)&bound.sa, &bound.len) == 0)
		config_format_addr(&bound, desc, desc_size);
	else
		config_format_addr(a, desc, desc_size);
	return fd;
fail:
	close(fd);
	return -1;
}

int listener_open(const struct service_config *c, const struct service_addr *a,
		  struct listener_made *made, char *desc, size_t desc_size)
{
	const char *base = NULL;
	int dirfd = -1, fd;

	memset(made, 0, sizeof(*made));
	made->wake_fd = -1;
	if (a->sa.ss_family == AF_UNIX &&
	    (dirfd = listener_prepare_local(c, (const struct sockaddr_un *)&a->sa, &base)) < 0)
		return -1;
	if (c->type == SERVICE_FIFO) {
		fd = listener_fifo_open(c, dirfd, base, made);
		if (fd >= 0)
			config_format_addr(a, desc, desc_size);
	} else {
		fd = listener_socket(c, a, dirfd, base, made, desc, desc_size);
	}
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

void listener_unlink(const struct service_config *c, const struct listener_made *made)
{
	const char *path;
	struct stat st;

	if (!svctype_is_local(c->type) || c->naddrs == 0 || made->ino == 0)
		return;
	path = ((const struct sockaddr_un *)&c->addrs[0].sa)->sun_path;
	/* A service of another type may have made its own file here since
	 * (a reload that changed the type): that one is not ours to remove. */
	if (lstat(path, &st) == 0 && st.st_dev == made->dev && st.st_ino == made->ino)
		unlink(path);
}
