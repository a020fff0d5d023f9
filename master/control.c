/* control.c - owns the control socket, its clients and the dispatch of
 * their requests (see control.h); control_request.c parses a request
 * line, control_auth.c decides who may connect,
 * status.c renders what `status` shows, reload.c does `reload`. */
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "control_auth.h"
#include "control_request.h"
#include "log.h"
#include "master.h"
#include "outbuf.h"
#include "pool.h"
#include "reload.h"
#include "service.h"
#include "status.h"

/* Room for a burst of connections between two loop iterations. */
#define CONTROL_LISTEN_BACKLOG 256
#define CONTROL_REFUSAL_BYTES 256

struct control_client {
	struct control *ctl;
	struct event_watch watch;
	struct list link;
	char in[CONTROL_REQUEST_MAX_BYTES];
	size_t inlen;
	struct outbuf out;
	size_t sent;
	uint64_t deadline_ms;
	bool evicted;     /* closed to make room; freed by control_expire() */
};

static void control_client_close(struct control_client *cl)
{
	int fd = cl->watch.fd;

	event_del(&cl->ctl->m->loop, &cl->watch);
	if (fd >= 0)
		close(fd);
	list_remove(&cl->link);
	if (!cl->evicted)
		cl->ctl->nclients--;
	outbuf_free(&cl->out);
	free(cl);
}

/* Closes the connection now but frees the client only between event
 * batches (event.h): an event for it may still be pending in this one. */
static void control_client_evict(struct control_client *cl)
{
	int fd = cl->watch.fd;

	event_del(&cl->ctl->m->loop, &cl->watch);
	if (fd >= 0)
		close(fd);
	cl->evicted = true;
	cl->ctl->nclients--;
	cl->deadline_ms = 0;
}

static void control_status(struct master *m, int argc, char **argv, struct outbuf *out)
{
	enum status_format fmt = STATUS_TEXT;
	const char *service = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			fmt = STATUS_JSON;
		else if (strcmp(argv[i], "--prometheus") == 0)
			fmt = STATUS_PROMETHEUS;
		else if (service == NULL && argv[i][0] != '-')
			service = argv[i];
		else {
			outbuf_printf(out, "error: status: unexpected argument \"%s\"\n", argv[i]);
			return;
		}
	}
	status_render(m, service, fmt, out);
}

/* recycle SERVICE|all: make-before-break is the pool's (pool_recycle). */
static void control_recycle(struct master *m, const char *name, struct outbuf *out)
{
	uint64_t now = clock_now_ms();
	bool all = strcmp(name, "all") == 0;
	struct service *one = all ? NULL : service_find(m, name);

	if (m->stopping) {
		outbuf_printf(out, "error: the master is stopping\n");
		return;
	}
	if (!all && one == NULL) {
		outbuf_printf(out, "error: no service \"%s\"\n", name);
		return;
	}
	for (struct service *svc = m->services; svc; svc = svc->next) {
		if (!all && svc != one)
			continue;
		unsigned n = svc->n_idle + svc->n_busy;
		log_info("service %s: recycling %u worker%s", svc->cfg->name, n, n == 1 ? "" : "s");
		outbuf_printf(out, "recycling %s: %u worker%s\n", svc->cfg->name, n, n == 1 ? "" : "s");
		pool_recycle(svc, now);
	}
}

/* Runs one request line; the reply goes to cl->out. Parsing is
 * control_request.c's; here the request is carried out. */
static void control_dispatch(struct control_client *cl, char *line)
{
	struct master *m = cl->ctl->m;
	struct control_request req;

	switch (control_request_parse(line, &req)) {
	case CONTROL_REQUEST_INVALID:
		if (req.error_arg != NULL)
			outbuf_printf(&cl->out, "error: %s \"%s\"\n", req.error, req.error_arg);
		else
			outbuf_printf(&cl->out, "error: %s\n", req.error);
		break;
	case CONTROL_REQUEST_STATUS:
		control_status(m, req.argc, req.argv, &cl->out);
		break;
	case CONTROL_REQUEST_STOP:
		log_info("stop requested by masterctl");
		m->sig.stop = true; /* the same path as SIGTERM */
		outbuf_printf(&cl->out, "stopping: workers finish their current request\n");
		break;
	case CONTROL_REQUEST_STOP_NOW:
		log_info("immediate stop requested by masterctl");
		m->sig.stop = true;
		m->stop_now = true;
		outbuf_printf(&cl->out, "stopping now: every worker is killed\n");
		break;
	case CONTROL_REQUEST_RELOAD:
		reload_apply(m, &cl->out);
		break;
	case CONTROL_REQUEST_RECYCLE:
		control_recycle(m, req.argv[1], &cl->out);
		break;
	}
}

static void control_client_write(struct control_client *cl)
{
	while (cl->sent < cl->out.len) {
		ssize_t n = send(cl->watch.fd, cl->out.data + cl->sent,
				 cl->out.len - cl->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				event_set(&cl->ctl->m->loop, &cl->watch, EPOLLOUT);
				return;
			}
			break;
		}
		cl->sent += (size_t)n;
	}
	control_client_close(cl);
}

static void control_client_event(struct event_watch *w, uint32_t revents)
{
	struct control_client *cl = EVENT_OWNER(w, struct control_client, watch);

	if (cl->out.len > 0 || cl->out.failed) {
		control_client_write(cl);
		return;
	}
	ssize_t n = recv(w->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		control_client_close(cl);
		return;
	}
	cl->inlen += (size_t)n;
	char *nl = memchr(cl->in, '\n', cl->inlen);
	if (nl == NULL && cl->inlen == sizeof(cl->in)) {
		outbuf_printf(&cl->out, "error: request longer than %u bytes\n",
			      CONTROL_REQUEST_MAX_BYTES);
	} else if (nl == NULL) {
		return; /* wait for the rest, within the deadline */
	} else {
		*nl = '\0';
		control_dispatch(cl, cl->in);
	}
	if (cl->out.failed) {
		control_client_close(cl);
		return;
	}
	control_client_write(cl);
}

static void control_refuse(int fd, const char *why)
{
	char msg[CONTROL_REFUSAL_BYTES];
	int len = snprintf(msg, sizeof(msg), "error: permission denied: %s\n", why);

	if (len > (int)sizeof(msg) - 1)
		len = (int)sizeof(msg) - 1;
	log_warn("control socket: refused a client: %s", why);
	/* One small write into an empty socket buffer: never blocks. */
	send(fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void control_evict_oldest(struct control *ctl)
{
	for (struct list *pos = ctl->clients.next; pos != &ctl->clients; pos = pos->next) {
		struct control_client *cl = LIST_ENTRY(pos, struct control_client, link);
		if (!cl->evicted) {
			control_client_evict(cl);
			return;
		}
	}
}

static void control_accept(struct event_watch *w, uint32_t revents)
{
	struct control *ctl = EVENT_OWNER(w, struct control, watch);
	char why[CONTROL_REFUSAL_BYTES];

	for (;;) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (!control_auth_allowed(ctl, fd, why, sizeof(why))) {
			control_refuse(fd, why);
			continue;
		}
		/* Full: the oldest client goes (a legitimate one is done in
		 * milliseconds), so a flood of idle connections cannot lock
		 * the operator out for the client timeout. */
		if (ctl->nclients >= CONTROL_CLIENTS_MAX)
			control_evict_oldest(ctl);
		struct control_client *cl = calloc(1, sizeof(*cl));
		if (cl == NULL) {
			close(fd);
			continue;
		}
		cl->ctl = ctl;
		cl->deadline_ms = clock_now_ms() + CONTROL_CLIENT_TIMEOUT_MS;
		list_append(&ctl->clients, &cl->link);
		ctl->nclients++;
		if (event_add(&ctl->m->loop, &cl->watch, fd, EPOLLIN, control_client_event) < 0) {
			close(fd);
			list_remove(&cl->link);
			ctl->nclients--;
			free(cl);
		}
	}
}

void control_set_admin_group(struct control *ctl, const char *admin_group)
{
	struct group *gr;

	free(ctl->admin_name);
	ctl->admin_name = NULL;
	ctl->admin_set = false;
	if (admin_group != NULL && admin_group[0] != '\0') {
		errno = 0;
		gr = getgrnam(admin_group);
		if (gr == NULL) {
			log_warn("admin_group \"%s\": %s; only root and uid %ld may use masterctl",
				 admin_group, errno ? strerror(errno) : "no such group",
				 (long)geteuid());
		} else if ((ctl->admin_name = strdup(admin_group)) != NULL) {
			ctl->admin_gid = gr->gr_gid;
			ctl->admin_set = true;
		}
	}
	control_auth_apply_mode(ctl);
}

int control_open(struct control *ctl, struct master *m, const char *path,
		 const char *admin_group)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	ctl->m = m;
	ctl->watch.fd = -1;
	list_init(&ctl->clients);
	ctl->nclients = 0;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("control socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path); /* stale; a live master would hold the pid file lock */
	mode_t old = umask(0177); /* born 0600: no window where others connect */
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, CONTROL_LISTEN_BACKLOG) < 0) {
		log_err("control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	ctl->path = strdup(path);
	if (ctl->path == NULL || event_add(&m->loop, &ctl->watch, fd, EPOLLIN, control_accept) < 0) {
		close(fd);
		unlink(path);
		free(ctl->path);
		ctl->path = NULL;
		return -1;
	}
	control_set_admin_group(ctl, admin_group);
	return 0;
}

void control_close(struct control *ctl)
{
	struct list *pos, *tmp;
	int fd = ctl->watch.fd;

	if (ctl->m == NULL)
		return;
	LIST_FOREACH_SAFE(pos, tmp, &ctl->clients)
		control_client_close(LIST_ENTRY(pos, struct control_client, link));
	event_del(&ctl->m->loop, &ctl->watch);
	if (fd >= 0)
		close(fd);
	if (ctl->path) {
		unlink(ctl->path);
		free(ctl->path);
		ctl->path = NULL;
	}
	free(ctl->admin_name);
	ctl->admin_name = NULL;
}

uint64_t control_expire(struct control *ctl, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS;
	struct list *pos, *tmp;

	LIST_FOREACH_SAFE(pos, tmp, &ctl->clients) {
		struct control_client *cl = LIST_ENTRY(pos, struct control_client, link);
		if (now_ms >= cl->deadline_ms)
			control_client_close(cl);
		else if (cl->deadline_ms < next)
			next = cl->deadline_ms;
	}
	return next;
}
