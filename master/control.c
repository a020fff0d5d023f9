/* control.c - owns the control socket and its clients (see control.h);
 * status.c renders what `status` shows. */
#include "control.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "master.h"
#include "outbuf.h"
#include "status.h"

struct control_client {
	struct control *ctl;
	struct event_watch watch;
	struct list link;
	char in[CONTROL_REQUEST_MAX_BYTES];
	size_t inlen;
	struct outbuf out;
	size_t sent;
	uint64_t deadline_ms;
};

static void control_client_close(struct control_client *cl)
{
	int fd = cl->watch.fd;

	event_del(&cl->ctl->m->loop, &cl->watch);
	if (fd >= 0)
		close(fd);
	list_remove(&cl->link);
	cl->ctl->nclients--;
	outbuf_free(&cl->out);
	free(cl);
}

/* Runs one request line; the reply goes to cl->out. */
static void control_dispatch(struct control_client *cl, char *line)
{
	struct master *m = cl->ctl->m;
	char *argv[8];
	int argc = 0;
	bool json = false;
	const char *service = NULL;

	for (char *save = NULL, *tok = strtok_r(line, " \t", &save);
	     tok && argc < 8; tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (argc == 0) {
		outbuf_printf(&cl->out, "error: empty request\n");
		return;
	}
	if (strcmp(argv[0], "status") == 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				json = true;
			else if (service == NULL && argv[i][0] != '-')
				service = argv[i];
			else {
				outbuf_printf(&cl->out, "error: status: unexpected argument \"%s\"\n", argv[i]);
				return;
			}
		}
		status_render(m, service, json, &cl->out);
	} else if (strcmp(argv[0], "stop") == 0 && argc == 1) {
		m->sig.stop = true; /* the same path as SIGTERM */
		outbuf_printf(&cl->out, "stopping\n");
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

static bool control_allowed(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	*uid = cred.uid;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void control_accept(struct event_watch *w, uint32_t revents)
{
	struct control *ctl = EVENT_OWNER(w, struct control, watch);

	for (;;) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		uid_t uid = (uid_t)-1;
		if (fd < 0)
			return;
		if (!control_allowed(fd, &uid) || ctl->nclients >= CONTROL_CLIENTS_MAX) {
			char msg[96];
			int len = snprintf(msg, sizeof(msg), ctl->nclients >= CONTROL_CLIENTS_MAX
					   ? "error: too many control clients\n"
					   : "error: permission denied for uid %ld\n", (long)uid);
			send(fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
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

int control_open(struct control *ctl, struct master *m, const char *path)
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
	if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
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
