/* spawn_peer.h - the client's address as environment variables for the
 * command, the way tcpserver (ucspi-tcp), systemd's Accept=yes and
 * unixserver (ucspi-unix) hand it over. */
#ifndef SPAWN_PEER_H
#define SPAWN_PEER_H

/* Sets, in the calling process's environment, for a TCP connection fd:
 *   PROTO=TCP, TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT
 *   (tcpserver), REMOTE_ADDR, REMOTE_PORT (systemd); an IPv4 client of an
 *   IPv6 socket shows as its IPv4 address;
 * for a unix stream socket:
 *   PROTO=UNIX, UNIXLOCALPATH, UNIXREMOTEEUID, UNIXREMOTEEGID,
 *   UNIXREMOTEPID (unixserver: the peer's credentials at connect time).
 * Every one of these names is removed first, so nothing stale or
 * imported survives. Returns 0, or -1 with errno (setenv's ENOMEM). */
int spawn_peer_env(int fd);

#endif
