/* status.c - owns rendering the status reply as JSON, the readiness check
 * and the summary line (see status.h); status_text.c renders the text for
 * people, metrics.c Prometheus. JSON keys are a contract with scripts and
 * tests (DESIGN.md "Control"): add, never rename. */
#include "status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build_config.h"
#include "clock.h"
#include "log.h"
#include "master.h"
#include "metrics.h"
#include "outbuf.h"
#include "procstat.h"
#include "service.h"
#include "worker.h"

/* throttled: start failures since the service last served a request
 * (backing off, or probing after a back-off). waiting: its next start
 * waits for a dynamic uid held back for a walk of /dev/shm (ipcsweep.h).
 * draining: stopping, or an earlier generation after a reload. */
const char *status_service_state(const struct service *svc)
{
	if (svc->stopping || svc->handover)
		return "draining";
	if (svc->throttle.failures > 0)
		return "throttled";
	if (svc->uid_wait)
		return "waiting";
	return "running";
}

double status_seconds(uint64_t since_ms, uint64_t now_ms)
{
	return now_ms > since_ms ? (double)(now_ms - since_ms) / 1000.0 : 0.0;
}

unsigned status_total(const struct service *svc)
{
	return svc->n_starting + svc->n_idle + svc->n_busy + svc->n_retiring;
}

/* Idle protocol workers (a ready daemon is idle capacity to the pool,
 * but "running" to the operator). */
unsigned status_idle(const struct service *svc)
{
	return svc->cfg->ready == SERVICE_READY_PROTOCOL ? svc->n_idle : 0;
}

/* "rss" (bytes) and "cpu" (seconds), null once the process is gone. */
static void status_json_usage(const struct worker *w, struct outbuf *o)
{
	struct procstat ps;

	if (!w->reaped && procstat_read(w->pid, &ps))
		outbuf_printf(o, ",\"rss\":%llu,\"cpu\":%.2f", ps.rss_bytes,
			      (double)ps.cpu_ms / 1000.0);
	else
		outbuf_printf(o, ",\"rss\":null,\"cpu\":null");
}

/* usage: each worker's rss and cpu too (a read of /proc per worker). */
static void status_json_service(const struct service *svc, bool usage, uint64_t now,
				struct outbuf *o)
{
	const struct service_config *c = svc->cfg;
	struct list *pos;
	bool first = true;

	outbuf_printf(o, "{\"name\":");
	outbuf_json_string(o, c->name);
	outbuf_printf(o, ",\"type\":\"%s\",\"listen\":[", svctype_name(c->type));
	for (size_t i = 0; i < svc->nsocks; i++) {
		outbuf_printf(o, "%s", i ? "," : "");
		outbuf_json_string(o, svc->socks[i].addr);
	}
	outbuf_printf(o, "],\"sockets_shut\":%u", service_sockets_shut(svc));
	outbuf_printf(o, ",\"state\":\"%s\",\"workers\":{\"total\":%u,\"idle\":%u,"
		      "\"busy\":%u,\"starting\":%u,\"retiring\":%u,\"stopping\":%u,"
		      "\"running\":%u},"
		      "\"prefork\":%u,"
		      "\"maxproc\":%u,\"max_use\":%u,\"requests\":%" PRIu64
		      ",\"spawned\":%" PRIu64 ",\"crashed\":%" PRIu64 ",\"killed\":%" PRIu64
		      ",\"launch_failed\":%" PRIu64 ",\"maxproc_reached\":%" PRIu64
		      ",\"start_failures\":%" PRIu64 ",\"violations\":%" PRIu64
		      ",\"throttle\":{\"failures\":%u,"
		      "\"interval\":%u,\"retry_in\":%.3f},\"last_failure\":",
		      status_service_state(svc), status_total(svc),
		      status_idle(svc), svc->n_busy, svc->n_starting,
		      svc->n_retiring - svc->n_stopping, svc->n_stopping,
		      svc->n_idle - status_idle(svc),
		      c->set.prefork, c->set.maxproc, c->set.max_use, svc->stats.requests,
		      svc->stats.spawned, svc->stats.crashed, svc->stats.killed,
		      svc->stats.launch_failed, svc->stats.maxproc_reached,
		      svc->stats.start_failures, svc->stats.violations,
		      svc->throttle.failures, svc->throttle.interval_s,
		      status_seconds(now, svc->throttle.until_ms));
	if (svc->last_failure_ms == 0) {
		outbuf_printf(o, "null");
	} else {
		outbuf_json_string(o, svc->last_failure);
	}
	outbuf_printf(o, ",\"last_failure_age\":%.3f,\"last_failure_time\":",
		      svc->last_failure_ms ? status_seconds(svc->last_failure_ms, now) : 0.0);
	if (svc->last_failure_ms == 0)
		outbuf_printf(o, "null");
	else
		outbuf_printf(o, "%" PRId64, svc->last_failure_wall_s);
	outbuf_printf(o, ",\"ready\":\"%s\",\"stderr\":\"%s\",", c->set.ready,
		      config_stderr_shared(c) ? "shared" : "own");
	/* the wakeup column: 0 = none; next_in null while none is scheduled */
	outbuf_printf(o, "\"wakeup\":{\"interval\":%u,\"after_use\":%s,\"sent\":%" PRIu64
		      ",\"skipped\":%" PRIu64 ",\"next_in\":", c->wakeup_s,
		      c->wakeup_after_use ? "true" : "false", svc->wake.sent, svc->wake.skipped);
	if (svc->wake.next_ms == CLOCK_NEVER_MS)
		outbuf_printf(o, "null");
	else
		outbuf_printf(o, "%.3f", status_seconds(now, svc->wake.next_ms));
	outbuf_printf(o, "},\"procs\":[");
	for (pos = svc->workers.next; pos != &svc->workers; pos = pos->next) {
		const struct worker *w = LIST_ENTRY(pos, struct worker, all_link);
		outbuf_printf(o, "%s{\"pid\":%ld,\"state\":\"%s\",\"age\":%.3f,"
			      "\"requests\":%u,\"state_seconds\":%.3f,\"max_use\":%u,"
			      "\"max_lifetime\":%.3f",
			      first ? "" : ",", (long)w->pid, worker_state_name(w),
			      status_seconds(w->started_ms, now), w->proto.requests,
			      status_seconds(w->state_since_ms, now), w->max_use,
			      (double)w->lifetime_ms / 1000.0);
		if (usage)
			status_json_usage(w, o);
		if (w->daemon != NULL) { /* its last STATUS= line, if any */
			outbuf_printf(o, "%s", ",\"status_text\":");
			if (w->daemon->status[0] != '\0')
				outbuf_json_string(o, w->daemon->status);
			else
				outbuf_printf(o, "null");
		}
		outbuf_printf(o, "}");
		first = false;
	}
	outbuf_printf(o, "]}");
}

/* One list (configured or draining) as a JSON array body. */
static void status_json_list(struct service *list, const char *service, uint64_t now,
			     struct outbuf *out)
{
	bool first = true;

	for (struct service *svc = list; svc; svc = svc->next) {
		if (service != NULL && strcmp(svc->cfg->name, service) != 0)
			continue;
		outbuf_printf(out, "%s", first ? "" : ",");
		/* Per-worker usage in the one-service view only: a /proc read
		 * per worker costs ~17 us, so 9,000 workers would hold the
		 * loop for 150 ms on every poll of the whole status. */
		status_json_service(svc, service != NULL, now, out);
		first = false;
	}
}

/* A probe's question: is every configured service at prefork (its idle
 * and busy workers; a ready daemon is idle to the pool) and none backing
 * off? One "error: " line per service that is not, "ok: " if all are. */
static void status_check(struct master *m, const char *service, struct outbuf *out)
{
	unsigned n = 0, bad = 0;

	if (m->stopping) {
		outbuf_printf(out, "error: the master is stopping\n");
		return;
	}
	for (struct service *svc = m->services; svc; svc = svc->next) {
		if (service != NULL && strcmp(svc->cfg->name, service) != 0)
			continue;
		/* A worker stopped by a signal counts as idle or busy, and
		 * serves no one. */
		unsigned ready = svc->n_idle + svc->n_busy, want = svc->cfg->set.prefork;
		ready = ready > svc->n_stopped ? ready - svc->n_stopped : 0;
		n++;
		if (service_sockets_shut(svc) > 0)
			outbuf_printf(out, "error: service %s: %u of its sockets shut down by a "
				      "process holding them (masterctl reload makes new ones)\n",
				      svc->cfg->name, service_sockets_shut(svc));
		else if (svc->throttle.failures > 0)
			outbuf_printf(out, "error: service %s: throttled: %u start failure%s%s%s\n",
				      svc->cfg->name, svc->throttle.failures,
				      svc->throttle.failures == 1 ? "" : "s",
				      svc->last_failure_ms ? ", last: " : "",
				      svc->last_failure_ms ? svc->last_failure : "");
		else if (ready < want) {
			outbuf_printf(out, "error: service %s: %u of %u prefork worker%s ready",
				      svc->cfg->name, ready, want, want == 1 ? "" : "s");
			if (svc->n_stopped > 0)
				outbuf_printf(out, " (%u stopped by a signal)", svc->n_stopped);
			outbuf_printf(out, "\n");
		} else {
			continue;
		}
		bad++;
	}
	if (bad == 0)
		outbuf_printf(out, "ok: %u service%s at prefork, none throttled\n", n,
			      n == 1 ? "" : "s");
}

void status_render(struct master *m, const char *service, enum status_format fmt,
		   struct outbuf *out)
{
	uint64_t now = clock_now_ms();

	if (service != NULL && service_find(m, service) == NULL) {
		outbuf_printf(out, "error: no service \"%s\"\n", service);
		return;
	}
	if (fmt == STATUS_PROMETHEUS) {
		metrics_render(m, out);
		return;
	}
	if (fmt == STATUS_CHECK) {
		status_check(m, service, out);
		return;
	}
	if (fmt == STATUS_TEXT) {
		status_text_render(m, service, now, out);
		return;
	}
	outbuf_printf(out, "{\"master\":{\"pid\":%ld,\"version\":\"%s\",\"uptime\":%.3f,"
		      "\"state\":\"%s\",\"reloads\":%" PRIu64 ",\"ready\":%s,"
		      "\"config_directory\":", (long)getpid(), MASTER_VERSION,
		      status_seconds(m->started_ms, now), m->stopping ? "stopping" : "running",
		      m->reloads, m->ready_sent ? "true" : "false");
	outbuf_json_string(out, m->cfg.dir);
	/* dynamic_uids_held_back: until a walk of /dev/shm (ipcsweep.h). */
	outbuf_printf(out, ",\"log_lines_dropped\":{\"master\":%" PRIu64 ",\"workers\":%" PRIu64
		      "},\"dynamic_uids_held_back\":%zu},\"services\":[", log_dropped_master(),
		      log_dropped_workers(), m->ipcsweep.n);
	status_json_list(m->services, service, now, out);
	outbuf_printf(out, "],\"draining\":[");
	status_json_list(m->draining, service, now, out);
	outbuf_printf(out, "],"); /* containment: which, and where */
	contain_status(&m->contain, true, out);
	outbuf_printf(out, "}\n");
}

void status_summary(struct master *m, char *buf, size_t size)
{
	unsigned nsvc = 0, total = 0, idle = 0, busy = 0, throttled = 0, draining = 0;
	int len;

	for (struct service *svc = m->services; svc; svc = svc->next) {
		nsvc++;
		total += status_total(svc);
		idle += svc->n_idle;
		busy += svc->n_busy;
		throttled += svc->throttle.failures > 0;
	}
	for (struct service *svc = m->draining; svc; svc = svc->next)
		draining += status_total(svc);
	len = snprintf(buf, size, "%u service%s, %u worker%s (%u idle, %u busy)", nsvc,
		       nsvc == 1 ? "" : "s", total, total == 1 ? "" : "s", idle, busy);
	if (len > 0 && (size_t)len < size && draining > 0)
		len += snprintf(buf + len, size - (size_t)len, ", %u draining", draining);
	if (len > 0 && (size_t)len < size && throttled > 0)
		snprintf(buf + len, size - (size_t)len, ", %u throttled", throttled);
}

void status_request(struct master *m, int argc, char **argv, struct outbuf *out)
{
	enum status_format fmt = STATUS_TEXT;
	const char *service = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			fmt = STATUS_JSON;
		else if (strcmp(argv[i], "--prometheus") == 0)
			fmt = STATUS_PROMETHEUS;
		else if (strcmp(argv[i], "--check") == 0)
			fmt = STATUS_CHECK;
		else if (service == NULL && argv[i][0] != '-')
			service = argv[i];
		else {
			outbuf_printf(out, "error: status: unexpected argument \"%s\"\n", argv[i]);
			return;
		}
	}
	status_render(m, service, fmt, out);
}
