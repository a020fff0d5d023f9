/* pidmap.c - owns the pid hash table (see pidmap.h). */
#include "pidmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PIDMAP_MIN_SLOTS 64

static size_t pidmap_home(const struct pidmap *m, pid_t pid)
{
	/* Fibonacci hashing spreads sequential pids across the table. */
	return (size_t)(((uint32_t)pid * 2654435769u) & (uint32_t)(m->cap - 1));
}

static int pidmap_grow(struct pidmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : PIDMAP_MIN_SLOTS;
	struct pidmap old = *m;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (m->slots == NULL) {
		*m = old;
		return -1;
	}
	m->cap = cap;
	m->count = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].pid != 0)
			pidmap_put(m, old.slots[i].pid, old.slots[i].value);
	free(old.slots);
	return 0;
}

int pidmap_put(struct pidmap *m, pid_t pid, void *value)
{
	if ((m->count + 1) * 2 > m->cap && pidmap_grow(m) < 0)
		return -1;
	for (size_t i = pidmap_home(m, pid);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].pid == 0 || m->slots[i].pid == pid) {
			if (m->slots[i].pid == 0)
				m->count++;
			m->slots[i].pid = pid;
			m->slots[i].value = value;
			return 0;
		}
	}
}

static size_t pidmap_find(const struct pidmap *m, pid_t pid)
{
	if (m->cap == 0)
		return SIZE_MAX;
	for (size_t i = pidmap_home(m, pid);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].pid == pid)
			return i;
		if (m->slots[i].pid == 0)
			return SIZE_MAX;
	}
}

void *pidmap_get(const struct pidmap *m, pid_t pid)
{
	size_t i = pidmap_find(m, pid);

	return i == SIZE_MAX ? NULL : m->slots[i].value;
}

void *pidmap_remove(struct pidmap *m, pid_t pid)
{
	size_t i = pidmap_find(m, pid);
	void *value;

	if (i == SIZE_MAX)
		return NULL;
	value = m->slots[i].value;
	/* Backward-shift: pull later members of the probe run into the hole. */
	for (size_t j = (i + 1) & (m->cap - 1); m->slots[j].pid != 0;
	     j = (j + 1) & (m->cap - 1)) {
		size_t home = pidmap_home(m, m->slots[j].pid);
		/* Move j into i if its home is not in the cyclic range (i, j]. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].pid = 0;
	m->slots[i].value = NULL;
	m->count--;
	return value;
}

void pidmap_free(struct pidmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
