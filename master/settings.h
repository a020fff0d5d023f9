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

/* Where a setting's value came from (`masterctl config`, and errors
 * reported once against the line that set it). Indexed by the setting's
 * row in the schema table; zeroed = the built-in default. */
enum settings_from {
	SETTINGS_FROM_DEFAULT = 0,
	SETTINGS_FROM_CONF,    /* master.conf, line */
	SETTINGS_FROM_CMDLINE, /* -o on the master's (or masterctl's) command line */
	SETTINGS_FROM_CF,      /* master.cf, line: -o or the maxproc column */
};
struct settings_origin {
	unsigned char from;    /* enum settings_from */
	unsigned line;         /* CONF and CF: the line; else 0 */
};
/* At least the number of rows of the table (settings.c asserts it). */
#define SETTINGS_ROWS_MAX 64

/* Daemon-wide settings: master.conf (or `master -o`) only. */
struct master_settings {
	char *run_directory;    /* absolute */
	char *daemon_directory; /* absolute; where bare command names are found */
	char *pid_file;         /* absolute (relative values resolved against run_directory) */
	char *control_socket;   /* absolute (relative values resolved against run_directory) */
	char *default_user;     /* unpriv=y workers run as this user unless -o user= */
	char *chroot_directory; /* the jail of chroot=y services without -o chroot= */
	char *cgroup_parent;    /* "auto" or the cgroup v2 directory holding one cgroup per
				 * service (contain_path.h: the base rule) */
	char *containment;      /* "auto", "cgroup" or "subreaper" (contain.h) */
	char *admin_group;      /* members may use masterctl too; "" = none */
	char *status_group;     /* members may ask for status, nothing else; "" = none */
	unsigned reload_timeout_s; /* a reload still loading after this is refused */
	unsigned resolve_timeout_s; /* master.cf's host names of one load, together */
	unsigned dynamic_uid_min; /* user=dynamic: the uids (and gids) handed out */
	unsigned dynamic_uid_max;
	/* Not a setting: set by config.c when chroot_directory was relative
	 * (the default "empty"), i.e. a jail in run_directory that the master
	 * creates itself, empty, and enters with the command exec'd by fd. */
	bool own_jail;
	struct settings_origin origin[SETTINGS_ROWS_MAX];
};

/* rlimit values: empty = the worker inherits the master's limit. */
#define SETTINGS_RLIMIT_UNLIMITED (~0ULL)
#define SETTINGS_RLIMIT_INHERIT (~0ULL - 1)

/* Per-service settings: a default in master.conf, an override with `-o`. */
struct service_settings {
	char *user;                 /* "" means default_user */
	char **import_environment;  /* NULL-terminated names passed through to workers */
	unsigned prefork;           /* workers kept alive at all times */
	unsigned maxproc;           /* default for the maxproc column; 0 = no limit */
	unsigned listen_backlog;    /* listen(2) backlog */
	bool freebind;              /* inet: bind an address not (yet) on any interface */
	unsigned max_use;           /* requests per worker; 0 = no limit */
	unsigned max_idle_s;        /* idle seconds before retirement; 0 = never */
	unsigned spawn_rate;        /* forks per second per service, ramped */
	unsigned stop_timeout_s;    /* seconds from stop to SIGKILL */
	/* lifecycle (issue 4) */
	unsigned max_lifetime_s;    /* retire when next idle after this age; 0 = never */
	unsigned retire_grace_s;    /* past max_lifetime: stopped regardless */
	unsigned max_busy_s;        /* one request longer than this: SIGTERM; 0 = never */
	unsigned kill_grace_s;      /* SIGTERM to SIGKILL */
	unsigned startup_timeout_s; /* no "ready" in time: killed, a start failure */
	unsigned long long rss_max_bytes; /* retire when idle above this; 0 = no limit */
	unsigned lifetime_jitter_pct; /* spread of max_use and max_lifetime, percent */
	unsigned max_retiring;      /* master-initiated retirements at once */
	unsigned max_leaving;       /* workers on their way out at once; 0: maxproc */
	unsigned throttle_min_s;    /* crash-loop back-off, first interval */
	unsigned throttle_max_s;    /* crash-loop back-off, cap */
	char *ready;                /* protocol, notify (sd_notify) or exec (config_ready.h) */
	unsigned watchdog_timeout_s; /* ready=notify: WATCHDOG=1 missing this long; 0 = none */
	char *stop_signal;          /* ready=notify|exec: how it is told to stop ("TERM") */
	char *worker_stderr;        /* own: a pipe per worker; shared: one per service (relay_shared.h) */
	/* isolation (issue 3) */
	char *group;                /* "" = the user's primary group */
	char *chroot;               /* -o chroot=DIR; "" = chroot_directory */
	unsigned umask;
	char *capabilities;         /* kept through the ambient set; "" = none */
	unsigned long long rlimit_nofile, rlimit_nproc, rlimit_as, rlimit_core, rlimit_cpu;
	unsigned long long memory_max_bytes; /* cgroup v2 memory.max; 0 = no limit */
	unsigned pids_max;          /* cgroup v2 pids.max; 0 = no limit */
	unsigned cpu_weight;        /* cgroup v2 cpu.weight 1..10000; 0 = unset */
	bool private_network;       /* own network namespace (one per service) */
	bool private_tmp;           /* own empty /tmp (mount namespace) */
	bool user_namespaces;       /* the worker may make user namespaces */
	unsigned long long private_tmp_size_bytes; /* the tmpfs's size= */
	/* dynamic users (user=dynamic) */
	char *dynamic_user;         /* "service": one uid per service; "worker": per worker */
	char *state_directory;      /* template, "%n" = TYPE-NAME; "" = none */
	struct settings_origin origin[SETTINGS_ROWS_MAX];
};

/* Fills in the built-in defaults (before master.conf). Returns 0, or -1
 * when out of memory (m and s then hold nothing). */
int settings_defaults(struct master_settings *m, struct service_settings *s);

/* Applies one "name=value" (an -o override). scope_service: true for a
 * master.cf line (only per-service settings allowed), false for the
 * master's command line (both kinds). where: "master.cf:12" or "command line",
 * used as the prefix of errors. Returns 0, or -1 with an error in errs. */
int settings_override(struct master_settings *m, struct service_settings *s,
		      const char *name_value, bool scope_service,
		      const char *where, struct diag *errs);

/* The same with the origin recorded: -o on a master.cf line (FROM_CF with
 * its line) or on the command line (FROM_CMDLINE). settings_override()
 * is this with FROM_CF (line 0) or FROM_CMDLINE, by scope_service. */
int settings_override_from(struct master_settings *m, struct service_settings *s,
			   const char *name_value, bool scope_service, const char *where,
			   struct settings_origin from, struct diag *errs);

/* A setting's origin by name (NULL s or m: that scope not given); false
 * for an unknown name. */
bool settings_origin_of(const struct master_settings *m, const struct service_settings *s,
			const char *name, struct settings_origin *out);

/* Showing settings (settings_show.c, for `masterctl config`): the number
 * of settings; the i-th one's name (and whether it is per service); its
 * value as text the checker reads back (from m or s, by its scope); an
 * origin as "CONF:LINE", "CF:LINE", "command line" or "default". */
size_t settings_show_count(void);
const char *settings_show_name(size_t i, bool *per_service);
void settings_show_value(size_t i, const struct master_settings *m,
			 const struct service_settings *s, char *buf, size_t size);
void settings_show_origin(struct settings_origin o, const char *conf, const char *cf,
			  char *buf, size_t size);

/* Parses FILE (a master.conf) into m and s on top of what they hold.
 * A missing file is not an error (all defaults). Returns 0 or -1 with every
 * error ("master.conf:LINE: ...") in errs. It starts a reader process
 * (settings_reader.h): call it while the process has one thread. */
int settings_load_file(const char *file, struct master_settings *m,
		       struct service_settings *s, struct diag *errs);
/* The same with a reader started earlier (NULL: start one), which it ends. */
struct settings_reader;
int settings_load_file_with(const char *file, struct master_settings *m,
			    struct service_settings *s, struct settings_reader *reader,
			    struct diag *errs);

/* The same for master.conf text already in memory (TEXT is modified:
 * comments are blanked); FILE only names it in errors. */
int settings_load_buffer(const char *file, char *text, struct master_settings *m,
			 struct service_settings *s, struct diag *errs);

/* Deep copies and frees (strings and the environment list). */
int settings_copy_service(struct service_settings *dst, const struct service_settings *src);
void settings_free_service(struct service_settings *s);
void settings_free_master(struct master_settings *m);

#endif
