/* ipcsweep.h - the dynamic uids whose release walk stopped short. Anyone
 * may fill /dev/shm past what a release looks at (IPCCLEAN_ENTRIES_MAX,
 * ipcclean.c), and what the uid left past that would go to its next
 * holder. So such a uid stays held in the allocator, by the sweep, until a
 * walk of /dev/mqueue and /dev/shm that began after its release has read
 * both to the end, IPCSWEEP_STEP_ENTRIES entries each IPCSWEEP_STEP_MS on
 * the master's loop, removing what any uid held here left. Then it is
 * given back (allocator and host registry). One walk serves every uid
 * released before it began, however many. */
#ifndef MASTER_IPCSWEEP_H
#define MASTER_IPCSWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dynuser.h"
#include "ipcclean.h"

#define IPCSWEEP_STEP_ENTRIES 4096u /* ~5 ms of the loop a step, as a release's walk */
#define IPCSWEEP_STEP_MS 50u        /* so at most ~10% of the loop while a walk goes on */
#define IPCSWEEP_FINISH_STEPS 256u  /* at exit: a million entries, then given back as is */

/* What the sweep does to the world; NULL in struct ipcsweep: ipcclean_step
 * and a release to the allocator and dynreg. Unit tests give their own. */
struct ipcsweep_ops {
	bool (*step)(struct ipcclean_cursor *c, bool (*member)(uid_t uid, void *ctx), void *ctx,
		     unsigned budget, struct ipcclean_count *n);
	void (*release)(struct dynuser *pool, uid_t uid);
};

struct ipcsweep_uid {
	uid_t uid;
	unsigned pass;  /* given back once this walk has ended */
	uint64_t owner; /* whose (a hash of the service's name): its quota */
};

struct ipcsweep {
	struct dynuser *pool;        /* the allocator the uids are held in */
	const struct ipcsweep_ops *ops;
	struct ipcsweep_uid *held;   /* sorted by uid */
	size_t n, cap;
	unsigned pass;               /* the walk under way, or the last one */
	bool walking;
	struct ipcclean_cursor cursor;
	struct ipcclean_count found; /* the walk's own */
	uint64_t next_ms;            /* its next step */
	uint64_t given;              /* uids given back so far (a waiting pool looks) */
};

/* The sweep takes over uid's last holder in s->pool (the caller keeps it
 * held, does not release it), for owner, who may have at most quota uids
 * held back: a worker that leaves a million files of its own at each
 * release must not hold the range's uids from the other services. Returns
 * 0; 1 if owner's quota is full, -1 out of memory (the caller gives the
 * uid back as before either way). */
int ipcsweep_add(struct ipcsweep *s, uid_t uid, uint64_t owner, size_t quota);
/* One step if one is due; gives back the uids a finished walk covered.
 * Returns when the next step is due, CLOCK_NEVER_MS with nothing held. */
uint64_t ipcsweep_tick(struct ipcsweep *s, uint64_t now_ms);
/* Whether uid is held here. */
bool ipcsweep_holds(const struct ipcsweep *s, uid_t uid);
/* At the master's exit: the walk to its end (at most
 * IPCSWEEP_FINISH_STEPS steps), then every uid given back. */
void ipcsweep_finish(struct ipcsweep *s);

#endif
