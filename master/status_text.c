/* status_text.c - owns `masterctl status` as text for people (see
 * status.h): a line for the master, a table of services whose columns
 * stay aligned whatever the length of the names, and under each service
 * its addresses, back-off, last failure and workers with their memory and
 * CPU time (read from /proc here, at status time: the master keeps no
 * per-worker counters for it). Nothing is fatal here. */
#include "status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_config.h"
#include "master.h"
#include "outbuf.h"
#include "procstat.h"
#include "service.h"
#include "worker.h"

#define STATUS_TEXT_NAME_MIN_CHARS 7 /* "SERVICE" */
#define STATUS_TEXT_SHORT_BYTES 32
#define STATUS_TEXT_S_PER_MIN 60u
#define STATUS_TEXT_S_PER_HOUR 3600u
#define STATUS_TEXT_S_PER_DAY 86400u
#define STATUS_TEXT_KIB_BYTES 1024.0

/* Characters of a UTF-8 string (continuation bytes not counted): a name
 * is padded to what a terminal shows, not to its bytes. */
static size_t status_text_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void status_text_pad(struct outbuf *o, const char *s, size_t width)
{
	outbuf_printf(o, "%s", s);
	for (size_t n = status_text_chars(s); n < width; n++)
		outbuf_append(o, " ", 1);
}

/* "45s", "12m03s", "5h07m", "3d02h". */
static void status_text_duration(double seconds, char *buf, size_t size)
{
	unsigned long long s = seconds > 0 ? (unsigned long long)seconds : 0;

	if (s < STATUS_TEXT_S_PER_MIN)
		snprintf(buf, size, "%llus", s);
	else if (s < STATUS_TEXT_S_PER_HOUR)
		snprintf(buf, size, "%llum%02llus", s / STATUS_TEXT_S_PER_MIN,
			 s % STATUS_TEXT_S_PER_MIN);
	else if (s < STATUS_TEXT_S_PER_DAY)
		snprintf(buf, size, "%lluh%02llum", s / STATUS_TEXT_S_PER_HOUR,
			 s % STATUS_TEXT_S_PER_HOUR / STATUS_TEXT_S_PER_MIN);
	else
		snprintf(buf, size, "%llud%02lluh", s / STATUS_TEXT_S_PER_DAY,
			 s % STATUS_TEXT_S_PER_DAY / STATUS_TEXT_S_PER_HOUR);
}

/* "812K", "4.2M", "1.1G". */
static void status_text_bytes(unsigned long long bytes, char *buf, size_t size)
{
	double v = (double)bytes / STATUS_TEXT_KIB_BYTES;
	const char *unit = "KMGT";

	while (v >= STATUS_TEXT_KIB_BYTES && unit[1] != '\0') {
		v /= STATUS_TEXT_KIB_BYTES;
		unit++;
	}
	snprintf(buf, size, *unit == 'K' ? "%.0f%c" : "%.1f%c", v, *unit);
}

/* The widest name of the services shown (both lists), at least the
 * header's. */
static size_t status_text_name_width(const struct master *m, const char *service)
{
	const struct service *lists[] = { m->services, m->draining };
	size_t width = STATUS_TEXT_NAME_MIN_CHARS;

	for (size_t l = 0; l < 2; l++)
		for (const struct service *svc = lists[l]; svc; svc = svc->next) {
			size_t n = status_text_chars(svc->cfg->name);
			if ((service == NULL || strcmp(svc->cfg->name, service) == 0) && n > width)
				width = n;
		}
	return width;
}

static void status_text_master(const struct master *m, uint64_t now, struct outbuf *o)
{
	char up[STATUS_TEXT_SHORT_BYTES];
	const struct contain *c = &m->contain;

	status_text_duration(status_seconds(m->started_ms, now), up, sizeof(up));
	outbuf_printf(o, "master: pid %ld, version %s, up %s, %s, config %s, containment %s\n",
		      (long)getpid(), MASTER_VERSION, up, m->stopping ? "stopping" : "running",
		      m->cfg.dir, c->mode == CONTAIN_CGROUP ? "cgroup" : "subreaper");
}

static void status_text_failure(const struct service *svc, uint64_t now, struct outbuf *o)
{
	char ago[STATUS_TEXT_SHORT_BYTES], when[STATUS_TEXT_SHORT_BYTES] = "";
	time_t wall = (time_t)svc->last_failure_wall_s;
	struct tm tm;

	if (svc->last_failure_ms == 0)
		return;
	status_text_duration(status_seconds(svc->last_failure_ms, now), ago, sizeof(ago));
	if (gmtime_r(&wall, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	outbuf_printf(o, "    last failure %s ago (%s): %s\n", ago, when, svc->last_failure);
}

static void status_text_worker(const struct worker *w, uint64_t now, struct outbuf *o)
{
	char rss[STATUS_TEXT_SHORT_BYTES] = "-", cpu[STATUS_TEXT_SHORT_BYTES] = "-";
	struct procstat ps;

	if (!w->reaped && procstat_read(w->pid, &ps)) {
		status_text_bytes(ps.rss_bytes, rss, sizeof(rss));
		snprintf(cpu, sizeof(cpu), "%.2fs", (double)ps.cpu_ms / 1000.0);
	}
	outbuf_printf(o, "    pid %-8ld %-8s age %8.1fs  requests %6u  in state %8.1fs"
		      "  rss %6s  cpu %8s\n", (long)w->pid, worker_state_name(w),
		      status_seconds(w->started_ms, now), w->proto.requests,
		      status_seconds(w->state_since_ms, now), rss, cpu);
	if (w->daemon != NULL && w->daemon->status[0] != '\0')
		outbuf_printf(o, "        status: %s\n", w->daemon->status);
}

static void status_text_service(const struct service *svc, size_t width, uint64_t now,
				struct outbuf *o)
{
	const struct service_config *c = svc->cfg;
	struct list *pos;

	status_text_pad(o, c->name, width);
	outbuf_printf(o, " %-4s %-9s %5u %4u %4u %5u %6u %9" PRIu64 " %7" PRIu64
		      " %7" PRIu64 " %6" PRIu64 "\n", svctype_name(c->type),
		      status_service_state(svc), status_total(svc),
		      svc->n_idle, svc->n_busy, svc->n_starting, svc->n_retiring,
		      svc->stats.requests, svc->stats.spawned, svc->stats.crashed,
		      svc->stats.killed);
	for (size_t i = 0; i < svc->nsocks; i++)
		if (svc->socks[i].fd >= 0)
			outbuf_printf(o, "    listen %s\n", svc->socks[i].addr);
	if (svc->throttle.failures > 0)
		outbuf_printf(o, "    throttled: %u start failures, back-off %us, next start in %.1fs\n",
			      svc->throttle.failures, svc->throttle.interval_s,
			      status_seconds(now, svc->throttle.until_ms));
	status_text_failure(svc, now, o);
	for (pos = svc->workers.next; pos != &svc->workers; pos = pos->next)
		status_text_worker(LIST_ENTRY(pos, struct worker, all_link), now, o);
}

static void status_text_list(const struct service *list, const char *service, size_t width,
			     uint64_t now, struct outbuf *o)
{
	for (const struct service *svc = list; svc; svc = svc->next)
		if (service == NULL || strcmp(svc->cfg->name, service) == 0)
			status_text_service(svc, width, now, o);
}

static bool status_text_any(const struct service *list, const char *service)
{
	for (const struct service *svc = list; svc; svc = svc->next)
		if (service == NULL || strcmp(svc->cfg->name, service) == 0)
			return true;
	return false;
}

void status_text_render(struct master *m, const char *service, uint64_t now_ms,
			struct outbuf *out)
{
	size_t width = status_text_name_width(m, service);

	status_text_master(m, now_ms, out);
	status_text_pad(out, "SERVICE", width);
	outbuf_printf(out, " %-4s %-9s %5s %4s %4s %5s %6s %9s %7s %7s %6s\n",
		      "TYPE", "STATE", "TOTAL", "IDLE", "BUSY", "START",
		      "RETIRE", "REQUESTS", "SPAWNED", "CRASHED", "KILLED");
	status_text_list(m->services, service, width, now_ms, out);
	if (status_text_any(m->draining, service)) {
		outbuf_printf(out, "earlier generations, draining after a reload:\n");
		status_text_list(m->draining, service, width, now_ms, out);
	}
	if (service == NULL)
		contain_status(&m->contain, false, out);
}
