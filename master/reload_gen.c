/* reload_gen.c - owns the generations of configuration (see reload_gen.h):
 * reference counts instead of scanning which addresses services point to.
 *
 * Out of memory: reload_gen_new() returns NULL and the reload is refused
 * before anything changed; nothing else here allocates. */
#include "reload_gen.h"

#include <stdlib.h>

struct reload_gen *reload_gen_new(void)
{
	return calloc(1, sizeof(struct reload_gen));
}

void reload_gen_hold(struct list *gens, struct reload_gen *g, struct config *cfg)
{
	g->cfg = *cfg;
	*cfg = (struct config){ 0 };
	g->refs = 1;
	list_append(gens, &g->link);
}

void reload_gen_ref(struct reload_gen *g)
{
	g->refs++;
}

void reload_gen_unref(struct reload_gen *g)
{
	if (--g->refs > 0)
		return;
	list_remove(&g->link);
	config_free(&g->cfg);
	free(g);
}

void reload_gen_discard(struct reload_gen *g)
{
	free(g);
}

void reload_gen_free_all(struct list *gens)
{
	if (gens->next == NULL)
		return; /* never initialised */
	while (!list_empty(gens)) {
		struct reload_gen *g = LIST_ENTRY(gens->next, struct reload_gen, link);
		list_remove(&g->link);
		config_free(&g->cfg);
		free(g);
	}
}
