/* status.h - what `masterctl status` shows: every service (or one) with its
 * state, worker counts and counters, and every worker, as text, JSON or
 * the Prometheus text exposition format; and the one-line summary that
 * goes to systemd (STATUS=). Earlier generations still draining after a
 * reload are shown apart from the configured services. */
#ifndef MASTER_STATUS_H
#define MASTER_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct master;
struct outbuf;
struct service;

#define STATUS_SUMMARY_BYTES 256

/* STATUS_CHECK: "ok: ..." when every service is at prefork and none is
 * throttled, else one "error: service NAME: why" line per service that is
 * not (or "error: the master is stopping"). */
enum status_format { STATUS_TEXT, STATUS_JSON, STATUS_PROMETHEUS, STATUS_CHECK };

/* service: NULL for all. An unknown name renders an "error: " reply. */
void status_render(struct master *m, const char *service, enum status_format fmt,
		   struct outbuf *out);
/* `status [SERVICE] [--json|--prometheus|--check]` as masterctl sends it
 * (argv[0] is "status"); the reply, or an "error: " line, goes to out. */
void status_request(struct master *m, int argc, char **argv, struct outbuf *out);
/* "3 services, 7 workers (5 idle, 2 busy)[, N draining][, N throttled]" */
void status_summary(struct master *m, char *buf, size_t size);
/* running, throttled or draining. */
const char *status_service_state(const struct service *svc);

/* For status_text.c: seconds from since_ms to now_ms (0 if not after);
 * every worker of svc; its idle protocol workers. */
double status_seconds(uint64_t since_ms, uint64_t now_ms);
unsigned status_total(const struct service *svc);
unsigned status_idle(const struct service *svc);
/* The text for people (status_text.c). */
void status_text_render(struct master *m, const char *service, uint64_t now_ms,
			struct outbuf *out);

#endif
