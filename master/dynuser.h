/* dynuser.h - the dynamic user allocator: which uids of the range
 * dynamic_uid_min..dynamic_uid_max are handed out, each with a count of
 * holders (a service's uid is shared by the generations of that service
 * that a reload keeps running at once). Pure: no system calls, no clock;
 * the range's freedom from /etc/passwd is checked at load
 * (config_dynuser.c), the uses are isolation_dynuser.c's.
 *
 * Memory is held only while some uid is: the table is allocated at the
 * first allocation and freed with the last release, so an idle allocator
 * (and the master at exit) holds nothing, and a new range takes effect as
 * soon as no uid of the old one is held. */
#ifndef MASTER_DYNUSER_H
#define MASTER_DYNUSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A hint meaning "after the last one handed out" (next fit): a released
 * uid is not handed out again until the range has gone round. */
#define DYNUSER_NEXT UINT64_MAX

struct dynuser {
	uid_t min, max;     /* the range in force while anything is held */
	uint32_t *holders;  /* per uid of the range; NULL: nothing held */
	size_t held;        /* uids with holders */
	size_t cursor;      /* next-fit position (index into the range) */
};

/* Hands out a free uid of min..max into *uid, one holder. hint picks where
 * the search starts (min + hint % size, then upwards, wrapping): a hash of
 * a service's name gives it the same uid every time it is free, and
 * DYNUSER_NEXT continues after the last uid handed out. Returns 0; 1 when
 * uids of another range are still held (the uid comes from that one; the
 * new range waits until none is); -1 with errno ENOSPC (every uid held),
 * ENOMEM, or EINVAL (min > max). */
int dynuser_alloc(struct dynuser *d, uid_t min, uid_t max, uint64_t hint, uid_t *uid);
/* One more holder of a held uid (a reload's successor). Returns 0, or -1
 * (EINVAL) if uid is not held. */
int dynuser_hold(struct dynuser *d, uid_t uid);
/* One holder less; the uid is free again without holders. Releasing a uid
 * that is not held does nothing. */
void dynuser_release(struct dynuser *d, uid_t uid);
/* How many hold uid (0: free). */
unsigned dynuser_holders(const struct dynuser *d, uid_t uid);
/* FNV-1a of text: a service's hint. */
uint64_t dynuser_hash(const char *text);

#endif
