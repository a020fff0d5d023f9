/* resolve.h - the host names (and service names) of master.cf's inet
 * services, looked up with a deadline.
 *
 * The rule: a name is resolved once, when the configuration is loaded (at
 * start, by `master -n` and `masterctl check`, and at every reload); every
 * address it resolves to is bound (as Postfix does for inet_interfaces);
 * the host names of one load together get resolve_timeout; a name that
 * does not resolve, or not in time, is an error of the load naming its
 * master.cf line and the resolver's message. A numeric address and port
 * are converted at once, never looked up.
 *
 * getaddrinfo() has no timeout and cannot be cancelled (getaddrinfo_a()
 * only gives up waiting: its thread stays stuck in NSS, and it leaves
 * threads behind in a master that clones copies of itself, which must be
 * single-threaded then). So names are looked up in a resolver process of
 * its own, a copy of the master made like the master.conf reader
 * (settings_reader.h: clone with exit signal 0, while the process has one
 * thread), and killed (SIGKILL) when the deadline passes: a stuck lookup
 * ends for sure, and the next reload is not held up by it. */
#ifndef MASTER_RESOLVE_H
#define MASTER_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define RESOLVE_MAX_ADDRS 64
#define RESOLVE_WHY_BYTES 256

struct resolve_addr {
	uint32_t len;
	struct sockaddr_storage sa;
};

struct resolve_answer {
	size_t n;
	struct resolve_addr a[RESOLVE_MAX_ADDRS];
};

struct resolver {
	pid_t pid;            /* -1: none (not started, or ended) */
	int fd;               /* our end of its socket */
	bool may_start;       /* the process has one thread: start it on demand */
	uint64_t deadline_ms; /* set by the first lookup; 0: not yet */
	char failed[RESOLVE_WHY_BYTES]; /* not "": why no more lookups this load */
};

/* A resolver not yet started; may_start: resolve_lookup() may start it
 * (only while the process has one thread: start, `-n`, masterctl). */
void resolve_init(struct resolver *r, bool may_start);
/* Starts the process now (the loop thread, before the reload thread).
 * Returns 0, or -1 with errno. */
int resolve_start(struct resolver *r);
/* Ends and reaps it (if started). */
void resolve_end(struct resolver *r);
/* getaddrinfo(host, port) for a listening socket (host NULL: the wildcard
 * addresses), every address in ans. timeout_s: the load's budget, counted
 * from its first lookup. Returns 0, or -1 with the reason in why. */
int resolve_lookup(struct resolver *r, const char *host, const char *port, unsigned timeout_s,
		   struct resolve_answer *ans, char *why, size_t whysize);

#endif
