/* service.c - owns creating and destroying run-time services (see
 * service.h): listening sockets, the worker environment, the empty pool.
 * Which sockets a reload's new service borrows is reload_donor.c's.
 *
 * Out of memory: never fatal; the service is not created (logged), so a
 * start fails cleanly and a reload is refused. */
#include "service.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "isolation.h"
#include "listener.h"
#include "log.h"
#include "master.h"
#include "notifysock.h"
#include "offloop.h"
#include "protocol.h"
#include "sockrepair.h"

#define SERVICE_PID_DIGITS_BYTES 16

extern char **environ;

unsigned service_sockets_shut(const struct service *svc)
{
	unsigned n = 0;

	for (size_t i = 0; i < svc->nsocks; i++)
		n += svc->socks[i].shut;
	return n;
}

static void service_on_demand(struct event_watch *w, uint32_t revents)
{
	struct service_socket *s = EVENT_OWNER(w, struct service_socket, demand_watch);

	if (revents & (EPOLLHUP | EPOLLERR)) {
		service_mend_hung_up(s);
		return;
	}
	/* A client waits and nobody is idle: stop watching (level-triggered
	 * would spin) and let the pool decide whether to grow. */
	s->svc->demand_seen = true;
	s->svc->dirty = true;
	for (size_t i = 0; i < s->svc->nsocks; i++)
		event_set(&s->svc->m->loop, &s->svc->socks[i].demand_watch, 0);
	s->svc->demand_armed = false;
}

/* "name=value" into envp[*n], or nothing if out of memory (checked later). */
static void service_env_add(char **envp, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void service_env_add(char **envp, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	envp[(*n)++] = s;
}

static int service_build_env(struct service *svc)
{
	const struct service_config *c = svc->cfg;
	size_t nimport = 0, n = 0;
	char fdname[128];

	while (c->set.import_environment && c->set.import_environment[nimport])
		nimport++;
	svc->envp = calloc(nimport + 12, sizeof(char *));
	if (svc->envp == NULL)
		return -1;
	for (size_t i = 0; i < nimport; i++) {
		const char *name = c->set.import_environment[i];
		const char *val;
		if (strchr(name, '='))
			service_env_add(svc->envp, &n, "%s", name);
		else if ((val = getenv(name)) != NULL)
			service_env_add(svc->envp, &n, "%s=%s", name, val);
	}
	sdlisten_fdname(c->name, fdname, sizeof(fdname)); /* no ':', the separator */
	service_env_add(svc->envp, &n, "LISTEN_FDS=%zu", svc->nsocks);
	service_env_add(svc->envp, &n, "LISTEN_PID=%0*d", SERVICE_PID_DIGITS_BYTES - 1, 0);
	char *fdnames = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&fdnames, &len);
	for (size_t i = 0; f && i < svc->nsocks; i++)
		fprintf(f, "%s%s", i ? ":" : "", fdname);
	if (f)
		fclose(f);
	service_env_add(svc->envp, &n, "LISTEN_FDNAMES=%s", fdnames ? fdnames : "");
	free(fdnames);
	service_env_add(svc->envp, &n, PROTOCOL_ENV_SERVICE "=%s", c->name);
	if (c->ready == SERVICE_READY_PROTOCOL) {
		service_env_add(svc->envp, &n, PROTOCOL_ENV_STATUS_FD "=%zu", 3 + svc->nsocks);
		service_env_add(svc->envp, &n, PROTOCOL_ENV_TYPE "=%s", svctype_name(c->type));
		/* Room for any unsigned; each launch writes its worker's jittered value. */
		service_env_add(svc->envp, &n, PROTOCOL_ENV_MAX_USE "=%0*d",
				SERVICE_PID_DIGITS_BYTES - 1, 0);
		service_env_add(svc->envp, &n, PROTOCOL_ENV_MAX_IDLE "=%u", c->set.max_idle_s);
		service_env_add(svc->envp, &n, PROTOCOL_ENV_VERSION "=%d", PROTOCOL_VERSION);
	}
	/* ready=notify: systemd's variables; each launch writes its worker's
	 * own socket (notifysock.h) into the room left here. */
	if (c->ready == SERVICE_READY_NOTIFY)
		service_env_add(svc->envp, &n, "NOTIFY_SOCKET=%*s", NOTIFYSOCK_NAME_BYTES - 1, "");
	if (c->ready == SERVICE_READY_NOTIFY && c->set.watchdog_timeout_s > 0)
		service_env_add(svc->envp, &n, "WATCHDOG_USEC=%llu",
				(unsigned long long)c->set.watchdog_timeout_s * 1000000ULL);
	if (c->state_dir != NULL) /* as systemd names it (user=dynamic) */
		service_env_add(svc->envp, &n, "STATE_DIRECTORY=%s", c->state_dir);
	for (size_t i = 0; i < n; i++) {
		if (svc->envp[i] == NULL)
			return -1;
		if (strncmp(svc->envp[i], "LISTEN_PID=", 11) == 0)
			svc->pid_digits = svc->envp[i] + 11;
		if (strncmp(svc->envp[i], PROTOCOL_ENV_MAX_USE "=", sizeof(PROTOCOL_ENV_MAX_USE)) == 0)
			svc->max_use_digits = svc->envp[i] + sizeof(PROTOCOL_ENV_MAX_USE);
		if (strncmp(svc->envp[i], "NOTIFY_SOCKET=", 14) == 0)
			svc->notify_name = svc->envp[i] + 14;
	}
	return 0;
}

void service_free(struct service *svc)
{
	bool owns_path = svc->nsocks > 0 && svc->socks[0].fd >= 0 && svc->socks[0].donor == NULL;

	for (size_t i = 0; i < svc->nsocks; i++) {
		struct service_socket *s = &svc->socks[i];
		event_del(&svc->m->loop, &s->demand_watch);
		/* A fifo's last close waits for its pipe's lock (offloop.h). */
		if (s->fd >= 0 && s->donor == NULL) {
			if (svc->cfg->type == SERVICE_FIFO)
				offloop_close(s->fd);
			else
				close(s->fd);
		}
		if (s->made.wake_fd >= 0 && s->donor == NULL)
			offloop_close(s->made.wake_fd);
		offloop_release(&s->audit);
		offloop_release(&s->mend);
	}
	/* Only the owner of a local service's file removes it: a successor
	 * that took the socket over keeps serving on it. Nor at the master's
	 * exit when systemd keeps the socket for the next master (fd store):
	 * its clients must find it by its name. */
	if (owns_path && !(svc->m->stopping && svc->m->notify.stored))
		listener_unlink(svc->cfg, &svc->socks[0].made);
	wakeup_fini(&svc->wake);
	relay_shared_close(&svc->stderr_shared);
	relay_service_flush(&svc->stderr_budget, svc->cfg->name);
	if (svc->iso != NULL)
		isolation_destroy(svc->iso);
	for (char **e = svc->envp; e && *e; e++)
		free(*e);
	free(svc->envp);
	free(svc->socks);
	free(svc->sock_fds);
	free(svc);
}

bool service_same_identity(const struct service_config *a, const struct service_config *b)
{
	return a->type == b->type && strcmp(a->name, b->name) == 0;
}

/* A running service (active or draining) still has a file at local
 * address a: a new one there is staged (listener.h). */
static bool service_path_taken(struct master *m, const struct service_addr *a)
{
	struct service *lists[] = { m->services, m->draining };

	if (a->sa.ss_family != AF_UNIX)
		return false;
	for (size_t l = 0; l < 2; l++)
		for (struct service *svc = lists[l]; svc; svc = svc->next)
			for (size_t i = 0; i < svc->nsocks && i < svc->cfg->naddrs; i++)
				if (svc->socks[i].fd >= 0 && svc->cfg->addrs[i].len == a->len &&
				    memcmp(&svc->cfg->addrs[i].sa, &a->sa, a->len) == 0)
					return true;
	return false;
}

/* Borrows donor's socket (found by reload_donor.c), or opens one. */
static int service_open_socket(struct service *svc, struct service_socket *s,
			       const struct service_config *c, const struct service_addr *a,
			       struct service_socket *donor)
{
	s->svc = svc;
	s->demand_watch.fd = -1;
	s->made.wake_fd = -1;
	if (donor != NULL) {
		s->donor = donor;
		s->fd = donor->fd;
		s->made = donor->made;
		memcpy(s->addr, donor->addr, sizeof(s->addr));
		return 0;
	}
	/* One systemd passed us (sdlisten.h), else one of our own. */
	s->fd = sdlisten_claim(&svc->m->inherited, c, a, s->addr, sizeof(s->addr));
	if (s->fd >= 0 && a->sa.ss_family != AF_UNIX) { /* where, for service_mend.c */
		s->made.bound.len = sizeof(s->made.bound.sa);
		if (getsockname(s->fd, (struct sockaddr *)&s->made.bound.sa, &s->made.bound.len) < 0)
			s->made.bound.len = 0;
	}
	if (s->fd < 0)
		s->fd = listener_open(c, a, service_path_taken(svc->m, a), &s->made, s->addr,
				      sizeof(s->addr));
	if (s->fd >= 0 && a->sa.ss_family != AF_UNIX) /* what sockaudit.c sets back */
		sockrepair_remember(s->fd, &s->made.base);
	return s->fd < 0 ? -1 : 0;
}

/* The isolation of the service of c's identity that runs (or drains):
 * a reload's successor shares its dynamic user. */
static const struct isolation *service_iso_of(struct master *m, const struct service_config *c)
{
	struct service *lists[] = { m->services, m->draining };

	for (size_t l = 0; l < 2; l++)
		for (struct service *svc = lists[l]; svc; svc = svc->next)
			if (svc->iso != NULL && service_same_identity(svc->cfg, c))
				return svc->iso;
	return NULL;
}

struct service *service_create(struct master *m, const struct master_settings *ms,
			       const struct service_config *c, struct service_socket *const *donors)
{
	struct service *svc = calloc(1, sizeof(*svc));

	if (svc == NULL)
		return NULL;
	svc->m = m;
	svc->cfg = c;
	list_init(&svc->workers);
	list_init(&svc->starting);
	list_init(&svc->idle);
	list_init(&svc->busy);
	list_init(&svc->retiring);
	list_init(&svc->stop_sent);
	list_init(&svc->term_sent);
	list_init(&svc->kill_sent);
	list_init(&svc->silent);
	ratelimit_init(&svc->limiter, c->set.spawn_rate);
	relaylimit_init_service(&svc->stderr_budget, clock_now_ms());
	svc->deadline_ms = CLOCK_NEVER_MS;
	svc->lifetime_next_ms = CLOCK_NEVER_MS;
	wakeup_init(&svc->wake, &m->loop);
	svc->socks = calloc(c->naddrs ? c->naddrs : 1, sizeof(*svc->socks));
	svc->sock_fds = calloc(c->naddrs ? c->naddrs : 1, sizeof(int));
	if (svc->socks == NULL || svc->sock_fds == NULL) {
		log_err("service %s: out of memory", c->name);
		service_free(svc);
		return NULL;
	}
	for (size_t i = 0; i < c->naddrs; i++) {
		if (service_open_socket(svc, &svc->socks[i], c, &c->addrs[i],
					donors != NULL ? donors[i] : NULL) < 0) {
			service_free(svc);
			return NULL;
		}
		svc->sock_fds[i] = svc->socks[i].fd;
		svc->nsocks++;
	}
	svc->iso = isolation_create(ms, c, &m->contain);
	/* user=dynamic: the uid of the running generation, if any, else a new one */
	if (svc->iso == NULL || isolation_dynamic_user(svc->iso, &m->ipcsweep, ms, c,
						       service_iso_of(m, c)) < 0) {
		service_free(svc);
		return NULL;
	}
	if (service_build_env(svc) < 0) {
		log_err("service %s: out of memory", c->name);
		service_free(svc);
		return NULL;
	}
	return svc;
}

void service_commit(struct service *svc)
{
	for (size_t i = 0; i < svc->nsocks; i++) {
		struct service_socket *s = &svc->socks[i];
		listener_commit(svc->cfg, &s->made); /* a new local file: in place */
		/* Before its first worker: the mode its workers expect (the
		 * master itself never accepts on it). */
		listener_set_blocking(svc->cfg, s->fd, s->addr,
				      svc->cfg->ready != SERVICE_READY_PROTOCOL);
		/* Ours now: systemd keeps a copy across a restart (a
		 * borrowed one was stored by its first owner). */
		if (s->donor == NULL && sdnotify_enabled(&svc->m->notify)) {
			char name[SDLISTEN_NAME_BYTES];
			sdlisten_fdname(svc->cfg->name, name, sizeof(name));
			sdnotify_store_fd(&svc->m->notify, name, s->fd);
		}
		if (s->donor != NULL) {
			event_del(&svc->m->loop, &s->donor->demand_watch);
			s->donor->fd = -1;
			s->donor->made.wake_fd = -1;
			s->donor = NULL;
			/* The backlog is a setting too: listen(2) again applies
			 * it, off the loop (the old generation's workers hold
			 * the socket and can hold its lock: offloop.h). */
			const struct sockrepair job = {
				.backlog = (int)svc->cfg->set.listen_backlog };
			char why[128];
			if (svctype_listens(svc->cfg->type) &&
			    !sockrepair_run(&s->audit, s->fd, &job, why, sizeof(why)))
				log_warn("service %s: listen %s: %s", svc->cfg->name, s->addr, why);
		}
		if (event_add(&svc->m->loop, &s->demand_watch, s->fd, 0, service_on_demand) < 0)
			log_err("service %s: epoll: %s (demand for more workers goes unseen)",
				svc->cfg->name, strerror(errno));
	}
}

int service_create_all(struct master *m)
{
	struct service **tail = &m->services;

	for (size_t i = 0; i < m->cfg.nservices; i++) {
		struct service *svc = service_create(m, &m->cfg.master, &m->cfg.services[i], NULL);
		if (svc == NULL) {
			service_destroy_all(m);
			return -1;
		}
		*tail = svc;
		tail = &svc->next;
	}
	for (struct service *svc = m->services; svc; svc = svc->next)
		service_commit(svc);
	return 0;
}

void service_destroy_all(struct master *m)
{
	struct service **lists[] = { &m->services, &m->draining };

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		while (*lists[i]) {
			struct service *svc = *lists[i];
			*lists[i] = svc->next;
			service_free(svc);
		}
	}
}

struct service *service_find(struct master *m, const char *name)
{
	for (struct service *svc = m->services; svc; svc = svc->next)
		if (strcmp(svc->cfg->name, name) == 0)
			return svc;
	return NULL;
}
