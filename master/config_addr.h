/* config_addr.h - the load-time check that each inet address of a service
 * is one of this host's: a bind to an address the host does not have
 * fails at start (EADDRNOTAVAIL) after the configuration passed `check`.
 * Probed by binding a throwaway socket to the address with port 0 (any
 * port), so a port the running master holds is no conflict. Not with
 * freebind=yes, whose point is binding an address not up yet. */
#ifndef MASTER_CONFIG_ADDR_H
#define MASTER_CONFIG_ADDR_H

#include "config.h"
#include "diag.h"

void config_addr_check(const struct service_config *sc, const char *where, struct diag *errs);

#endif
