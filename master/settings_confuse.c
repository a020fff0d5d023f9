/* settings_confuse.c - owns parsing master.conf with libconfuse (see
 * settings_confuse.h): options generated from the schema table, every
 * value checked by the schema's checker as libconfuse reads it, errors and
 * values sent to the parent as records.
 *
 * Out of memory: this code runs only in the throwaway reader process,
 * whose death the parent reports as an error of the load. */
#include "settings_confuse.h"

#include <confuse.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "settings.h"
#include "settings_schema.h"

/* libconfuse has no user pointer in cfg_t: the error and validate callbacks
 * find the current parse here (one parse per reader process). */
struct settings_confuse {
	const char *file;
	int fd;
	size_t nerr;
	int failed; /* the pipe broke */
};
static _Thread_local struct settings_confuse *settings_confuse_current;

static void settings_confuse_write(struct settings_confuse *sc, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0 && !sc->failed) {
		ssize_t k = write(sc->fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			sc->failed = 1;
			return;
		}
		b += k;
		n -= (size_t)k;
	}
}

static void settings_confuse_record(struct settings_confuse *sc, char type, const void *a,
				    size_t alen, const char *text)
{
	size_t tlen = strlen(text);
	uint32_t len = (uint32_t)(alen + tlen);
	char head[SETTINGS_CONFUSE_HEADER_BYTES];

	head[0] = type;
	memcpy(head + 1, &len, sizeof(len));
	settings_confuse_write(sc, head, sizeof(head));
	settings_confuse_write(sc, a, alen);
	settings_confuse_write(sc, text, tlen);
}

__attribute__((format(printf, 2, 0)))
static void settings_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[SETTINGS_ERR_SIZE], line[SETTINGS_ERR_SIZE + 256];
	struct settings_confuse *sc = settings_confuse_current;

	/* Say it the way -o does; libconfuse's own wording otherwise. */
	if (strcmp(fmt, "no such option '%s'") == 0)
		snprintf(msg, sizeof(msg), "unknown setting \"%s\"", va_arg(ap, const char *));
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	sc->nerr++;
	if (cfg->line > 0)
		snprintf(line, sizeof(line), "%s:%d: %s", sc->file, cfg->line, msg);
	else
		snprintf(line, sizeof(line), "%s: %s", sc->file, msg);
	settings_confuse_record(sc, SETTINGS_CONFUSE_ERROR, NULL, 0, line);
}

static int settings_confuse_validate(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *name = cfg_opt_name(opt);
	const struct settings_row *row = settings_find(name, strlen(name));
	const char *v = cfg_opt_getnstr(opt, 0);
	union settings_value val;
	char err[SETTINGS_ERR_SIZE];

	if (row == NULL || v == NULL)
		return 0;
	if (settings_parse(row, v, &val, err, sizeof(err)) != 0)
		cfg_error(cfg, "%s", err);
	else
		settings_value_free(row, &val);
	return 0; /* keep reading: every bad value is reported, not the first */
}

int settings_confuse_parse(int fd, const char *file, const char *text)
{
	cfg_opt_t opts[settings_count + 1];
	struct settings_confuse sc = { file, fd, 0, 0 };

	/* Every setting is a string to libconfuse, so 100 and "100" are the
	 * same; the checker alone decides what a valid value is. */
	for (size_t i = 0; i < settings_count; i++)
		opts[i] = (cfg_opt_t)CFG_STR(settings_table[i].name, NULL, CFGF_NODEFAULT);
	opts[settings_count] = (cfg_opt_t)CFG_END();
	settings_confuse_current = &sc;
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);
	if (cfg == NULL)
		return -1; /* no 'R': the parent says out of memory */
	cfg_set_error_function(cfg, settings_confuse_error);
	for (size_t i = 0; i < settings_count; i++)
		cfg_set_validate_func(cfg, settings_table[i].name, settings_confuse_validate);
	errno = 0;
	int rc = cfg_parse_buf(cfg, text);
	if (rc != CFG_SUCCESS && sc.nerr == 0) {
		/* libconfuse said nothing: out of memory, say so if it was. */
		char line[SETTINGS_ERR_SIZE];
		snprintf(line, sizeof(line), "%s: cannot parse%s", file,
			 errno == ENOMEM ? ": out of memory" : "");
		sc.nerr++;
		settings_confuse_record(&sc, SETTINGS_CONFUSE_ERROR, NULL, 0, line);
	}
	/* Every value read, also when others were bad: later checks
	 * (master.cf) then see the operator's intent, not defaults. */
	for (size_t i = 0; i < settings_count; i++) {
		cfg_opt_t *opt = cfg_getopt(cfg, settings_table[i].name);
		const char *v = opt != NULL && cfg_opt_size(opt) > 0 ? cfg_opt_getnstr(opt, 0) : NULL;
		uint16_t row = (uint16_t)i;
		if (v != NULL)
			settings_confuse_record(&sc, SETTINGS_CONFUSE_VALUE, &row, sizeof(row), v);
	}
	char result[1] = { rc == CFG_SUCCESS && sc.nerr == 0 ? 0 : 1 };
	cfg_free(cfg);
	uint32_t one = 1;
	char head[SETTINGS_CONFUSE_HEADER_BYTES] = { SETTINGS_CONFUSE_RESULT };
	memcpy(head + 1, &one, sizeof(one));
	settings_confuse_write(&sc, head, sizeof(head));
	settings_confuse_write(&sc, result, 1);
	settings_confuse_current = NULL;
	return sc.failed ? -1 : 0;
}
