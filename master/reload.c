/* reload.c - owns reloading (see reload.h): the plan, the all-or-nothing
 * switch, the handover of changed services and the generations of
 * configuration that draining services still point into. */
#include "reload.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "confdiff.h"
#include "isolation.h"
#include "log.h"
#include "master.h"
#include "outbuf.h"
#include "pool.h"
#include "sdnotify.h"
#include "service.h"
#include "status.h"
#include "worker.h"

#define RELOAD_RESTART_NAMES_BYTES 128

/* A configuration that services of an earlier generation point into. */
struct reload_generation {
	struct list link;  /* m->generations */
	struct config cfg;
};

enum reload_kind { RELOAD_UNCHANGED, RELOAD_CHANGED, RELOAD_ADDED };

/* What becomes of one service of the new configuration. */
struct reload_step {
	const struct service_config *c;
	enum reload_kind kind;
	struct service *old; /* the running service of the same identity, if any */
	struct service *svc; /* changed/added: the new service, not yet committed */
};

static struct service *reload_find(struct service *list, const struct service_config *c)
{
	for (struct service *svc = list; svc; svc = svc->next)
		if (service_same_identity(svc->cfg, c))
			return svc;
	return NULL;
}

static void reload_unlink(struct service **list, struct service *svc)
{
	for (struct service **p = list; *p; p = &(*p)->next)
		if (*p == svc) {
			*p = svc->next;
			svc->next = NULL;
			return;
		}
}

static void reload_push(struct service **list, struct service *svc)
{
	svc->next = *list;
	*list = svc;
}

/* "prefork workers ready": idle or serving, not starting or leaving. */
static bool reload_ready(const struct service *svc)
{
	return svc->n_idle + svc->n_busy >= svc->cfg->set.prefork;
}

static void reload_names(struct outbuf *out, const char *label, const struct reload_step *steps,
			 size_t n, enum reload_kind kind)
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

static void reload_refuse(struct master *m, struct outbuf *reply, const struct diag *errs)
{
	outbuf_printf(reply, "error: configuration in %s has %zu error%s; nothing changed\n",
		      m->cfg.dir, errs->n, errs->n == 1 ? "" : "s");
	log_err("reload refused: configuration in %s has %zu error%s; nothing changed",
		m->cfg.dir, errs->n, errs->n == 1 ? "" : "s");
	for (size_t i = 0; i < errs->n; i++) {
		outbuf_printf(reply, "%s\n", errs->msgs[i]);
		log_err("%s", errs->msgs[i]);
	}
}

/* Phase one: everything that can fail. Returns 0, or -1 with every new
 * service freed (borrowed sockets untouched: their owners still serve). */
static int reload_prepare(struct master *m, struct config *nc, struct reload_step *steps,
			  struct outbuf *reply)
{
	bool all_changed = confdiff_master_affects_services(&m->cfg.master, &nc->master);

	for (size_t i = 0; i < nc->nservices; i++) {
		struct reload_step *st = &steps[i];
		st->c = &nc->services[i];
		st->old = reload_find(m->services, st->c);
		if (st->old == NULL)
			st->kind = RELOAD_ADDED;
		else if (!all_changed && confdiff_service_equal(st->old->cfg, st->c))
			st->kind = RELOAD_UNCHANGED;
		else
			st->kind = RELOAD_CHANGED;
		if (st->kind == RELOAD_UNCHANGED)
			continue;
		/* The master settings are copied by what keeps them (isolation):
		 * nc moves into m->cfg at the switch. */
		st->svc = service_create(m, &nc->master, st->c);
		if (st->svc != NULL)
			continue;
		outbuf_printf(reply, "error: service %s: cannot open its sockets or prepare its "
			      "workers (the master's log says why); nothing changed\n", st->c->name);
		log_err("reload failed: service %s could not be created; nothing changed",
			st->c->name);
		for (size_t j = 0; j < i; j++)
			if (steps[j].svc != NULL)
				service_free(steps[j].svc);
		return -1;
	}
	return 0;
}

/* Phase two: cannot fail. The new active list in master.cf order; changed
 * generations hand over, removed ones drain. */
static void reload_switch(struct master *m, struct reload_step *steps, size_t n,
			  struct outbuf *removed, uint64_t now)
{
	struct service *old_list = m->services, **tail = &m->services;

	m->services = NULL;
	for (size_t i = 0; i < n; i++) {
		struct reload_step *st = &steps[i];
		struct service *svc = st->svc;
		if (st->old != NULL)
			reload_unlink(&old_list, st->old);
		if (st->kind == RELOAD_UNCHANGED) {
			svc = st->old;
			svc->cfg = st->c; /* sockets and workers untouched */
			/* but the next launch uses the jail and command this
			 * load opened and checked */
			isolation_follow(svc->iso, st->c);
		} else {
			service_commit(svc);
		}
		if (st->kind == RELOAD_CHANGED) {
			/* Counters carry over: one service to the operator. */
			svc->stats = st->old->stats;
			memset(&st->old->stats, 0, sizeof(st->old->stats));
			st->old->handover = true;
			st->old->handover_deadline_ms = now +
				(uint64_t)st->c->set.startup_timeout_s * 1000u;
			reload_push(&m->draining, st->old);
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
		reload_push(&m->draining, svc);
	}
}

/* Drops the generations no service points into any more. */
static void reload_gc(struct master *m)
{
	struct list *pos, *tmp;

	LIST_FOREACH_SAFE(pos, tmp, &m->generations) {
		struct reload_generation *g = LIST_ENTRY(pos, struct reload_generation, link);
		const struct service_config *lo = g->cfg.services, *hi = lo + g->cfg.nservices;
		bool used = false;
		struct service *lists[] = { m->services, m->draining };
		for (size_t l = 0; l < 2 && !used; l++)
			for (struct service *svc = lists[l]; svc && !used; svc = svc->next)
				used = svc->cfg >= lo && svc->cfg < hi;
		if (used)
			continue;
		list_remove(&g->link);
		config_free(&g->cfg);
		free(g);
	}
}

static void reload_report(struct master *m, struct reload_step *steps, size_t n,
			  struct outbuf *removed, struct outbuf *reply)
{
	struct outbuf summary = { 0 };
	char restart[RELOAD_RESTART_NAMES_BYTES];

	reload_names(&summary, "added", steps, n, RELOAD_ADDED);
	if (removed->len > 0)
		outbuf_printf(&summary, "removed:%.*s\n", (int)removed->len, removed->data);
	else
		outbuf_printf(&summary, "removed: -\n");
	reload_names(&summary, "changed", steps, n, RELOAD_CHANGED);
	reload_names(&summary, "unchanged", steps, n, RELOAD_UNCHANGED);
	if (summary.len > 0)
		outbuf_append(reply, summary.data, summary.len);
	for (char *line = summary.data, *nl; line && (nl = strchr(line, '\n')); line = nl + 1)
		log_info("reload: %.*s", (int)(nl - line), line);
	outbuf_free(&summary);
	/* Compared against the generation just retired (the newest). */
	struct reload_generation *g = LIST_ENTRY(m->generations.prev, struct reload_generation, link);
	if (!list_empty(&m->generations) &&
	    confdiff_restart_only(&g->cfg.master, &m->cfg.master, restart, sizeof(restart)) > 0) {
		outbuf_printf(reply, "note: %s changed: takes effect at restart\n", restart);
		log_warn("reload: %s changed: takes effect at restart", restart);
	}
}

int reload_apply(struct master *m, struct outbuf *reply)
{
	struct diag errs = { 0 };
	struct config nc;
	struct outbuf removed = { 0 };
	char summary[STATUS_SUMMARY_BYTES];
	uint64_t now = clock_now_ms();
	int rc = -1;

	if (m->stopping) {
		outbuf_printf(reply, "error: the master is stopping\n");
		log_warn("reload ignored: the master is stopping");
		return -1;
	}
	log_info("reloading the configuration in %s", m->cfg.dir);
	sdnotify_reloading(&m->notify);
	struct reload_generation *g = calloc(1, sizeof(*g));
	struct reload_step *steps = NULL;
	/* The run directory first: made again if removed; if someone else
	 * may write it now, nothing is done (or touched) on its behalf. */
	if (rundir_check(&m->rundir, reply) < 0) {
		outbuf_printf(reply, "error: reload refused; nothing changed\n");
		log_err("reload refused: the run directory is not safe; nothing changed");
		goto out;
	}
	if (g == NULL) {
		outbuf_printf(reply, "error: out of memory; nothing changed\n");
		goto out;
	}
	if (config_load(m->cfg.dir, m->overrides, &nc, &errs) < 0) {
		reload_refuse(m, reply, &errs);
		goto out;
	}
	steps = calloc(nc.nservices + 1, sizeof(*steps));
	if (steps == NULL || reload_prepare(m, &nc, steps, reply) < 0) {
		if (steps == NULL)
			outbuf_printf(reply, "error: out of memory; nothing changed\n");
		config_free(&nc);
		goto out;
	}
	reload_switch(m, steps, nc.nservices, &removed, now);
	g->cfg = m->cfg;
	list_append(&m->generations, &g->link);
	g = NULL;
	m->cfg = nc;
	for (size_t i = 0; i < m->cfg.nservices; i++)
		if (steps[i].kind != RELOAD_UNCHANGED)
			service_start(steps[i].svc, now);
	control_set_admin_group(&m->control, m->cfg.master.admin_group);
	reload_report(m, steps, m->cfg.nservices, &removed, reply);
	reload_gc(m);
	m->reloads++;
	rc = 0;
out:
	status_summary(m, summary, sizeof(summary));
	sdnotify_send(&m->notify, "READY=1\nSTATUS=%s%s", rc == 0 ? "" : "reload failed; ",
		      summary);
	outbuf_free(&removed);
	diag_free(&errs);
	free(steps);
	free(g);
	return rc;
}

static void reload_fold_stats(struct service_stats *to, const struct service_stats *from)
{
	to->requests += from->requests;
	to->spawned += from->spawned;
	to->crashed += from->crashed;
	to->killed += from->killed;
	to->launch_failed += from->launch_failed;
	to->start_failures += from->start_failures;
	to->maxproc_reached += from->maxproc_reached;
}

uint64_t reload_tick(struct master *m, uint64_t now_ms)
{
	uint64_t next = CLOCK_NEVER_MS;
	struct service **p = &m->draining;
	bool freed = false;

	for (struct service *svc = m->draining; svc; svc = svc->next) {
		if (!svc->handover)
			continue;
		struct service *succ = reload_find(m->services, svc->cfg);
		if (succ != NULL && !reload_ready(succ) && now_ms < svc->handover_deadline_ms) {
			next = svc->handover_deadline_ms < next ? svc->handover_deadline_ms : next;
			continue;
		}
		log_info("service %s: %s: the earlier generation drains", svc->cfg->name,
			 succ == NULL ? "removed" : reload_ready(succ) ? "new workers ready"
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
		struct service *succ = reload_find(m->services, svc->cfg);
		if (succ != NULL)
			reload_fold_stats(&succ->stats, &svc->stats);
		log_debug("service %s: earlier generation gone", svc->cfg->name);
		service_free(svc);
		freed = true;
	}
	if (freed)
		reload_gc(m);
	return next;
}

void reload_fini(struct master *m)
{
	struct list *pos, *tmp;

	if (m->generations.next == NULL)
		return; /* never initialised */
	LIST_FOREACH_SAFE(pos, tmp, &m->generations) {
		struct reload_generation *g = LIST_ENTRY(pos, struct reload_generation, link);
		list_remove(&g->link);
		config_free(&g->cfg);
		free(g);
	}
}
