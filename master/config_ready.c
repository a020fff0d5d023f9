/* config_ready.c - owns the load-time checks of `ready=` (see
 * config_ready.h). Nothing here is fatal: every problem is one more error
 * of the load. */
#include "config_ready.h"

#include <string.h>

/* A setting given on the service's own line that its workers cannot honour. */
static void config_ready_refuse(const struct service_config *sc, unsigned line,
				const char *setting, const char *why, struct diag *errs)
{
	if (line != 0)
		diag_add(errs, "%s:%u: %s cannot be used with ready=%s: %s", sc->file, line,
			 setting, sc->set.ready, why);
}

void config_ready_check(struct service_config *sc, const struct mastercf_entry *e,
			struct diag *errs)
{
	const char *r = sc->set.ready;

	sc->ready = strcmp(r, "notify") == 0 ? SERVICE_READY_NOTIFY
		: strcmp(r, "exec") == 0 ? SERVICE_READY_EXEC : SERVICE_READY_PROTOCOL;
	if (sc->ready != SERVICE_READY_NOTIFY)
		config_ready_refuse(sc, e->watchdog_line, "watchdog_timeout",
				    "only a ready=notify daemon sends WATCHDOG=1", errs);
	if (sc->ready == SERVICE_READY_PROTOCOL) {
		config_ready_refuse(sc, e->stop_signal_line, "stop_signal",
				    "a protocol worker is told \"stop\" on its status channel", errs);
		return;
	}
	config_ready_refuse(sc, e->max_use_line, "max_use",
			    "a daemon that does not speak the protocol reports no requests, "
			    "so they cannot be counted (use max_lifetime or rss_max)", errs);
	config_ready_refuse(sc, e->max_idle_line, "max_idle",
			    "a daemon that does not speak the protocol never says it is idle "
			    "(use max_lifetime or rss_max)", errs);
	/* master.conf's defaults are for protocol workers: not counted here. */
	sc->set.max_use = 0;
	sc->set.max_idle_s = 0;
	/* The abstract socket lives in the master's network namespace. */
	if (sc->ready == SERVICE_READY_NOTIFY && sc->set.private_network)
		diag_add(errs, "%s:%u: ready=notify cannot be used with private_network=yes: "
			 "the notification socket would be out of the daemon's reach "
			 "(use ready=exec)", sc->file, sc->line);
}
