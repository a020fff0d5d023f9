/* config_fds.c - owns the master's fd budget of a configuration (see
 * config_fds.h): the arithmetic and the load-time refusal. Pure: reads the
 * configuration only; nothing is fatal here. */
#include "config_fds.h"

#include <stdio.h>

unsigned long long config_fds_workers(const struct service_config *sc, bool *from_prefork)
{
	unsigned long long most = sc->set.maxproc;

	if (from_prefork != NULL)
		*from_prefork = most == 0;
	if (most == 0)
		most = sc->set.prefork; /* "no limit": budget what it keeps */
	return most + config_leaving_max(sc) + 1;
}

unsigned config_fds_per_worker(const struct service_config *sc)
{
	return config_stderr_shared(sc) ? CONFIG_FDS_PER_WORKER_SHARED : CONFIG_FDS_PER_WORKER;
}

static unsigned long long config_fds_service_as(const struct service_config *sc, bool shared)
{
	unsigned per = shared ? CONFIG_FDS_PER_WORKER_SHARED : CONFIG_FDS_PER_WORKER;

	return sc->naddrs + CONFIG_FDS_PER_SERVICE + (shared ? CONFIG_FDS_STDERR_SHARED : 0) +
	       per * config_fds_workers(sc, NULL);
}

unsigned long long config_fds_service(const struct service_config *sc)
{
	return config_fds_service_as(sc, config_stderr_shared(sc));
}

/* The need were every service's stderr shared: the refusal's hint. */
static unsigned long long config_fds_need_shared(const struct config *cfg)
{
	unsigned long long n = CONFIG_FDS_FIXED;

	for (size_t i = 0; i < cfg->nservices; i++)
		n += config_fds_service_as(&cfg->services[i], true);
	return n;
}

unsigned long long config_fds_need(const struct config *cfg)
{
	unsigned long long n = CONFIG_FDS_FIXED;

	for (size_t i = 0; i < cfg->nservices; i++)
		n += config_fds_service(&cfg->services[i]);
	return n;
}

unsigned long long config_fds_target(const struct config *active, const struct config *incoming)
{
	return config_fds_need(active) + config_fds_need(incoming) - CONFIG_FDS_FIXED;
}

void config_fds_check(const struct config *cfg, unsigned long long max,
		      const char *max_source, struct diag *errs)
{
	unsigned long long need = config_fds_need(cfg);
	const struct service_config *top = NULL;

	if (need <= max)
		return;
	for (size_t i = 0; i < cfg->nservices; i++)
		if (top == NULL || config_fds_service(&cfg->services[i]) > config_fds_service(top))
			top = &cfg->services[i];
	if (top == NULL) { /* the fixed part alone: a host with almost no fds */
		diag_add(errs, "master: needs %llu file descriptors, more than the %llu %s allows",
			 need, max, max_source);
		return;
	}
	bool from_prefork;
	unsigned long long workers = config_fds_workers(top, &from_prefork);
	/* One fd per worker instead of two may be enough: say so. */
	char hint[192] = "";
	unsigned long long shared = config_fds_need_shared(cfg);
	if (shared < need && shared <= max)
		snprintf(hint, sizeof(hint), "; with worker_stderr=shared (one master fd per "
			 "worker, not two) it would need %llu", shared);
	else if (top->set.max_leaving == 0)
		snprintf(hint, sizeof(hint), "; max_leaving (as many as maxproc when 0) bounds "
			 "the workers leaving at once");
	diag_add(errs, "%s:%u: \"%s\": the master would hold %llu file descriptors, more than "
		 "the %llu %s allows; this service alone needs %llu (%u per worker, up to %llu "
		 "workers: %s %u, leaving %llu, starting 1)%s", top->file, top->line, top->name,
		 need, max, max_source, config_fds_service(top), config_fds_per_worker(top), workers,
		 from_prefork ? "prefork (maxproc 0)" : "maxproc",
		 from_prefork ? top->set.prefork : top->set.maxproc,
		 workers - 1 - (from_prefork ? top->set.prefork : top->set.maxproc), hint);
}

int config_fds_describe(const struct config *cfg, char *buf, size_t size)
{
	unsigned long long workers = 0;
	size_t counted_at_prefork = 0, shared = 0;
	const char *first = NULL;

	for (size_t i = 0; i < cfg->nservices; i++) {
		bool from_prefork;
		workers += config_fds_workers(&cfg->services[i], &from_prefork);
		if (from_prefork && counted_at_prefork++ == 0)
			first = cfg->services[i].name;
		shared += config_stderr_shared(&cfg->services[i]);
	}
	/* "at 1 or 2 each": some services share their workers' stderr. */
	const char *each = shared == 0 ? "2" : shared == cfg->nservices ? "1" : "1 or 2";
	int n = snprintf(buf, size, "the configuration needs %llu file descriptors in the master "
			 "(%u fixed, %zu service%s, up to %llu workers at %s each)",
			 config_fds_need(cfg), CONFIG_FDS_FIXED, cfg->nservices,
			 cfg->nservices == 1 ? "" : "s", workers, each);
	if (counted_at_prefork > 0 && n >= 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "; maxproc 0 (no limit) counted at prefork for "
			      "\"%s\"%s: more workers than that may fail to start (EMFILE)", first,
			      counted_at_prefork > 1 ? " and others" : "");
	return n;
}
