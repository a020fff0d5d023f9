/* config_addr.h - a service's addresses at load: an inet name
 * ("[host:]port", "[v6]:port") resolved to every address it has, added
 * once each; and the load-time check that each inet address of a service
 * is one of this host's: a bind to an address the host does not have
 * fails at start (EADDRNOTAVAIL) after the configuration passed `check`.
 * Probed by binding a throwaway socket to the address with port 0 (any
 * port), so a port the running master holds is no conflict. Not with
 * freebind=yes, whose point is binding an address not up yet. */
#ifndef MASTER_CONFIG_ADDR_H
#define MASTER_CONFIG_ADDR_H

#include "config.h"
#include "diag.h"

struct resolver;

/* Adds the address unless the list has it already. Returns 0, or -1 when
 * out of memory. */
int config_addr_add(struct service_config *sc, const struct sockaddr *sa, socklen_t len);
/* Every address of sc->name, looked up once, now, within the load's
 * resolve_timeout (resolve.h has the rule); errors go to errs. */
void config_addr_resolve_inet(struct service_config *sc, struct resolver *res,
			      unsigned timeout_s, const char *where, struct diag *errs);
void config_addr_check(const struct service_config *sc, const char *where, struct diag *errs);
/* The port of an inet address (either family), in host order; -1 for
 * any other (a unix path has none). */
int config_addr_port(const struct service_addr *a);

#endif
