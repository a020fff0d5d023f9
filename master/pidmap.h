/* pidmap.h - pid -> worker lookup for reaping, O(1) at 10,000 workers:
 * open addressing with linear probing and backward-shift deletion (no
 * tombstones, so lookups stay short however long the master runs). */
#ifndef MASTER_PIDMAP_H
#define MASTER_PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

struct pidmap_slot {
	pid_t pid; /* 0 = empty */
	void *value;
};

struct pidmap {
	struct pidmap_slot *slots;
	size_t cap; /* a power of two */
	size_t count;
};

int pidmap_put(struct pidmap *m, pid_t pid, void *value);
void *pidmap_get(const struct pidmap *m, pid_t pid);
void *pidmap_remove(struct pidmap *m, pid_t pid);
void pidmap_free(struct pidmap *m);

#endif
