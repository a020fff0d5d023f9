/* spawn_peer.c - owns telling the command who its client is (see
 * spawn_peer.h). Runs in the forked child before exec: ordinary libc
 * calls are fine there (a copy of a single-threaded process). */
#include "spawn_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define SPAWN_PEER_NUMBER_BYTES 24

static const char *const spawn_peer_names[] = {
	"PROTO", "TCPREMOTEIP", "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT",
	"TCPREMOTEHOST", "TCPLOCALHOST", "TCPREMOTEINFO", "REMOTE_ADDR", "REMOTE_PORT",
	"UNIXLOCALPATH", "UNIXREMOTEEUID", "UNIXREMOTEEGID", "UNIXREMOTEPID",
};

/* addr as text and its port; an IPv4-mapped IPv6 address as IPv4. */
static int spawn_peer_inet(const struct sockaddr_storage *ss, char *ip, size_t ipsize,
			   char *port, size_t portsize)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &in4->sin_addr, ip, (socklen_t)ipsize);
		snprintf(port, portsize, "%u", ntohs(in4->sin_port));
		return 0;
	}
	if (ss->ss_family != AF_INET6)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
		inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, (socklen_t)ipsize);
	else
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)ipsize);
	snprintf(port, portsize, "%u", ntohs(in6->sin6_port));
	return 0;
}

static int spawn_peer_tcp(const struct sockaddr_storage *local,
			  const struct sockaddr_storage *remote)
{
	char lip[INET6_ADDRSTRLEN] = "", lport[SPAWN_PEER_NUMBER_BYTES] = "";
	char rip[INET6_ADDRSTRLEN] = "", rport[SPAWN_PEER_NUMBER_BYTES] = "";

	spawn_peer_inet(local, lip, sizeof(lip), lport, sizeof(lport));
	spawn_peer_inet(remote, rip, sizeof(rip), rport, sizeof(rport));
	if (setenv("PROTO", "TCP", 1) != 0 ||
	    setenv("TCPLOCALIP", lip, 1) != 0 || setenv("TCPLOCALPORT", lport, 1) != 0 ||
	    setenv("TCPREMOTEIP", rip, 1) != 0 || setenv("TCPREMOTEPORT", rport, 1) != 0 ||
	    setenv("REMOTE_ADDR", rip, 1) != 0 || setenv("REMOTE_PORT", rport, 1) != 0)
		return -1;
	return 0;
}

static int spawn_peer_unix(int fd, const struct sockaddr_storage *local, socklen_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)local;
	size_t plen = len > offsetof(struct sockaddr_un, sun_path)
		? len - offsetof(struct sockaddr_un, sun_path) : 0;
	char path[sizeof(sun->sun_path) + 1], num[SPAWN_PEER_NUMBER_BYTES];
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	/* An abstract name (leading NUL) has no path to show. */
	snprintf(path, sizeof(path), "%.*s", plen > 0 && sun->sun_path[0] ? (int)plen : 0,
		 sun->sun_path);
	if (setenv("PROTO", "UNIX", 1) != 0 || setenv("UNIXLOCALPATH", path, 1) != 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0)
		return 0; /* unknown: the variables stay unset */
	snprintf(num, sizeof(num), "%u", (unsigned)cred.uid);
	if (setenv("UNIXREMOTEEUID", num, 1) != 0)
		return -1;
	snprintf(num, sizeof(num), "%u", (unsigned)cred.gid);
	if (setenv("UNIXREMOTEEGID", num, 1) != 0)
		return -1;
	snprintf(num, sizeof(num), "%ld", (long)cred.pid);
	return setenv("UNIXREMOTEPID", num, 1);
}

int spawn_peer_env(int fd)
{
	struct sockaddr_storage local, remote;
	socklen_t llen = sizeof(local), rlen = sizeof(remote);

	for (size_t i = 0; i < sizeof(spawn_peer_names) / sizeof(spawn_peer_names[0]); i++)
		(void)unsetenv(spawn_peer_names[i]);
	memset(&local, 0, sizeof(local));
	memset(&remote, 0, sizeof(remote));
	if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0)
		return 0; /* not a socket: nothing to say */
	if (local.ss_family == AF_UNIX)
		return spawn_peer_unix(fd, &local, llen);
	if (local.ss_family != AF_INET && local.ss_family != AF_INET6)
		return 0;
	if (getpeername(fd, (struct sockaddr *)&remote, &rlen) != 0)
		return 0; /* the client is gone already */
	return spawn_peer_tcp(&local, &remote);
}
