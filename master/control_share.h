/* control_share.h - which control client makes room for a new one: the
 * policy of control.c's client table, pure (no sockets), unit-tested.
 * A caller past its share (per_uid_max clients) loses its own oldest; a
 * full table loses the oldest client of the uid holding the most. So a
 * flood from one uid only ever pushes out that uid's clients, and the
 * oldest first: a legitimate client is done in milliseconds. */
#ifndef MASTER_CONTROL_SHARE_H
#define MASTER_CONTROL_SHARE_H

#include <stddef.h>
#include <sys/types.h>

/* uids: the clients' uids, oldest first (n of them). Returns the index of
 * the client to close before taking one more from uid, or -1 if none
 * need go. */
long control_share_victim(const uid_t *uids, size_t n, uid_t uid, size_t per_uid_max,
			  size_t total_max);

#endif
