/* config.c - owns config_load(): master.conf, `master -o` and master.cf
 * read, checked and resolved (unix socket paths, executables; inet
 * addresses through config_addr.c, user and group ids through
 * config_ids.c, the isolation settings through config_isolation.c, the
 * jail and command fds through config_paths.c)
 * as one unit, every error collected, and all or nothing; plus
 * config_free() and config_format_addr().
 *
 * Out of memory: never fatal; it is an error of the load ("WHERE: out of
 * memory"), which then returns -1 with nothing kept, like any other error.
 * config_load() runs on the reload thread (reload_load.c), one load at a
 * time: libconfuse's lexer and getpwnam()'s buffers are not reentrant, and
 * the loop thread makes no such call meanwhile. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config_addr.h"
#include "config_args.h"
#include "config_dynuser.h"
#include "config_ids.h"
#include "config_fds.h"
#include "config_isolation.h"
#include "config_paths.h"
#include "config_ready.h"
#include "config_rundir.h"
#include "fdlimit.h"
#include "mastercf.h"
#include "resolve.h"
#include "safepath.h"
#include "settings_reader.h"
#include "svctype.h"

#define CONFIG_WHY_BYTES SAFEPATH_WHY_BYTES

/* DIR/NAME, or NULL when out of memory. */
static char *config_join(const char *dir, const char *name)
{
	size_t len = strlen(dir);
	char *path = NULL;

	while (len > 0 && dir[len - 1] == '/')
		len--;
	if (asprintf(&path, "%.*s/%s", (int)len, dir, name) < 0)
		return NULL;
	return path;
}

static void config_absolute(char **path, const char *run_directory, struct diag *errs)
{
	if ((*path)[0] == '/')
		return;
	char *abs = config_join(run_directory, *path);
	if (abs == NULL) {
		diag_oom(errs, *path);
		return;
	}
	free(*path);
	*path = abs;
}

static void config_resolve_unix(struct service_config *sc, const struct master_settings *m,
				const char *where, struct diag *errs)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *name = sc->name;

	if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		diag_add(errs, "%s: %s service \"%s\": the name must be a plain file name "
			 "(no \"/\", not \".\" or \"..\")", where, svctype_name(sc->type), name);
		return;
	}
	char *dir = config_join(m->run_directory, sc->private_ ? "private" : "public");
	char *path = dir != NULL ? config_join(dir, name) : NULL;
	size_t len = path != NULL ? strlen(path) : 0;
	if (path == NULL) {
		diag_oom(errs, where);
	} else if (len >= sizeof(sun.sun_path)) {
		diag_add(errs, "%s: %s path \"%s\" is too long (%zu bytes, at most %zu)",
			 where, sc->type == SERVICE_FIFO ? "fifo" : "unix socket", path, len,
			 sizeof(sun.sun_path) - 1);
	} else {
		memcpy(sun.sun_path, path, len + 1);
		if (config_addr_add(sc, (const struct sockaddr *)&sun,
				    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1)) < 0)
			diag_oom(errs, where);
	}
	free(dir);
	free(path);
}

/* The executable is exec'd after the chroot: with a jail, it must exist
 * inside it (sc->path stays the path as the worker sees it). Opened and
 * checked here, once (config_paths.c): launches exec that fd. */
static void config_resolve_command(struct service_config *sc, const struct master_settings *m,
				   const char *where, struct diag *errs)
{
	const char *cmd = sc->command;
	const char *jail = config_isolation_jail(sc, m);
	char why[CONFIG_WHY_BYTES];
	char *host = NULL;

	if (strchr(cmd, '/') != NULL && cmd[0] != '/') {
		diag_add(errs, "%s: command \"%s\": must be a name in daemon_directory or an "
			 "absolute path", where, cmd);
		return;
	}
	char *path = cmd[0] == '/' ? strdup(cmd) : config_join(m->daemon_directory, cmd);
	if (path == NULL) {
		diag_oom(errs, where);
		return;
	}
	/* The master's own jail is empty: the host's file, exec'd by fd. */
	if (jail != NULL && config_isolation_own_jail(sc, m)) {
		sc->exec_outside = true;
		jail = NULL;
	}
	if (jail != NULL && sc->jail_fd < 0) {
		sc->path = path; /* the jail's own error says it all */
		return;
	}
	if (jail != NULL && asprintf(&host, "%s%s", jail, path) < 0) {
		diag_oom(errs, where);
		free(path);
		return;
	}
	/* In the master's own jail only a static executable can run. */
	if (config_paths_command(sc, jail, path, why, sizeof(why)) < 0 ||
	    (sc->exec_outside && config_isolation_static_exe(path, why, sizeof(why)) < 0)) {
		diag_add(errs, "%s: command \"%s\": %s: %s%s", where, cmd, host ? host : path,
			 why, host ? " (the jail holds what the worker executes)" :
			 sc->exec_outside ? " (chroot_directory is the master's own empty jail)" : "");
		free(path);
		free(host);
		return;
	}
	free(host);
	sc->path = path;
}

/* Same name and type twice, or one address (or run-directory path, for
 * any two local types) in two services, could never bind both: say so
 * now rather than at start-up. */
static void config_check_duplicates(const struct config *cfg, struct diag *errs)
{
	for (size_t j = 1; j < cfg->nservices; j++) {
		const struct service_config *b = &cfg->services[j];
		if (b->file == NULL)
			continue; /* out of memory: already an error */
		for (size_t i = 0; i < j; i++) {
			const struct service_config *a = &cfg->services[i];
			if (a->type == b->type && strcmp(a->name, b->name) == 0) {
				diag_add(errs, "%s:%u: duplicate service \"%s\" (%s): first defined at "
					 "line %u", b->file, b->line, b->name, svctype_name(b->type), a->line);
				continue;
			}
			for (size_t k = 0; k < b->naddrs; k++)
				for (size_t l = 0; l < a->naddrs; l++) {
					if (a->addrs[l].len != b->addrs[k].len ||
					    memcmp(&a->addrs[l].sa, &b->addrs[k].sa, a->addrs[l].len) != 0)
						continue;
					char text[128];
					config_format_addr(&b->addrs[k], text, sizeof(text));
					diag_add(errs, "%s:%u: address %s of \"%s\" is also used by \"%s\" "
						 "at line %u", b->file, b->line, text, b->name, a->name,
						 a->line);
				}
		}
	}
}

/* Moves a parsed entry into the next service and resolves it. */
static void config_service(struct config *cfg, struct mastercf_entry *e, const char *file,
			   struct resolver *res, struct diag *errs)
{
	struct service_config *sc = &cfg->services[cfg->nservices++];
	char *where = NULL;

	sc->name = e->name;
	sc->command = e->command;
	sc->argv = e->argv;
	sc->set = e->set;
	e->name = e->command = NULL;
	e->argv = NULL;
	memset(&e->set, 0, sizeof(e->set));
	sc->type = e->type;
	sc->private_ = e->private_;
	sc->unpriv = e->unpriv;
	sc->chroot = e->chroot;
	sc->wakeup_s = e->wakeup_s;
	sc->wakeup_after_use = e->wakeup_after_use;
	sc->line = e->line;
	sc->jail_fd = sc->exec_fd = -1;
	if ((sc->file = strdup(file)) == NULL || asprintf(&where, "%s:%u", file, e->line) < 0) {
		diag_add(errs, "%s:%u: out of memory", file, e->line);
		return;
	}

	if (sc->type == SERVICE_INET) {
		config_addr_resolve_inet(sc, res, cfg->master.resolve_timeout_s, where, errs);
		config_addr_check(sc, where, errs);
	} else
		config_resolve_unix(sc, &cfg->master, where, errs);
	const char *jail = config_isolation_jail(sc, &cfg->master);
	/* The master's own jail is made with the service (isolation.c). */
	if (jail != NULL && !config_isolation_own_jail(sc, &cfg->master))
		config_paths_jail(sc, jail, where, errs);
	config_resolve_command(sc, &cfg->master, where, errs);
	config_args_check(sc, &cfg->master, where, errs);
	config_ids_service(sc, &cfg->master, where, errs);
	config_isolation_check(sc, &cfg->master, where, errs);
	config_ready_check(sc, e, errs);
	if (sc->set.maxproc != 0 && sc->set.prefork > sc->set.maxproc)
		diag_add(errs, "%s: prefork %u is larger than maxproc %u", where,
			 sc->set.prefork, sc->set.maxproc);
	free(where);
}

/* A configuration whose workers need more fds than this host lets the
 * master have is refused here, with the numbers (config_fds.h). */
static void config_check_fds(const struct config *cfg, struct diag *errs)
{
	unsigned long long max;
	const char *source;

	if (fdlimit_max(&max, &source) == 0)
		config_fds_check(cfg, max, source, errs);
}

/* admin_group's and status_group's gids, looked up here (on the reload
 * thread) so that the loop applies them without a lookup. An unknown group
 * is no error: its members are then refused (control_auth.c warns). */
int config_load(const char *dir, char *const *overrides, struct config *out,
		struct diag *errs)
{
	struct resolver res;

	resolve_init(&res, true); /* one thread: started if a name needs it */
	return config_load_with(dir, overrides, NULL, &res, out, errs);
}

int config_load_with(const char *dir, char *const *overrides, struct settings_reader *reader,
		     struct resolver *res, struct config *out, struct diag *errs)
{
	size_t before = diag_count(errs);
	struct service_settings defaults;
	struct mastercf cf = { 0 };
	char *conf = NULL, *cfpath = NULL;

	memset(out, 0, sizeof(*out));
	if ((out->dir = strdup(dir)) == NULL || settings_defaults(&out->master, &defaults) < 0) {
		diag_oom(errs, dir);
		config_free(out);
		if (reader != NULL)
			settings_reader_end(reader);
		resolve_end(res);
		return -1;
	}
	conf = config_join(dir, "master.conf");
	cfpath = config_join(dir, "master.cf");
	if (conf == NULL || cfpath == NULL) {
		diag_oom(errs, dir);
		goto out;
	}
	settings_load_file_with(conf, &out->master, &defaults, reader, errs);
	for (size_t i = 0; overrides != NULL && overrides[i] != NULL; i++)
		settings_override(&out->master, &defaults, overrides[i], false, "command line", errs);
	/* After all overrides, so that -o run_directory=... moves them too. */
	config_absolute(&out->master.pid_file, out->master.run_directory, errs);
	config_absolute(&out->master.control_socket, out->master.run_directory, errs);
	out->master.own_jail = out->master.chroot_directory[0] != '/';
	config_absolute(&out->master.chroot_directory, out->master.run_directory, errs);
	config_ids_control(out);
	config_isolation_check_master(&out->master, conf, errs);
	config_rundir_check(&out->master, conf, errs);

	mastercf_parse_file(cfpath, &defaults, &cf, errs);
	/* Entries with errors were dropped by the parser; the rest are still
	 * resolved, so that one run reports everything. */
	if ((out->services = calloc(cf.n + 1, sizeof(*out->services))) == NULL) {
		diag_oom(errs, cfpath);
	} else {
		for (size_t i = 0; i < cf.n; i++)
			config_service(out, &cf.entries[i], cfpath, res, errs);
		config_check_duplicates(out, errs);
		config_dynuser_check(out, CONFIG_DYNUSER_PASSWD, CONFIG_DYNUSER_GROUP, errs);
		config_check_fds(out, errs);
	}
	mastercf_free(&cf);
out:
	if (reader != NULL)
		settings_reader_end(reader); /* unused if we never got that far */
	resolve_end(res);
	settings_free_service(&defaults);
	free(conf);
	free(cfpath);
	if (diag_count(errs) != before) {
		config_free(out); /* no half configuration */
		return -1;
	}
	return 0;
}

static void config_free_service(struct service_config *sc)
{
	config_paths_close(sc);
	free(sc->name);
	free(sc->command);
	free(sc->path);
	for (size_t i = 0; sc->argv != NULL && sc->argv[i] != NULL; i++)
		free(sc->argv[i]);
	free(sc->argv);
	free(sc->addrs);
	settings_free_service(&sc->set);
	free(sc->groups);
	free(sc->state_dir);
	free(sc->file);
	memset(sc, 0, sizeof(*sc));
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		config_free_service(&cfg->services[i]);
	free(cfg->services);
	settings_free_master(&cfg->master);
	free(cfg->dir);
	memset(cfg, 0, sizeof(*cfg));
}

void config_format_addr(const struct service_addr *a, char *buf, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&a->sa;

	switch (a->sa.ss_family) {
	case AF_UNIX:
		snprintf(buf, size, "%.*s", (int)sizeof(sun->sun_path), sun->sun_path);
		break;
	case AF_INET:
	case AF_INET6:
		if (getnameinfo((const struct sockaddr *)&a->sa, a->len, host, sizeof(host),
				serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
			snprintf(buf, size, "(unprintable address)");
			break;
		}
		snprintf(buf, size, a->sa.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
		break;
	default:
		snprintf(buf, size, "(address family %d)", a->sa.ss_family);
	}
}
