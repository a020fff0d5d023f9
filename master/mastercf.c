/* mastercf.c - owns the master.cf lexer and parser (see mastercf.h):
 * logical lines (comments, blanks, whitespace continuation), tokens
 * (words, or "{ text with spaces }" as in Postfix 3), the eight columns and
 * the -o overrides. Errors name the line of the offending token.
 *
 * Out of memory: never fatal; it is an error of the line being parsed
 * ("FILE:LINE: out of memory"), which drops that entry and fails the load. */
#include "mastercf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "svcname.h"
#include "svctype.h"

#define MASTERCF_COLUMNS 8

struct mastercf_token {
	char *text;
	unsigned line;
	bool braced; /* written as { ... }: never an option or '-' */
};

struct mastercf_parser {
	const char *path;
	const struct service_settings *defaults;
	struct mastercf *out;
	struct diag *errs;
	struct mastercf_token *toks; /* the logical line being collected */
	size_t ntoks, captoks;
	unsigned first_line;          /* 0: no logical line open */
	bool bad;                     /* a token error: do not parse the line */
};

__attribute__((format(printf, 3, 4)))
static void mastercf_error(struct mastercf_parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL) {
		diag_add(p->errs, "%s:%u: out of memory", p->path, line);
		return;
	}
	diag_add(p->errs, "%s:%u: %s", p->path, line, msg);
	free(msg);
}

static void mastercf_push_token(struct mastercf_parser *p, const char *s, size_t len,
				unsigned line, bool braced)
{
	if (p->ntoks == p->captoks) {
		size_t cap = p->captoks ? p->captoks * 2 : 16;
		struct mastercf_token *toks = realloc(p->toks, cap * sizeof(*toks));
		if (toks == NULL) {
			mastercf_error(p, line, "out of memory");
			p->bad = true;
			return;
		}
		p->toks = toks;
		p->captoks = cap;
	}
	struct mastercf_token *t = &p->toks[p->ntoks];
	if ((t->text = strndup(s, len)) == NULL) {
		mastercf_error(p, line, "out of memory");
		p->bad = true;
		return;
	}
	p->ntoks++;
	t->line = line;
	t->braced = braced;
}

static void mastercf_tokenize(struct mastercf_parser *p, const char *s, size_t len,
			      unsigned line)
{
	size_t i = 0;

	while (i < len) {
		if (isspace((unsigned char)s[i])) {
			i++;
		} else if (s[i] == '{') {
			const char *close = memchr(s + i, '}', len - i);
			if (close == NULL) {
				mastercf_error(p, line, "missing \"}\" after \"{\"");
				p->bad = true;
				return;
			}
			size_t a = i + 1, b = (size_t)(close - s), next = b + 1;
			while (a < b && isspace((unsigned char)s[a]))
				a++;
			while (b > a && isspace((unsigned char)s[b - 1]))
				b--;
			if (next < len && !isspace((unsigned char)s[next])) {
				mastercf_error(p, line, "text after \"}\": \"%.*s\"",
					       (int)strcspn(s + next, " \t\r\n"), s + next);
				p->bad = true;
				return;
			}
			mastercf_push_token(p, s + a, b - a, line, true);
			i = next;
		} else {
			size_t j = i;
			while (j < len && !isspace((unsigned char)s[j]))
				j++;
			mastercf_push_token(p, s + i, j - i, line, false);
			i = j;
		}
	}
}

static void mastercf_type(struct mastercf_parser *p, const struct mastercf_token *t,
			  enum service_type *type)
{
	if (!svctype_parse(t->text, type))
		mastercf_error(p, t->line, "unknown type \"%s\"", t->text);
}

static void mastercf_yes_no(struct mastercf_parser *p, const struct mastercf_token *t,
			    const char *column, bool def, bool *out)
{
	if (strcmp(t->text, "-") == 0)
		*out = def;
	else if (strcmp(t->text, "y") == 0)
		*out = true;
	else if (strcmp(t->text, "n") == 0)
		*out = false;
	else
		mastercf_error(p, t->line, "%s \"%s\": expected y, n or -", column, t->text);
}

/* Postfix syntax: "-" (none), seconds "N", or "N?" (none before the
 * service's first request). "0" and "0?" are none too. */
static void mastercf_wakeup(struct mastercf_parser *p, const struct mastercf_token *t,
			    struct mastercf_entry *e)
{
	const char *s = t->text;
	size_t digits = strspn(s, "0123456789");
	unsigned long n;

	if (strcmp(s, "-") == 0)
		return;
	if (digits == 0 || !(s[digits] == '\0' || (s[digits] == '?' && s[digits + 1] == '\0'))) {
		mastercf_error(p, t->line, "wakeup \"%s\": expected seconds, N? or -", s);
		return;
	}
	errno = 0;
	n = strtoul(s, NULL, 10);
	if (errno != 0 || n > MASTERCF_WAKEUP_MAX_S) {
		mastercf_error(p, t->line, "wakeup \"%s\": at most %u seconds", s,
			       MASTERCF_WAKEUP_MAX_S);
		return;
	}
	e->wakeup_s = (unsigned)n;
	e->wakeup_after_use = n > 0 && s[digits] == '?';
}

static void mastercf_set(struct mastercf_parser *p, struct mastercf_entry *e,
			 unsigned line, const char *name_value)
{
	char *where = NULL;

	if (asprintf(&where, "%s:%u", p->path, line) < 0) {
		mastercf_error(p, line, "out of memory");
		return;
	}
	settings_override_from(NULL, &e->set, name_value, true, where,
			       (struct settings_origin){ SETTINGS_FROM_CF, line }, p->errs);
	free(where);
	if (strncmp(name_value, "max_use=", 8) == 0)
		e->max_use_line = line;
	if (strncmp(name_value, "max_idle=", 9) == 0)
		e->max_idle_line = line;
	if (strncmp(name_value, "watchdog_timeout=", 17) == 0)
		e->watchdog_line = line;
	if (strncmp(name_value, "stop_signal=", 12) == 0)
		e->stop_signal_line = line;
}

static void mastercf_maxproc(struct mastercf_parser *p, const struct mastercf_token *t,
			     struct mastercf_entry *e)
{
	char *nv = NULL;

	if (strcmp(t->text, "-") == 0)
		return;
	e->maxproc_column = true;
	/* The column is the same setting as -o maxproc: one checker, one range. */
	if (asprintf(&nv, "maxproc=%s", t->text) < 0) {
		mastercf_error(p, t->line, "out of memory");
		return;
	}
	mastercf_set(p, e, t->line, nv);
	free(nv);
}

/* Applies one -o pair. A braced pair may have spaces around '=' ("-o { a = b }"). */
static void mastercf_override(struct mastercf_parser *p, struct mastercf_entry *e,
			      const struct mastercf_token *t, const char *pair)
{
	const char *eq = strchr(pair, '=');
	char *nv = NULL;

	if (eq != NULL && t->braced) {
		size_t nlen = (size_t)(eq - pair);
		const char *v = eq + 1 + strspn(eq + 1, " \t");
		while (nlen > 0 && isspace((unsigned char)pair[nlen - 1]))
			nlen--;
		if (asprintf(&nv, "%.*s=%s", (int)nlen, pair, v) < 0) {
			mastercf_error(p, t->line, "out of memory");
			return;
		}
		pair = nv;
		eq = strchr(nv, '=');
	}
	if (eq != NULL && e->maxproc_column && (size_t)(eq - pair) == strlen("maxproc") &&
	    strncmp(pair, "maxproc", strlen("maxproc")) == 0)
		mastercf_error(p, t->line, "-o %s: maxproc is set by the maxproc column; "
			       "write \"-\" there to set it with -o", pair);
	else
		mastercf_set(p, e, t->line, pair);
	free(nv);
}

/* Applies the -o options after the command; returns the index of the first
 * worker argument. */
static size_t mastercf_options(struct mastercf_parser *p, struct mastercf_entry *e)
{
	size_t i = MASTERCF_COLUMNS;

	while (i < p->ntoks && !p->toks[i].braced && strncmp(p->toks[i].text, "-o", 2) == 0) {
		if (p->toks[i].text[2] != '\0') { /* "-oname=value" */
			mastercf_override(p, e, &p->toks[i], p->toks[i].text + 2);
			i++;
		} else if (i + 1 < p->ntoks) {
			mastercf_override(p, e, &p->toks[i + 1], p->toks[i + 1].text);
			i += 2;
		} else {
			mastercf_error(p, p->toks[i].line, "\"-o\" needs name=value after it");
			i++;
		}
	}
	return i;
}

static void mastercf_add(struct mastercf_parser *p, struct mastercf_entry *e)
{
	struct mastercf *out = p->out;
	struct mastercf_entry *entries = realloc(out->entries, (out->n + 1) * sizeof(*entries));

	if (entries == NULL) {
		mastercf_error(p, e->line, "out of memory");
		mastercf_entry_free(e);
		return;
	}
	out->entries = entries;
	out->entries[out->n++] = *e;
}

static void mastercf_entry_parse(struct mastercf_parser *p)
{
	const struct mastercf_token *t = p->toks;
	struct mastercf_entry e = { .line = p->first_line };
	size_t before = diag_count(p->errs);

	if (p->ntoks < MASTERCF_COLUMNS) {
		mastercf_error(p, p->first_line, "too few columns: found %zu, expected 8 (service "
			       "type private unpriv chroot wakeup maxproc command)", p->ntoks);
		return;
	}
	if (settings_copy_service(&e.set, p->defaults) != 0) {
		mastercf_error(p, p->first_line, "out of memory");
		return;
	}
	char why[SVCNAME_WHY_BYTES];
	if (strcmp(t[0].text, "-") == 0)
		mastercf_error(p, t[0].line, "the service name column has no default");
	else if (svcname_check(t[0].text, why, sizeof(why)) < 0)
		mastercf_error(p, t[0].line, "service name: %s", why);
	mastercf_type(p, &t[1], &e.type);
	mastercf_yes_no(p, &t[2], "private", MASTERCF_DEFAULT_PRIVATE, &e.private_);
	mastercf_yes_no(p, &t[3], "unpriv", MASTERCF_DEFAULT_UNPRIV, &e.unpriv);
	mastercf_yes_no(p, &t[4], "chroot", MASTERCF_DEFAULT_CHROOT, &e.chroot);
	mastercf_wakeup(p, &t[5], &e);
	mastercf_maxproc(p, &t[6], &e);
	if (strcmp(t[7].text, "-") == 0)
		mastercf_error(p, t[7].line, "the command column has no default");

	size_t first_arg = mastercf_options(p, &e);
	size_t nargs = p->ntoks - first_arg;
	e.name = strdup(t[0].text);
	e.command = strdup(t[7].text);
	e.argv = calloc(nargs + 2, sizeof(*e.argv));
	/* argv stays NULL-terminated at the first failure: freed as far as
	 * it got. */
	for (size_t i = 0; e.argv != NULL && i < nargs + 1; i++)
		if ((e.argv[i] = strdup(t[i == 0 ? 7 : first_arg + i - 1].text)) == NULL)
			break;
	if (e.name == NULL || e.command == NULL || e.argv == NULL || e.argv[nargs] == NULL)
		mastercf_error(p, p->first_line, "out of memory");
	if (diag_count(p->errs) != before)
		mastercf_entry_free(&e); /* never half an entry */
	else
		mastercf_add(p, &e);
}

/* Ends the logical line being collected, if any. */
static void mastercf_finish(struct mastercf_parser *p)
{
	if (p->first_line != 0 && !p->bad)
		mastercf_entry_parse(p);
	for (size_t i = 0; i < p->ntoks; i++)
		free(p->toks[i].text);
	p->ntoks = 0;
	p->first_line = 0;
	p->bad = false;
}

static void mastercf_physical_line(struct mastercf_parser *p, const char *s, size_t len,
				   unsigned line)
{
	size_t ws = 0;

	while (ws < len && isspace((unsigned char)s[ws]))
		ws++;
	if (ws == len || s[ws] == '#')
		return; /* blank or comment, also between continuation lines */
	if (ws > 0) {
		if (p->first_line == 0)
			mastercf_error(p, line, "continuation line with no entry before it");
		else
			mastercf_tokenize(p, s, len, line);
		return;
	}
	mastercf_finish(p);
	p->first_line = line;
	mastercf_tokenize(p, s, len, line);
}

int mastercf_parse_buffer(const char *path, const char *text,
			  const struct service_settings *defaults,
			  struct mastercf *out, struct diag *errs)
{
	struct mastercf_parser p = {
		.path = path, .defaults = defaults, .out = out, .errs = errs,
	};
	size_t before = diag_count(errs);
	unsigned line = 0;

	memset(out, 0, sizeof(*out));
	for (const char *s = text; *s != '\0';) {
		const char *nl = strchr(s, '\n');
		size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		mastercf_physical_line(&p, s, len, ++line);
		s += len + (nl != NULL);
	}
	mastercf_finish(&p);
	free(p.toks);
	return diag_count(errs) == before ? 0 : -1;
}

int mastercf_parse_file(const char *path, const struct service_settings *defaults,
			struct mastercf *out, struct diag *errs)
{
	char why[CONFFILE_WHY_BYTES], *text;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (conffile_read(path, &text, &len, why, sizeof(why)) < 0) {
		diag_add(errs, "%s: %s", path, why);
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		diag_add(errs, "%s: cannot read: contains a NUL byte", path);
		free(text);
		return -1;
	}
	int rc = mastercf_parse_buffer(path, text, defaults, out, errs);
	free(text);
	return rc;
}

void mastercf_entry_free(struct mastercf_entry *e)
{
	free(e->name);
	free(e->command);
	for (size_t i = 0; e->argv != NULL && e->argv[i] != NULL; i++)
		free(e->argv[i]);
	free(e->argv);
	settings_free_service(&e->set);
	memset(e, 0, sizeof(*e));
}

void mastercf_free(struct mastercf *cf)
{
	for (size_t i = 0; i < cf->n; i++)
		mastercf_entry_free(&cf->entries[i]);
	free(cf->entries);
	memset(cf, 0, sizeof(*cf));
}
