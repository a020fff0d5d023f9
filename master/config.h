/* config.h - the whole configuration: master.conf plus master.cf, parsed,
 * resolved (users, addresses, executables) and validated as one unit.
 *
 * config_load() either returns a complete configuration or none at all with
 * every error listed: a bad file never half-applies. Running out of memory
 * is one more such error ("out of memory"), never fatal. */
#ifndef MASTER_CONFIG_H
#define MASTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "diag.h"
#include "settings.h"
#include "svctype.h"

/* How a worker says it is ready: the status channel, sd_notify, or by
 * staying alive a moment after its exec (config_ready.h). */
enum service_ready { SERVICE_READY_PROTOCOL, SERVICE_READY_NOTIFY, SERVICE_READY_EXEC };

struct service_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct service_config {
	char *name;             /* first column as written: "127.0.0.1:7070", "relay" */
	enum service_type type;
	bool private_;          /* local types: in private/ (else public/) */
	bool unpriv;            /* run as the service user (else root) */
	bool chroot;
	unsigned wakeup_s;      /* wakeup column: seconds between triggers; 0: none */
	bool wakeup_after_use;  /* "N?": none before the service's first request */
	char *command;          /* as written in master.cf */
	char *path;             /* the executable, absolute (inside the jail, if any) */
	int exec_fd;            /* it, opened and checked at load (config_paths.h);
				 * -1: a "#!" script, exec'd by path */
	int jail_fd;            /* the jail, opened and checked at load; -1: none */
	char **argv;            /* NULL-terminated: command name, then the worker's own args */
	struct service_addr *addrs; /* inet: every resolved address; local types: one
				     * (a sockaddr_un, the fifo's path too) */
	size_t naddrs;
	struct service_settings set; /* defaults + overrides; set.maxproc is effective */
	enum service_ready ready;   /* set.ready, resolved (config_ready.c) */
	uid_t uid;              /* the worker's ids, resolved at load (0/0 for unpriv=n) */
	gid_t gid;
	gid_t *groups;          /* supplementary groups of the user */
	size_t ngroups;
	/* user=dynamic (config_dynuser.c): the ids are allocated when the
	 * service is created (isolation_dynuser.c); uid stays 0 here, gid is
	 * the -o group= one if given, else 0 too. No supplementary groups. */
	bool dynamic_user;
	bool dynamic_per_worker; /* dynamic_user=worker: a uid per worker too */
	char *state_dir;        /* state_directory expanded; NULL: none */
	/* The master's own empty jail (chroot_directory relative, the
	 * default): the command is the host's file, exec'd through an fd. */
	bool exec_outside;
	char *file;             /* "DIR/master.cf" */
	unsigned line;          /* first line of the entry */
};

/* A group named in master.conf as looked up: its gid, or the errno of the
 * failed lookup (0: no such group). */
struct config_group {
	bool found;
	gid_t gid;
	int err;
};

struct config {
	char *dir;
	struct master_settings master;
	struct service_config *services;
	size_t nservices;
	/* admin_group and status_group, resolved at load (so a reload's
	 * lookup runs off the loop). */
	struct config_group admin, status;
};

/* Loads DIR/master.conf then DIR/master.cf. overrides: NULL-terminated
 * "name=value" strings from `master -o`, applied after master.conf (may be
 * NULL). Returns 0; or -1 with every error in errs and *out zeroed. It
 * starts a master.conf reader process: call it while the process has one
 * thread (settings_reader.h). */
int config_load(const char *dir, char *const *overrides, struct config *out,
		struct diag *errs);
/* The same with a master.conf reader and a resolver (resolve.h) started
 * earlier, both of which it ends: a thread other than the only one may
 * load this way. */
struct settings_reader;
struct resolver;
int config_load_with(const char *dir, char *const *overrides, struct settings_reader *reader,
		     struct resolver *res, struct config *out, struct diag *errs);
void config_free(struct config *cfg);

/* "inet 127.0.0.1:7070" style printable address of addrs[i] (for status). */
void config_format_addr(const struct service_addr *a, char *buf, size_t size);

/* The most workers of the service on their way out at once (retiring,
 * told to stop, killed, not yet gone): max_leaving, or maxproc where it is
 * 0 (prefork where that is 0 too, "no limit"). At that many the pool starts
 * no worker, not even a successor (policy.h): the bound holds whatever the
 * workers say or do, and so does the master's fd budget (config_fds.h). */
static inline unsigned config_leaving_max(const struct service_config *sc)
{
	unsigned n = sc->set.max_leaving ? sc->set.max_leaving
		   : sc->set.maxproc ? sc->set.maxproc : sc->set.prefork;
	return n > 0 ? n : 1;
}

/* worker_stderr=shared: the service's workers share one stderr socket
 * (relay_shared.h) instead of a pipe each. */
static inline bool config_stderr_shared(const struct service_config *sc)
{
	return sc->set.worker_stderr != NULL && strcmp(sc->set.worker_stderr, "shared") == 0;
}

#endif
