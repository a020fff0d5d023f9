/* sockrepair.c - owns the system calls that put a shared listening socket
 * back as the master made it: the options a worker set (those that stop
 * or slow the service), the hop limits the accepted connections inherit
 * (IP_TTL 1 on the listener: no reply gets past the first router), then
 * listen(2) with the configured backlog (on a listening socket it only
 * sets the backlog). They take the socket's lock, which a worker can hold through
 * a fault it makes last (offloop.h), so they run on a job thread: system
 * calls only, nothing logged, nothing fatal; what fails shows at the next
 * audit. What to repair is decided on the loop (sockaudit.c). */
#include "sockrepair.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "offloop.h"

#define SOCKREPAIR_TCP_TX_DELAY 37 /* linux/tcp.h, 5.3 */

/* On the job's thread. */
static int sockrepair_call(int fd, const void *arg)
{
	const struct sockrepair *r = arg;
	int zero = 0, host_default = -1;
	struct linger off = { 0 };

	if (r->defer_accept_off)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &zero, sizeof(zero));
	if (r->linger_off)
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
	if (r->device_back && r->base.ifindex == 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0);
	else if (r->device_back)
		(void)setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &r->base.ifindex,
				 sizeof(r->base.ifindex));
	if (r->minttl_back)
		(void)setsockopt(fd, IPPROTO_IP, IP_MINTTL, &r->base.minttl, sizeof(r->base.minttl));
	if (r->minhops_back)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &r->base.minhops,
				 sizeof(r->base.minhops));
	if (r->rcvlowat_back)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &r->base.rcvlowat,
				 sizeof(r->base.rcvlowat));
	if (r->txdelay_back)
		(void)setsockopt(fd, IPPROTO_TCP, SOCKREPAIR_TCP_TX_DELAY, &r->base.txdelay,
				 sizeof(r->base.txdelay));
	if (r->family == AF_INET || r->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IP, IP_TTL, &host_default, sizeof(host_default));
	if (r->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &host_default,
				 sizeof(host_default));
	(void)listen(fd, r->backlog);
	return 0;
}

void sockrepair_remember(int fd, struct sockrepair_base *base)
{
	socklen_t len = sizeof(int);

	*base = SOCKREPAIR_BASE_DEFAULT;
	(void)getsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &base->ifindex, &len);
	len = sizeof(int);
	(void)getsockopt(fd, IPPROTO_IP, IP_MINTTL, &base->minttl, &len);
	len = sizeof(int);
	(void)getsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &base->minhops, &len);
	len = sizeof(int);
	(void)getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &base->rcvlowat, &len);
	len = sizeof(int);
	(void)getsockopt(fd, IPPROTO_TCP, SOCKREPAIR_TCP_TX_DELAY, &base->txdelay, &len);
}

bool sockrepair_run(struct offloop_slot **slot, int fd, const struct sockrepair *r, char *why,
		    size_t why_size)
{
	return offloop_run(slot, fd, sockrepair_call, r, sizeof(*r), why, why_size);
}
