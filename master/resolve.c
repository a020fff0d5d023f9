/* resolve.c - owns the resolver process (see resolve.h): starting it on
 * a copy of the master, its life (a request, getaddrinfo, an answer, until
 * the end of the stream), the deadline, killing and reaping it.
 *
 * Nothing here is fatal. Out of memory in the resolver ends it (the load
 * gets "the resolver process died"); in the caller, resolve_start() fails
 * with errno. */
#include "resolve.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "copyproc.h"

#define RESOLVE_MS_PER_S 1000u
#define RESOLVE_NS_PER_MS 1000000u

struct resolve_request {
	uint8_t has_host;
	char host[NI_MAXHOST];
	char port[NI_MAXSERV];
};

/* The answer on the wire: the header, then n addresses. */
struct resolve_reply {
	int32_t gai;      /* getaddrinfo's result */
	int32_t err;      /* errno, for EAI_SYSTEM */
	uint32_t more;    /* addresses past RESOLVE_MAX_ADDRS were left out */
	struct resolve_answer ans;
};

/* The monotonic clock (config_lib has no clock.c: masterctl links it). */
static uint64_t resolve_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * RESOLVE_MS_PER_S + (uint64_t)ts.tv_nsec / RESOLVE_NS_PER_MS;
}

/* getaddrinfo with the listening hints into rep. */
static void resolve_run(const char *host, const char *port, int flags, struct resolve_reply *rep)
{
	/* AI_PASSIVE: with no host, the wildcard addresses (0.0.0.0 and ::).
	 * No AI_ADDRCONFIG: at boot it would drop the very addresses that
	 * freebind=yes is for. */
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | flags };
	struct addrinfo *res = NULL;

	memset(rep, 0, offsetof(struct resolve_reply, ans.a));
	rep->gai = getaddrinfo(host, port, &hints, &res);
	rep->err = rep->gai == EAI_SYSTEM ? errno : 0;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(rep->ans.a[0].sa))
			continue;
		if (rep->ans.n == RESOLVE_MAX_ADDRS) {
			rep->more = 1;
			break;
		}
		rep->ans.a[rep->ans.n].len = (uint32_t)ai->ai_addrlen;
		memcpy(&rep->ans.a[rep->ans.n++].sa, ai->ai_addr, ai->ai_addrlen);
	}
	if (res != NULL)
		freeaddrinfo(res);
}

static size_t resolve_reply_bytes(const struct resolve_reply *rep)
{
	return offsetof(struct resolve_reply, ans.a) + rep->ans.n * sizeof(rep->ans.a[0]);
}

/* The resolver's life, in its copy of the master (copyproc.c: only its
 * socket open, no core). */
__attribute__((noreturn)) static void resolve_main(int fd)
{
	struct resolve_request req;
	static struct resolve_reply rep; /* not on the copied stack: 9K */
	ssize_t k;

	/* Stuck in a lookup when the master dies: ended with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while ((k = recv(fd, &req, sizeof(req), 0)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k != (ssize_t)sizeof(req))
			_exit(1);
		req.host[sizeof(req.host) - 1] = req.port[sizeof(req.port) - 1] = '\0';
		resolve_run(req.has_host ? req.host : NULL, req.port, 0, &rep);
		if (send(fd, &rep, resolve_reply_bytes(&rep), MSG_NOSIGNAL) < 0)
			_exit(1);
	}
	_exit(0); /* no atexit handler, no flush of the stdio buffers it copied */
}

void resolve_init(struct resolver *r, bool may_start)
{
	memset(r, 0, sizeof(*r));
	r->pid = -1;
	r->fd = -1;
	r->may_start = may_start;
}

int resolve_start(struct resolver *r)
{
	return copyproc_start(SOCK_SEQPACKET, resolve_main, &r->pid, &r->fd);
}

void resolve_end(struct resolver *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->pid < 0)
		return;
	/* Idle, it would exit at the end of the stream; stuck in a lookup,
	 * only this ends it. Either way the wait below is short. */
	kill(r->pid, SIGKILL);
	copyproc_wait(r->pid);
	r->pid = -1;
}

/* Ends the resolver for the rest of the load, with why. */
static int resolve_fail(struct resolver *r, char *why, size_t whysize, const char *msg)
{
	snprintf(r->failed, sizeof(r->failed), "%s", msg);
	snprintf(why, whysize, "%s", r->failed);
	resolve_end(r);
	return -1;
}

/* The answer to req within the deadline, into rep. 0, or -1 (why). */
static int resolve_ask(struct resolver *r, const struct resolve_request *req, unsigned timeout_s,
		       struct resolve_reply *rep, char *why, size_t whysize)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	ssize_t k;
	int n;

	if (send(r->fd, req, sizeof(*req), MSG_NOSIGNAL) < 0)
		return resolve_fail(r, why, whysize, "the resolver process died");
	for (;;) {
		uint64_t now = resolve_now_ms();
		uint64_t left = r->deadline_ms > now ? r->deadline_ms - now : 0;
		if (left == 0) {
			char msg[RESOLVE_WHY_BYTES];
			snprintf(msg, sizeof(msg), "no answer within resolve_timeout (%u s), "
				 "which the host names of one load share", timeout_s);
			return resolve_fail(r, why, whysize, msg);
		}
		n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0 || (n < 0 && errno != EINTR))
			break;
	}
	while ((k = recv(r->fd, rep, sizeof(*rep), 0)) < 0 && errno == EINTR)
		;
	if (k < (ssize_t)offsetof(struct resolve_reply, ans.a) ||
	    (size_t)k != resolve_reply_bytes(rep) || rep->ans.n > RESOLVE_MAX_ADDRS)
		return resolve_fail(r, why, whysize, "the resolver process died");
	return 0;
}

int resolve_lookup(struct resolver *r, const char *host, const char *port, unsigned timeout_s,
		   struct resolve_answer *ans, char *why, size_t whysize)
{
	struct resolve_reply rep;
	struct resolve_request req = { .has_host = host != NULL };

	/* A number needs no lookup: converted here, never timed out. */
	resolve_run(host, port, AI_NUMERICHOST | AI_NUMERICSERV, &rep);
	if (rep.gai != 0) {
		if (r->failed[0] != '\0') {
			snprintf(why, whysize, "not looked up: %s", r->failed);
			return -1;
		}
		if ((host != NULL && strlen(host) >= sizeof(req.host)) ||
		    strlen(port) >= sizeof(req.port)) {
			snprintf(why, whysize, "name too long");
			return -1;
		}
		if (r->pid < 0 && (!r->may_start || resolve_start(r) < 0)) {
			snprintf(why, whysize, "no resolver process: %s",
				 r->may_start ? strerror(errno) : "not started");
			return -1;
		}
		if (r->deadline_ms == 0)
			r->deadline_ms = resolve_now_ms() + (uint64_t)timeout_s * RESOLVE_MS_PER_S;
		if (host != NULL)
			memcpy(req.host, host, strlen(host) + 1);
		memcpy(req.port, port, strlen(port) + 1);
		if (resolve_ask(r, &req, timeout_s, &rep, why, whysize) < 0)
			return -1;
	}
	if (rep.gai != 0) {
		snprintf(why, whysize, "%s", rep.gai == EAI_SYSTEM ? strerror(rep.err)
			 : gai_strerror(rep.gai));
		return -1;
	}
	if (rep.more) {
		snprintf(why, whysize, "more than %d addresses", RESOLVE_MAX_ADDRS);
		return -1;
	}
	ans->n = rep.ans.n;
	memcpy(ans->a, rep.ans.a, rep.ans.n * sizeof(ans->a[0]));
	return 0;
}
