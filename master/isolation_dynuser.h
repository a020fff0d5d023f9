/* isolation_dynuser.h - a service's dynamic user at run time (user=
 * dynamic): its uid/gid taken from the master's allocator when the service
 * is created (shared with the earlier generation of the same service that
 * a reload keeps running), per-worker uids (dynamic_user=worker) taken
 * before each launch and given back when the worker is reaped, and its
 * state directory. Part of struct isolation (isolation.c); nothing else
 * includes it. */
#ifndef MASTER_ISOLATION_DYNUSER_H
#define MASTER_ISOLATION_DYNUSER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "dynuser.h"
#include "ipcsweep.h"
#include "launch.h"
#include "pidmap.h"

struct isolation_dynuser {
	struct dynuser *pool;   /* the master's allocator; NULL: no dynamic user */
	struct ipcsweep *sweep; /* the master's: uids whose release walk stopped short */
	uid_t uid;              /* the service's (held while this exists) */
	gid_t gid;              /* its uid, or the -o group= one */
	bool per_worker;
	bool fresh;             /* uid newly taken: no worker has run as it yet */
	bool held_back;         /* the last take found no uid while the sweep held some */
	uid_t min, max;         /* the configured range */
	struct pidmap workers;  /* per_worker: pid -> its uid (as a pointer) */
	char *state_dir;        /* owned copy; NULL: none */
	char *service;          /* owned copy of the name, for the log */
};

/* Takes the service's uid from sweep->pool (the donor's if it has one: a
 * reload's earlier generation of the service), makes its state directory;
 * a uid given back goes through sweep. Returns 0, or
 * -1 with err ("no free uid in 61184..65519", the directory's reason). */
int isolation_dynuser_init(struct isolation_dynuser *d, struct ipcsweep *sweep,
			   const struct master_settings *m, const struct service_config *c,
			   const struct isolation_dynuser *donor, char *err, size_t errsize);
/* Gives every uid back; a uid nobody holds any more takes its state
 * directory back to root (statedir_release). */
void isolation_dynuser_fini(struct isolation_dynuser *d);
/* The service's ids into a launch (no supplementary groups); fresh_uid
 * until a worker has been launched as it. */
void isolation_dynuser_apply(const struct isolation_dynuser *d, struct launch_spec *spec);
/* per_worker: a fresh uid into spec. Returns 0, or -1 with err. */
int isolation_dynuser_worker(struct isolation_dynuser *d, struct launch_spec *spec,
			     char *err, size_t errsize);
/* After the launch of spec: its uid is pid's until reaped; pid < 0 (a
 * failed launch) gives it back at once. */
void isolation_dynuser_launched(struct isolation_dynuser *d, const struct launch_spec *spec,
				pid_t pid);
/* pid was reaped: its uid goes back. */
void isolation_dynuser_reaped(struct isolation_dynuser *d, pid_t pid);

#endif
