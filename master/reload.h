/* reload.h - `masterctl reload` and SIGHUP: load the new configuration
 * completely, then diff it against the running one by service identity
 * (name and type) and apply it all or nothing:
 *
 *   unchanged  the running service keeps its sockets and workers;
 *   changed    a new generation on the same listening sockets (handed
 *              over, never closed) or on its new addresses; the old one
 *              serves until the new one has its prefork workers ready (or
 *              startup_timeout passed), then drains;
 *   removed    drains; its sockets close with its last worker;
 *   added      starts.
 *
 * Draining generations sit on m->draining until their last worker is
 * reaped; the configuration they point into stays alive until then. */
#ifndef MASTER_RELOAD_H
#define MASTER_RELOAD_H

#include <stdint.h>

struct master;
struct outbuf;

/* Reloads from m->cfg.dir with m->overrides. The reply (also logged) is
 * "added: ...", "removed: ...", "changed: ...", "unchanged: ..." lines; or
 * "error: ..." followed by every configuration error as FILE:LINE: message,
 * with nothing changed. Returns 0 or -1. */
int reload_apply(struct master *m, struct outbuf *reply);
/* Ends handovers that are due and frees drained generations (between
 * event batches, after dead workers are freed). Returns the next handover
 * deadline. */
uint64_t reload_tick(struct master *m, uint64_t now_ms);
/* Frees every kept configuration generation (at exit, services gone). */
void reload_fini(struct master *m);

#endif
