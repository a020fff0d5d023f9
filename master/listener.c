/* listener.c - owns creating listening sockets (see listener.h); a fifo's
 * named pipe is listener_fifo.c's. The directories of local services are
 * made if missing and checked as fds (rundir.h) before anything is made
 * in them. A local service's file is made at its path; or, when a running
 * service of another type still has its file there (a reload that changes
 * a service's type), in the staging directory run_directory/.new, renamed
 * into place when the service is committed (listener_commit): a reload
 * that fails never leaves the running service without its file. Nothing
 * here is fatal: a failure is logged and the service is not created. */
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

#include "cmsg.h"
#include "config_addr.h"
#include "log.h"
#include "portholder.h"
#include "rundir.h"

#define LISTENER_UNIX_SOCKET_MODE 0666 /* the directory decides who may connect */
#define LISTENER_WHY_BYTES 640
#define LISTENER_HOLDER_BYTES 128 /* "listened on by pid P (COMM), uid U" */
/* "RUN/.new/" plus two letters (type, private) is no longer than
 * "RUN/public/": a staged path fits wherever the final one does. */
#define LISTENER_STAGE_DIR ".new"
#define LISTENER_PATH_BYTES sizeof(((struct sockaddr_un *)0)->sun_path)

struct listener_paths {
	char final_dir[LISTENER_PATH_BYTES], stage_dir[LISTENER_PATH_BYTES];
	const char *final_base;               /* in the configured sun_path */
	char stage_base[LISTENER_PATH_BYTES];
	struct service_addr stage;            /* where the file is made */
};

/* The final and staging places of a local service's file; -1 (logged) if
 * the configured path is not RUN/DIR/NAME. */
static int listener_paths(const struct service_config *c, const struct service_addr *a,
			  struct listener_paths *p)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->sa;
	struct sockaddr_un *stage = (struct sockaddr_un *)&p->stage.sa;
	char *slash, *run_slash;

	snprintf(p->final_dir, sizeof(p->final_dir), "%.*s", (int)sizeof(p->final_dir) - 1,
		 sun->sun_path);
	slash = strrchr(p->final_dir, '/');
	if (slash == NULL || slash == p->final_dir || slash[1] == '\0') {
		log_err("service %s: %s: not a path in a directory", c->name, p->final_dir);
		return -1;
	}
	*slash = '\0';
	p->final_base = sun->sun_path + (slash + 1 - p->final_dir);
	run_slash = strrchr(p->final_dir, '/');
	int n = snprintf(p->stage_dir, sizeof(p->stage_dir), "%.*s/" LISTENER_STAGE_DIR,
			 run_slash ? (int)(run_slash - p->final_dir) : 1,
			 run_slash ? p->final_dir : ".");
	snprintf(p->stage_base, sizeof(p->stage_base), "%c%c%s", svctype_tag(c->type)[0],
		 c->private_ ? 'p' : 'q', p->final_base);
	memset(&p->stage, 0, sizeof(p->stage));
	stage->sun_family = AF_UNIX;
	int m = snprintf(stage->sun_path, sizeof(stage->sun_path), "%s/%s", p->stage_dir,
			 p->stage_base);
	if (n < 0 || m < 0 || (size_t)m >= sizeof(stage->sun_path)) {
		log_err("service %s: staging path for %s too long", c->name, sun->sun_path);
		return -1;
	}
	p->stage.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)m + 1);
	return 0;
}

/* dir, made (mode) if missing and checked: its fd (O_PATH), or -1 (logged). */
static int listener_dir(const struct service_config *c, const char *dir, mode_t mode)
{
	char why[LISTENER_WHY_BYTES];
	int fd;

	if (mkdir(dir, mode) < 0 && errno != EEXIST) {
		log_err("service %s: mkdir %s: %s", c->name, dir, strerror(errno));
		return -1;
	}
	/* One made earlier by someone else would let them swap the file the
	 * master binds (rundir.h). */
	if ((fd = rundir_open_dir(dir, "directory of local services", why, sizeof(why))) < 0)
		log_err("service %s: %s: refused", c->name, why);
	return fd;
}

/* 0 if dirfd/base is missing, a socket or a fifo (removed when clear);
 * -1 (logged) if it is anything else. */
static int listener_replaceable(const struct service_config *c, int dirfd, const char *base,
				const char *dir, bool clear)
{
	struct stat st;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		log_err("service %s: %s/%s exists and is not a socket or fifo", c->name, dir, base);
		return -1;
	}
	if (clear) /* staged by a master that died before its commit */
		unlinkat(dirfd, base, 0);
	return 0;
}

/* Checks the final place and, when staging, prepares the staging one: the
 * fd of the directory to make the file in, *base its name there; or -1
 * (logged). Unstaged, a socket or fifo at the path is stale: removed. */
static int listener_prepare_local(const struct service_config *c, const struct listener_paths *p,
				  bool stage, const char **base)
{
	/* private/ is for the master's own user; public/ for anyone; .new/
	 * for the master alone. */
	int final_fd = listener_dir(c, p->final_dir, c->private_ ? 0700 : 0755), stage_fd;

	*base = p->final_base;
	if (final_fd < 0 ||
	    listener_replaceable(c, final_fd, p->final_base, p->final_dir, !stage) < 0) {
		if (final_fd >= 0)
			close(final_fd);
		return -1;
	}
	if (!stage)
		return final_fd;
	close(final_fd);
	*base = p->stage_base;
	if ((stage_fd = listener_dir(c, p->stage_dir, 0700)) < 0)
		return -1;
	if (listener_replaceable(c, stage_fd, p->stage_base, p->stage_dir, true) < 0) {
		close(stage_fd);
		return -1;
	}
	return stage_fd;
}

/* Remembers which file was made (dirfd/base). */
static void listener_note_file(int dirfd, const char *base, bool staged,
			       struct listener_made *made)
{
	struct stat st;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode)) {
		made->dev = st.st_dev;
		made->ino = st.st_ino;
		made->staged = staged;
	}
}

/* freebind=yes: the address may come up after the bind (boot, a
 * floating address). 0, or -1 (logged). */
static int listener_freebind(const struct service_config *c, int fd, int family)
{
	int one = 1;
	int rc = family == AF_INET6
		? setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one))
		: setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));

	if (rc < 0)
		log_err("%s:%u: service %s: freebind: %s", c->file ? c->file : "master.cf",
			c->line, c->name, strerror(errno));
	return rc;
}

/* Binds at a (inet: dirfd -1), or at bind_to, named base in dirfd. */
static int listener_socket(const struct service_config *c, const struct service_addr *a,
			   const struct service_addr *bind_to, int dirfd, const char *base,
			   struct listener_made *made, char *desc, size_t desc_size)
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
	/* No fds through a unix service's socket but a pass service's: one a
	 * client parks in the queue, if no worker takes it, has its last
	 * close in the master when the master closes the socket (cmsg.h);
	 * a lingering one held a reload and a stop (an adversarial run).
	 * Before bind and listen: the connections it queues inherit it. */
	if (family == AF_UNIX && c->type != SERVICE_PASS)
		(void)cmsg_refuse_fds(fd);
	if (family != AF_UNIX) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (c->set.freebind && listener_freebind(c, fd, family) < 0)
			goto fail;
	}
	/* A unix socket is born with its mode (0777 less the umask; inet
	 * binds ignore it): no chmod afterwards, which would follow a symlink
	 * put in its place. */
	mode_t old = umask(0777 & ~LISTENER_UNIX_SOCKET_MODE);
	int rc = bind(fd, (const struct sockaddr *)&bind_to->sa, bind_to->len);
	umask(old);
	if (rc < 0) {
		int err = errno;
		char holder[LISTENER_HOLDER_BYTES] = "";
		config_format_addr(bind_to, desc, desc_size);
		/* Who has the port: another server, or a process a worker gave
		 * its socket to, which kept it past the last master's stop. */
		if (err == EADDRINUSE && family != AF_UNIX)
			portholder_name((unsigned)config_addr_port(bind_to), holder, sizeof(holder));
		/* FILE:LINE: an address not on this host is a configuration
		 * error the operator fixes there (or with -o freebind=yes). */
		log_err("%s:%u: service %s: bind %s: %s%s%s%s", c->file ? c->file : "master.cf",
			c->line, c->name, desc, strerror(err),
			err == EADDRNOTAVAIL && family != AF_UNIX && !c->set.freebind
			? " (not an address of this host: -o freebind=yes binds it anyway)" : "",
			holder[0] != '\0' ? ": " : "", holder);
		goto fail;
	}
	if (dirfd >= 0)
		listener_note_file(dirfd, base, bind_to != a, made);
	if (svctype_listens(c->type) && listen(fd, (int)c->set.listen_backlog) < 0) {
		log_err("service %s: listen: %s", c->name, strerror(errno));
		goto fail;
	}
	bound.len = sizeof(bound.sa);
	if (family != AF_UNIX && getsockname(fd, (struct sockaddr *)&bound.sa, &bound.len) == 0) {
		config_format_addr(&bound, desc, desc_size);
		made->bound = bound;
	} else {
		config_format_addr(a, desc, desc_size);
	}
	return fd;
fail:
	if (made->ino != 0)
		unlinkat(dirfd, base, 0);
	made->staged = false;
	made->ino = 0;
	close(fd);
	return -1;
}

int listener_open(const struct service_config *c, const struct service_addr *a, bool stage,
		  struct listener_made *made, char *desc, size_t desc_size)
{
	struct listener_paths p;
	const char *base;
	int dirfd, fd;

	memset(made, 0, sizeof(*made));
	made->wake_fd = -1;
	if (a->sa.ss_family != AF_UNIX)
		return listener_socket(c, a, a, -1, "", made, desc, desc_size);
	if (listener_paths(c, a, &p) < 0 || (dirfd = listener_prepare_local(c, &p, stage, &base)) < 0)
		return -1;
	if (c->type == SERVICE_FIFO) {
		fd = listener_fifo_open(c, dirfd, base, made);
		made->staged = fd >= 0 && stage;
		if (fd >= 0)
			config_format_addr(a, desc, desc_size);
	} else {
		fd = listener_socket(c, a, stage ? &p.stage : a, dirfd, base, made, desc, desc_size);
	}
	close(dirfd);
	return fd;
}

void listener_commit(const struct service_config *c, struct listener_made *made)
{
	struct listener_paths p;
	int from = -1, to = -1;

	if (!made->staged || listener_paths(c, &c->addrs[0], &p) < 0)
		return;
	from = listener_dir(c, p.stage_dir, 0700);
	to = from >= 0 ? listener_dir(c, p.final_dir, c->private_ ? 0700 : 0755) : -1;
	/* Atomic: a client finds the earlier file (of a service this reload
	 * removes) or this one, never none. */
	if (to >= 0 && renameat(from, p.stage_base, to, p.final_base) == 0)
		made->staged = false;
	else
		log_err("service %s: cannot put its %s in place at %s/%s: %s (it serves "
			"no new clients)", c->name, svctype_name(c->type), p.final_dir,
			p.final_base, to < 0 ? "directory refused" : strerror(errno));
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
}

void listener_unlink(const struct service_config *c, const struct listener_made *made)
{
	struct listener_paths p;
	struct stat st;
	const char *path;

	if (!svctype_is_local(c->type) || c->naddrs == 0 || made->ino == 0 ||
	    listener_paths(c, &c->addrs[0], &p) < 0)
		return;
	path = made->staged ? ((const struct sockaddr_un *)&p.stage.sa)->sun_path
		: ((const struct sockaddr_un *)&c->addrs[0].sa)->sun_path;
	/* A service of another type may have put its own file here since (a
	 * reload that changed the type): that one is not ours to remove. */
	if (lstat(path, &st) == 0 && st.st_dev == made->dev && st.st_ino == made->ino)
		unlink(path);
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
