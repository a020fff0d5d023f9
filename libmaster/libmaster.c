/* libmaster.c - the worker side of the master: the loop a C service links to.
 *
 * Owns the worker's half of the contract in DESIGN.md: the shared loop
 * that takes requests, and when to report on the status channel. What the
 * master set up is read by libmaster_setup.c, what a request is for each
 * service type is libmaster_type.c's, and what is sent, and how,
 * libmaster_status.c's. All state lives in one struct on libmaster_run()'s
 * stack, so nothing survives a call.
 *
 * This is on the benchmark hot path. A run of requests begins with "busy".
 * After each request the worker takes the next client already waiting
 * (or, when none was waiting the last time, goes straight to its wait),
 * or lingers for one until a report is due (LIBMASTER_REPORT_MS after the
 * last); the requests of a run are counted and reported together ("next
 * N", or "spare N" when it waited for one: capacity to spare) at most
 * every LIBMASTER_REPORT_MS, when the channel is also looked at for a
 * "stop". A run ends with "idle" once nothing came while it lingered (and
 * at its first gap past LIBMASTER_RUN_IDLE_MS). Under load, steady or
 * not, a request costs the accept (or the epoll wait and the accept) and
 * a clock read of the vDSO, not a message; the master's max_busy counts
 * from the last report, at most LIBMASTER_REPORT_MS before a request
 * began. Nothing is allocated per request. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "libmaster.h"
#include "libmaster_log.h"
#include "libmaster_relro.h"
#include "libmaster_setup.h"
#include "libmaster_status.h"
#include "libmaster_type.h"
#include "protocol.h"

#define LIBMASTER_EVENTS_MAX 16         /* epoll events taken per wait */
#define LIBMASTER_CONTINUE LIBMASTER_STATUS_OPEN /* "keep looping", not an exit status */
#define LIBMASTER_SERVED (-2)           /* "keep looping": served, said "idle" */
#define LIBMASTER_TAKEN (-3)            /* libmaster_linger: a request came */
/* A run of requests this old says "idle" at its next gap instead of
 * lingering: status and max_idle see an idle worker that late at most. */
#define LIBMASTER_RUN_IDLE_MS 100u
#define LIBMASTER_NS_PER_MS 1000000ull
/* An epoll wait this long slept until a client came; a client already
 * queued makes it return in a few microseconds. */
#define LIBMASTER_WAITED_NS 20000u

struct libmaster {
	const char *service;    /* for messages */
	struct libmaster_status st;
	unsigned long max_use;  /* 0: unlimited */
	unsigned long served;
	bool expect_wait;       /* none was waiting last time: wait, no trial take */
	int epoll_fd;
	libmaster_handler handler;
	void *ctx;
	struct libmaster_types types; /* what a request is (libmaster_type.h) */
};

/* Takes the next request without blocking: 1, 0 (none waits), or -1
 * after logging why (the worker retires: a fresh process is the cure for
 * EMFILE and the like, and the master forks one). */
static int libmaster_take(struct libmaster *lm, int listen_fd, struct libmaster_request *req)
{
	char why[LIBMASTER_TYPE_WHY_BYTES];
	int rc = libmaster_type_take(&lm->types, listen_fd, req, why, sizeof(why));

	if (rc < 0)
		libmaster_log(lm->service, "%s; retiring", why);
	else if (why[0] != '\0')
		libmaster_log(lm->service, "%s", why); /* a dropped datagram */
	return rc;
}

/* Serves one request: the handler gets what libmaster_type_open() made of
 * it (no call if that failed: the request still counts, it was "busy"). */
static void libmaster_handle(struct libmaster *lm, struct libmaster_request *req)
{
	char why[LIBMASTER_TYPE_WHY_BYTES];

	if (libmaster_type_open(&lm->types, req, why, sizeof(why)) < 0)
		libmaster_log(lm->service, "%s", why);
	else
		lm->handler(req->handler_fd, lm->ctx);
	libmaster_type_done(&lm->types, req);
}

/* Reads the status channel if it is among the events of one wait, before
 * any listener's: a "stop" that arrives together with a connection wins,
 * and the connection goes to a sibling instead. Returns
 * LIBMASTER_CONTINUE, or the exit status ("stop", the master gone). */
static int libmaster_channel_first(struct libmaster *lm, const struct epoll_event *events,
				   int n)
{
	for (int i = 0; i < n; i++)
		if (events[i].data.fd == lm->st.fd)
			return libmaster_status_check(&lm->st);
	return LIBMASTER_CONTINUE;
}

/* Lingers after a request for the next one instead of saying "idle" at
 * once: until a report is due (LIBMASTER_REPORT_MS after the last one),
 * and only in a run younger than LIBMASTER_RUN_IDLE_MS, so that "idle"
 * (what status and max_idle see) still comes at least that often. Returns
 * LIBMASTER_TAKEN with *req taken (from *listen_fd, now the listener it
 * came from) and *waited telling whether the wait slept until it came
 * (else it was queued already), LIBMASTER_CONTINUE when nothing came (say
 * "idle"), or the exit status (the master said "stop" or went away; a
 * failed take). */
static int libmaster_linger(struct libmaster *lm, uint64_t run_ns, int *listen_fd,
			    struct libmaster_request *req, bool *waited)
{
	struct epoll_event events[LIBMASTER_EVENTS_MAX];
	uint64_t begin_ns = libmaster_status_now_ns(), now_ns = begin_ns;

	if (begin_ns - run_ns >= LIBMASTER_RUN_IDLE_MS * LIBMASTER_NS_PER_MS)
		return LIBMASTER_CONTINUE;
	for (;;) {
		int wait_ms = libmaster_status_due_in_ms(&lm->st, now_ns);
		int n, rc;

		if (wait_ms == 0)
			return LIBMASTER_CONTINUE;
		n = epoll_wait(lm->epoll_fd, events, LIBMASTER_EVENTS_MAX, wait_ms);
		if (n < 0 && errno != EINTR)
			return LIBMASTER_CONTINUE; /* the wait in libmaster_loop logs it */
		now_ns = libmaster_status_now_ns();
		*waited = now_ns - begin_ns >= LIBMASTER_WAITED_NS;
		rc = libmaster_channel_first(lm, events, n);
		if (rc != LIBMASTER_CONTINUE)
			return rc;
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == lm->st.fd)
				continue;
			rc = libmaster_take(lm, events[i].data.fd, req);
			if (rc < 0)
				return 1; /* logged: retire */
			if (rc == 1) {
				*listen_fd = events[i].data.fd;
				return LIBMASTER_TAKEN;
			}
		}
	}
}

/* Takes and serves at most one request, and those that come while it
 * serves and lingers. Returns LIBMASTER_CONTINUE (nothing taken),
 * LIBMASTER_SERVED (served, now idle) or the exit status. */
static int libmaster_serve(struct libmaster *lm, int listen_fd)
{
	struct libmaster_request req;
	int rc = libmaster_take(lm, listen_fd, &req);
	uint64_t run_ns;

	if (rc <= 0)
		return rc < 0 ? 1 : LIBMASTER_CONTINUE;
	libmaster_status_say(&lm->st, PROTOCOL_BUSY);
	run_ns = lm->st.said_ns;
	for (;;) {
		bool last = lm->max_use != 0 && lm->served + 1 >= lm->max_use;

		if (last) { /* let the master start our successor while we serve */
			libmaster_status_report(&lm->st);
			libmaster_status_say(&lm->st, PROTOCOL_RETIRING);
		}
		libmaster_handle(lm, &req);
		lm->served++;
		if (last || lm->st.master_gone) {
			libmaster_status_report(&lm->st);
			return 0;
		}
		/* A "stop" that came during the run: do not take another
		 * client only to leave at once. Looked for when a report is
		 * due, not after each request (a syscall that nearly always
		 * finds nothing): a stopped worker serves at most
		 * LIBMASTER_REPORT_MS more of clients that were already
		 * waiting, then stops at the first gap (libmaster_loop). */
		bool due = libmaster_status_due(&lm->st);
		if (due) {
			rc = libmaster_status_check(&lm->st);
			if (rc != LIBMASTER_CONTINUE) {
				libmaster_status_report(&lm->st);
				return rc;
			}
		}
		/* Another request already waiting: serve it straight away,
		 * counted, and reported with those before it when due (one
		 * "next N" per LIBMASTER_REPORT_MS under load, not one message
		 * per request). None: linger for one (a "spare N" then says we
		 * waited for it), else say "idle" and go back to the epoll
		 * wait, which sorts out errors too. When none was waiting the
		 * last time, the trial take is skipped and the linger's wait
		 * answers instead (measured: a failed accept before each wait
		 * cost a quarter more CPU per request, docs/bench.md); it tells
		 * whether it slept. Not when the run would end: "idle" is said
		 * only after a look at the queue. */
		rc = lm->expect_wait && !due ? 0 : libmaster_take(lm, listen_fd, &req);
		if (rc == 0) {
			bool waited = true;
			rc = libmaster_linger(lm, run_ns, &listen_fd, &req, &waited);
			lm->expect_wait = true;
			if (rc == LIBMASTER_CONTINUE)
				break;
			if (rc != LIBMASTER_TAKEN) {
				libmaster_status_report(&lm->st);
				return rc;
			}
			lm->expect_wait = waited;
			lm->st.spare |= waited;
		} else if (rc < 0) {
			break; /* logged; the epoll wait sorts it out */
		}
		lm->st.unreported++;
		if (due)
			libmaster_status_report(&lm->st);
	}
	/* No look at the channel before "idle" (a recv that nearly always
	 * finds nothing: one syscall in nine of a request after a pause).
	 * A "stop" that came meanwhile makes the epoll wait return at once,
	 * and libmaster_loop reads the channel before it takes a client, so
	 * no client is taken after a stop. The "idle" a stopped worker sends
	 * is not capacity: the master counts it by its phase (stopping). */
	libmaster_status_report(&lm->st);
	libmaster_status_say(&lm->st, PROTOCOL_IDLE);
	return lm->st.master_gone ? 0 : LIBMASTER_SERVED;
}

static int libmaster_loop(struct libmaster *lm)
{
	struct epoll_event events[LIBMASTER_EVENTS_MAX];

	for (;;) {
		int n = epoll_wait(lm->epoll_fd, events, LIBMASTER_EVENTS_MAX, -1);
		int rc;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			libmaster_log(lm->service, "epoll_wait: %m");
			return 1;
		}
		rc = libmaster_channel_first(lm, events, n);
		if (rc != LIBMASTER_CONTINUE)
			return rc;
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == lm->st.fd)
				continue;
			rc = libmaster_serve(lm, events[i].data.fd);
			/* Served: wait again before another listener's event of
			 * this batch, so a "stop" that came meanwhile is read
			 * first (level-triggered: the skipped ones come back). */
			if (rc == LIBMASTER_SERVED)
				break;
			if (rc != LIBMASTER_CONTINUE)
				return rc;
		}
	}
}

int libmaster_run(libmaster_handler handler, void *ctx)
{
	struct libmaster lm = {
		.service = getenv(PROTOCOL_ENV_SERVICE),
		.st.fd = -1,
		.epoll_fd = -1,
		.handler = handler,
		.ctx = ctx,
	};
	struct libmaster_env env;
	struct sigaction sa = { .sa_handler = SIG_IGN };
	char why[160];
	int rc = 1;

	if (lm.service == NULL || lm.service[0] == '\0')
		lm.service = program_invocation_short_name;
	lm.st.service = lm.service;
	/* Not dumpable: another process of our uid (a sibling a client took
	 * over, a command spawn runs for a client) may signal us, but not
	 * trace us, read our memory, or take our fds with pidfd_getfd (the
	 * listening socket, the status channel): an adversarial run had a
	 * spawn command answer the next clients on spawn's socket. Root
	 * (CAP_SYS_PTRACE) still may; a core dump needs suid_dumpable. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		libmaster_log(lm.service, "not dumpable: %s", strerror(errno));
	/* A client that vanishes mid-reply must cost an EPIPE, not the
	 * worker and every request it would still have served. */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);

	if (handler == NULL) {
		libmaster_log(lm.service, "no handler");
		return 1;
	}
	if (libmaster_relro_protect(why, sizeof(why)) < 0) {
		libmaster_log(lm.service, "%s", why);
		return 1;
	}
	if (libmaster_setup_env(lm.service, &env) < 0 ||
	    libmaster_setup_fds(lm.service, &env, &lm.types, &lm.epoll_fd) < 0)
		goto out;
	lm.st.fd = env.status_fd;
	lm.max_use = env.max_use;
	libmaster_status_say(&lm.st, PROTOCOL_READY);
	rc = lm.st.master_gone ? 0 : libmaster_loop(&lm);
out:
	if (lm.epoll_fd >= 0)
		(void)close(lm.epoll_fd);
	libmaster_type_free(&lm.types);
	return rc;
}
