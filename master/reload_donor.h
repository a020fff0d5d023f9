/* reload_donor.h - the donor-socket search: a service created by a reload
 * takes over the listening socket of an existing service (active, else
 * draining) with the same type and configured address, instead of closing
 * and binding again, so no client is ever refused across a reload. */
#ifndef MASTER_RELOAD_DONOR_H
#define MASTER_RELOAD_DONOR_H

#include "config.h"

struct master;
struct service;
struct service_socket;

/* The open socket of a service in active, else in draining (lists linked
 * by ->next), of the given type whose configured address is a (the
 * configured one, not the bound one: "127.0.0.1:0" keeps its port); NULL
 * if none. */
struct service_socket *reload_donor_find(struct service *active, struct service *draining,
					 enum service_type type, const struct service_addr *a);
/* donors[i] for every address of c: the socket to borrow, or NULL (open
 * a new one). */
void reload_donors(struct master *m, const struct service_config *c,
		   struct service_socket **donors);

#endif
