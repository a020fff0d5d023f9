/* reload_donor.c - owns the donor-socket search (see reload_donor.h). The
 * borrowing itself (and handing the socket over at commit) is
 * service_create()/service_commit()'s: they are told which sockets to
 * borrow, and never look for them.
 *
 * Out of memory: nothing here allocates. */
#include "reload_donor.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "master.h"
#include "service.h"

static bool reload_donor_addr_equal(const struct service_addr *a, const struct service_addr *b)
{
	return a->len == b->len && memcmp(&a->sa, &b->sa, a->len) == 0;
}

/* Whether a local service's file at its path is still the one its socket
 * was made with (a reload to another type may have put its own there
 * since); true for the other types. */
static bool reload_donor_still_there(const struct service_config *c,
				     const struct service_socket *s)
{
	struct stat st;

	if (!svctype_is_local(c->type) || c->naddrs == 0)
		return true;
	if (s->made.ino == 0 || s->made.staged)
		return false;
	return lstat(((const struct sockaddr_un *)&c->addrs[0].sa)->sun_path, &st) == 0 &&
	       st.st_dev == s->made.dev && st.st_ino == s->made.ino;
}

static struct service_socket *reload_donor_in(struct service *list, enum service_type type,
					      const struct service_addr *a)
{
	for (struct service *svc = list; svc; svc = svc->next) {
		if (svc->cfg->type != type)
			continue;
		for (size_t i = 0; i < svc->nsocks && i < svc->cfg->naddrs; i++)
			/* A local socket whose path another service's file took
			 * since (unix, then unix-dgram, then unix again while the
			 * first still drains) reaches no client: not borrowed, a
			 * new one is made (an adversarial run had the service
			 * unreachable for good, with nothing said). So does one a
			 * worker shut down for good (service.c). */
			if (svc->socks[i].fd >= 0 && !svc->socks[i].shut &&
			    reload_donor_addr_equal(&svc->cfg->addrs[i], a) &&
			    reload_donor_still_there(svc->cfg, &svc->socks[i]))
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
