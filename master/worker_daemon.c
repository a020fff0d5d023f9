/* worker_daemon.c - owns the state of workers that do not speak the
 * protocol (see worker_daemon.h): their notification socket's life, their
 * readiness and watchdog clocks, which process carries on as the worker
 * when its main process leaves, and signalling such a process through a
 * pidfd (it is no child of ours: its pid is not pinned until we reap it).
 * Nothing here is fatal: a socket that cannot be made fails that launch. */
#include "worker_daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "master.h"
#include "notifysock.h"
#include "service.h"
#include "worker.h"

#define WORKER_DAEMON_MS_PER_S 1000u

int worker_daemon_prepare(struct worker *w, struct service *svc)
{
	struct worker_daemon *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	d->w = w;
	d->notify_watch.fd = d->main_fd = d->main_watch.fd = -1;
	if (svc->cfg->ready == SERVICE_READY_NOTIFY) {
		/* The child reads the name from its environment until it execs. */
		d->notify_watch.fd = notifysock_open(svc->notify_name, NOTIFYSOCK_NAME_BYTES);
		if (d->notify_watch.fd < 0) {
			int saved = errno;
			free(d);
			errno = saved;
			return -1;
		}
	}
	w->daemon = d;
	return 0;
}

static void worker_daemon_unwatch(struct event_loop *loop, struct event_watch *ew)
{
	int fd = ew->fd;

	if (fd < 0)
		return;
	if (ew->cb != NULL)
		event_del(loop, ew);
	ew->fd = -1;
	close(fd);
}

void worker_daemon_unwatch_main(struct worker *w)
{
	struct worker_daemon *d = w->daemon;

	if (d == NULL)
		return;
	worker_daemon_unwatch(&w->svc->m->loop, &d->main_watch);
	d->main_fd = -1;
}

void worker_daemon_close(struct worker *w)
{
	struct worker_daemon *d = w->daemon;

	if (d == NULL)
		return;
	worker_daemon_unwatch(&w->svc->m->loop, &d->notify_watch);
	worker_daemon_unwatch_main(w);
}

void worker_daemon_free(struct worker *w)
{
	struct worker_daemon *d = w->daemon;

	if (d == NULL)
		return;
	/* A launch that failed never had them watched. */
	if (d->notify_watch.fd >= 0 && d->notify_watch.cb == NULL)
		close(d->notify_watch.fd);
	free(d);
	w->daemon = NULL;
}

void worker_daemon_ready(struct worker *w, uint64_t now_ms)
{
	struct worker_daemon *d = w->daemon;

	d->ready_ms = d->alive_ms = now_ms;
	worker_set_state(w, POLICY_IDLE, now_ms);
	log_debug("service %s: worker %ld is ready (ready=%s)", w->svc->cfg->name,
		  (long)w->pid, w->svc->cfg->set.ready);
}

static void worker_daemon_at(uint64_t t, uint64_t *next_ms)
{
	if (t < *next_ms)
		*next_ms = t;
}

enum worker_daemon_due worker_daemon_due(const struct worker *w, uint64_t now_ms,
					 uint64_t *next_ms)
{
	const struct worker_daemon *d = w->daemon;
	const struct service_config *c = w->svc->cfg;

	if (d == NULL || w->reaped)
		return WORKER_DAEMON_NOTHING;
	if (d->paused_until_ms != 0) {
		if (now_ms >= d->paused_until_ms)
			return WORKER_DAEMON_RESUME;
		worker_daemon_at(d->paused_until_ms, next_ms);
	}
	if (w->phase >= WORKER_STOPPING)
		return WORKER_DAEMON_NOTHING;
	if (d->ready_ms == 0) {
		if (c->ready != SERVICE_READY_EXEC || w->phase != WORKER_SERVING)
			return WORKER_DAEMON_NOTHING; /* startup_timeout's */
		uint64_t t = w->started_ms + WORKER_DAEMON_SETTLE_MS;
		if (now_ms >= t)
			return WORKER_DAEMON_SETTLED;
		worker_daemon_at(t, next_ms);
		return WORKER_DAEMON_NOTHING;
	}
	if (d->hung)
		return WORKER_DAEMON_HUNG;
	if (c->set.watchdog_timeout_s > 0) {
		uint64_t t = d->alive_ms + (uint64_t)c->set.watchdog_timeout_s * WORKER_DAEMON_MS_PER_S;
		if (now_ms >= t)
			return WORKER_DAEMON_HUNG;
		worker_daemon_at(t, next_ms);
	}
	if (!d->proven) {
		uint64_t t = d->ready_ms + WORKER_DAEMON_PROVEN_MS;
		if (now_ms >= t)
			return WORKER_DAEMON_PROVEN;
		worker_daemon_at(t, next_ms);
	}
	return WORKER_DAEMON_NOTHING;
}

void worker_daemon_pause_notify(struct worker *w, uint64_t now_ms)
{
	struct worker_daemon *d = w->daemon;

	event_set(&w->svc->m->loop, &d->notify_watch, 0);
	d->paused_until_ms = now_ms + WORKER_DAEMON_NOTIFY_PAUSE_MS;
	w->svc->dirty = true; /* the evictor's next deadline: the resume */
}

void worker_daemon_resume_notify(struct worker *w)
{
	struct worker_daemon *d = w->daemon;

	d->paused_until_ms = 0;
	if (d->notify_watch.fd >= 0 && w->phase != WORKER_DYING)
		event_set(&w->svc->m->loop, &d->notify_watch, EPOLLIN);
}

bool worker_daemon_holds(struct worker *w, pid_t pid)
{
	return pid > 0 && (pid == w->pid || contain_leaf_holds(&w->svc->m->contain, &w->leaf, pid));
}

pid_t worker_daemon_successor(struct worker *w, int wstatus)
{
	struct worker_daemon *d = w->daemon;

	/* Leaving anyway: containment ends what it left. */
	if (d == NULL || w->phase >= WORKER_STOPPING)
		return 0;
	if (d->mainpid > 0 && d->mainpid != w->pid) {
		/* Still there, and still its own (not a pid reused elsewhere). */
		return worker_daemon_holds(w, d->mainpid) ? d->mainpid : 0;
	}
	/* The classic double fork: the parent exits 0 once its child runs. */
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
		return 0;
	pid_t next = contain_leaf_oldest(&w->svc->m->contain, &w->leaf);
	return next != w->pid ? next : 0;
}

bool worker_daemon_signal(struct worker *w, int sig)
{
	struct worker_daemon *d = w->daemon;
	int rc = 0;

	if (d == NULL)
		return false;
	/* Its main process alone, as systemd's KillMode=mixed: a daemon stops
	 * its own children (gunicorn's arbiter, whose workers killed under
	 * it would be forked again); SIGKILL goes to the whole leaf too. */
	if (d->main_fd >= 0)
		rc = (int)syscall(SYS_pidfd_send_signal, d->main_fd, sig, NULL, 0);
	else if (sig != SIGKILL)
		rc = kill(w->pid, sig); /* our child, not reaped: its pid is pinned */
	if (rc < 0 && errno != ESRCH)
		log_warn("service %s: signal %d to worker %ld: %m", w->svc->cfg->name, sig,
			 (long)w->pid);
	return sig != SIGKILL;
}

int worker_daemon_stop_signal(const struct worker *w)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "INT", SIGINT }, { "QUIT", SIGQUIT }, { "HUP", SIGHUP },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "WINCH", SIGWINCH },
	};
	const char *name = w->svc->cfg->set.stop_signal;

	for (size_t i = 0; name != NULL && i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(name, sigs[i].name) == 0)
			return sigs[i].sig;
	return SIGTERM;
}
