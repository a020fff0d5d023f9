/* isolation.c - owns a service's launch environment (see isolation.h).
 * (Only the umask so far; the rest arrives with the secure-launch work.) */
#include "isolation.h"

#include <stdlib.h>

struct isolation {
	unsigned umask;
};

struct isolation *isolation_create(const struct master_settings *m,
				   const struct service_config *c)
{
	struct isolation *iso = calloc(1, sizeof(*iso));

	if (iso != NULL)
		iso->umask = c->set.umask;
	return iso;
}

void isolation_destroy(struct isolation *iso)
{
	free(iso);
}

void isolation_apply(const struct isolation *iso, struct launch_spec *spec)
{
	spec->umask = iso->umask;
}
