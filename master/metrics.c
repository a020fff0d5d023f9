/* metrics.c - owns the Prometheus text exposition of `masterctl status
 * --prometheus` (version 0.0.4: # HELP / # TYPE, then samples). One series
 * per service identity: an earlier generation still draining after a
 * reload is added into its service, so counters never go backwards across
 * a reload. Label values are escaped as the format requires
 * (metrics_text.h).
 *
 * Capacity and saturation: workers by state, prefork and maxproc, how
 * often maxproc was reached with clients waiting, start failures, the
 * throttle, and each TCP listening socket's accept queue as the kernel
 * reports it (TCP_INFO on a listener: tcpi_unacked is the connections
 * waiting to be accepted, tcpi_sacked the backlog; one getsockopt each). */
#include "metrics.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "master.h"
#include "metrics_text.h"
#include "outbuf.h"
#include "service.h"

struct metrics_row {
	const struct service_config *c;
	const struct service *active; /* the configured one (NULL: only draining) */
	unsigned starting, idle, busy, retiring;
	struct service_stats stats;
	bool throttled;
	bool clash; /* another row has the same name (other type) */
};

static void metrics_label(struct outbuf *o, const struct metrics_row *r)
{
	outbuf_printf(o, "service=\"");
	if (r->clash)
		outbuf_printf(o, "%s:", svctype_name(r->c->type));
	metrics_text_escape(o, r->c->name);
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
	r->stats.launch_failed += svc->stats.launch_failed;
	r->stats.start_failures += svc->stats.start_failures;
	r->stats.maxproc_reached += svc->stats.maxproc_reached;
	r->stats.violations += svc->stats.violations;
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
			if (l == 0)
				rows[i].active = svc;
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

/* One gauge line per row: name{service} value(row). */
static void metrics_gauge(struct outbuf *o, const struct metrics_row *rows, size_t n,
			  const char *name, const char *help,
			  unsigned (*value)(const struct metrics_row *r))
{
	metrics_head(o, name, "gauge", help);
	for (size_t i = 0; i < n; i++) {
		outbuf_printf(o, "%s{", name);
		metrics_label(o, &rows[i]);
		outbuf_printf(o, "} %u\n", value(&rows[i]));
	}
}

static unsigned metrics_maxproc(const struct metrics_row *r)
{
	return r->c->set.maxproc;
}

static unsigned metrics_prefork(const struct metrics_row *r)
{
	return r->c->set.prefork;
}

static unsigned metrics_throttled(const struct metrics_row *r)
{
	return r->throttled ? 1 : 0;
}

/* The configured service's only: a draining generation keeps the socket
 * it was given up on until it is gone. */
static unsigned metrics_sockets_shut(const struct metrics_row *r)
{
	return r->active != NULL ? service_sockets_shut(r->active) : 0;
}

/* One line per TCP listener of a configured service: name{service,listen}. */
static void metrics_queue(struct outbuf *o, const struct metrics_row *rows, size_t n,
			  const char *name, const char *help, bool backlog)
{
	metrics_head(o, name, "gauge", help);
	for (size_t i = 0; i < n; i++) {
		const struct service *svc = rows[i].active;
		for (size_t k = 0; svc != NULL && k < svc->nsocks; k++) {
			struct tcp_info ti;
			socklen_t len = sizeof(ti);
			memset(&ti, 0, sizeof(ti));
			if (svc->socks[k].fd < 0 ||
			    getsockopt(svc->socks[k].fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
			    ti.tcpi_state != TCP_LISTEN)
				continue; /* not TCP (unix, fifo...): the kernel does not say */
			outbuf_printf(o, "%s{", name);
			metrics_label(o, &rows[i]);
			outbuf_printf(o, ",");
			metrics_text_label(o, "listen", svc->socks[k].addr);
			outbuf_printf(o, "} %u\n", backlog ? ti.tcpi_sacked : ti.tcpi_unacked);
		}
	}
}

static void metrics_queues(struct outbuf *o, const struct metrics_row *rows, size_t n)
{
	metrics_queue(o, rows, n, "master_listen_queue",
		      "Connections waiting to be accepted on a TCP listening socket.", false);
	metrics_queue(o, rows, n, "master_listen_backlog",
		      "The accept queue's limit of a TCP listening socket.", true);
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
	metrics_head(o, "master_log_lines_dropped_total", "counter",
		     "Log lines dropped while the log was full, by whose they were.");
	outbuf_printf(o, "master_log_lines_dropped_total{source=\"master\"} %" PRIu64 "\n"
		      "master_log_lines_dropped_total{source=\"workers\"} %" PRIu64 "\n",
		      log_dropped_master(), log_dropped_workers());
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
	metrics_counter(o, rows, n, "master_start_failures_total",
			"Workers that failed before serving, and launches that failed.",
			offsetof(struct service_stats, start_failures));
	metrics_counter(o, rows, n, "master_maxproc_reached_total",
			"Times every worker was busy at maxproc with clients waiting.",
			offsetof(struct service_stats, maxproc_reached));
	metrics_counter(o, rows, n, "master_protocol_violations_total",
			"Workers killed for breaking the protocol.",
			offsetof(struct service_stats, violations));
	metrics_gauge(o, rows, n, "master_service_maxproc",
		      "The most workers the service may run at once (0: no limit).",
		      metrics_maxproc);
	metrics_gauge(o, rows, n, "master_service_prefork", "Workers kept alive at all times.",
		      metrics_prefork);
	metrics_queues(o, rows, n);
	metrics_gauge(o, rows, n, "master_service_throttled",
		      "1 while a service backs off after start failures.", metrics_throttled);
	metrics_gauge(o, rows, n, "master_service_sockets_shut",
		      "Listening sockets a process holding them shut down for good "
		      "(a reload makes new ones).", metrics_sockets_shut);
	free(rows);
}
