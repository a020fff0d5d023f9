/* masterctl.c - the operator's client: owns its command line (see
 * masterctl(8)): the options, the commands and their arguments, checked
 * here so that a usage error is one whether or not a master runs. The
 * request goes to a running master over its control socket, or the
 * configuration is checked offline (masterctl_request.c). Exit statuses:
 * enum masterctl_exit (0 done, 1 refused, 2 usage, 3 no master). */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_config.h"
#include "masterctl.h"

#define MASTERCTL_OVERRIDES_MAX 64
#define MASTERCTL_REQUEST_BYTES 1024 /* the master's limit on a request line */
#define MASTERCTL_FLAGS_MAX 3

/* One command: how many plain words follow it, and which flags it takes
 * (at most one of them at a time). */
struct masterctl_verb {
	const char *name;
	unsigned min_words, max_words;
	const char *flags[MASTERCTL_FLAGS_MAX + 1]; /* NULL-terminated */
	bool offline;                              /* no master needed */
};

static const struct masterctl_verb masterctl_verbs[] = {
	{ "status", 0, 1, { "--json", "--prometheus", "--check", NULL }, false },
	{ "reload", 0, 0, { NULL }, false },
	{ "recycle", 1, 1, { NULL }, false },
	{ "stop", 0, 0, { "--now", NULL }, false },
	{ "check", 0, 0, { NULL }, true },
};

static const struct option masterctl_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "override", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void masterctl_usage(FILE *fp)
{
	fprintf(fp, "usage: masterctl [-c DIR] [-o NAME=VALUE]... COMMAND [ARGUMENT]...\n"
		    "       masterctl --help | --version\n"
		    "options:\n"
		    "  -c, --config DIR            configuration directory (default %s)\n"
		    "  -o, --override NAME=VALUE   override a master.conf setting\n"
		    "  -h, --help                  print this and exit\n"
		    "  -V, --version               print the version and exit\n"
		    "commands:\n"
		    "  status [SERVICE] [--json|--prometheus|--check]\n"
		    "                              services and workers (--check: exit 0 only\n"
		    "                              when every service is at prefork, none throttled)\n"
		    "  reload                      apply a changed configuration\n"
		    "  recycle SERVICE|all         replace every worker, capacity kept\n"
		    "  stop [--now]                stop gracefully (--now: kill workers)\n"
		    "  check                       validate the configuration offline\n"
		    "exit status: 0 done, 1 refused, 2 usage error, 3 master not running or "
		    "unreachable\n", MASTER_DEFAULT_CONFIG_DIR);
}

/* A usage error: what is wrong, then where to look. */
static int masterctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int masterctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "masterctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: masterctl [-c DIR] [-o NAME=VALUE]... COMMAND [ARGUMENT]... "
		"(masterctl --help for more)\n");
	return MASTERCTL_EXIT_USAGE;
}

static bool masterctl_has_flag(const struct masterctl_verb *v, const char *arg)
{
	for (size_t i = 0; v->flags[i]; i++)
		if (strcmp(v->flags[i], arg) == 0)
			return true;
	return false;
}

/* The command's words and flags against its entry: 0, or a usage error. */
static int masterctl_check_args(const struct masterctl_verb *v, int argc, char **argv)
{
	unsigned words = 0;
	const char *flag = NULL;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-') {
			words++;
			continue;
		}
		if (!masterctl_has_flag(v, argv[i]))
			return masterctl_usage_error("unknown option \"%s\"", argv[i]);
		if (flag != NULL)
			return masterctl_usage_error("%s: %s and %s: one option at most", v->name,
						     flag, argv[i]);
		flag = argv[i];
	}
	if (words < v->min_words || words > v->max_words)
		return masterctl_usage_error("%s: wrong number of arguments", v->name);
	return 0;
}

/* The request line: the command's words as given, as the master parses
 * them. -1 if it does not fit. */
static int masterctl_join(int argc, char **argv, char *request, size_t size)
{
	size_t len = 0;

	for (int i = 0; i < argc; i++) {
		int n = snprintf(request + len, size - len, "%s%s", i > 0 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= size - len - 1)
			return -1;
		len += (size_t)n;
	}
	request[len++] = '\n';
	request[len] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = MASTER_DEFAULT_CONFIG_DIR;
	char *overrides[MASTERCTL_OVERRIDES_MAX + 1] = { 0 };
	size_t noverrides = 0;
	char request[MASTERCTL_REQUEST_BYTES];
	int opt;

	/* "+": options end at the command; what follows is the command's.
	 * ":": a missing argument is told apart; we say what is wrong. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:c:o:hV", masterctl_options, NULL)) != -1) {
		switch (opt) {
		case 'c': dir = optarg; break;
		case 'o':
			if (noverrides == MASTERCTL_OVERRIDES_MAX)
				return masterctl_usage_error("more than %d -o options",
							     MASTERCTL_OVERRIDES_MAX);
			overrides[noverrides++] = optarg;
			break;
		case 'h': masterctl_usage(stdout); return MASTERCTL_EXIT_OK;
		case 'V': printf("masterctl %s\n", MASTER_VERSION); return MASTERCTL_EXIT_OK;
		case ':':
			return masterctl_usage_error("option \"%s\" needs an argument",
						     argv[optind - 1]);
		default: /* a short one is optopt; a long one, the word just read */
			if (optopt != 0)
				return masterctl_usage_error("unknown option \"-%c\"", optopt);
			return masterctl_usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return masterctl_usage_error("no command given");
	const struct masterctl_verb *v = NULL;
	for (size_t i = 0; i < sizeof(masterctl_verbs) / sizeof(masterctl_verbs[0]); i++)
		if (strcmp(argv[optind], masterctl_verbs[i].name) == 0)
			v = &masterctl_verbs[i];
	if (v == NULL)
		return masterctl_usage_error("unknown command \"%s\"", argv[optind]);
	for (int i = optind + 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			masterctl_usage(stdout);
			return MASTERCTL_EXIT_OK;
		}
	int rc = masterctl_check_args(v, argc - optind, argv + optind);
	if (rc != 0)
		return rc;
	if (v->offline)
		return masterctl_check(dir, overrides);
	if (masterctl_join(argc - optind, argv + optind, request, sizeof(request)) < 0) {
		fprintf(stderr, "masterctl: request too long\n");
		return MASTERCTL_EXIT_USAGE;
	}
	return masterctl_request(dir, overrides, request, strcmp(v->name, "reload") == 0);
}
