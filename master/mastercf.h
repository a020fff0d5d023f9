/* mastercf.h - the master.cf lexer and parser: Postfix's service table.
 *
 * Turns text into raw entries, one per logical line: columns checked and
 * defaulted, `-o name=value` applied on top of the master.conf defaults
 * through the settings schema. No resolution: addresses, users and
 * executables are config.c's job. */
#ifndef MASTER_MASTERCF_H
#define MASTER_MASTERCF_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "settings.h"

/* Column defaults for '-'. */
#define MASTERCF_DEFAULT_PRIVATE true
#define MASTERCF_DEFAULT_UNPRIV true
#define MASTERCF_DEFAULT_CHROOT false
/* The longest wakeup interval: a year (a mistyped huge number is an error,
 * not a timer that never fires). */
#define MASTERCF_WAKEUP_MAX_S 31536000u

struct mastercf_entry {
	char *name;                  /* first column as written */
	enum service_type type;
	bool private_;
	bool unpriv;
	bool chroot;
	unsigned wakeup_s;           /* 0: none */
	bool wakeup_after_use;       /* "N?" */
	bool maxproc_column;         /* the maxproc column held a number, not '-' */
	char *command;               /* as written */
	char **argv;                 /* NULL-terminated: command, then the worker's args */
	struct service_settings set; /* defaults, maxproc column, -o overrides */
	unsigned line;               /* first line of the logical line */
	/* the line of its -o max_use= / max_idle= / watchdog_timeout= /
	 * stop_signal=, 0 if
	 * none: refused where the worker's ready= cannot honour them
	 * (config_ready.c) */
	unsigned max_use_line, max_idle_line, watchdog_line, stop_signal_line;
};

struct mastercf {
	struct mastercf_entry *entries;
	size_t n;
};

/* Parses TEXT; PATH is used only in messages ("PATH:LINE: ..."). DEFAULTS
 * are the per-service settings from master.conf. Every error goes to errs;
 * out receives every entry that had none (so the caller can go on checking
 * them). Returns 0, or -1 if there was any error. Call mastercf_free() on
 * out in both cases. */
int mastercf_parse_buffer(const char *path, const char *text,
			  const struct service_settings *defaults,
			  struct mastercf *out, struct diag *errs);

/* Reads PATH and parses it as above. A missing or unreadable file is an
 * error naming the path and the reason. */
int mastercf_parse_file(const char *path, const struct service_settings *defaults,
			struct mastercf *out, struct diag *errs);

void mastercf_free(struct mastercf *cf);
void mastercf_entry_free(struct mastercf_entry *e);

#endif
