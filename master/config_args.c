/* config_args.c - owns the load-time checks of shipped workers' arguments
 * (see config_args.h). spawn's rule is spawn/spawn.c's: the first word
 * starting "argv=" is the command, an absolute path, exec'd inside the
 * service's jail if it has one.
 *
 * Nothing is fatal here: every problem is one more error of the load. */
#include "config_args.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_isolation.h"

static void config_args_spawn(const struct service_config *sc, const struct master_settings *m,
			      const char *where, struct diag *errs)
{
	const size_t tlen = strlen(CONFIG_ARGS_SPAWN_TOKEN);
	const char *path = NULL;
	char host[4096];
	struct stat st;

	for (size_t i = 1; sc->argv[i] != NULL && path == NULL; i++)
		if (strncmp(sc->argv[i], CONFIG_ARGS_SPAWN_TOKEN, tlen) == 0)
			path = sc->argv[i] + tlen;
	if (path == NULL) {
		diag_add(errs, "%s: spawn needs argv=/absolute/command after its options", where);
		return;
	}
	if (path[0] != '/') {
		diag_add(errs, "%s: spawn argv=%s: the command must be an absolute path", where,
			 path);
		return;
	}
	const char *jail = config_isolation_jail(sc, m);
	if (jail != NULL && config_isolation_own_jail(sc, m)) {
		diag_add(errs, "%s: spawn argv=%s: chroot_directory is the master's own empty "
			 "jail, where no command exists (give -o chroot=DIR a jail that holds it)",
			 where, path);
		return;
	}
	snprintf(host, sizeof(host), "%s%s", jail != NULL ? jail : "", path);
	if (stat(host, &st) != 0)
		diag_add(errs, "%s: spawn argv=%s: %s: %s%s", where, path, host, strerror(errno),
			 jail != NULL ? " (the jail holds what the worker executes)" : "");
	else if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
		diag_add(errs, "%s: spawn argv=%s: %s: not an executable file", where, path, host);
}

void config_args_check(const struct service_config *sc, const struct master_settings *m,
		       const char *where, struct diag *errs)
{
	const char *base = sc->command != NULL ? strrchr(sc->command, '/') : NULL;

	base = base != NULL ? base + 1 : sc->command;
	if (base != NULL && sc->argv != NULL && strcmp(base, CONFIG_ARGS_SPAWN) == 0)
		config_args_spawn(sc, m, where, errs);
}
