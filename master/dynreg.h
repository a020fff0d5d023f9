/* dynreg.h - the host's registry of the dynamic uids held, shared by
 * every master on the host, so that a uid one master holds is never
 * handed out by another. Each master's allocator (dynuser.c) knows only
 * its own: an adversarial run had two masters with the default range give
 * uid 61184 to two services, whose workers then read each other's
 * environment and state and killed each other.
 *
 * The registry is a directory, DYNREG_DIR, root's and mode 0700, so that
 * nobody else can open (and lock) anything in it:
 *   owner.NONCE  one per master, flock'd for its whole life (the lock
 *                belongs to the open file description: it survives the
 *                daemon's forks and ends with the master, however it ends)
 *   UID          a symlink to the owner.NONCE of the master holding UID
 * A uid is taken by making its symlink (atomic: of two masters, one
 * wins) and given back by removing it. A symlink whose owner's lock is
 * free is a dead master's: it is removed under the directory's own lock
 * (taken without waiting: a busy one counts as held), after reading it
 * again, so two masters cannot both reclaim it.
 *
 * Used by isolation_dynuser.c on the loop thread, root only. Nothing here
 * is fatal: a registry that cannot be made (no /run) is logged once and
 * not used; one that is not root's 0700 refuses every dynamic uid. */
#ifndef MASTER_DYNREG_H
#define MASTER_DYNREG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define DYNREG_DIR "/run/master-dynamic-uid"

/* Opens the registry (once; later calls answer the same). Returns 0, 1
 * when there is none (logged once), or -1 with why (refused). */
int dynreg_open(char *why, size_t whysize);
/* Takes uid for this master. Returns 0 (taken, or no registry to take it
 * in), 1 if another living master holds it, or -1 with why (the registry
 * refused, or the entry could not be made). */
int dynreg_take(uid_t uid, char *why, size_t whysize);
/* Gives back uid, if this master holds it. */
void dynreg_release(uid_t uid);
/* Whether another living master, or systemd's DynamicUser=, holds uid
 * (the start's sweep of the range leaves its uids alone). */
bool dynreg_held_elsewhere(uid_t uid);

#endif
