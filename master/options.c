/* options.c - owns the master's command line (see options.h and
 * master(8)): short options and their long names, --help and --version.
 * Nothing is fatal here: a usage error is said on stderr and returned. */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "build_config.h"

static const struct option options_long[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "check", no_argument, NULL, 'n' },
	{ "override", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void options_usage(FILE *fp)
{
	fprintf(fp, "usage: master [-c DIR] [-f] [-n] [-v] [-o NAME=VALUE]...\n"
		    "       master --help | --version\n"
		    "  -c, --config DIR           configuration directory (default %s)\n"
		    "  -f, --foreground           stay in the foreground, log to stderr\n"
		    "  -n, --check                check the configuration and exit\n"
		    "  -o, --override NAME=VALUE  override a master.conf setting (up to %d)\n"
		    "  -v, --verbose              verbose (debug) logging\n"
		    "  -V, --version              print the version and exit\n"
		    "  -h, --help                 print this and exit\n",
		MASTER_DEFAULT_CONFIG_DIR, OPTIONS_OVERRIDES_MAX);
}

static enum options_result options_error(const char *what, const char *arg)
{
	fprintf(stderr, "master: %s \"%s\"\nusage: master [-c DIR] [-f] [-n] [-v] "
		"[-o NAME=VALUE]... (master --help for more)\n", what, arg);
	return OPTIONS_USAGE;
}

enum options_result options_parse(int argc, char **argv, struct options *o)
{
	char shortopt[3] = "-?";
	int opt;

	memset(o, 0, sizeof(*o));
	o->dir = MASTER_DEFAULT_CONFIG_DIR;
	opterr = 0; /* we say what is wrong */
	while ((opt = getopt_long(argc, argv, ":c:fhno:vV", options_long, NULL)) != -1) {
		switch (opt) {
		case 'c': o->dir = optarg; break;
		case 'f': o->foreground = true; break;
		case 'n': o->check_only = true; break;
		case 'v': o->verbose = true; break;
		case 'o':
			if (o->noverrides == OPTIONS_OVERRIDES_MAX)
				return options_error("too many -o options, at", optarg);
			o->overrides[o->noverrides++] = optarg;
			break;
		case 'V': printf("master %s\n", MASTER_VERSION); return OPTIONS_DONE;
		case 'h': options_usage(stdout); return OPTIONS_DONE;
		case ':': return options_error("option needs an argument:", argv[optind - 1]);
		default: /* a short one is optopt; a long one, the word just read */
			shortopt[1] = (char)optopt;
			return options_error("unknown option", optopt ? shortopt : argv[optind - 1]);
		}
	}
	if (optind != argc)
		return options_error("unexpected argument", argv[optind]);
	return OPTIONS_RUN;
}
