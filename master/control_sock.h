/* control_sock.h - the control socket's file: its directory opened and
 * checked (rundir.h), the socket bound there born 0600 (umask), checked
 * after bind to be a socket the master owns, and from then on reached only
 * through the directory fd, never by following a path: its mode and group
 * change on the fd of the file itself (control_auth.c), after checking it
 * is still the file bound. So a symlink planted in its place leads the
 * master nowhere. */
#ifndef MASTER_CONTROL_SOCK_H
#define MASTER_CONTROL_SOCK_H

#include "control.h"

#define CONTROL_SOCK_KEPT (-2)

/* Opens ctl->path's directory and binds a listening socket there. Returns
 * the socket, or -1 (logged). */
int control_sock_open(struct control *ctl);
/* Opens the directory again (it may have been made again) and returns a
 * new listening socket if the file there is not the one bound any more
 * (logged); CONTROL_SOCK_KEPT if it is; -1 (logged) on failure. */
int control_sock_renew(struct control *ctl);
/* The file's O_PATH fd, if it is still the socket bound; else -1. */
int control_sock_file(const struct control *ctl);
/* Removes the file if it is still the one bound; closes the directory. */
void control_sock_remove(struct control *ctl);

#endif
