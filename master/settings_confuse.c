/* settings_confuse.c - owns parsing master.conf with libconfuse (see
 * settings_confuse.h): options generated from the schema table, every
 * value checked by the schema's checker as libconfuse reads it, errors and
 * values (with the line that set each) sent to the parent as records.
 * libconfuse stops at an unknown setting or a syntax error: such a line is
 * blanked and the text parsed again, so every error is reported.
 *
 * Out of memory: this code runs only in the throwaway reader process,
 * whose death the parent reports as an error of the load. */
#include "settings_confuse.h"

#include <confuse.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings.h"
#include "settings_schema.h"

/* libconfuse stops at the first error it cannot step over (an unknown
 * setting, a syntax error): that error is kept, its line blanked and the
 * text parsed again, so that every error of the file is reported, not the
 * first. Each pass blanks one more line: at most this many passes. */
#define SETTINGS_CONFUSE_PASSES_MAX 64
#define SETTINGS_CONFUSE_ERRORS_MAX 128
#define SETTINGS_CONFUSE_LINE_BYTES (SETTINGS_ERR_SIZE + 256)

struct settings_confuse_err {
	int line;
	char text[SETTINGS_CONFUSE_LINE_BYTES];
};

/* libconfuse has no user pointer in cfg_t: the error and validate callbacks
 * find the current parse here (one parse at a time per thread). */
struct settings_confuse {
	const char *file;
	int fd;
	int failed; /* the pipe broke */
	size_t nkept;  /* errors that stopped earlier passes */
	size_t npass;  /* errors of this pass, after the kept ones */
	struct settings_confuse_err errs[SETTINGS_CONFUSE_ERRORS_MAX];
	unsigned line_of[SETTINGS_ROWS_MAX]; /* the line that set each row */
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

/* Keeps an error of this pass (sent at the end, in line order). */
static void settings_confuse_keep(struct settings_confuse *sc, int line, const char *msg)
{
	size_t i = sc->nkept + sc->npass;

	if (i == SETTINGS_CONFUSE_ERRORS_MAX)
		return; /* the load fails anyway; the first ones are said */
	sc->errs[i].line = line;
	if (line > 0)
		snprintf(sc->errs[i].text, sizeof(sc->errs[i].text), "%s:%d: %s", sc->file, line,
			 msg);
	else
		snprintf(sc->errs[i].text, sizeof(sc->errs[i].text), "%s: %s", sc->file, msg);
	sc->npass++;
}

__attribute__((format(printf, 2, 0)))
static void settings_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[SETTINGS_ERR_SIZE];

	/* Say it the way -o does; libconfuse's own wording otherwise. */
	if (strcmp(fmt, "no such option '%s'") == 0)
		snprintf(msg, sizeof(msg), "unknown setting \"%s\"", va_arg(ap, const char *));
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	settings_confuse_keep(settings_confuse_current, cfg->line, msg);
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
	if (cfg->line > 0)
		settings_confuse_current->line_of[row - settings_table] = (unsigned)cfg->line;
	if (settings_parse(row, v, &val, err, sizeof(err)) != 0)
		cfg_error(cfg, "%s", err);
	else
		settings_value_free(row, &val);
	return 0; /* keep reading: every bad value is reported, not the first */
}

/* Blanks line LINE of text (its newline kept). false if it holds nothing
 * left to blank (no progress possible). */
static bool settings_confuse_blank_line(char *text, int line)
{
	char *p = text;
	bool any = false;

	for (int l = 1; l < line && p != NULL; l++)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	for (; p != NULL && *p != '\0' && *p != '\n'; p++)
		if (*p != ' ') {
			*p = ' ';
			any = true;
		}
	return any;
}

/* One libconfuse pass over text. Returns its cfg_parse_buf() result (with
 * cfg in *out, to free), or -2 when cfg_init failed. */
static int settings_confuse_pass(struct settings_confuse *sc, cfg_opt_t *opts, char *text,
				 cfg_t **out)
{
	/* A pass's own errors start again; its values replace the last's. */
	sc->npass = 0;
	memset(sc->line_of, 0, sizeof(sc->line_of));
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);
	*out = cfg;
	if (cfg == NULL)
		return -2;
	cfg_set_error_function(cfg, settings_confuse_error);
	for (size_t i = 0; i < settings_count; i++)
		cfg_set_validate_func(cfg, settings_table[i].name, settings_confuse_validate);
	errno = 0;
	int rc = cfg_parse_buf(cfg, text);
	if (rc != CFG_SUCCESS && sc->npass == 0) {
		/* libconfuse said nothing: out of memory, say so if it was. */
		settings_confuse_keep(sc, 0, errno == ENOMEM ? "cannot parse: out of memory"
				      : "cannot parse");
	}
	return rc;
}

/* Every error, sorted by line (stable), then every value read. */
static void settings_confuse_send(struct settings_confuse *sc, cfg_t *cfg)
{
	size_t n = sc->nkept + sc->npass;

	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && sc->errs[j - 1].line > sc->errs[j].line; j--) {
			struct settings_confuse_err t = sc->errs[j];
			sc->errs[j] = sc->errs[j - 1];
			sc->errs[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		settings_confuse_record(sc, SETTINGS_CONFUSE_ERROR, NULL, 0, sc->errs[i].text);
	/* Every value read, also when others were bad: later checks
	 * (master.cf) then see the operator's intent, not defaults. */
	for (size_t i = 0; i < settings_count; i++) {
		cfg_opt_t *opt = cfg_getopt(cfg, settings_table[i].name);
		const char *v = opt != NULL && cfg_opt_size(opt) > 0 ? cfg_opt_getnstr(opt, 0) : NULL;
		char head[SETTINGS_CONFUSE_VALUE_HEAD_BYTES];
		uint16_t row = (uint16_t)i;
		uint32_t line = sc->line_of[i];
		memcpy(head, &row, sizeof(row));
		memcpy(head + sizeof(row), &line, sizeof(line));
		if (v != NULL)
			settings_confuse_record(sc, SETTINGS_CONFUSE_VALUE, head, sizeof(head), v);
	}
}

int settings_confuse_parse(int fd, const char *file, const char *text)
{
	cfg_opt_t opts[settings_count + 1];
	struct settings_confuse *sc = calloc(1, sizeof(*sc));
	char *work = strdup(text);
	cfg_t *cfg = NULL;
	int rc = -2;

	if (sc == NULL || work == NULL) {
		free(sc);
		free(work);
		return -1; /* no 'R': the parent says out of memory */
	}
	sc->file = file;
	sc->fd = fd;
	/* Every setting is a string to libconfuse, so 100 and "100" are the
	 * same; the checker alone decides what a valid value is. */
	for (size_t i = 0; i < settings_count; i++)
		opts[i] = (cfg_opt_t)CFG_STR(settings_table[i].name, NULL, CFGF_NODEFAULT);
	opts[settings_count] = (cfg_opt_t)CFG_END();
	settings_confuse_current = sc;
	for (size_t pass = 0; pass < SETTINGS_CONFUSE_PASSES_MAX; pass++) {
		if (cfg != NULL)
			cfg_free(cfg);
		rc = settings_confuse_pass(sc, opts, work, &cfg);
		if (rc == CFG_SUCCESS || rc == -2 || sc->npass == 0)
			break;
		/* The pass's last error stopped it: kept; its line blanked. */
		struct settings_confuse_err *stop = &sc->errs[sc->nkept + sc->npass - 1];
		if (stop->line <= 0 || !settings_confuse_blank_line(work, stop->line) ||
		    sc->nkept + 1 >= SETTINGS_CONFUSE_ERRORS_MAX)
			break;
		sc->errs[sc->nkept++] = *stop;
	}
	if (cfg != NULL)
		settings_confuse_send(sc, cfg);
	char result[1] = { rc == CFG_SUCCESS && sc->nkept + sc->npass == 0 ? 0 : 1 };
	if (cfg != NULL)
		cfg_free(cfg);
	uint32_t one = 1;
	char head[SETTINGS_CONFUSE_HEADER_BYTES] = { SETTINGS_CONFUSE_RESULT };
	memcpy(head + 1, &one, sizeof(one));
	int failed = cfg == NULL;
	if (!failed) {
		settings_confuse_write(sc, head, sizeof(head));
		settings_confuse_write(sc, result, 1);
	}
	failed |= sc->failed;
	settings_confuse_current = NULL;
	free(work);
	free(sc);
	return failed ? -1 : 0;
}
