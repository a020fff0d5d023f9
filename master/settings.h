/* settings.h - the one option schema behind master.conf and `-o name=value`.
 *
 * Every setting is described once, in the table in settings.c: its name,
 * type, range, default and scope. master.conf (libconfuse) is built from the
 * table; `-o` overrides on master.cf lines and on the master's command line
 * are checked by the same table, so a value is valid in one place exactly
 * when it is valid in the other. Adding a setting is one table row plus one
 * struct field. */
#ifndef MASTER_SETTINGS_H
#define MASTER_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* Daemon-wide settings: master.conf (or `master -o`) only. */
struct master_settings {
	char *run_directory;    /* absolute */
	char *daemon_directory; /* absolute; where bare command names are found */
	char *pid_file;         /* absolute (relative values resolved against run_directory) */
	char *control_socket;   /* absolute (relative values resolved against run_directory) */
	char *default_user;     /* unpriv=y workers run as this user unless -o user= */
};

/* Per-service settings: a default in master.conf, an override with `-o`. */
struct service_settings {
	char *user;                 /* "" means default_user */
	char **import_environment;  /* NULL-terminated names passed through to workers */
	unsigned prefork;           /* workers kept alive at all times */
	unsigned maxproc;           /* default for the maxproc column; 0 = no limit */
	unsigned listen_backlog;    /* listen(2) backlog */
	unsigned max_use;           /* requests per worker; 0 = no limit */
	unsigned max_idle_s;        /* idle seconds before retirement; 0 = never */
	unsigned spawn_rate;        /* forks per second per service, ramped */
	unsigned stop_timeout_s;    /* seconds from stop to SIGKILL */
};

/* Fills in the built-in defaults (before master.conf). */
void settings_defaults(struct master_settings *m, struct service_settings *s);

/* Applies one "name=value" (an -o override). scope_service: true for a
 * master.cf line (only per-service settings allowed), false for the
 * master's command line (both kinds). where: "master.cf:12" or "command line",
 * used as the prefix of errors. Returns 0, or -1 with an error in errs. */
int settings_override(struct master_settings *m, struct service_settings *s,
		      const char *name_value, bool scope_service,
		      const char *where, struct diag *errs);

/* Parses FILE (a master.conf) into m and s on top of what they hold.
 * A missing file is not an error (all defaults). Returns 0 or -1 with every
 * error ("master.conf:LINE: ...") in errs. */
int settings_load_file(const char *file, struct master_settings *m,
		       struct service_settings *s, struct diag *errs);

/* Deep copies and frees (strings and the environment list). */
int settings_copy_service(struct service_settings *dst, const struct service_settings *src);
void settings_free_service(struct service_settings *s);
void settings_free_master(struct master_settings *m);

#endif
