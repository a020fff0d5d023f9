/* echo_handler.h - the per-connection echo work.
 *
 * Shared by the echo service and the benchmark's baseline server, so that
 * both do exactly the same work per connection. */
#ifndef SERVICES_ECHO_HANDLER_H
#define SERVICES_ECHO_HANDLER_H

/* Echoes everything read from fd back to it until end-of-file or an error.
 * Does not close fd. */
void echo_handle(int fd);

#endif
