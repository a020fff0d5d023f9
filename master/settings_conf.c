/* settings_conf.c - owns reading master.conf through libconfuse: options
 * generated from the schema table, every value checked by the schema's
 * checker, errors collected as "FILE:LINE: message". */
#include <confuse.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "settings_schema.h"

/* libconfuse has no user pointer in cfg_t: the error and validate callbacks
 * find the current load here. Set only for the length of one
 * settings_load_file() call (thread-local, so never shared). */
struct settings_load {
	const char *file;
	struct diag *errs;
	size_t nerr;
};
static _Thread_local struct settings_load *settings_current;

__attribute__((format(printf, 2, 0)))
static void settings_cfg_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[SETTINGS_ERR_SIZE];
	struct settings_load *ld = settings_current;

	/* Say it the way -o does; libconfuse's own wording otherwise. */
	if (strcmp(fmt, "no such option '%s'") == 0)
		snprintf(msg, sizeof(msg), "unknown setting \"%s\"", va_arg(ap, const char *));
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	ld->nerr++;
	if (cfg->line > 0)
		diag_add(ld->errs, "%s:%d: %s", ld->file, cfg->line, msg);
	else
		diag_add(ld->errs, "%s: %s", ld->file, msg);
}

static int settings_cfg_validate(cfg_t *cfg, cfg_opt_t *opt)
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

/* libconfuse 3.3 counts the newline of a '#' or '//' comment three times
 * (and of a block comment twice), which puts every later error on the
 * wrong line. Blanking comments, keeping newlines, gives it nothing to
 * miscount. Quotes are honoured so that "a#b" stays a value. */
static void settings_blank_comments(char *p)
{
	char quote = 0;

	while (*p != '\0') {
		if (quote != 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == quote)
				quote = 0;
			p++;
		} else if (*p == '"' || *p == '\'') {
			quote = *p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				*p++ = ' ';
		} else if (p[0] == '/' && p[1] == '*') {
			for (*p++ = ' ', *p++ = ' '; *p != '\0'; p++) {
				if (p[0] == '*' && p[1] == '/') {
					*p++ = ' ', *p++ = ' ';
					break;
				}
				if (*p != '\n')
					*p = ' ';
			}
		} else {
			p++;
		}
	}
}

/* Reads FILE whole, up to a NUL byte or the end. NULL with errno if it
 * cannot (ENOENT: there is no such file). */
static char *settings_read_file(const char *file)
{
	FILE *fp = fopen(file, "re");
	char *text = NULL;
	size_t cap = 0;

	if (fp == NULL)
		return NULL;
	ssize_t len = getdelim(&text, &cap, '\0', fp);
	int e = len < 0 && ferror(fp) ? errno : 0;
	fclose(fp);
	if (len <= 0) {
		free(text);
		errno = e;
		return e != 0 ? NULL : strdup("");
	}
	return text;
}

/* Applies every value that libconfuse read and the checker accepts, also
 * when others were bad: later checks (master.cf) then see the operator's
 * intent, not defaults, and report fewer follow-on errors. */
static void settings_cfg_apply(cfg_t *cfg, struct master_settings *m,
			       struct service_settings *s)
{
	for (size_t i = 0; i < settings_count; i++) {
		const struct settings_row *row = &settings_table[i];
		cfg_opt_t *opt = cfg_getopt(cfg, row->name);
		union settings_value val;
		char err[SETTINGS_ERR_SIZE];

		if (cfg_opt_size(opt) == 0)
			continue;
		if (settings_parse(row, cfg_opt_getnstr(opt, 0), &val, err, sizeof(err)) == 0)
			settings_store(row, settings_field(row, m, s), &val);
	}
}

int settings_load_file(const char *file, struct master_settings *m,
		       struct service_settings *s, struct diag *errs)
{
	char *text = settings_read_file(file);

	if (text == NULL) {
		if (errno == ENOENT)
			return 0; /* no master.conf: every setting has its default */
		diag_add(errs, "%s: cannot read: %s", file, strerror(errno));
		return -1;
	}
	int rc = settings_load_buffer(file, text, m, s, errs);
	free(text);
	return rc;
}

int settings_load_buffer(const char *file, char *text, struct master_settings *m,
			 struct service_settings *s, struct diag *errs)
{
	cfg_opt_t opts[settings_count + 1];
	struct settings_load ld = { file, errs, 0 };

	settings_blank_comments(text);
	/* Every setting is a string to libconfuse, so 100 and "100" are the
	 * same; the checker alone decides what a valid value is. */
	for (size_t i = 0; i < settings_count; i++)
		opts[i] = (cfg_opt_t)CFG_STR(settings_table[i].name, NULL, CFGF_NODEFAULT);
	opts[settings_count] = (cfg_opt_t)CFG_END();

	settings_current = &ld;
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);
	if (cfg == NULL)
		abort();
	cfg_set_error_function(cfg, settings_cfg_error);
	for (size_t i = 0; i < settings_count; i++)
		cfg_set_validate_func(cfg, settings_table[i].name, settings_cfg_validate);
	int rc = cfg_parse_buf(cfg, text);
	if (rc != CFG_SUCCESS && ld.nerr == 0)
		diag_add(errs, "%s: cannot parse", file);
	settings_cfg_apply(cfg, m, s);
	cfg_free(cfg);
	settings_current = NULL;
	return rc == CFG_SUCCESS && ld.nerr == 0 ? 0 : -1;
}

