/* config_addr.c - owns the local-address probe of inet services (see
 * config_addr.h). Wildcard addresses are always local and not probed.
 *
 * Nothing is fatal here: a probe that cannot be made (no socket, out of
 * fds) proves nothing and says nothing; start reports a real failure. */
#include "config_addr.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool config_addr_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

void config_addr_check(const struct service_config *sc, const char *where, struct diag *errs)
{
	/* freebind=yes binds an address that is not up yet: not an error. */
	if (sc->type != SERVICE_INET || sc->set.freebind)
		return;
	for (size_t i = 0; i < sc->naddrs; i++) {
		struct sockaddr_storage ss = sc->addrs[i].sa;
		if ((ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
		    config_addr_wildcard(&ss))
			continue;
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (bind(fd, (struct sockaddr *)&ss, sc->addrs[i].len) < 0 && errno == EADDRNOTAVAIL) {
			char text[128];
			config_format_addr(&sc->addrs[i], text, sizeof(text));
			/* The words of the bind at start (listener.c). */
			diag_add(errs, "%s: service %s: bind %s: %s (not an address of this host: "
				 "-o freebind=yes binds it anyway)", where, sc->name, text,
				 strerror(EADDRNOTAVAIL));
		}
		close(fd);
	}
}
