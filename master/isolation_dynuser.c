/* isolation_dynuser.c - owns a service's dynamic user at run time (see
 * isolation_dynuser.h): the calls into the allocator (dynuser.c) and the
 * state directory (statedir.c). Out of memory and an exhausted range fail
 * the service's creation or one launch, with the reason; never the
 * master. */
#include "isolation_dynuser.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "dynreg.h"
#include "ipcclean.h"
#include "ipcsweep.h"
#include "log.h"
#include "statedir.h"

#define ISOLATION_DYNUSER_WHY_BYTES 512
#define ISOLATION_DYNUSER_HINT_BYTES 256
#define ISOLATION_DYNUSER_UIDS_BYTES 32
/* Uids in a row found held by other masters before a take gives up. */
#define ISOLATION_DYNUSER_FOREIGN_MAX 64
#define ISOLATION_DYNUSER_MODE 0700        /* the service's uid alone */
#define ISOLATION_DYNUSER_SHARED_MODE 0770 /* per-worker uids, the service's gid */
#define ISOLATION_DYNUSER_UNSEEN_LOG_MS 60000u /* "more entries than looked at" */
#define ISOLATION_DYNUSER_HELD_SHARE 4u /* a service holds back 1/4 of the range at most */

/* What uids min..max left (ipcclean.c), logged for service if anything;
 * uids another master holds are left alone. True if the walk of /dev/shm
 * or /dev/mqueue stopped short of their end. */
static bool isolation_dynuser_clean(const char *service, uid_t min, uid_t max)
{
	static uint64_t unseen_said_ms; /* when the next line may say it again */
	struct ipcclean_count n = { 0, 0, 0, false };
	char uids[ISOLATION_DYNUSER_UIDS_BYTES];
	uint64_t now_ms;

	if (geteuid() != 0)
		return false;
	ipcclean_range(min, max, dynreg_held_elsewhere, &n);
	if (min == max)
		snprintf(uids, sizeof(uids), "uid %u", (unsigned)min);
	else
		snprintf(uids, sizeof(uids), "uids %u..%u", (unsigned)min, (unsigned)max);
	/* Anyone may fill /dev/shm: said at most once a minute, whoever's
	 * release meets it (per-worker uids release at every reaping). */
	if (n.unseen && (now_ms = clock_now_ms()) >= unseen_said_ms) {
		unseen_said_ms = now_ms + ISOLATION_DYNUSER_UNSEEN_LOG_MS;
		if (min == max)
			log_warn("service %s: /dev/shm or /dev/mqueue holds more entries than a "
				 "release looks at: %s is held back until a walk of them all has "
				 "removed what it left", service, uids);
		else
			log_warn("service %s: /dev/shm or /dev/mqueue holds more entries than a "
				 "release looks at: what %s left past them stays", service, uids);
	}
	if (n.removed > 0 || n.failed > 0)
		log_warn("service %s: %s left %u IPC objects or /dev/shm, /dev/mqueue entries: %u "
			 "removed%s", service, uids, n.removed + n.failed, n.removed,
			 n.failed == 0 ? "" : n.sealed > 0 ? ", the rest could not be (what was "
			 "left in /dev/shm made root's, 0700)" : ", the rest could not be");
	return n.unseen;
}

/* A uid another master holds (dynreg.c) is kept off the allocator while
 * the search goes on, then given back to it. */
static int isolation_dynuser_take(struct isolation_dynuser *d, uint64_t hint, uid_t *uid,
				  char *err, size_t errsize)
{
	uid_t foreign[ISOLATION_DYNUSER_FOREIGN_MAX];
	size_t nforeign = 0;
	bool root = geteuid() == 0;
	int rc, reg = 0, err_alloc = 0;

	if (root && dynreg_open(err, errsize) < 0)
		return -1;
	/* Nothing held (the master's first dynamic user): what a master that
	 * died left goes before any uid of the range is handed out. */
	if (d->pool->held == 0)
		isolation_dynuser_clean(d->service, d->min, d->max);
	while ((rc = dynuser_alloc(d->pool, d->min, d->max, hint, uid)) >= 0 && root &&
	       (reg = dynreg_take(*uid, err, errsize)) > 0) {
		foreign[nforeign++] = *uid;
		if (nforeign == ISOLATION_DYNUSER_FOREIGN_MAX)
			break;
	}
	err_alloc = rc < 0 ? errno : 0;
	for (size_t i = 0; i < nforeign; i++)
		dynuser_release(d->pool, foreign[i]);
	d->held_back = rc < 0 && err_alloc == ENOSPC && d->sweep != NULL && d->sweep->n > 0;
	if (rc < 0) {
		char held[ISOLATION_DYNUSER_WHY_BYTES / 4] = "";
		if (d->sweep != NULL && d->sweep->n > 0)
			snprintf(held, sizeof(held), ", %zu held back for a walk of /dev/shm",
				 d->sweep->n);
		snprintf(err, errsize, err_alloc == ENOSPC ? "dynamic user: every uid of %u..%u is "
			 "in use (dynamic_uid_min, dynamic_uid_max)%s%s" : "dynamic user: %u..%u: %s%s",
			 (unsigned)d->min, (unsigned)d->max, err_alloc != ENOSPC ?
			 strerror(err_alloc) : nforeign > 0 ? ", some by other masters or systemd" : "",
			 err_alloc == ENOSPC ? held : "");
		return -1;
	}
	if (reg < 0) { /* err says why */
		dynuser_release(d->pool, *uid);
		return -1;
	}
	if (reg > 0) { /* *uid is the last of foreign, given back above */
		snprintf(err, errsize, "dynamic user: %zu uids in a row from %u are held by other "
			 "masters or systemd (%s)", nforeign, (unsigned)foreign[0], DYNREG_DIR);
		return -1;
	}
	if (rc == 1)
		log_warn("service %s: dynamic_uid_min..dynamic_uid_max %u..%u takes effect once "
			 "no uid of %u..%u is held; uid %u is from the latter", d->service,
			 (unsigned)d->min, (unsigned)d->max, (unsigned)d->pool->min,
			 (unsigned)d->pool->max, (unsigned)*uid);
	return 0;
}

/* One holder of uid less; a uid nobody holds any more leaves nothing in
 * the host's IPC namespaces for its next holder: where the walk stopped
 * short, the sweep keeps the last holder's place until a whole walk has
 * gone by (ipcsweep.h). */
static void isolation_dynuser_give_back(struct isolation_dynuser *d, uid_t uid)
{
	static uint64_t quota_said_ms; /* when the next line may say it again */
	/* A service holds back at most a quarter of the range: its workers
	 * cannot keep the other services' uids from them. */
	size_t quota = ((size_t)d->max - d->min + 1) / ISOLATION_DYNUSER_HELD_SHARE;
	uint64_t now_ms;

	if (dynuser_holders(d->pool, uid) > 1) {
		dynuser_release(d->pool, uid);
		return;
	}
	if (isolation_dynuser_clean(d->service, uid, uid) && d->sweep != NULL) {
		int rc = ipcsweep_add(d->sweep, uid, dynuser_hash(d->service), quota > 0 ? quota : 1);
		if (rc == 0)
			return;
		if (rc > 0 && (now_ms = clock_now_ms()) >= quota_said_ms) {
			quota_said_ms = now_ms + ISOLATION_DYNUSER_UNSEEN_LOG_MS;
			log_warn("service %s: a quarter of the dynamic uids are held back for it "
				 "already: uid %u is given back with what it left past the walk",
				 d->service, (unsigned)uid);
		}
	}
	dynuser_release(d->pool, uid);
	dynreg_release(uid); /* after: not another master's to use before */
}

int isolation_dynuser_init(struct isolation_dynuser *d, struct ipcsweep *sweep,
			   const struct master_settings *m, const struct service_config *c,
			   const struct isolation_dynuser *donor, char *err, size_t errsize)
{
	char hint[ISOLATION_DYNUSER_HINT_BYTES], why[ISOLATION_DYNUSER_WHY_BYTES];

	memset(d, 0, sizeof(*d));
	if (!c->dynamic_user)
		return 0;
	d->min = m->dynamic_uid_min;
	d->max = m->dynamic_uid_max;
	d->per_worker = c->dynamic_per_worker;
	if ((d->service = strdup(c->name)) == NULL ||
	    (c->state_dir != NULL && (d->state_dir = strdup(c->state_dir)) == NULL)) {
		snprintf(err, errsize, "dynamic user: out of memory");
		goto fail;
	}
	d->pool = sweep->pool;
	d->sweep = sweep;
	if (donor != NULL && donor->pool == d->pool && dynuser_hold(d->pool, donor->uid) == 0) {
		d->uid = donor->uid; /* one service to its files across a reload */
	} else {
		/* The same uid for the same service whenever it is free. */
		snprintf(hint, sizeof(hint), "%s %s", svctype_name(c->type),
			 c->name);
		if (isolation_dynuser_take(d, dynuser_hash(hint), &d->uid, err, errsize) < 0) {
			d->pool = NULL;
			goto fail;
		}
		d->fresh = true;
	}
	d->gid = c->set.group[0] != '\0' ? c->gid : (gid_t)d->uid;
	if (d->state_dir != NULL) {
		int rc = statedir_prepare(d->state_dir, d->uid, d->gid, d->per_worker ?
					  ISOLATION_DYNUSER_SHARED_MODE : ISOLATION_DYNUSER_MODE,
					  geteuid() == 0, d->min, d->max, why, sizeof(why));
		if (rc < 0) {
			snprintf(err, errsize, "state_directory: %s", why);
			goto fail;
		}
		if (rc > 0)
			log_warn("service %s: state_directory: %s", c->name, why);
	}
	log_info("service %s: dynamic user %u, group %u%s%s%s", c->name, (unsigned)d->uid,
		 (unsigned)d->gid, d->per_worker ? ", a uid per worker" : "",
		 d->state_dir ? ", state directory " : "", d->state_dir ? d->state_dir : "");
	return 0;
fail:
	isolation_dynuser_fini(d);
	return -1;
}

void isolation_dynuser_fini(struct isolation_dynuser *d)
{
	char why[ISOLATION_DYNUSER_WHY_BYTES];

	if (d->pool != NULL) {
		/* Workers still alive (the master exits): their uids go too. */
		for (size_t i = 0; i < d->workers.cap; i++)
			if (d->workers.slots[i].pid != 0)
				isolation_dynuser_give_back(d, (uid_t)(uintptr_t)d->workers.slots[i].value);
		isolation_dynuser_give_back(d, d->uid);
		if ((dynuser_holders(d->pool, d->uid) == 0 || ipcsweep_holds(d->sweep, d->uid)) &&
		    d->state_dir != NULL &&
		    statedir_release(d->state_dir, why, sizeof(why)) < 0)
			log_warn("service %s: state_directory: %s", d->service, why);
	}
	pidmap_free(&d->workers);
	free(d->state_dir);
	free(d->service);
	memset(d, 0, sizeof(*d));
}

void isolation_dynuser_apply(const struct isolation_dynuser *d, struct launch_spec *spec)
{
	if (d->pool == NULL)
		return;
	spec->uid = d->uid;
	spec->fresh_uid = d->fresh;
	spec->gid = d->gid;
	spec->groups = NULL;
	spec->ngroups = 0;
}

int isolation_dynuser_worker(struct isolation_dynuser *d, struct launch_spec *spec,
			     char *err, size_t errsize)
{
	uid_t uid;

	if (d->pool == NULL || !d->per_worker)
		return 0;
	/* Next fit: a uid just given back is not handed out again soon. */
	if (isolation_dynuser_take(d, DYNUSER_NEXT, &uid, err, errsize) < 0)
		return -1;
	spec->uid = uid;
	spec->fresh_uid = true;
	return 0;
}

void isolation_dynuser_launched(struct isolation_dynuser *d, const struct launch_spec *spec,
				pid_t pid)
{
	if (d->pool == NULL)
		return;
	if (pid > 0 && spec->uid == d->uid)
		d->fresh = false; /* its first worker emptied its keyrings */
	if (!d->per_worker)
		return;
	if (pid > 0 && pidmap_put(&d->workers, pid, (void *)(uintptr_t)spec->uid) == 0)
		return;
	if (pid > 0) /* cannot remember it: the uid stays taken for good */
		log_err("service %s: worker %ld: out of memory: uid %u is not reused",
			d->service, (long)pid, (unsigned)spec->uid);
	else
		dynuser_release(d->pool, spec->uid);
}

void isolation_dynuser_reaped(struct isolation_dynuser *d, pid_t pid)
{
	void *uid;

	if (d->pool == NULL || !d->per_worker || (uid = pidmap_remove(&d->workers, pid)) == NULL)
		return;
	isolation_dynuser_give_back(d, (uid_t)(uintptr_t)uid);
}
