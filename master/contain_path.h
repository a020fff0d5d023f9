/* contain_path.h - where the workers' cgroups live: finding the cgroup2
 * mount and the master's own cgroup, choosing the base under which every
 * service gets a cgroup and every worker a leaf of its own, and the names
 * used there. Pure functions on text the caller read (unit-tested on
 * fixtures), plus one read-only discovery of this host (contain_path_discover).
 *
 * The rule for the base (docs/security.md, "Containment"):
 *  1. cgroup_parent set to a path: that directory. The operator gives each
 *     master its own (a starting master ends what runs in it).
 *  2. cgroup_parent = auto (the default), the master's own cgroup delegated
 *     to it (systemd Delegate=yes marks it with the xattr trusted.delegate
 *     or user.delegate = 1): the base is that cgroup. Or the master already
 *     lives in its SUPERVISOR leaf of a delegated cgroup: the base is the
 *     parent (a restarted master in the same unit).
 *  3. Otherwise (started from a shell, a non-delegated unit): a base of its
 *     own at the top of the cgroup2 mount, MOUNT/master.HASH, HASH being the
 *     FNV-1a of the pid file's path: the pid file lock makes the instance
 *     unique, so whatever runs under its base at start is a leftover.
 * When the master itself lives in the base (rules 1 and 2), it moves into
 * BASE/supervisor first: cgroup v2 lets a cgroup with processes of its own
 * hand no controller to its children ("no internal processes"). */
#ifndef MASTER_CONTAIN_PATH_H
#define MASTER_CONTAIN_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

#define CONTAIN_PATH_BYTES 4096
#define CONTAIN_PATH_WHY_BYTES 640
#define CONTAIN_PATH_SUPERVISOR "supervisor"
#define CONTAIN_PATH_AUTO "auto"

/* What the host says, as contain_path_discover reads it. */
struct contain_path_host {
	char mount[CONTAIN_PATH_BYTES];   /* cgroup2 mount point; "" = none */
	char mount_root[CONTAIN_PATH_BYTES]; /* what of the hierarchy it shows ("/") */
	char own[CONTAIN_PATH_BYTES];     /* the master's cgroup ("0::" line); "" = unknown */
	char own_dir[CONTAIN_PATH_BYTES]; /* own as a directory on the mount; "" = not visible */
	bool own_delegated;               /* own_dir carries the delegate xattr */
	bool parent_delegated;            /* own_dir's parent does */
};

struct contain_path_choice {
	char base[CONTAIN_PATH_BYTES];       /* "" = none: why says why */
	char base_rel[CONTAIN_PATH_BYTES];   /* base as a path in the hierarchy, as
					      * /proc/PID/cgroup shows it; "" if
					      * the base is not on the mount */
	char supervisor[CONTAIN_PATH_BYTES]; /* the master moves itself here first; "" = stays */
	char why[CONTAIN_PATH_WHY_BYTES];    /* how base was chosen (log, status) */
	bool own;                            /* rule 3: MOUNT/master.HASH, ours alone */
};

/* The cgroup2 mount in a /proc/self/mountinfo text, preferring one whose
 * root holds cgroup (the master's cgroup; may be ""). Writes the mount
 * point and the mount's root (octal escapes decoded). Returns 0 or -1. */
int contain_path_mountinfo(const char *text, const char *cgroup, char *mount,
			   size_t mount_size, char *root, size_t root_size);
/* The cgroup2 path ("0::PATH") in a /proc/self/cgroup text. 0 or -1. */
int contain_path_own_cgroup(const char *text, char *out, size_t size);
/* cgroup (a path in the hierarchy) as a directory below a mount whose root
 * is root. 0, or -1 if the mount does not show it. */
int contain_path_on_mount(const char *mount, const char *root, const char *cgroup,
			  char *out, size_t size);
/* "master.0123456789abcdef" for pid_file. */
void contain_path_instance(const char *pid_file, char *out, size_t size);
/* Applies the rule above. cgroup_parent: "auto" or an absolute path.
 * Returns 0, or -1 with out->base "" and out->why saying why. */
int contain_path_choose(const char *cgroup_parent, const char *pid_file,
			const struct contain_path_host *host, struct contain_path_choice *out);

/* A service's cgroup: "inet-127.0.0.1:7070", "unix-relay", "dgram-log"
 * (tag is svctype_tag(): the type keeps services of one name apart, and
 * no name can clash with the cgroup's own files). Only [A-Za-z0-9._:-]
 * survive. */
void contain_path_service_name(const char *tag, const char *name, char *out, size_t size);
/* Names the master creates under its base: a service's cgroup, a worker's
 * leaf ("w" and digits). */
bool contain_path_is_service(const char *name);
bool contain_path_is_leaf(const char *name);
/* "populated N" of a cgroup.events text: 1, 0, or -1 if absent. */
int contain_path_populated(const char *events);

/* Reads /proc/self/mountinfo, /proc/self/cgroup and the delegate xattrs
 * (nothing is changed). Missing pieces stay "" / false. */
void contain_path_discover(struct contain_path_host *host);
/* discover + choose for master settings m. */
int contain_path_resolve(const struct master_settings *m, struct contain_path_choice *out);

#endif
