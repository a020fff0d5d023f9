/* isolation.c - owns a service's launch environment (see isolation.h):
 * turns the checked settings into what launch.c's child needs, once per
 * service: the capability bit mask (libcap names), the rlimits, the jail
 * and command fds its configuration opened (config_paths.c) or, for the
 * master's own empty jail, the jail it makes (statedir.c), the namespaces
 * (namespace.c), the cgroup (cgroup.c) and the dynamic user
 * (isolation_dynuser.c). Failures here stop the service from being
 * created, with a log line that names the service, the setting and the
 * reason; out of memory is such a failure, never fatal. */
#include "isolation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "config_isolation.h"
#include "isolation_dynuser.h"
#include "contain.h"
#include "contain_path.h"
#include "fdlimit.h"
#include "log.h"
#include "namespace.h"
#include "statedir.h"

#define ISOLATION_ERR_BYTES 1024 /* a log line */
#define ISOLATION_WHY_BYTES 640  /* the reason inside it */
#define ISOLATION_CGROUP_NAME_BYTES 256

struct isolation {
	struct launch_isolation launch; /* what a launch points at */
	unsigned umask;
	char *chroot;                   /* owned copy of the jail path */
	int own_root_fd;                /* the master's own jail, made here; -1: none */
	struct cgroup cgroup;           /* path NULL: none */
	struct isolation_dynuser dyn;   /* user=dynamic; pool NULL: none */
};

static void isolation_rlimits(struct isolation *iso, const struct service_settings *s)
{
	const struct { int resource; unsigned long long value; const char *step; } want[] = {
		{ RLIMIT_NOFILE, s->rlimit_nofile, "rlimit_nofile" },
		{ RLIMIT_NPROC, s->rlimit_nproc, "rlimit_nproc" },
		{ RLIMIT_AS, s->rlimit_as, "rlimit_as" },
		{ RLIMIT_CORE, s->rlimit_core, "rlimit_core" },
		{ RLIMIT_CPU, s->rlimit_cpu, "rlimit_cpu" },
	};

	struct rlimit orig;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (want[i].value == SETTINGS_RLIMIT_INHERIT && want[i].resource == RLIMIT_NOFILE &&
		    fdlimit_original(&orig)) {
			/* The master raised its own for its workers' fds: its
			 * workers get the limits it was started with. */
			struct launch_rlimit *r = &iso->launch.rlimits[iso->launch.nrlimits++];
			*r = (struct launch_rlimit){ .resource = RLIMIT_NOFILE, .value = orig.rlim_cur,
						     .hard = orig.rlim_max, .step = "rlimit_nofile" };
			continue;
		}
		if (want[i].value == SETTINGS_RLIMIT_INHERIT)
			continue; /* unset: the master's own limit, untouched */
		struct launch_rlimit *r = &iso->launch.rlimits[iso->launch.nrlimits++];
		r->resource = want[i].resource;
		r->value = want[i].value == SETTINGS_RLIMIT_UNLIMITED ? RLIM_INFINITY : want[i].value;
		r->step = want[i].step;
	}
}

static int isolation_cgroup(struct isolation *iso, const struct master_settings *m,
			    const struct service_config *c, const struct contain *ct,
			    char *err, size_t errsize)
{
	const char *controller[CONFIG_ISOLATION_CONTROLLERS_MAX];
	const char *setting[CONFIG_ISOLATION_CONTROLLERS_MAX];
	char why[ISOLATION_WHY_BYTES], name[ISOLATION_CGROUP_NAME_BYTES];
	size_t n = config_isolation_controllers(&c->set, controller, setting);
	struct cgroup_limits lim = {
		.memory_max_bytes = c->set.memory_max_bytes,
		.pids_max = c->set.pids_max, .cpu_weight = c->set.cpu_weight,
	};
	/* The base containment chose (contain_path.h), so that the limits
	 * and the workers' leaves share one cgroup per service. */
	const char *base = ct != NULL ? contain_cgroup_base(ct) : m->cgroup_parent;

	if (n == 0 && !contain_uses_leaves(ct))
		return 0;
	if (base == NULL || base[0] != '/') {
		snprintf(err, errsize, "%s: no cgroup2 to put it in (%s)", n > 0 ? setting[0] : "cgroup",
			 ct != NULL ? ct->why : "cgroup_parent is not a path");
		return -1;
	}
	/* Checked at load; checked again, as the host may have changed. */
	for (size_t i = 0; i < n; i++)
		if (config_isolation_cgroup_check(base, controller[i], why, sizeof(why)) != 0) {
			snprintf(err, errsize, "%s: cgroup v2 controller \"%s\" unavailable: %s",
				 setting[i], controller[i], why);
			return -1;
		}
	contain_path_service_name(svctype_tag(c->type), c->name, name, sizeof(name));
	if (cgroup_create(&iso->cgroup, base, name, &lim, controller, n,
			  why, sizeof(why)) < 0) {
		snprintf(err, errsize, "cgroup: %s", why);
		return -1;
	}
	iso->launch.cgroup_fd = iso->cgroup.dir_fd;
	iso->launch.cgroup_procs_fd = iso->cgroup.procs_fd;
	return 0;
}

static int isolation_namespaces(struct isolation *iso, const struct service_config *c,
				char *err, size_t errsize)
{
	char why[ISOLATION_WHY_BYTES], *tmp = NULL;

	if (!c->set.private_network && !c->set.private_tmp)
		return 0;
	/* A jailed worker's /tmp is the jail's. */
	if (c->set.private_tmp && asprintf(&tmp, "%s/tmp", iso->chroot ? iso->chroot : "") < 0) {
		snprintf(err, errsize, "private_tmp: out of memory");
		return -1;
	}
	int rc = namespace_create(c->set.private_network, tmp, c->set.private_tmp_size_bytes,
				  &iso->launch.netns_fd,
				  &iso->launch.mntns_fd, why, sizeof(why));
	free(tmp);
	if (rc < 0)
		snprintf(err, errsize, "%s: %s", c->set.private_tmp ?
			 (c->set.private_network ? "private_network, private_tmp" : "private_tmp")
			 : "private_network", why);
	return rc;
}

/* The master's own jail (made here, at every service creation, so that a
 * removed run directory heals), and the command opened before the chroot:
 * the jail is empty. */
/* The master's own empty jail (chroot_directory relative, as by default):
 * made now, not at load, and held open; its command is the host's file,
 * opened at load (config_paths.c) and exec'd by fd. */
static int isolation_own_jail(struct isolation *iso, const struct master_settings *m,
			      const struct service_config *c, char *err, size_t errsize)
{
	char why[ISOLATION_WHY_BYTES];
	struct stat st;

	if (!c->exec_outside)
		return 0;
	if (statedir_jail(iso->chroot, why, sizeof(why)) < 0) {
		snprintf(err, errsize, "chroot_directory: %s", why);
		return -1;
	}
	iso->own_root_fd = open(iso->chroot, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (iso->own_root_fd < 0 || fstat(iso->own_root_fd, &st) < 0) {
		snprintf(err, errsize, "chroot_directory %s: %s", iso->chroot, strerror(errno));
		return -1;
	}
	iso->launch.root_dev = st.st_dev;
	iso->launch.root_ino = st.st_ino;
	return 0;
}

struct isolation *isolation_create(const struct master_settings *m,
				   const struct service_config *c, const struct contain *ct)
{
	struct isolation *iso = calloc(1, sizeof(*iso));
	char err[ISOLATION_ERR_BYTES];
	const char *jail = config_isolation_jail(c, m);

	if (iso == NULL) {
		log_err("service %s: isolation: out of memory", c->name);
		return NULL;
	}
	launch_isolation_init(&iso->launch);
	iso->own_root_fd = -1;
	iso->umask = c->set.umask;
	if (config_isolation_caps(c->set.capabilities, &iso->launch.caps_keep, err,
				  sizeof(err)) != 0) {
		log_err("service %s: capabilities \"%s\": %s", c->name, c->set.capabilities, err);
		goto fail;
	}
	isolation_rlimits(iso, &c->set);
	if (jail != NULL) {
		if ((iso->chroot = strdup(jail)) == NULL) {
			log_err("service %s: isolation: out of memory", c->name);
			goto fail;
		}
		iso->launch.chroot = iso->chroot;
	}
	if (isolation_own_jail(iso, m, c, err, sizeof(err)) < 0) {
		log_err("service %s: %s", c->name, err);
		goto fail;
	}
	isolation_follow(iso, c);
	if (isolation_namespaces(iso, c, err, sizeof(err)) < 0 ||
	    isolation_cgroup(iso, m, c, ct, err, sizeof(err)) < 0) {
		log_err("service %s: %s", c->name, err);
		goto fail;
	}
	return iso;
fail:
	isolation_destroy(iso);
	return NULL;
}

void isolation_destroy(struct isolation *iso)
{
	if (iso == NULL)
		return;
	if (iso->launch.netns_fd >= 0)
		close(iso->launch.netns_fd);
	if (iso->launch.mntns_fd >= 0)
		close(iso->launch.mntns_fd);
	if (iso->own_root_fd >= 0)
		close(iso->own_root_fd);
	isolation_dynuser_fini(&iso->dyn);
	if (iso->cgroup.path != NULL)
		cgroup_destroy(&iso->cgroup);
	free(iso->chroot);
	free(iso);
}

void isolation_follow(struct isolation *iso, const struct service_config *c)
{
	struct stat st;

	/* Borrowed: c's configuration closes them, and outlives every
	 * service that points into it (reload.c). */
	iso->launch.exec_fd = c->exec_fd;
	if (iso->own_root_fd >= 0) {
		iso->launch.root_fd = iso->own_root_fd; /* made and held here */
		return;
	}
	if (c->jail_fd < 0 || fstat(c->jail_fd, &st) < 0) {
		iso->launch.root_fd = -1;
		return;
	}
	/* The service's mount namespace has its private /tmp mounted in the
	 * jail it was made with: entering another jail would show the host's
	 * JAIL/tmp. Launches keep asking for that one, and fail loudly, until
	 * a configuration change (or a restart) makes the service anew. */
	if (iso->launch.mntns_fd >= 0 && iso->launch.root_fd >= 0 &&
	    (st.st_dev != iso->launch.root_dev || st.st_ino != iso->launch.root_ino))
		log_warn("service %s: jail %s is another directory than the one its mount "
			 "namespace was made with: its workers cannot start until the service "
			 "changes or the master restarts", c->name, iso->chroot);
	else {
		iso->launch.root_dev = st.st_dev;
		iso->launch.root_ino = st.st_ino;
	}
	iso->launch.root_fd = c->jail_fd;
}

void isolation_apply(const struct isolation *iso, struct launch_spec *spec)
{
	spec->umask = iso->umask;
	spec->iso = &iso->launch;
	isolation_dynuser_apply(&iso->dyn, spec);
}

int isolation_dynamic_user(struct isolation *iso, struct ipcsweep *sweep,
			   const struct master_settings *m, const struct service_config *c,
			   const struct isolation *donor)
{
	char err[ISOLATION_ERR_BYTES];

	if (isolation_dynuser_init(&iso->dyn, sweep, m, c, donor ? &donor->dyn : NULL, err,
				   sizeof(err)) < 0) {
		log_err("service %s: %s", c->name, err);
		return -1;
	}
	return 0;
}

int isolation_worker_ids(struct isolation *iso, struct launch_spec *spec)
{
	char err[ISOLATION_ERR_BYTES];

	if (isolation_dynuser_worker(&iso->dyn, spec, err, sizeof(err)) < 0) {
		if (iso->dyn.held_back) /* the start waits (monitor_spawn says so) */
			log_debug("service %s: no worker yet: %s", iso->dyn.service, err);
		else
			log_err("service %s: cannot start a worker: %s", iso->dyn.service, err);
		return -1;
	}
	return 0;
}

bool isolation_worker_ids_held_back(const struct isolation *iso)
{
	return iso->dyn.held_back;
}

void isolation_worker_launched(struct isolation *iso, const struct launch_spec *spec, pid_t pid)
{
	isolation_dynuser_launched(&iso->dyn, spec, pid);
}

void isolation_worker_reaped(struct isolation *iso, pid_t pid)
{
	isolation_dynuser_reaped(&iso->dyn, pid);
}
