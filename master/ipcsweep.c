/* ipcsweep.c - owns the dynamic uids held back until a whole walk of
 * /dev/mqueue and /dev/shm has removed what they left (see ipcsweep.h),
 * and that walk's pace. The walk itself is ipcclean.c's.
 *
 * Nothing here is fatal. Out of memory, a uid is not held back (the
 * caller gives it back as before, what it left past the release's walk
 * staying). */
#include "ipcsweep.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dynreg.h"
#include "log.h"

#define IPCSWEEP_GROW_MIN 16u

static void ipcsweep_give_back(struct dynuser *pool, uid_t uid)
{
	dynuser_release(pool, uid);
	dynreg_release(uid); /* after: not another master's to use before */
}

static const struct ipcsweep_ops ipcsweep_real = { ipcclean_step, ipcsweep_give_back };

static const struct ipcsweep_ops *ipcsweep_ops(const struct ipcsweep *s)
{
	return s->ops != NULL ? s->ops : &ipcsweep_real;
}

/* Where uid is, or would go, in the sorted list. */
static size_t ipcsweep_find(const struct ipcsweep *s, uid_t uid)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->held[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ipcsweep_holds(const struct ipcsweep *s, uid_t uid)
{
	size_t i = ipcsweep_find(s, uid);

	return i < s->n && s->held[i].uid == uid;
}

static bool ipcsweep_member(uid_t uid, void *ctx)
{
	return ipcsweep_holds(ctx, uid);
}

int ipcsweep_add(struct ipcsweep *s, uid_t uid, uint64_t owner, size_t quota)
{
	size_t i = ipcsweep_find(s, uid), owned = 0;

	if (i < s->n && s->held[i].uid == uid) { /* cannot be: held once */
		s->held[i].pass = s->pass + 1;
		return 0;
	}
	for (size_t k = 0; k < s->n; k++)
		owned += s->held[k].owner == owner;
	if (owned >= quota)
		return 1;
	if (s->n == s->cap) {
		size_t cap = s->cap < IPCSWEEP_GROW_MIN ? IPCSWEEP_GROW_MIN : s->cap * 2;
		struct ipcsweep_uid *held = realloc(s->held, cap * sizeof(*held));
		if (held == NULL)
			return -1;
		s->held = held;
		s->cap = cap;
	}
	memmove(&s->held[i + 1], &s->held[i], (s->n - i) * sizeof(*s->held));
	/* The walk under way may have passed its entries already: the next. */
	s->held[i] = (struct ipcsweep_uid){ uid, s->pass + 1, owner };
	s->n++;
	return 0;
}

/* The walk s->pass has ended: those it covered go back. */
static void ipcsweep_ended(struct ipcsweep *s)
{
	size_t kept = 0, given = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->held[i].pass <= s->pass) {
			ipcsweep_ops(s)->release(s->pool, s->held[i].uid);
			given++;
			s->given++;
		} else {
			s->held[kept++] = s->held[i];
		}
	}
	s->n = kept;
	if (s->found.removed + s->found.failed > 0)
		log_warn("dynamic users: %u /dev/shm or /dev/mqueue entries left past a release's "
			 "walk: %u removed%s; %zu uid%s given back", s->found.removed +
			 s->found.failed, s->found.removed, s->found.failed == 0 ? "" :
			 ", the rest could not be (made root's, 0700)", given, given == 1 ? "" : "s");
	if (s->n == 0) {
		free(s->held);
		s->held = NULL;
		s->cap = 0;
	}
}

/* One step of the walk, a new one begun if none is under way. */
static void ipcsweep_step(struct ipcsweep *s)
{
	if (!s->walking) {
		s->walking = true;
		s->pass++;
		memset(&s->found, 0, sizeof(s->found));
	}
	if (!ipcsweep_ops(s)->step(&s->cursor, ipcsweep_member, s, IPCSWEEP_STEP_ENTRIES,
				   &s->found))
		return;
	s->walking = false;
	ipcsweep_ended(s);
}

uint64_t ipcsweep_tick(struct ipcsweep *s, uint64_t now_ms)
{
	if (s->n == 0)
		return CLOCK_NEVER_MS;
	if (now_ms < s->next_ms)
		return s->next_ms;
	ipcsweep_step(s);
	s->next_ms = now_ms + IPCSWEEP_STEP_MS;
	return s->n == 0 ? CLOCK_NEVER_MS : s->next_ms;
}

void ipcsweep_finish(struct ipcsweep *s)
{
	for (unsigned i = 0; i < IPCSWEEP_FINISH_STEPS && s->n > 0; i++)
		ipcsweep_step(s);
	if (s->n > 0) {
		log_warn("dynamic users: %zu uids given back before a walk of /dev/shm reached "
			 "what they left", s->n);
		s->pass = UINT_MAX; /* every one */
		ipcsweep_ended(s);
	}
	ipcclean_cursor_close(&s->cursor);
	free(s->held);
	memset(s, 0, sizeof(*s));
}
