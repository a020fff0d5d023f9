/* log.c - owns where log lines go (stderr or syslog) and their format.
 *
 * The log state is a handful of flags set once at start-up; log_open() sets
 * all of them, so tests and a re-exec start from a known state. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static struct {
	bool foreground;
	bool verbose;
	bool syslog_open;
} log_state = { .foreground = true };

static const char *const log_level_names[] = { "error", "warning", "info", "debug" };
static const int log_syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_open(bool foreground, bool verbose)
{
	log_state.foreground = foreground;
	log_state.verbose = verbose;
	if (!foreground && !log_state.syslog_open) {
		openlog("master", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_state.syslog_open = true;
	}
}

void log_close(void)
{
	if (log_state.syslog_open)
		closelog();
	log_state.syslog_open = false;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	if (level == LOG_LEVEL_DEBUG && !log_state.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (log_state.foreground)
		fprintf(stderr, "master[%ld]: %s: %s\n", (long)getpid(),
			log_level_names[level], text);
	else
		syslog(log_syslog_prio[level], "%s: %s", log_level_names[level], text);
}

void log_worker_line(const char *service, pid_t pid, const char *line, size_t len)
{
	int n = len > 4000 ? 4000 : (int)len;

	if (log_state.foreground)
		fprintf(stderr, "%s[%ld]: %.*s\n", service, (long)pid, n, line);
	else
		syslog(LOG_INFO, "%s[%ld]: %.*s", service, (long)pid, n, line);
}
