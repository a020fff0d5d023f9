/* config_addr.c - owns a service's address list: inet names split and
 * resolved, and the local-address probe (see config_addr.h). Wildcard
 * addresses are always local and not probed.
 *
 * Nothing is fatal here: a probe that cannot be made (no socket, out of
 * fds) proves nothing and says nothing; start reports a real failure. */
#include "config_addr.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "resolve.h"

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

int config_addr_add(struct service_config *sc, const struct sockaddr *sa, socklen_t len)
{
	for (size_t i = 0; i < sc->naddrs; i++)
		if (sc->addrs[i].len == len && memcmp(&sc->addrs[i].sa, sa, len) == 0)
			return 0; /* getaddrinfo repeats addresses (hosts file, protocols) */
	struct service_addr *a = realloc(sc->addrs, (sc->naddrs + 1) * sizeof(*a));
	if (a == NULL)
		return -1;
	sc->addrs = a;
	memset(&a[sc->naddrs], 0, sizeof(*a));
	memcpy(&a[sc->naddrs].sa, sa, len);
	a[sc->naddrs++].len = len;
	return 0;
}

/* Splits "[host:]port" or "[v6]:port". *host stays NULL for "port" alone.
 * Returns NULL, or why the name is malformed. */
static const char *config_addr_split(const char *name, char **host, char **port)
{
	const char *colon = strrchr(name, ':');

	if (name[0] == '[') {
		const char *close = strchr(name, ']');
		if (close == NULL || close[1] != ':')
			return "expected [host]:port";
		*host = strndup(name + 1, (size_t)(close - name - 1));
		*port = strdup(close + 2);
	} else if (colon != NULL) {
		if (strchr(name, ':') != colon)
			return "an IPv6 address needs brackets, as in [::1]:port";
		*host = strndup(name, (size_t)(colon - name));
		*port = strdup(colon + 1);
	} else {
		*port = strdup(name);
	}
	if (*port == NULL || ((colon != NULL || name[0] == '[') && *host == NULL))
		return "out of memory";
	if (**port == '\0' || (*host != NULL && **host == '\0'))
		return "expected [host:]port";
	return NULL;
}

void config_addr_resolve_inet(struct service_config *sc, struct resolver *res,
			      unsigned timeout_s, const char *where, struct diag *errs)
{
	struct resolve_answer ans;
	char *host = NULL, *port = NULL, rwhy[RESOLVE_WHY_BYTES];
	const char *why = config_addr_split(sc->name, &host, &port);

	if (why != NULL) {
		diag_add(errs, "%s: inet service \"%s\": %s", where, sc->name, why);
	} else if (resolve_lookup(res, host, port, timeout_s, &ans, rwhy, sizeof(rwhy)) < 0) {
		diag_add(errs, "%s: cannot resolve \"%s\": %s", where, sc->name, rwhy);
	} else {
		for (size_t i = 0; i < ans.n; i++)
			if (config_addr_add(sc, (const struct sockaddr *)&ans.a[i].sa,
					    (socklen_t)ans.a[i].len) < 0) {
				diag_oom(errs, where);
				break;
			}
	}
	free(host);
	free(port);
}

int config_addr_port(const struct service_addr *a)
{
	if (a->sa.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
	if (a->sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
	return -1;
}
