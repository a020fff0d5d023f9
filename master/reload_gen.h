/* reload_gen.h - generations of configuration. A reload moves the running
 * configuration (m->cfg) into a generation when services that point into
 * it (svc->cfg) go on draining; each such service holds a reference, and
 * the last one to be freed frees the generation. */
#ifndef MASTER_RELOAD_GEN_H
#define MASTER_RELOAD_GEN_H

#include "config.h"
#include "list.h"

struct reload_gen {
	struct list link;  /* m->generations: what is left at exit */
	unsigned refs;
	struct config cfg;
};

/* An empty generation (allocated before a reload commits, so that the
 * commit cannot fail). NULL when out of memory. */
struct reload_gen *reload_gen_new(void);
/* Moves *cfg into g (leaving *cfg zeroed) and links g into gens, with one
 * reference: the caller's, dropped with reload_gen_unref() once the
 * services that point into it have taken theirs. */
void reload_gen_hold(struct list *gens, struct reload_gen *g, struct config *cfg);
void reload_gen_ref(struct reload_gen *g);
/* Drops a reference; the last one frees the configuration and g. */
void reload_gen_unref(struct reload_gen *g);
/* Frees an empty generation that was never held. */
void reload_gen_discard(struct reload_gen *g);
/* Frees every generation left (at exit, once the services are gone). */
void reload_gen_free_all(struct list *gens);

#endif
