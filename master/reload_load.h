/* reload_load.h - reading a configuration off the loop thread: config_load()
 * (files, host names, users and groups: any of which may block on NSS,
 * LDAP or DNS) runs on a thread of its own, which signals an eventfd when
 * done. The loop applies the result, or gives up on it at its deadline:
 * a thread stuck in a lookup cannot be stopped, so it is left to finish
 * and its result dropped (reload.c refuses reloads until then). Host
 * names are looked up in a resolver process started here with the
 * master.conf reader, and ended at resolve_timeout (resolve.h).
 *
 * config_load() is not reentrant (libconfuse, getpwnam): at most one load
 * runs at a time, which reload.c guarantees. */
#ifndef MASTER_RELOAD_LOAD_H
#define MASTER_RELOAD_LOAD_H

#include <stdbool.h>

#include "config.h"

struct reload_load;

/* Starts loading dir with overrides (both copied). NULL with errno when it
 * cannot (out of memory, no thread). */
struct reload_load *reload_load_start(const char *dir, char *const *overrides);
/* Becomes readable when the load is done. */
int reload_load_fd(const struct reload_load *ld);
/* Whether the load is done (consumes the fd's wake-up). */
bool reload_load_done(struct reload_load *ld);
/* Once done: moves the configuration and errors out; returns what
 * config_load() returned. */
int reload_load_take(struct reload_load *ld, struct config *cfg, struct diag *errs);
/* The loop lets go: freed now if the thread is done, else by the thread
 * when it ends (its result then dropped). */
void reload_load_drop(struct reload_load *ld);

#endif
