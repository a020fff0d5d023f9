/* launch_caps.c - owns the capability steps of a launch (see
 * launch_child.h): what a worker keeps (only the service's named
 * capabilities, through the ambient set) and what it loses (everything
 * else: effective, permitted, inheritable, ambient and bounding sets), with
 * securebits locked so that even a uid-0 worker (unpriv=n) gains nothing
 * back from exec or setuid.
 *
 * The order is forced by the kernel's rules:
 *  1. inheritable = kept, while the bounding set is still full (capset may
 *     only add inheritable bits that are in the bounding set);
 *  2. ambient = kept (needs them permitted and inheritable);
 *  3. bounding set emptied and securebits set and locked (both need
 *     CAP_SETPCAP, which the id change would take away): NOROOT (uid 0
 *     gets no capabilities at exec), NO_SETUID_FIXUP (the id change keeps
 *     permitted and ambient, so the kept bits survive it without
 *     KEEP_CAPS), KEEP_CAPS off, NO_CAP_AMBIENT_RAISE (ambient already
 *     holds all it ever will), each locked;
 *  4. the id change (launch.c);
 *  5. effective = permitted = inheritable = kept, ambient follows, and a
 *     capget to prove it.
 * Child code uses raw capget/capset; libcap runs in the parent only. */
#include "launch_child.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/capability.h>

#define LAUNCH_CAPS_WORDS 2 /* _LINUX_CAPABILITY_U32S_3: 64 bits */
#define LAUNCH_CAPS_SECUREBITS \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | \
	 SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED | \
	 SECBIT_KEEP_CAPS_LOCKED | \
	 SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

LAUNCH_NO_SANITIZE
static uint64_t launch_caps_keep(const struct launch_child *c)
{
	return c->spec->iso != NULL ? c->spec->iso->caps_keep : 0;
}

LAUNCH_NO_SANITIZE
static long launch_caps_get(struct __user_cap_data_struct d[LAUNCH_CAPS_WORDS])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return LAUNCH_SYS(SYS_capget, &h, d);
}

/* Sets effective, permitted and inheritable to eff, perm, inh. */
LAUNCH_NO_SANITIZE
static long launch_caps_set(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[LAUNCH_CAPS_WORDS];

	for (int i = 0; i < LAUNCH_CAPS_WORDS; i++) {
		d[i].effective = (uint32_t)(eff >> (32 * i));
		d[i].permitted = (uint32_t)(perm >> (32 * i));
		d[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	return LAUNCH_SYS(SYS_capset, &h, d);
}

LAUNCH_NO_SANITIZE
static uint64_t launch_caps_join(const struct __user_cap_data_struct d[LAUNCH_CAPS_WORDS],
				 int which)
{
	uint64_t v = 0;

	for (int i = LAUNCH_CAPS_WORDS - 1; i >= 0; i--)
		v = (v << 32) | (which == 0 ? d[i].effective : which == 1 ? d[i].permitted
				 : d[i].inheritable);
	return v;
}

/* Steps 1 and 2: the kept bits into inheritable, then into ambient. */
LAUNCH_NO_SANITIZE
static int launch_caps_ambient(struct launch_child *c, uint64_t keep)
{
	struct __user_cap_data_struct d[LAUNCH_CAPS_WORDS];
	long rc;

	/* Whatever the master's own ambient set holds goes first. */
	if ((rc = LAUNCH_SYS(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)) < 0)
		return launch_fail(c, "clear ambient capabilities", rc);
	if (keep == 0)
		return 0;
	if ((rc = launch_caps_get(d)) < 0)
		return launch_fail(c, "capget", rc);
	rc = launch_caps_set(launch_caps_join(d, 0), launch_caps_join(d, 1), keep);
	if (rc < 0)
		return launch_fail(c, "inheritable capabilities", rc);
	for (unsigned cap = 0; cap < 64; cap++) {
		if (!(keep & (UINT64_C(1) << cap)))
			continue;
		rc = LAUNCH_SYS(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
		if (rc < 0)
			return launch_fail(c, "ambient capabilities", rc);
	}
	return 0;
}

LAUNCH_NO_SANITIZE
int launch_caps_prepare(struct launch_child *c)
{
	uint64_t keep = launch_caps_keep(c);
	long rc;

	/* An unprivileged master has nothing to give and no way to lock
	 * anything: its workers run with its own (empty) sets. */
	if (!c->privileged)
		return keep != 0 ? launch_fail(c, "capabilities (the master holds none)", -EPERM)
				 : 0;
	if (launch_caps_ambient(c, keep) < 0)
		return -1;
	/* Normally empty already: inherited from the master (see
	 * launch_caps_empty_bounding_set). */
	for (unsigned cap = 0; !c->bset_empty && cap <= c->cap_last; cap++)
		if ((rc = LAUNCH_SYS(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0)) < 0)
			return launch_fail(c, "capability bounding set", rc);
	if ((rc = LAUNCH_SYS(SYS_prctl, PR_SET_SECUREBITS, LAUNCH_CAPS_SECUREBITS, 0, 0, 0)) < 0)
		return launch_fail(c, "securebits", rc);
	return 0;
}

LAUNCH_NO_SANITIZE
int launch_caps_clear(struct launch_child *c)
{
	struct __user_cap_data_struct d[LAUNCH_CAPS_WORDS];
	uint64_t keep = launch_caps_keep(c);
	long rc;

	if (!c->privileged &&
	    (rc = LAUNCH_SYS(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)) < 0)
		return launch_fail(c, "clear ambient capabilities", rc);
	/* Lowering permitted also lowers ambient to permitted & inheritable. */
	if ((rc = launch_caps_set(keep, keep, keep)) < 0)
		return launch_fail(c, "clear capabilities", rc);
	if ((rc = launch_caps_get(d)) < 0)
		return launch_fail(c, "capget", rc);
	if (launch_caps_join(d, 0) != keep || launch_caps_join(d, 1) != keep ||
	    launch_caps_join(d, 2) != keep)
		return launch_fail(c, "capabilities not cleared", -EPERM);
	return 0;
}

bool launch_caps_privileged(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (caps == NULL)
		return false;
	if (cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &v) != 0)
		v = CAP_CLEAR;
	cap_free(caps);
	return v == CAP_SET;
}

/* The bounding set only limits what an exec can grant, and the master
 * never execs: emptying its own costs it nothing it holds (permitted and
 * effective stay), and every child inherits an empty set for free instead
 * of dropping 41 capabilities one prctl at a time (each one a new set of
 * credentials: 55 us per launch measured here, a third of the launch).
 * The inheritable set is raised to everything permitted first, because
 * capset may raise inheritable bits only while they are in the bounding
 * set, and a child keeping a capability needs it inheritable: from a full
 * set it only ever lowers. */
bool launch_caps_empty_bounding_set(unsigned cap_last)
{
	cap_t caps = cap_get_proc();
	bool ok = caps != NULL;

	for (unsigned cap = 0; ok && cap <= cap_last; cap++) {
		cap_flag_value_t v = CAP_CLEAR;
		cap_value_t one = (cap_value_t)cap;
		if (cap_get_flag(caps, one, CAP_PERMITTED, &v) == 0 && v == CAP_SET &&
		    CAP_IS_SUPPORTED(one) && cap_get_bound(one) == 1)
			ok = cap_set_flag(caps, CAP_INHERITABLE, 1, &one, CAP_SET) == 0;
	}
	ok = ok && cap_set_proc(caps) == 0;
	for (unsigned cap = 0; ok && cap <= cap_last; cap++)
		ok = cap_drop_bound((cap_value_t)cap) == 0;
	if (caps != NULL)
		cap_free(caps);
	return ok;
}

unsigned launch_caps_max_bits(void)
{
	unsigned n = cap_max_bits();

	return n == 0 || n > 64 ? 64 : n;
}
