/* sdlisten.c - owns the listening sockets systemd passes the master (see
 * sdlisten.h). Nothing here is fatal: a socket that cannot be used is
 * closed and logged, and its service opens one of its own. */
#include "sdlisten.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config_addr.h"
#include "log.h"

#define SDLISTEN_FD_FIRST 3

/* Strict decimal in [1, max], else 0. */
static unsigned long sdlisten_number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && v <= max ? v : 0;
}

void sdlisten_fdname(const char *service, char *out, size_t size)
{
	size_t i;

	for (i = 0; service[i] && i + 1 < size; i++)
		out[i] = (service[i] == ':' || service[i] == '=') ? '_' : service[i];
	out[i] = '\0';
}

void sdlisten_take(struct sdlisten *l)
{
	unsigned long pid = sdlisten_number(getenv("LISTEN_PID"), 0x7fffffffUL);
	unsigned long n = sdlisten_number(getenv("LISTEN_FDS"), SDLISTEN_FDS_MAX);
	const char *names = getenv("LISTEN_FDNAMES");

	l->fds = NULL;
	l->n = 0;
	if (pid == (unsigned long)getpid() && n > 0 && (l->fds = calloc(n, sizeof(*l->fds))) == NULL)
		log_err("LISTEN_FDS: out of memory: %lu inherited sockets closed", n);
	for (unsigned long i = 0; pid == (unsigned long)getpid() && i < n; i++) {
		int fd = SDLISTEN_FD_FIRST + (int)i;
		const char *name = names != NULL ? names : "";
		size_t len = strcspn(name, ":");
		names = names != NULL && names[len] == ':' ? names + len + 1 : NULL;
		/* Not open (LISTEN_FDS lied): never recorded, or its number,
		 * reused by a file we open later, would be closed as ours. */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) /* no worker inherits it */
			continue;
		if (l->fds == NULL) {
			close(fd);
			continue;
		}
		l->fds[l->n].fd = fd;
		snprintf(l->fds[l->n].name, SDLISTEN_NAME_BYTES, "%.*s", (int)len, name);
		l->n++;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/* Whether fd is a listening stream socket bound to exactly a. */
static bool sdlisten_is(int fd, const struct service_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0, listening = 0;
	socklen_t olen = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0 || type != SOCK_STREAM)
		return false;
	olen = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &olen) < 0 || !listening)
		return false;
	if (a == NULL)
		return true;
	memset(&ss, 0, sizeof(ss));
	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && len == a->len &&
	       memcmp(&ss, &a->sa, len) == 0;
}

int sdlisten_claim(struct sdlisten *l, const struct service_config *c,
		   const struct service_addr *a, char *desc, size_t desc_size)
{
	char name[SDLISTEN_NAME_BYTES];
	struct sdlisten_fd *hit = NULL;

	sdlisten_fdname(c->name, name, sizeof(name));
	for (size_t i = 0; i < l->n && hit == NULL; i++)
		if (l->fds[i].fd >= 0 && config_addr_port(a) != 0 && sdlisten_is(l->fds[i].fd, a))
			hit = &l->fds[i];
	for (size_t i = 0; i < l->n && hit == NULL && c->naddrs == 1; i++)
		if (l->fds[i].fd >= 0 && strcmp(l->fds[i].name, name) == 0 &&
		    sdlisten_is(l->fds[i].fd, NULL))
			hit = &l->fds[i];
	if (hit == NULL)
		return -1;
	int fd = hit->fd;
	struct service_addr bound;
	bound.len = sizeof(bound.sa);
	hit->fd = -1;
	/* As listener_open leaves its own: non-blocking, our backlog. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (listen(fd, (int)c->set.listen_backlog) < 0)
		log_warn("service %s: listen: %s", c->name, strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&bound.sa, &bound.len) == 0 &&
	    bound.sa.ss_family != AF_UNIX)
		config_format_addr(&bound, desc, desc_size);
	else
		config_format_addr(a, desc, desc_size);
	log_info("service %s: listening on %s, a socket from systemd (%s)", c->name, desc,
		 hit->name[0] ? hit->name : "unnamed");
	return fd;
}

void sdlisten_done(struct sdlisten *l)
{
	if (l->n > 0)
		log_info("systemd passed %zu listening socket%s", l->n, l->n == 1 ? "" : "s");
	for (size_t i = 0; i < l->n; i++)
		if (l->fds[i].fd >= 0) {
			log_warn("systemd passed socket %d (%s) that no service listens on: closed",
				 l->fds[i].fd, l->fds[i].name[0] ? l->fds[i].name : "unnamed");
			close(l->fds[i].fd);
		}
	free(l->fds);
	l->fds = NULL;
	l->n = 0;
}
