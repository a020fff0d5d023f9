/* sockrepair.h - the repairs of a shared listening socket, made off the
 * loop (see sockrepair.c): for sockaudit.c, which decides on them, and for
 * a reload's new backlog of a socket it keeps (service.c). */
#ifndef MASTER_SOCKREPAIR_H
#define MASTER_SOCKREPAIR_H

#include <stdbool.h>
#include <stddef.h>

struct offloop_slot;

/* How an inet listener filters its clients, as the master made it or
 * was given it (systemd's BindToDevice=, a link-local address's scope):
 * what the audit sets back, not zero. Zeroed: nothing (a local socket). */
struct sockrepair_base {
	int ifindex;  /* SO_BINDTOIFINDEX */
	int minttl;   /* IP_MINTTL */
	int minhops;  /* IPV6_MINHOPCOUNT */
	int rcvlowat; /* SO_RCVLOWAT: accepted connections inherit it, and a
		       * server's read waits for that many bytes (16 MiB) */
	int txdelay;  /* TCP_TX_DELAY: every segment they send delayed (up
		       * to 100 s, on a qdisc that honours it) */
};

/* A socket's options before anything was read back: SO_RCVLOWAT's
 * default is 1, the others' 0. */
#define SOCKREPAIR_BASE_DEFAULT ((struct sockrepair_base){ 0, 0, 0, 1, 0 })

struct sockrepair {
	bool defer_accept_off;  /* TCP_DEFER_ACCEPT set back to 0 */
	bool linger_off;        /* SO_LINGER set back to off */
	bool device_back;       /* the interface binding set back to base's */
	bool minttl_back;       /* IP_MINTTL set back to base's */
	bool minhops_back;      /* IPV6_MINHOPCOUNT set back to base's */
	bool rcvlowat_back;     /* SO_RCVLOWAT set back to base's */
	bool txdelay_back;      /* TCP_TX_DELAY set back to base's */
	struct sockrepair_base base;
	int family;             /* AF_INET, AF_INET6: the hop limits set back to
				 * the host's default (they cannot be told
				 * from it when read) */
	int backlog;            /* then listen(2) with it */
};

/* Reads fd's base (on the loop: these reads take no lock). */
void sockrepair_remember(int fd, struct sockrepair_base *base);

/* Hands r to a job thread on a duplicate of fd (offloop.h), one in flight
 * per slot. False with why when not now: the last still waits, or no
 * thread. A repair that did not take is seen again at the next audit. */
bool sockrepair_run(struct offloop_slot **slot, int fd, const struct sockrepair *r, char *why,
		    size_t why_size);

#endif
