/* listener.c - owns creating listening sockets (see listener.h). */
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

static int listener_prepare_unix(const struct service_config *c, const struct sockaddr_un *sun)
{
	char dir[sizeof(sun->sun_path)], why[LISTENER_WHY_BYTES];
	struct stat st;
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", (int)sizeof(dir) - 1, sun->sun_path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		/* private/ is for the master's own user; public/ for anyone. */
		if (mkdir(dir, c->private_ ? 0700 : 0755) < 0 && errno != EEXIST) {
			log_err("service %s: mkdir %s: %s", c->name, dir, strerror(errno));
			return -1;
		}
		/* One made earlier by someone else would let them swap the
		 * socket the master binds (rundir.h). */
		if ((fd = rundir_open_dir(dir, "directory of unix sockets", why, sizeof(why))) < 0) {
			log_err("service %s: %s: refused", c->name, why);
			return -1;
		}
		close(fd);
	}
	if (lstat(sun->sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("service %s: %s exists and is not a socket", c->name, sun->sun_path);
			return -1;
		}
		unlink(sun->sun_path); /* stale, from a master that died */
	}
	return 0;
}

int listener_open(const struct service_config *c, const struct service_addr *a,
		  char *desc, size_t desc_size)
{
	int family = a->sa.ss_family;
	int fd, one = 1;
	struct service_addr bound;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("service %s: socket: %s", c->name, strerror(errno));
		return -1;
	}
	if (family == AF_UNIX) {
		if (listener_prepare_unix(c, (const struct sockaddr_un *)&a->sa) < 0)
			goto fail;
	} else {
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
	if (listen(fd, (int)c->set.listen_backlog) < 0) {
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

void listener_unlink(const struct service_config *c)
{
	if (c->type != SERVICE_UNIX || c->naddrs == 0)
		return;
	unlink(((const struct sockaddr_un *)&c->addrs[0].sa)->sun_path);
}

void listener_set_blocking(const struct service_config *c, int fd, const char *addr,
			   bool blocking)
{
	int fl = fcntl(fd, F_GETFL);
	int want = blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;

	if (fl < 0 || (want != fl && fcntl(fd, F_SETFL, want) < 0))
		log_err("service %s: %s: making it %sblocking: %s", c->name, addr,
			blocking ? "" : "non-", strerror(errno));
	else if (want != fl)
		log_debug("service %s: %s is %sblocking from now on (ready=%s)", c->name, addr,
			 blocking ? "" : "non-", c->set.ready);
}
