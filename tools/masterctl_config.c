/* masterctl_config.c - owns `masterctl config [SERVICE]` (like Postfix's
 * `postconf -n` and `postconf -P`): reads master.conf and master.cf
 * offline, as `check` does (not the running master's copy: after an edit
 * it shows what a reload would apply), and prints every daemon-wide
 * setting, then every setting of each service (or of SERVICE), each with
 * its origin: default, master.conf:LINE, master.cf:LINE (-o or the
 * maxproc column) or command line (-o).
 *
 * Out of memory: an error of the load, printed like any other (exit 1). */
#include "masterctl_config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "masterctl.h"
#include "settings.h"
#include "svctype.h"

#define MASTERCTL_CONFIG_VALUE_BYTES 4096
#define MASTERCTL_CONFIG_ORIGIN_BYTES 64
#define MASTERCTL_CONFIG_COLUMN 40 /* where "# origin" starts, when it fits */

static void masterctl_config_line(const char *prefix, const char *name, const char *value,
				  const char *origin)
{
	int n = printf("%s%s = %s", prefix, name, value);

	printf("%*s # %s\n", n < MASTERCTL_CONFIG_COLUMN ? MASTERCTL_CONFIG_COLUMN - n : 0, "",
	       origin);
}

/* per_service: which scope to print, from m or s. */
static void masterctl_config_rows(const char *prefix, bool per_service,
				  const struct master_settings *m,
				  const struct service_settings *s)
{
	char value[MASTERCTL_CONFIG_VALUE_BYTES], origin[MASTERCTL_CONFIG_ORIGIN_BYTES];

	for (size_t i = 0; i < settings_show_count(); i++) {
		bool svc;
		const char *name = settings_show_name(i, &svc);
		if (svc != per_service)
			continue;
		settings_show_value(i, m, s, value, sizeof(value));
		settings_show_origin(per_service ? s->origin[i] : m->origin[i], "master.conf",
				     "master.cf", origin, sizeof(origin));
		masterctl_config_line(prefix, name, value, origin);
	}
}

/* SERVICE matches a service written NAME or NAME/TYPE. */
static bool masterctl_config_match(const struct service_config *sc, const char *want)
{
	const char *type = svctype_name(sc->type);
	size_t len = strlen(sc->name);

	if (strcmp(want, sc->name) == 0)
		return true;
	return strncmp(want, sc->name, len) == 0 && want[len] == '/' &&
	       strcmp(want + len + 1, type) == 0;
}

static void masterctl_config_service(const struct config *cfg, const struct service_config *sc)
{
	char prefix[MASTERCTL_CONFIG_VALUE_BYTES];

	/* The columns as the master reads them ('-' resolved), then the
	 * command line the worker gets. */
	printf("# %s/%s (master.cf:%u): private=%c unpriv=%c chroot=%c wakeup=", sc->name,
	       svctype_name(sc->type), sc->line, sc->private_ ? 'y' : 'n',
	       sc->unpriv ? 'y' : 'n', sc->chroot ? 'y' : 'n');
	if (sc->wakeup_s == 0)
		printf("-");
	else
		printf("%u%s", sc->wakeup_s, sc->wakeup_after_use ? "?" : "");
	printf(" command=%s:", sc->path != NULL ? sc->path : sc->command);
	for (size_t i = 0; sc->argv != NULL && sc->argv[i] != NULL; i++)
		printf(" %s", sc->argv[i]);
	printf("\n");
	snprintf(prefix, sizeof(prefix), "%s/%s/", sc->name, svctype_name(sc->type));
	masterctl_config_rows(prefix, true, &cfg->master, &sc->set);
}

int masterctl_config_load(const char *dir, char **overrides, struct config *cfg)
{
	struct diag errs = { 0 };

	if (config_load(dir, overrides, cfg, &errs) == 0) {
		diag_free(&errs);
		return 0;
	}
	diag_print(&errs, stderr);
	fprintf(stderr, "masterctl: configuration in %s has %zu error%s\n", dir,
		diag_distinct(&errs), diag_distinct(&errs) == 1 ? "" : "s");
	diag_free(&errs);
	return -1;
}

int masterctl_config(const char *dir, char **overrides, int argc, char **argv)
{
	struct config cfg;
	size_t shown = 0;

	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		fprintf(stderr, "usage: masterctl [-c DIR] [-o name=value]... config [SERVICE]\n");
		return MASTERCTL_EXIT_USAGE;
	}
	if (masterctl_config_load(dir, overrides, &cfg) < 0)
		return MASTERCTL_EXIT_REFUSED;
	if (argc == 0) {
		printf("# configuration in %s: daemon-wide settings\n", dir);
		masterctl_config_rows("", false, &cfg.master, NULL);
	}
	for (size_t i = 0; i < cfg.nservices; i++)
		if (argc == 0 || masterctl_config_match(&cfg.services[i], argv[0])) {
			masterctl_config_service(&cfg, &cfg.services[i]);
			shown++;
		}
	config_free(&cfg);
	if (argc == 1 && shown == 0) {
		fprintf(stderr, "masterctl: no service \"%s\" in %s/master.cf\n", argv[0], dir);
		return MASTERCTL_EXIT_REFUSED;
	}
	return MASTERCTL_EXIT_OK;
}
