/* control.c - owns the control socket, its clients and the dispatch of
 * their requests (see control.h); control_auth.c decides who may connect,
 * status.c renders what `status` shows, reload.c does `reload` (its client
 * waits for the reply while the loop goes on).
 *
 * Out of memory: never fatal; a client that cannot be served is closed. */
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
#include "log.h"
#include "master.h"
#include "outbuf.h"
#include "pool.h"
#include "reload.h"
#include "service.h"
#include "status.h"

#define CONTROL_ARGS_MAX 8
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
	struct reload_waiter waiter; /* `reload`: the reply comes later */
	bool waiting;
};

static void control_client_close(struct control_client *cl)
{
	int fd = cl->watch.fd;

	if (cl->waiting)
		reload_forget(cl->ctl->m, &cl->waiter);
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

/* The reload's reply is in cl->out: sent from the client's own event (this
 * may run inside another's, where the client must not be freed). */
static void control_reload_done(struct reload_waiter *w)
{
	struct control_client *cl = EVENT_OWNER(w, struct control_client, waiter);

	cl->waiting = false;
	cl->deadline_ms = clock_now_ms() + CONTROL_CLIENT_TIMEOUT_MS;
	event_set(&cl->ctl->m->loop, &cl->watch, EPOLLOUT);
}

/* reload: the configuration is read off the loop (reload.c); the client
 * waits, its input paused (a hang-up still shows), until the reply. */
static void control_reload(struct control_client *cl)
{
	cl->waiter.reply = &cl->out;
	cl->waiter.done = control_reload_done;
	if (reload_request(cl->ctl->m, &cl->waiter) == 0)
		return;
	cl->waiting = true;
	cl->deadline_ms = cl->waiter.deadline_ms + CONTROL_CLIENT_TIMEOUT_MS;
	event_set(&cl->ctl->m->loop, &cl->watch, 0);
}

/* Runs one request line; the reply goes to cl->out. */
static void control_dispatch(struct control_client *cl, char *line)
{
	struct master *m = cl->ctl->m;
	char *argv[CONTROL_ARGS_MAX];
	int argc = 0;

	for (char *save = NULL, *tok = strtok_r(line, " \t\r", &save);
	     tok; tok = strtok_r(NULL, " \t\r", &save)) {
		if (argc == CONTROL_ARGS_MAX) {
			outbuf_printf(&cl->out, "error: too many arguments\n");
			return;
		}
		argv[argc++] = tok;
	}
	if (argc == 0) {
		outbuf_printf(&cl->out, "error: empty request\n");
	} else if (strcmp(argv[0], "status") == 0) {
		control_status(m, argc, argv, &cl->out);
	} else if (strcmp(argv[0], "stop") == 0 && argc == 1) {
		log_info("stop requested by masterctl");
		m->sig.stop = true; /* the same path as SIGTERM */
		outbuf_printf(&cl->out, "stopping: workers finish their current request\n");
	} else if (strcmp(argv[0], "stop") == 0 && argc == 2 && strcmp(argv[1], "--now") == 0) {
		log_info("immediate stop requested by masterctl");
		m->sig.stop = true;
		m->stop_now = true;
		outbuf_printf(&cl->out, "stopping now: every worker is killed\n");
	} else if (strcmp(argv[0], "reload") == 0 && argc == 1) {
		control_reload(cl);
	} else if (strcmp(argv[0], "recycle") == 0 && argc == 2) {
		control_recycle(m, argv[1], &cl->out);
	} else if (strcmp(argv[0], "stop") == 0 || strcmp(argv[0], "reload") == 0 ||
		   strcmp(argv[0], "recycle") == 0) {
		outbuf_printf(&cl->out, "error: usage: stop [--now] | reload | recycle SERVICE|all\n");
	} else {
		outbuf_printf(&cl->out, "error: unknown request \"%s\"\n", argv[0]);
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

	if (cl->waiting) { /* a hang-up while its reload runs */
		control_client_close(cl);
		return;
	}
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
		if (cl->waiting)
			return;
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

/* admin_group as looked up: found with gid, or the lookup's errno. */
static void control_admin_apply(struct control *ctl, const char *admin_group, bool found,
				gid_t gid, int err)
{
	free(ctl->admin_name);
	ctl->admin_name = NULL;
	ctl->admin_set = false;
	if (admin_group != NULL && admin_group[0] != '\0') {
		if (!found) {
			log_warn("admin_group \"%s\": %s; only root and uid %ld may use masterctl",
				 admin_group, err ? strerror(err) : "no such group",
				 (long)geteuid());
		} else if ((ctl->admin_name = strdup(admin_group)) != NULL) {
			ctl->admin_gid = gid;
			ctl->admin_set = true;
		}
	}
	control_auth_apply_mode(ctl);
}

void control_set_admin_group(struct control *ctl, const char *admin_group)
{
	struct group *gr = NULL;

	errno = 0;
	if (admin_group != NULL && admin_group[0] != '\0')
		gr = getgrnam(admin_group);
	control_admin_apply(ctl, admin_group, gr != NULL, gr ? gr->gr_gid : 0, errno);
}

/* After a reload: the group was looked up by the reload's reader, off the
 * loop (config.c), so no lookup blocks here. */
static void control_reloaded(void *arg, const struct config *cfg)
{
	control_admin_apply(arg, cfg->master.admin_group, cfg->admin_found, cfg->admin_gid,
			    cfg->admin_errno);
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
	reload_on_applied(m, control_reloaded, ctl);
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
