/* reload_plan.c - owns applying a loaded configuration (see
 * reload_plan.h): the plan by service identity, phase one (everything that
 * can fail: new services, their sockets opened or borrowed from a donor),
 * phase two (the switch, which cannot fail), the handover of changed
 * services and the freeing of drained ones.
 *
 * Out of memory: never fatal; phase one fails and the reload is refused
 * with "out of memory", the old configuration serving. */
#include "reload_plan.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "confdiff.h"
#include "isolation.h"
#include "log.h"
#include "master.h"
#include "outbuf.h"
#include "pool.h"
#include "reload_donor.h"
#include "reload_gen.h"
#include "service.h"

#define RELOAD_PLAN_RESTART_NAMES_BYTES 128

enum reload_plan_kind { RELOAD_PLAN_UNCHANGED, RELOAD_PLAN_CHANGED, RELOAD_PLAN_ADDED };

/* What becomes of one service of the new configuration. */
struct reload_plan_step {
	const struct service_config *c;
	enum reload_plan_kind kind;
	struct service *old; /* the running service of the same identity, if any */
	struct service *svc; /* changed/added: the new service, not yet committed */
};

static struct service *reload_plan_find(struct service *list, const struct service_config *c)
{
	for (struct service *svc = list; svc; svc = svc->next)
		if (service_same_identity(svc->cfg, c))
			return svc;
	return NULL;
}

static void reload_plan_unlink(struct service **list, struct service *svc)
{
	for (struct service **p = list; *p; p = &(*p)->next)
		if (*p == svc) {
			*p = svc->next;
			svc->next = NULL;
			return;
		}
}

static void reload_plan_push(struct service **list, struct service *svc)
{
	svc->next = *list;
	*list = svc;
}

/* "prefork workers ready": idle or serving, not starting or leaving. */
static bool reload_plan_ready(const struct service *svc)
{
	return svc->n_idle + svc->n_busy >= svc->cfg->set.prefork;
}

static void reload_plan_names(struct outbuf *out, const char *label,
			      const struct reload_plan_step *steps, size_t n,
			      enum reload_plan_kind kind)
{
	bool any = false;

	outbuf_printf(out, "%s:", label);
	for (size_t i = 0; i < n; i++)
		if (steps[i].kind == kind) {
			outbuf_printf(out, " %s", steps[i].c->name);
			any = true;
		}
	outbuf_printf(out, "%s\n", any ? "" : " -");
}

/* log_tap()'s hook while a service is created: its errors, for the reply. */
static void reload_plan_tap(void *arg, const char *text)
{
	diag_add(arg, "%s", text);
}

/* Phase one: everything that can fail. Returns 0, or -1 with every new
 * service freed (borrowed sockets untouched: their owners still serve). */
static int reload_plan_prepare(struct master *m, struct config *nc,
			       struct reload_plan_step *steps, struct outbuf *reply)
{
	bool all_changed = confdiff_master_affects_services(&m->cfg.master, &nc->master);

	for (size_t i = 0; i < nc->nservices; i++) {
		struct reload_plan_step *st = &steps[i];
		st->c = &nc->services[i];
		st->old = reload_plan_find(m->services, st->c);
		if (st->old == NULL)
			st->kind = RELOAD_PLAN_ADDED;
		else if (!all_changed && service_sockets_shut(st->old) == 0 &&
			 confdiff_service_equal(st->old->cfg, st->c))
			st->kind = RELOAD_PLAN_UNCHANGED;
		else
			st->kind = RELOAD_PLAN_CHANGED;
		if (st->kind == RELOAD_PLAN_UNCHANGED)
			continue;
		/* The master settings are copied by what keeps them (isolation):
		 * nc moves into m->cfg at the switch. Sockets an existing
		 * service listens on are borrowed, never bound again. */
		struct service_socket **donors = calloc(st->c->naddrs + 1, sizeof(*donors));
		bool oom = donors == NULL;
		struct diag why = { 0 };
		if (!oom) {
			reload_donors(m, st->c, donors);
			/* Its errors go to the log, and to the client too. */
			log_tap(reload_plan_tap, &why);
			st->svc = service_create(m, &nc->master, st->c, donors);
			log_tap(NULL, NULL);
			free(donors);
		}
		if (st->svc != NULL) {
			diag_free(&why);
			continue;
		}
		outbuf_printf(reply, "error: service %s: cannot open its sockets or prepare its "
			      "workers%s; nothing changed\n", st->c->name,
			      oom ? " (out of memory)" : "");
		for (size_t k = 0; k < why.n; k++)
			outbuf_printf(reply, "%s\n", why.msgs[k]);
		if (why.lost > 0)
			outbuf_printf(reply, "(and %zu more reasons in the master's log)\n", why.lost);
		diag_free(&why);
		log_err("reload failed: service %s could not be created%s; nothing changed",
			st->c->name, oom ? ": out of memory" : "");
		for (size_t j = 0; j < i; j++)
			if (steps[j].svc != NULL)
				service_free(steps[j].svc);
		return -1;
	}
	return 0;
}

/* A service of the running configuration starts draining: it keeps
 * pointing into that configuration, now generation g, and holds a
 * reference to it. One already draining keeps its own generation. */
static void reload_plan_drain(struct master *m, struct service *svc, struct reload_gen *g)
{
	if (svc->gen == NULL) {
		svc->gen = g;
		reload_gen_ref(g);
	}
	reload_plan_push(&m->draining, svc);
}

/* Phase two: cannot fail. The new active list in master.cf order; changed
 * generations hand over, removed ones drain into generation g (the
 * running configuration, which g holds from now on). */
static void reload_plan_switch(struct master *m, struct reload_plan_step *steps, size_t n,
			       struct outbuf *removed, uint64_t now, struct reload_gen *g)
{
	struct service *old_list = m->services, **tail = &m->services;

	m->services = NULL;
	for (size_t i = 0; i < n; i++) {
		struct reload_plan_step *st = &steps[i];
		struct service *svc = st->svc;
		if (st->old != NULL)
			reload_plan_unlink(&old_list, st->old);
		if (st->kind == RELOAD_PLAN_UNCHANGED) {
			svc = st->old;
			svc->cfg = st->c; /* sockets and workers untouched */
			/* but the next launch uses the jail and command this
			 * load opened and checked */
			isolation_follow(svc->iso, st->c);
		} else {
			service_commit(svc);
		}
		if (st->kind == RELOAD_PLAN_CHANGED) {
			/* Counters carry over: one service to the operator. */
			svc->stats = st->old->stats;
			memset(&st->old->stats, 0, sizeof(st->old->stats));
			st->old->handover = true;
			st->old->handover_deadline_ms = now +
				(uint64_t)st->c->set.startup_timeout_s * 1000u;
			/* ready= between protocol and notify|exec flips the
			 * shared sockets' blocking mode (service_commit): the
			 * earlier workers are not left on sockets they do not
			 * expect. They stop now; clients wait in the backlog. */
			if ((st->c->ready == SERVICE_READY_PROTOCOL) !=
			    (st->old->cfg->ready == SERVICE_READY_PROTOCOL)) {
				log_info("service %s: ready=%s -> %s: the earlier generation "
					 "stops now", st->c->name, st->old->cfg->set.ready,
					 st->c->set.ready);
				st->old->handover_deadline_ms = now;
			}
			reload_plan_drain(m, st->old, g);
		}
		svc->next = NULL;
		*tail = svc;
		tail = &svc->next;
	}
	while (old_list != NULL) {
		struct service *svc = old_list;
		old_list = svc->next;
		outbuf_printf(removed, " %s", svc->cfg->name);
		log_info("service %s: removed: draining", svc->cfg->name);
		pool_stop(svc, now);
		reload_plan_drain(m, svc, g);
	}
}

/* old: the master settings just retired, for what takes effect only at
 * restart. */
static void reload_plan_report(struct master *m, struct reload_plan_step *steps, size_t n,
			       struct outbuf *removed, const struct master_settings *old,
			       struct outbuf *reply)
{
	struct outbuf summary = { 0 };
	char restart[RELOAD_PLAN_RESTART_NAMES_BYTES];

	reload_plan_names(&summary, "added", steps, n, RELOAD_PLAN_ADDED);
	if (removed->len > 0)
		outbuf_printf(&summary, "removed:%.*s\n", (int)removed->len, removed->data);
	else
		outbuf_printf(&summary, "removed: -\n");
	reload_plan_names(&summary, "changed", steps, n, RELOAD_PLAN_CHANGED);
	reload_plan_names(&summary, "unchanged", steps, n, RELOAD_PLAN_UNCHANGED);
	if (summary.len > 0)
		outbuf_append(reply, summary.data, summary.len);
	for (char *line = summary.data, *nl; line && (nl = strchr(line, '\n')); line = nl + 1)
		log_info("reload: %.*s", (int)(nl - line), line);
	outbuf_free(&summary);
	if (confdiff_restart_only(old, &m->cfg.master, restart, sizeof(restart)) > 0) {
		outbuf_printf(reply, "note: %s changed: takes effect at restart\n", restart);
		log_warn("reload: %s changed: takes effect at restart", restart);
	}
}

int reload_plan_apply(struct master *m, struct config *nc, struct outbuf *reply)
{
	struct outbuf removed = { 0 };
	uint64_t now = clock_now_ms();
	struct reload_gen *g = reload_gen_new();
	struct reload_plan_step *steps = calloc(nc->nservices + 1, sizeof(*steps));

	if (g == NULL || steps == NULL) {
		outbuf_printf(reply, "error: out of memory; nothing changed\n");
		log_err("reload failed: out of memory; nothing changed");
		goto fail;
	}
	if (reload_plan_prepare(m, nc, steps, reply) < 0)
		goto fail;
	reload_gen_hold(&m->generations, g, &m->cfg);
	reload_plan_switch(m, steps, nc->nservices, &removed, now, g);
	m->cfg = *nc;
	*nc = (struct config){ 0 };
	for (size_t i = 0; i < m->cfg.nservices; i++)
		if (steps[i].kind != RELOAD_PLAN_UNCHANGED)
			pool_start(steps[i].svc, now);
	reload_plan_report(m, steps, m->cfg.nservices, &removed, &g->cfg.master, reply);
	/* The switch's own reference: the last one if nothing drains. */
	reload_gen_unref(g);
	outbuf_free(&removed);
	free(steps);
	return 0;
fail:
	config_free(nc);
	if (g != NULL)
		reload_gen_discard(g);
	free(steps);
	return -1;
}

static void reload_plan_fold_stats(struct service_stats *to, const struct service_stats *from)
{
	to->requests += from->requests;
	to->spawned += from->spawned;
	to->crashed += from->crashed;
	to->killed += from->killed;
	to->launch_failed += from->launch_failed;
	to->start_failures += from->start_failures;
	to->maxproc_reached += from->maxproc_reached;
}

uint64_t reload_plan_tick(struct master *m, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS;
	struct service **p = &m->draining;

	for (struct service *svc = m->draining; svc; svc = svc->next) {
		if (!svc->handover)
			continue;
		struct service *succ = reload_plan_find(m->services, svc->cfg);
		if (succ != NULL && !reload_plan_ready(succ) && now_ms < svc->handover_deadline_ms) {
			next = svc->handover_deadline_ms < next ? svc->handover_deadline_ms : next;
			continue;
		}
		log_info("service %s: %s: the earlier generation drains", svc->cfg->name,
			 succ == NULL ? "removed" : reload_plan_ready(succ) ? "new workers ready"
			 : "new workers not ready within startup_timeout");
		svc->handover = false;
		pool_stop(svc, now_ms);
	}
	while (*p) {
		struct service *svc = *p;
		if (svc->handover || !svc->stopping || !list_empty(&svc->workers)) {
			p = &svc->next;
			continue;
		}
		*p = svc->next;
		struct service *succ = reload_plan_find(m->services, svc->cfg);
		if (succ != NULL)
			reload_plan_fold_stats(&succ->stats, &svc->stats);
		log_debug("service %s: earlier generation gone", svc->cfg->name);
		struct reload_gen *g = svc->gen; /* svc->cfg points into it */
		service_free(svc);
		if (g != NULL)
			reload_gen_unref(g);
	}
	return next;
}
