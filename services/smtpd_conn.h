/* smtpd_conn.h - one SMTP connection on a socket: reads lines into the
 * session, sends its replies, enforces the idle limit. */
#ifndef SMTPD_CONN_H
#define SMTPD_CONN_H

#include "smtpd_session.h"

/* The client's address as an address literal for the trace header:
 * "[192.0.2.1]", "[IPv6:2001:db8::1]", or "local" for a unix socket. */
#define SMTPD_CLIENT_MAX_BYTES 64

void smtpd_conn_client(int fd, char client[SMTPD_CLIENT_MAX_BYTES]);

/* Serves the session s (already initialized) on fd until QUIT, a 421, the
 * client's end of file, an I/O error, or timeout_ms without a complete
 * line from the client. Never closes fd. */
void smtpd_conn_serve(int fd, struct smtpd_session *s, int timeout_ms);

#endif
