/* service_mend.c - owns mending a listening socket that a process holding
 * it shut down (see service.h). A hang-up on a listening socket: a worker
 * (it is theirs to accept on) shut it down. Reported even to a paused
 * watch, so left alone it would spin the loop (an adversarial run: the
 * master at 90-96% of a CPU, the port refusing every client, `status
 * --check` ok). An inet socket is mended by binding and listening again,
 * at most SERVICE_MEND_MAX times a window (a worker that keeps shutting it
 * costs the master that much, and the log that many lines); beyond that,
 * or for a socket that cannot be mended, the watch is dropped and the
 * service reported (status --check) until a reload makes a new one.
 *
 * The bind and listen take the socket's lock, which a worker can hold
 * through a fault it makes last (offloop.h): they run on a job thread,
 * the socket's watch paused meanwhile (EPOLLONESHOT: a hang-up is
 * reported at most once more), and the pool's turn looks for the result
 * every SERVICE_MEND_POLL_MS. Nothing here is fatal. */
#include "service.h"

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "clock.h"
#include "config_addr.h"
#include "log.h"
#include "master.h"
#include "offloop.h"
#include "ratelimit.h"

#define SERVICE_MEND_MAX 10u             /* a shut socket listened on again, */
#define SERVICE_MEND_WINDOW_MS 60000u    /* at most this often */
#define SERVICE_MEND_POLL_MS 20u         /* a mend in flight looked at */

enum service_mend_result {
	SERVICE_MEND_OK,
	SERVICE_MEND_PORT_TAKEN,
	SERVICE_MEND_NO_LISTEN,
	SERVICE_MEND_ELSEWHERE,
};

/* What a mend's job is given (offloop.h: copied into its slot). */
struct service_mend_job {
	struct service_addr addr; /* where it was bound */
	int backlog;
};

static bool service_mend_hung_up_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = 0 };

	return poll(&pfd, 1, 0) != 0 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* On the job's thread (offloop.h): system calls only. Bound again first:
 * a port asked for stays the socket's (EINVAL, it is bound), port 0's was
 * given back (and getsockname() still shows it: no telling), and
 * listen(2) would pick another. */
static int service_mend_call(int fd, const void *arg)
{
	const struct service_mend_job *job = arg;
	struct service_addr now = { .len = sizeof(now.sa) };

	if (bind(fd, (const struct sockaddr *)&job->addr.sa, job->addr.len) < 0 && errno != EINVAL)
		return SERVICE_MEND_PORT_TAKEN;
	if (listen(fd, job->backlog) < 0)
		return SERVICE_MEND_NO_LISTEN;
	if (service_mend_hung_up_now(fd) ||
	    getsockname(fd, (struct sockaddr *)&now.sa, &now.len) < 0 ||
	    config_addr_port(&now) != config_addr_port(&job->addr))
		return SERVICE_MEND_ELSEWHERE;
	return SERVICE_MEND_OK;
}

static const char *service_mend_why(int code)
{
	switch (code) {
	case SERVICE_MEND_PORT_TAKEN: return "its port, given back by the shutdown, is taken";
	case SERVICE_MEND_NO_LISTEN: return "it does not listen again";
	case SERVICE_MEND_ELSEWHERE: return "it does not listen where it did";
	default: return NULL;
	}
}

/* 0: no hang-up after all; 1: *job made; -1: cannot be mended (why). */
static int service_mend_prepare(const struct service_socket *s, struct service_mend_job *job,
				const char **why)
{
	const struct service_config *c = s->svc->cfg;

	*why = NULL;
	if (!service_mend_hung_up_now(s->fd))
		return 0;
	if (c->type != SERVICE_INET || s->made.bound.len == 0) {
		*why = c->type != SERVICE_INET ? "a local socket keeps its shutdown"
			: "where it was bound is not known";
		return -1;
	}
	*job = (struct service_mend_job){ .addr = s->made.bound,
					  .backlog = (int)c->set.listen_backlog };
	return 1;
}

static void service_mend_give_up(struct service_socket *s, const char *why)
{
	const struct service_config *c = s->svc->cfg;

	event_del(&s->svc->m->loop, &s->demand_watch);
	s->shut = true;
	log_err("service %s: %s was shut down by a process holding it (a worker)%s%s: no client "
		"reaches it until `masterctl reload` makes a new one", c->name, s->addr,
		why != NULL ? ": " : ", too often to mend", why != NULL ? why : "");
}

void service_mend_hung_up(struct service_socket *s)
{
	const struct service_config *c = s->svc->cfg;
	uint64_t now = clock_now_ms();
	struct service_mend_job job;
	const char *why = NULL;
	char err[128];
	int rc;

	if (s->mending)
		return; /* the once more of a paused watch */
	rc = service_mend_prepare(s, &job, &why);
	if (rc == 0)
		return; /* no hang-up after all */
	if (rc < 0) {
		service_mend_give_up(s, why);
		return;
	}
	if (!ratelimit_window_take(&s->mends, SERVICE_MEND_MAX, SERVICE_MEND_WINDOW_MS, now)) {
		service_mend_give_up(s, NULL);
		return;
	}
	if (!offloop_run(&s->mend, s->fd, service_mend_call, &job, sizeof(job), err,
			 sizeof(err))) {
		service_mend_give_up(s, "no thread to mend it on");
		log_err("service %s: %s: %s", c->name, s->addr, err);
		return;
	}
	s->mending = true;
	event_set(&s->svc->m->loop, &s->demand_watch, EPOLLONESHOT);
	s->svc->dirty = true; /* the pool's turn looks for the result */
}

uint64_t service_mend_poll(struct service *svc, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS;

	for (size_t i = 0; i < svc->nsocks; i++) {
		struct service_socket *s = &svc->socks[i];
		const char *why;

		if (!s->mending)
			continue;
		if (offloop_busy(s->mend)) {
			next = now_ms + SERVICE_MEND_POLL_MS;
			continue;
		}
		s->mending = false;
		why = service_mend_why(offloop_result(s->mend));
		if (why != NULL) {
			service_mend_give_up(s, why);
			continue;
		}
		log_warn("service %s: %s was shut down by a process holding it (a worker); "
			 "listening again (%u of %u times a minute)", svc->cfg->name, s->addr,
			 ratelimit_window_used(&s->mends), SERVICE_MEND_MAX);
		event_set(&svc->m->loop, &s->demand_watch, svc->demand_armed ? EPOLLIN : 0);
	}
	return next;
}
