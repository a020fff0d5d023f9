/* sockaudit.c - owns putting back what a process holding a service's
 * shared socket (a worker: every worker holds it) changed on it without
 * a hang-up the loop would see (a shutdown is service.c's). Found by an
 * adversarial run: such a change outlived the worker, `recycle` and every
 * reload, and `status --check` said ok:
 *  - a unix-dgram socket connect(2)ed to a socket of the worker's own:
 *    every other sender, the master's wake-ups included, got EPERM;
 *  - TCP_DEFER_ACCEPT on an inet socket: a service whose server speaks
 *    first (smtpd) greeted nobody;
 *  - listen(fd, 0): the backlog the configuration set, gone;
 *  - SO_LINGER on: every connection accepted from it closed with a reset;
 *  - (the eighth round) SO_BINDTODEVICE, which any process may set on a
 *    socket bound to no device: every client on another interface
 *    refused; IP_MINTTL or IPV6_MINHOPCOUNT 255: every client's SYN
 *    dropped; IP_TTL 1, which the accepted connections inherit: no reply
 *    gets past the first router.
 * Each is undone: the peer dissolved (connect AF_UNSPEC), the option set
 * back to the master's (it sets neither), listen(2) again with
 * listen_backlog (which on a listening socket only sets the backlog).
 * What cannot be undone on a listening socket (TCP_WINDOW_CLAMP, for
 * one) or is not looked at (SO_RCVBUF, TCP_MAXSEG) is docs/security.md's.
 *
 * When: after a worker of the service is reaped, at most once a second
 * per service (the worker that made the change may be the one gone, and
 * pools replace workers all the time), so neither an idle master nor a
 * busy one pays for it per request. Nothing here is fatal: a call that
 * fails leaves the socket as it was.
 *
 * The repairs of an inet socket are made off the loop (sockrepair.c): its
 * listen(2), and on older kernels its setsockopt, take the socket's lock,
 * which a worker can hold through a fault that lasts (getsockopt of
 * IP_MSFILTER copies under it). What to repair is read here: those reads
 * take no lock. One repair in flight per socket; an audit due while the
 * last still waits is skipped. */
#include "sockaudit.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "service.h"
#include "sockrepair.h"
#include "svctype.h"

#define SOCKAUDIT_INTERVAL_MS 1000u

static void sockaudit_dgram(const struct service_config *c, const struct service_socket *s)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	if (getpeername(s->fd, (struct sockaddr *)&peer, &len) < 0)
		return; /* ENOTCONN: as made */
	if (connect(s->fd, &unspec, sizeof(unspec)) == 0)
		log_warn("service %s: %s was connected to a peer by a process holding it "
			 "(a worker), which refuses every other sender: disconnected", c->name,
			 s->addr);
}

/* How an inet listener filters clients now, against how it was made
 * (its base, read when the master made or was given it: service.c).
 * Read without the socket's lock; the TTLs are set back whatever they
 * are (sockrepair.c). */
static void sockaudit_inet(int fd, int domain, const struct sockrepair_base *base,
			   struct sockrepair *job, struct sockrepair_base *now)
{
	job->family = domain;
	job->base = *base;
	sockrepair_remember(fd, now);
	job->device_back = now->ifindex != base->ifindex;
	job->minttl_back = now->minttl != base->minttl;
	job->minhops_back = domain == AF_INET6 && now->minhops != base->minhops;
	job->rcvlowat_back = now->rcvlowat != base->rcvlowat;
	job->txdelay_back = now->txdelay != base->txdelay;
}

static void sockaudit_stream(const struct service_config *c, struct service_socket *s)
{
	struct linger lg = { 0 };
	socklen_t len = sizeof(lg);
	int domain = 0, listening = 0, defer = 0;
	socklen_t dlen = sizeof(domain), llen = sizeof(listening), flen = sizeof(defer);
	/* The backlog cannot be read back; setting it costs one call. */
	struct sockrepair job = { .backlog = (int)c->set.listen_backlog };
	struct sockrepair_base now = SOCKREPAIR_BASE_DEFAULT;
	char why[128];

	/* Shut down: the hang-up's to mend (service.c), which binds an inet
	 * socket to its port first; a listen(2) here would autobind port 0's
	 * to another port. */
	if (getsockopt(s->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &llen) < 0 || !listening)
		return;
	job.defer_accept_off =
		getsockopt(s->fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
		(domain == AF_INET || domain == AF_INET6) &&
		getsockopt(s->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, &flen) == 0 && defer != 0;
	job.linger_off = getsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, &len) == 0 && lg.l_onoff;
	if (domain == AF_INET || domain == AF_INET6)
		sockaudit_inet(s->fd, domain, &s->made.base, &job, &now);
	bool run = sockrepair_run(&s->audit, s->fd, &job, why, sizeof(why));
	/* Skipped: said once while it lasts (a worker holding the lock would
	 * otherwise make a line a second); the changes are seen again at the
	 * next audit. */
	if (!run && !s->audit_skipped)
		log_warn("service %s: %s not looked after now: %s", c->name, s->addr, why);
	s->audit_skipped = !run;
	if (run && job.defer_accept_off)
		log_warn("service %s: %s had TCP_DEFER_ACCEPT set to %d by a process holding it "
			 "(a worker): set back to 0", c->name, s->addr, defer);
	if (run && job.linger_off)
		log_warn("service %s: %s had SO_LINGER set by a process holding it "
			 "(a worker): set back to off", c->name, s->addr);
	if (run && job.device_back)
		log_warn("service %s: %s was bound to interface %d by a process holding it "
			 "(a worker), which refused every client on another: set back to %d",
			 c->name, s->addr, now.ifindex, s->made.base.ifindex);
	if (run && (job.minttl_back || job.minhops_back))
		log_warn("service %s: %s had a minimum TTL of %d set by a process holding it "
			 "(a worker), which dropped every client further away: set back to %d",
			 c->name, s->addr, job.minttl_back ? now.minttl : now.minhops,
			 job.minttl_back ? s->made.base.minttl : s->made.base.minhops);
	if (run && job.rcvlowat_back)
		log_warn("service %s: %s had SO_RCVLOWAT set to %d by a process holding it "
			 "(a worker), which kept every server's read waiting: set back to %d",
			 c->name, s->addr, now.rcvlowat, s->made.base.rcvlowat);
	if (run && job.txdelay_back)
		log_warn("service %s: %s had TCP_TX_DELAY set to %d us by a process holding it "
			 "(a worker), which delayed every reply: set back to %d", c->name, s->addr,
			 now.txdelay, s->made.base.txdelay);
}

void sockaudit_service(struct service *svc, uint64_t now_ms)
{
	const struct service_config *c = svc->cfg;

	if (svc->sockaudit_ms != 0 && now_ms - svc->sockaudit_ms < SOCKAUDIT_INTERVAL_MS)
		return;
	svc->sockaudit_ms = now_ms;
	for (size_t i = 0; i < svc->nsocks; i++) {
		struct service_socket *s = &svc->socks[i];

		if (s->fd < 0 || s->shut)
			continue;
		if (c->type == SERVICE_UNIX_DGRAM)
			sockaudit_dgram(c, s);
		else if (svctype_listens(c->type))
			sockaudit_stream(c, s);
	}
}
