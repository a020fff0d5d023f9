/* control.c - owns the control socket, its clients and the dispatch of
 * their requests (see control.h); control_request.c parses a request
 * line, control_auth.c decides who may connect, status.c renders what
 * `status` shows, reload.c does `reload` (its client waits for the reply
 * while the loop goes on).
 *
 * Out of memory: never fatal; a client that cannot be served is closed. */
#include "control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "control_auth.h"
#include "control_request.h"
#include "control_share.h"
#include "control_sock.h"
#include "log.h"
#include "master.h"
#include "outbuf.h"
#include "pool.h"
#include "reload.h"
#include "rundir.h"
#include "service.h"
#include "status.h"

#define CONTROL_REFUSAL_BYTES 256

struct control_client {
	struct control *ctl;
	struct event_watch watch;
	struct list link;   /* ctl->clients, or ctl->free */
	uid_t uid;          /* the caller's, for the per-uid share */
	enum control_access access; /* what it may ask (control_auth.h) */
	char in[CONTROL_REQUEST_MAX_BYTES];
	size_t inlen;
	struct outbuf out;
	size_t sent;
	uint64_t deadline_ms;
	struct reload_waiter waiter; /* `reload`: the reply comes later */
	bool waiting;
};

/* Closes the connection and frees the slot at once. An event for it still
 * pending in this batch (event.h) finds the watch removed (fd -1) and is
 * skipped, or finds the slot's next client, which treats a spurious
 * wake-up as any non-blocking reader does (EAGAIN). */
static void control_client_close(struct control_client *cl)
{
	int fd = cl->watch.fd;

	if (cl->waiting)
		reload_forget(cl->ctl->m, &cl->waiter);
	event_del(&cl->ctl->m->loop, &cl->watch);
	if (fd >= 0)
		close(fd);
	list_remove(&cl->link);
	list_append(&cl->ctl->free, &cl->link);
	cl->ctl->nclients--;
	outbuf_free(&cl->out);
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

/* What the reply depends on, as status_request reads the words (the
 * last format flag, the first service named): the cache's key, so that
 * "--json --json" is "--json". False for words it refuses (an error reply
 * costs nothing to make) or a key that does not fit. */
static bool control_status_key(const struct control_request *req, char *key, size_t size)
{
	const char *fmt = "text", *service = "";
	int n;

	for (int i = 1; i < req->argc; i++) {
		const char *w = req->argv[i];
		if (strcmp(w, "--json") == 0 || strcmp(w, "--prometheus") == 0 ||
		    strcmp(w, "--check") == 0)
			fmt = w;
		else if (service[0] == '\0' && w[0] != '-' && w[0] != '\0')
			service = w;
		else
			return false;
	}
	n = snprintf(key, size, "%s %s", fmt, service);
	return n > 0 && (size_t)n < size;
}

/* status: a status_group client may get the reply made for another a
 * moment ago (statuscache.h); root and admin_group always a fresh one. */
static void control_status(struct control_client *cl, struct control_request *req)
{
	struct control *ctl = cl->ctl;
	char key[STATUSCACHE_KEY_BYTES];
	uint64_t now = clock_now_ms();
	size_t start = cl->out.len;
	bool shared = cl->access != CONTROL_ACCESS_ALL && control_status_key(req, key, sizeof(key));

	if (shared && statuscache_get(&ctl->status_reply, key, now, &cl->out))
		return;
	if (shared && !statuscache_may_build(&ctl->status_reply, now)) {
		outbuf_printf(&cl->out, "error: status_group members asked for more than %u "
			      "different replies in %u ms: ask again\n", STATUSCACHE_BUILDS_MAX,
			      STATUSCACHE_MAX_AGE_MS);
		return;
	}
	status_request(ctl->m, req->argc, req->argv, &cl->out);
	if (shared && !cl->out.failed)
		statuscache_put(&ctl->status_reply, key, cl->out.data + start, cl->out.len - start,
				now);
}

/* Runs one request line; the reply goes to cl->out. Parsing is
 * control_request.c's; here the request is carried out. */
static void control_dispatch(struct control_client *cl, char *line)
{
	struct master *m = cl->ctl->m;
	struct control_request req;

	enum control_request_verb verb = control_request_parse(line, &req);
	if (verb != CONTROL_REQUEST_INVALID && verb != CONTROL_REQUEST_STATUS &&
	    cl->access != CONTROL_ACCESS_ALL) {
		/* The name may be gone: a reload dropped it since the accept. */
		const char *name = cl->ctl->status.name;
		outbuf_printf(&cl->out, "error: permission denied: members of status_group \"%s\" "
			      "may ask for status only\n", name != NULL ? name : "");
		return;
	}
	switch (verb) {
	case CONTROL_REQUEST_INVALID:
		if (req.error_arg != NULL)
			outbuf_printf(&cl->out, "error: %s \"%s\"\n", req.error, req.error_arg);
		else
			outbuf_printf(&cl->out, "error: %s\n", req.error);
		break;
	case CONTROL_REQUEST_STATUS:
		control_status(cl, &req);
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
		control_reload(cl);
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

static void control_refuse(struct control *ctl, int fd, const char *why)
{
	char msg[CONTROL_REFUSAL_BYTES];
	int len = snprintf(msg, sizeof(msg), "error: permission denied: %s\n", why);
	uint64_t now = clock_now_ms();

	if (len > (int)sizeof(msg) - 1)
		len = (int)sizeof(msg) - 1;
	/* A flood of strangers must not become a flood of log lines. */
	if (now >= ctl->refused_log_ms + CONTROL_REFUSAL_LOG_MS) {
		if (ctl->refused_quiet > 0)
			log_warn("control socket: refused a client: %s (and %u more since the last "
				 "such line)", why, ctl->refused_quiet);
		else
			log_warn("control socket: refused a client: %s", why);
		ctl->refused_log_ms = now;
		ctl->refused_quiet = 0;
	} else {
		ctl->refused_quiet++;
	}
	/* One small write into an empty socket buffer: never blocks. */
	send(fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* Room for one more client of uid (control_share.h). */
static void control_make_room(struct control *ctl, uid_t uid)
{
	struct control_client *by_age[CONTROL_CLIENTS_MAX];
	uid_t uids[CONTROL_CLIENTS_MAX];
	size_t n = 0;

	for (struct list *pos = ctl->clients.next; pos != &ctl->clients && n < CONTROL_CLIENTS_MAX;
	     pos = pos->next) {
		by_age[n] = LIST_ENTRY(pos, struct control_client, link);
		uids[n] = by_age[n]->uid;
		n++;
	}
	long victim = control_share_victim(uids, n, uid, CONTROL_CLIENTS_PER_UID_MAX,
					   CONTROL_CLIENTS_MAX);
	if (victim >= 0)
		control_client_close(by_age[victim]);
}

static void control_accept(struct event_watch *w, uint32_t revents)
{
	struct control *ctl = EVENT_OWNER(w, struct control, watch);
	char why[CONTROL_REFUSAL_BYTES];

	for (unsigned i = 0; i < CONTROL_ACCEPTS_PER_TURN; i++) {
		uid_t uid;
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		enum control_access access = control_auth_allowed(ctl, fd, &uid, why, sizeof(why));
		if (access == CONTROL_ACCESS_NONE) {
			control_refuse(ctl, fd, why);
			continue;
		}
		control_make_room(ctl, uid);
		struct control_client *cl = LIST_ENTRY(ctl->free.next, struct control_client, link);
		list_remove(&cl->link);
		memset(cl, 0, sizeof(*cl));
		cl->ctl = ctl;
		cl->uid = uid;
		cl->access = access;
		cl->deadline_ms = clock_now_ms() + CONTROL_CLIENT_TIMEOUT_MS;
		list_append(&ctl->clients, &cl->link);
		ctl->nclients++;
		if (event_add(&ctl->m->loop, &cl->watch, fd, EPOLLIN, control_client_event) < 0) {
			close(fd);
			control_client_close(cl);
		}
	}
}

/* After a reload: the groups were looked up by the reload's reader, off
 * the loop (config.c), so no lookup blocks here. */
static void control_reloaded(void *arg, const struct config *cfg)
{
	control_auth_set_groups(arg, cfg);
}

/* The run directory was made again: so is the control socket. */
static void control_on_rundir_repair(void *arg)
{
	(void)control_repair(arg);
}

int control_open(struct control *ctl, struct master *m, const char *path)
{
	ctl->m = m;
	rundir_on_repair(&m->rundir, control_on_rundir_repair, ctl);
	ctl->watch.fd = -1;
	ctl->dir_fd = -1;
	list_init(&ctl->clients);
	list_init(&ctl->free);
	ctl->nclients = 0;
	ctl->slots = calloc(CONTROL_CLIENTS_MAX, sizeof(*ctl->slots));
	ctl->path = strdup(path);
	if (ctl->slots == NULL || ctl->path == NULL) {
		log_err("control socket %s: out of memory", path);
		return -1;
	}
	for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		ctl->slots[i].watch.fd = -1;
		list_append(&ctl->free, &ctl->slots[i].link);
	}
	int fd = control_sock_open(ctl);
	if (fd < 0 || event_add(&m->loop, &ctl->watch, fd, EPOLLIN, control_accept) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	control_auth_set_groups(ctl, &m->cfg); /* looked up by config_load */
	reload_on_applied(m, control_reloaded, ctl);
	return 0;
}

int control_repair(struct control *ctl)
{
	if (ctl->m == NULL || ctl->path == NULL)
		return 0;
	int fd = control_sock_renew(ctl);
	if (fd < 0)
		return fd == CONTROL_SOCK_KEPT ? 0 : -1;
	int old = ctl->watch.fd;
	event_del(&ctl->m->loop, &ctl->watch);
	if (old >= 0)
		close(old);
	if (event_add(&ctl->m->loop, &ctl->watch, fd, EPOLLIN, control_accept) < 0) {
		log_err("control socket %s: epoll: %s", ctl->path, strerror(errno));
		close(fd);
		return -1;
	}
	control_auth_apply_mode(ctl);
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
	control_sock_remove(ctl);
	free(ctl->slots);
	ctl->slots = NULL;
	statuscache_free(&ctl->status_reply);
	free(ctl->path);
	ctl->path = NULL;
	free(ctl->admin.name);
	ctl->admin.name = NULL;
	free(ctl->status.name);
	ctl->status.name = NULL;
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
