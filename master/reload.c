/* reload.c - owns reloading (see reload.h): one reload at a time, its
 * configuration read off the loop (reload_load.c), its deadline, its
 * waiting client and a queued SIGHUP; applying the result is
 * reload_plan.c's, the generations reload_gen.c's.
 *
 * Out of memory: never fatal; a reload that cannot start, or whose
 * configuration could not be read or applied for want of memory, is
 * refused with "out of memory" and the old configuration keeps serving. */
#include "reload.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "clock.h"
#include "config_fds.h"
#include "fdlimit.h"
#include "log.h"
#include "master.h"
#include "outbuf.h"
#include "reload_gen.h"
#include "reload_load.h"
#include "reload_plan.h"
#include "sdnotify.h"
#include "service.h"
#include "status.h"

#define RELOAD_MS_PER_S 1000u

static void reload_refuse(struct master *m, struct outbuf *reply, const struct diag *errs)
{
	size_t n = diag_distinct(errs);

	outbuf_printf(reply, "error: configuration in %s has %zu error%s; nothing changed\n",
		      m->cfg.dir, n, n == 1 ? "" : "s");
	log_err("reload refused: configuration in %s has %zu error%s; nothing changed",
		m->cfg.dir, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < errs->n; i++) {
		outbuf_printf(reply, "%s\n", errs->msgs[i]);
		log_err("%s", errs->msgs[i]);
	}
	if (errs->lost > 0) {
		outbuf_printf(reply, "out of memory: %zu more error%s not recorded\n", errs->lost,
			      errs->lost == 1 ? "" : "s");
		log_err("out of memory: %zu more error%s not recorded", errs->lost,
			errs->lost == 1 ? "" : "s");
	}
}

/* The end of a reload for systemd (Type=notify-reload) and the waiter. */
static void reload_answer(struct master *m, int rc)
{
	struct reload *r = &m->reload;
	struct reload_waiter *w = r->waiter;
	char summary[STATUS_SUMMARY_BYTES];

	status_summary(m, summary, sizeof(summary));
	sdnotify_send(&m->notify, "READY=1\nSTATUS=%s%s", rc == 0 ? "" : "reload failed; ",
		      summary);
	r->waiter = NULL;
	if (w != NULL)
		w->done(w);
}

static void reload_loaded(struct event_watch *w, uint32_t revents);

/* Starts reading the configuration; 0, or -1 with the reply written. */
static int reload_start(struct master *m, struct outbuf *reply)
{
	struct reload *r = &m->reload;
	uint64_t now = clock_now_ms();

	r->m = m;
	log_info("reloading the configuration in %s", m->cfg.dir);
	sdnotify_reloading(&m->notify);
	/* The run directory first: made again if removed; if someone else
	 * may write it now, nothing is done (or touched) on its behalf. */
	if (rundir_check(&m->rundir, reply) < 0) {
		outbuf_printf(reply, "error: reload refused; nothing changed\n");
		log_err("reload refused: the run directory is not safe; nothing changed");
		reload_answer(m, -1);
		return -1;
	}
	r->load = reload_load_start(m->cfg.dir, m->overrides);
	if (r->load == NULL ||
	    event_add(&m->loop, &r->watch, reload_load_fd(r->load), EPOLLIN, reload_loaded) < 0) {
		int err = errno;
		reload_load_drop(r->load);
		r->load = NULL;
		outbuf_printf(reply, "error: cannot start reading the configuration: %s; "
			      "nothing changed\n", err == ENOMEM ? "out of memory" : strerror(err));
		log_err("reload failed: cannot start reading the configuration: %s; nothing "
			"changed", err == ENOMEM ? "out of memory" : strerror(err));
		reload_answer(m, -1);
		return -1;
	}
	r->started_ms = now;
	r->deadline_ms = now + (uint64_t)m->cfg.master.reload_timeout_s * RELOAD_MS_PER_S;
	r->timed_out = false;
	return 0;
}

/* Why a new reload cannot start while one runs, in reply and the log. */
static void reload_busy(struct master *m, struct outbuf *reply, const char *who)
{
	struct reload *r = &m->reload;
	uint64_t ago_ms = clock_now_ms() - r->started_ms;

	if (r->timed_out) {
		outbuf_printf(reply, "error: the reload that timed out is still running after "
			      "%llu s (a file or a lookup that does not answer): reloads are "
			      "refused until it ends; nothing changed\n",
			      (unsigned long long)(ago_ms / RELOAD_MS_PER_S));
		log_warn("%s refused: the reload that timed out is still running", who);
	} else {
		outbuf_printf(reply, "error: a reload is already in progress (for %llu ms); "
			      "nothing changed\n", (unsigned long long)ago_ms);
		log_warn("%s refused: a reload is already in progress", who);
	}
}

int reload_request(struct master *m, struct reload_waiter *w)
{
	struct reload *r = &m->reload;

	if (m->stopping) {
		outbuf_printf(w->reply, "error: the master is stopping\n");
		log_warn("reload ignored: the master is stopping");
		return 0;
	}
	if (r->load != NULL) {
		reload_busy(m, w->reply, "reload");
		return 0;
	}
	if (reload_start(m, w->reply) < 0)
		return 0;
	r->waiter = w;
	w->deadline_ms = r->deadline_ms;
	return 1;
}

int reload_apply(struct master *m, struct outbuf *reply)
{
	struct reload *r = &m->reload;

	if (m->stopping) {
		outbuf_printf(reply, "error: the master is stopping\n");
		log_warn("reload ignored: the master is stopping");
		return -1;
	}
	if (r->load != NULL && !r->timed_out) {
		/* The files may have changed since that read began. */
		r->again = true;
		log_info("SIGHUP during a reload: another reload follows it");
		return 0;
	}
	if (r->load != NULL) {
		reload_busy(m, reply, "SIGHUP");
		return -1;
	}
	return reload_start(m, reply);
}

void reload_forget(struct master *m, const struct reload_waiter *w)
{
	if (m->reload.waiter == w)
		m->reload.waiter = NULL;
}

void reload_on_applied(struct master *m, void (*fn)(void *arg, const struct config *cfg),
		       void *arg)
{
	m->reload.applied = fn;
	m->reload.applied_arg = arg;
}

/* The most fds the generations still draining from earlier reloads may
 * hold: each at its service's maximum (config_fds.h). */
static unsigned long long reload_draining_fds(const struct master *m)
{
	unsigned long long n = 0;

	for (const struct service *svc = m->draining; svc != NULL; svc = svc->next)
		n += config_fds_service(svc->cfg);
	return n;
}

/* Both generations hold workers during the handover: room for both
 * (config_fds.h), and for the generations earlier reloads left draining.
 * Those are what a burst of reloads piles up while workers take their
 * time to leave (an adversarial run: 20 reloads, 169 workers of a
 * maxproc 8 service, the master's fds exhausted and other services'
 * launches failing): past what the host allows, a reload is refused
 * until they are gone. The new one alone fits: config_load checked it. */
static int reload_fd_limit(struct master *m, struct config *nc, struct outbuf *reply)
{
	unsigned long long draining = reload_draining_fds(m);
	unsigned long long want = config_fds_target(&m->cfg, nc) + draining;
	unsigned long long most;
	const char *source;

	if (draining > 0 && fdlimit_max(&most, &source) == 0 && want > most) {
		outbuf_printf(reply, "error: the generations earlier reloads left draining may "
			      "hold %llu file descriptors: with this reload the master would need "
			      "%llu, more than the %llu %s allows; nothing changed (again once "
			      "they are gone: status shows them)\n", draining, want, most, source);
		log_err("reload refused: generations still draining may hold %llu fds, %llu in "
			"all with this one, more than the %llu %s allows", draining, want, most,
			source);
		config_free(nc);
		return -1;
	}
	int rc = fdlimit_raise(want);

	if (rc > 0)
		log_warn("reload: RLIMIT_NOFILE is at the most this host allows, short of the %llu "
			 "fds both generations may hold during the handover", want);
	if (rc >= 0)
		return 0;
	/* Not even the new configuration's own need could be had. */
	if (config_fds_need(nc) <= config_fds_need(&m->cfg))
		return 0;
	outbuf_printf(reply, "error: cannot raise RLIMIT_NOFILE to %llu: %s; nothing changed\n",
		      want, strerror(errno));
	log_err("reload refused: cannot raise RLIMIT_NOFILE to %llu: %s; nothing changed", want,
		strerror(errno));
	config_free(nc);
	return -1;
}

/* The reader is done: its result applied (or dropped if it timed out). */
static void reload_loaded(struct event_watch *w, uint32_t revents)
{
	struct reload *r = EVENT_OWNER(w, struct reload, watch);
	struct master *m = r->m;
	struct outbuf own = { 0 };
	struct outbuf *reply = r->waiter != NULL ? r->waiter->reply : &own;
	struct diag errs = { 0 };
	struct config nc;

	if (!reload_load_done(r->load))
		return;
	int rc = reload_load_take(r->load, &nc, &errs);
	uint64_t took_ms = clock_now_ms() - r->started_ms;
	event_del(&m->loop, &r->watch);
	reload_load_drop(r->load);
	r->load = NULL;
	if (r->timed_out) {
		log_warn("the reload that timed out ended after %llu ms: its result is dropped; "
			 "reloads are accepted again", (unsigned long long)took_ms);
		config_free(&nc);
		diag_free(&errs);
		r->timed_out = false;
		return;
	}
	log_debug("reload: configuration read in %llu ms", (unsigned long long)took_ms);
	if (m->stopping) {
		outbuf_printf(reply, "error: the master is stopping; nothing changed\n");
		config_free(&nc);
		rc = -1;
	} else if (rc < 0) {
		reload_refuse(m, reply, &errs);
	} else if ((rc = reload_fd_limit(m, &nc, reply)) == 0 &&
		   (rc = reload_plan_apply(m, &nc, reply)) == 0) {
		m->reloads++;
		if (r->applied != NULL)
			r->applied(r->applied_arg, &m->cfg);
	}
	diag_free(&errs);
	reload_answer(m, rc);
	outbuf_free(&own);
	if (r->again && !m->stopping) {
		r->again = false;
		log_info("reloading again: a SIGHUP came during that reload");
		reload_start(m, &own);
		outbuf_free(&own);
	}
}

/* Past reload_timeout: refused; the thread is left to end on its own. */
static void reload_expire(struct master *m)
{
	struct reload *r = &m->reload;
	struct outbuf own = { 0 };
	struct outbuf *reply = r->waiter != NULL ? r->waiter->reply : &own;

	r->timed_out = true;
	r->again = false;
	outbuf_printf(reply, "error: reading the configuration in %s took longer than "
		      "reload_timeout (%u s): a file or a host, user or group lookup does not "
		      "answer; nothing changed; reloads are refused until that read ends\n",
		      m->cfg.dir, m->cfg.master.reload_timeout_s);
	log_err("reload refused: reading the configuration in %s took longer than "
		"reload_timeout (%u s); nothing changed; reloads are refused until that read "
		"ends", m->cfg.dir, m->cfg.master.reload_timeout_s);
	reload_answer(m, -1);
	outbuf_free(&own);
}

uint64_t reload_tick(struct master *m, uint64_t now_ms)
{
	struct reload *r = &m->reload;
	uint64_t next = reload_plan_tick(m, now_ms);

	if (r->load == NULL || r->timed_out)
		return next;
	if (now_ms >= r->deadline_ms) {
		reload_expire(m);
		return next;
	}
	return r->deadline_ms < next ? r->deadline_ms : next;
}

void reload_fini(struct master *m)
{
	struct reload *r = &m->reload;

	if (r->load != NULL) {
		event_del(&m->loop, &r->watch);
		reload_load_drop(r->load); /* a thread still reading frees it */
		r->load = NULL;
	}
	r->waiter = NULL;
	reload_gen_free_all(&m->generations);
}
