/* dynuser.c - owns the dynamic user allocator (see dynuser.h): a table of
 * holder counts over the range, searched linearly from a hint. The range
 * is at most CONFIG_DYNUSER_RANGE_MAX (65536) uids, so the search is
 * bounded (4336 in the default range) and the table small (17 KiB).
 * Out of memory fails the allocation (errno ENOMEM), never the master. */
#include "dynuser.h"

#include <errno.h>
#include <stdlib.h>

#define DYNUSER_FNV_OFFSET 14695981039346656037ULL
#define DYNUSER_FNV_PRIME 1099511628211ULL

static size_t dynuser_size(uid_t min, uid_t max)
{
	return (size_t)(max - min) + 1;
}

static bool dynuser_in(const struct dynuser *d, uid_t uid)
{
	return d->holders != NULL && uid >= d->min && uid <= d->max;
}

int dynuser_alloc(struct dynuser *d, uid_t min, uid_t max, uint64_t hint, uid_t *uid)
{
	int rc = 0;

	if (min > max) {
		errno = EINVAL;
		return -1;
	}
	if (d->holders == NULL) {
		d->holders = calloc(dynuser_size(min, max), sizeof(*d->holders));
		if (d->holders == NULL) {
			errno = ENOMEM;
			return -1;
		}
		if (d->min != min || d->max != max)
			d->cursor = 0; /* else kept: no quick reuse after a full release */
		d->min = min;
		d->max = max;
		d->held = 0;
	} else if (d->min != min || d->max != max) {
		rc = 1;
	}
	size_t size = dynuser_size(d->min, d->max);
	size_t start = hint == DYNUSER_NEXT ? d->cursor % size : (size_t)(hint % size);
	for (size_t k = 0; k < size; k++) {
		size_t i = (start + k) % size;
		if (d->holders[i] != 0)
			continue;
		d->holders[i] = 1;
		d->held++;
		if (hint == DYNUSER_NEXT)
			d->cursor = i + 1;
		*uid = d->min + (uid_t)i;
		return rc;
	}
	errno = ENOSPC;
	return -1;
}

int dynuser_hold(struct dynuser *d, uid_t uid)
{
	if (!dynuser_in(d, uid) || d->holders[uid - d->min] == 0) {
		errno = EINVAL;
		return -1;
	}
	d->holders[uid - d->min]++;
	return 0;
}

void dynuser_release(struct dynuser *d, uid_t uid)
{
	if (!dynuser_in(d, uid) || d->holders[uid - d->min] == 0)
		return;
	if (--d->holders[uid - d->min] != 0)
		return;
	if (--d->held == 0) {
		free(d->holders);
		d->holders = NULL; /* the next allocation takes the range anew */
	}
}

unsigned dynuser_holders(const struct dynuser *d, uid_t uid)
{
	return dynuser_in(d, uid) ? d->holders[uid - d->min] : 0;
}

uint64_t dynuser_hash(const char *text)
{
	uint64_t h = DYNUSER_FNV_OFFSET;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
		h = (h ^ *p) * DYNUSER_FNV_PRIME;
	return h;
}
