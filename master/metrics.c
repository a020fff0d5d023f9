/* metrics.c - owns the Prometheus text exposition of `masterctl status
 * --prometheus` (version 0.0.4: # HELP / # TYPE, then samples). One series
 * per service identity: an earlier generation still draining after a
 * reload is added into its service, so counters never go backwards across
 * a reload. Label values are escaped as the format requires. */
#include "metrics.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"
#include "outbuf.h"
#include "service.h"

struct metrics_row {
	const struct service_config *c;
	unsigned starting, idle, busy, retiring;
	struct service_stats stats;
	bool throttled;
	bool clash; /* another row has the same name (other type) */
};

/* \ " and newline are the characters a label value must escape. */
static void metrics_label(struct outbuf *o, const struct metrics_row *r)
{
	const char *s = r->c->name;

	outbuf_printf(o, "service=\"");
	if (r->clash)
		outbuf_printf(o, "%s:", svctype_name(r->c->type));
	for (; *s; s++) {
		if (*s == '\\')
			outbuf_printf(o, "\\\\");
		else if (*s == '"')
			outbuf_printf(o, "\\\"");
		else if (*s == '\n')
			outbuf_printf(o, "\\n");
		else
			outbuf_append(o, s, 1);
	}
	outbuf_printf(o, "\"");
}

static void metrics_add(struct metrics_row *r, const struct service *svc)
{
	r->starting += svc->n_starting;
	r->idle += svc->n_idle;
	r->busy += svc->n_busy;
	r->retiring += svc->n_retiring;
	r->stats.requests += svc->stats.requests;
	r->stats.spawned += svc->stats.spawned;
	r->stats.crashed += svc->stats.crashed;
	r->stats.killed += svc->stats.killed;
	r->throttled |= svc->throttle.failures > 0 && !svc->stopping;
}

/* Rows: configured services in order, then identities that only drain. */
static size_t metrics_rows(struct master *m, struct metrics_row *rows)
{
	struct service *lists[] = { m->services, m->draining };
	size_t n = 0;

	for (size_t l = 0; l < 2; l++)
		for (struct service *svc = lists[l]; svc; svc = svc->next) {
			size_t i;
			for (i = 0; i < n; i++)
				if (service_same_identity(rows[i].c, svc->cfg))
					break;
			if (i == n)
				rows[n++].c = svc->cfg;
			metrics_add(&rows[i], svc);
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (i != j && strcmp(rows[i].c->name, rows[j].c->name) == 0)
				rows[i].clash = true;
	return n;
}

static void metrics_head(struct outbuf *o, const char *name, const char *type, const char *help)
{
	outbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_counter(struct outbuf *o, const struct metrics_row *rows, size_t n,
			    const char *name, const char *help, size_t offset)
{
	metrics_head(o, name, "counter", help);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = *(const uint64_t *)(const void *)((const char *)&rows[i].stats + offset);
		outbuf_printf(o, "%s{", name);
		metrics_label(o, &rows[i]);
		outbuf_printf(o, "} %" PRIu64 "\n", v);
	}
}

void metrics_render(struct master *m, struct outbuf *o)
{
	size_t cap = 1, n;

	for (struct service *svc = m->services; svc; svc = svc->next)
		cap++;
	for (struct service *svc = m->draining; svc; svc = svc->next)
		cap++;
	struct metrics_row *rows = calloc(cap, sizeof(*rows));
	if (rows == NULL) {
		o->failed = true;
		return;
	}
	n = metrics_rows(m, rows);
	metrics_head(o, "master_up", "gauge", "1 while the master runs (0 once it is stopping).");
	outbuf_printf(o, "master_up %d\n", m->stopping ? 0 : 1);
	metrics_head(o, "master_reloads_total", "counter", "Successful configuration reloads.");
	outbuf_printf(o, "master_reloads_total %" PRIu64 "\n", m->reloads);
	metrics_head(o, "master_workers", "gauge", "Worker processes by service and state.");
	for (size_t i = 0; i < n; i++) {
		const char *states[] = { "starting", "idle", "busy", "retiring" };
		unsigned counts[] = { rows[i].starting, rows[i].idle, rows[i].busy, rows[i].retiring };
		for (size_t k = 0; k < 4; k++) {
			outbuf_printf(o, "master_workers{");
			metrics_label(o, &rows[i]);
			outbuf_printf(o, ",state=\"%s\"} %u\n", states[k], counts[k]);
		}
	}
	metrics_counter(o, rows, n, "master_requests_total", "Requests served.",
			offsetof(struct service_stats, requests));
	metrics_counter(o, rows, n, "master_workers_spawned_total", "Workers started.",
			offsetof(struct service_stats, spawned));
	metrics_counter(o, rows, n, "master_workers_crashed_total",
			"Workers that died without being asked to.",
			offsetof(struct service_stats, crashed));
	metrics_counter(o, rows, n, "master_workers_killed_total",
			"Workers the master killed (timeouts, protocol violations).",
			offsetof(struct service_stats, killed));
	metrics_head(o, "master_service_throttled", "gauge",
		     "1 while a service backs off after start failures.");
	for (size_t i = 0; i < n; i++) {
		outbuf_printf(o, "master_service_throttled{");
		metrics_label(o, &rows[i]);
		outbuf_printf(o, "} %d\n", rows[i].throttled ? 1 : 0);
	}
	free(rows);
}
