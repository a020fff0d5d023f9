/* reload_donor.c - owns the donor-socket search (see reload_donor.h). The
 * borrowing itself (and handing the socket over at commit) is
 * service_create()/service_commit()'s: they are told which sockets to
 * borrow, and never look for them.
 *
 * Out of memory: nothing here allocates. */
#include "reload_donor.h"

#include <string.h>

#include "master.h"
#include "service.h"

static bool reload_donor_addr_equal(const struct service_addr *a, const struct service_addr *b)
{
	return a->len == b->len && memcmp(&a->sa, &b->sa, a->len) == 0;
}

static struct service_socket *reload_donor_in(struct service *list, enum service_type type,
					      const struct service_addr *a)
{
	for (struct service *svc = list; svc; svc = svc->next) {
		if (svc->cfg->type != type)
			continue;
		for (size_t i = 0; i < svc->nsocks && i < svc->cfg->naddrs; i++)
			if (svc->socks[i].fd >= 0 && reload_donor_addr_equal(&svc->cfg->addrs[i], a))
				return &svc->socks[i];
	}
	return NULL;
}

struct service_socket *reload_donor_find(struct service *active, struct service *draining,
					 enum service_type type, const struct service_addr *a)
{
	struct service_socket *s = reload_donor_in(active, type, a);

	return s != NULL ? s : reload_donor_in(draining, type, a);
}

void reload_donors(struct master *m, const struct service_config *c,
		   struct service_socket **donors)
{
	for (size_t i = 0; i < c->naddrs; i++)
		donors[i] = reload_donor_find(m->services, m->draining, c->type, &c->addrs[i]);
}
