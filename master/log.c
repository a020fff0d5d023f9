/* log.c - owns the format of log lines, the master's own lines kept while
 * the log is full, and the count of dropped ones; logsink.c owns where
 * they go and that writing never blocks.
 *
 * Workers' lines and the master's share one log. When it is full (a slow
 * reader, a flood), a worker's line is dropped, but the master's own is
 * kept (LOG_PENDING_BYTES of them, oldest first) and goes before anything
 * else once the log takes lines again, which log_flush() tries at every
 * turn of the loop: an adversarial run had a worker flood its stderr, then
 * misbehave, and the master's "killing worker" and "killed by signal"
 * lines about it were dropped with the flood. While any are kept, workers'
 * lines are dropped without being tried.
 *
 * The log state is a handful of fields set at start-up; log_open() sets
 * all of them, so tests and a re-exec start from a known state. A mutex
 * keeps the loop's and the reload thread's lines whole. Nothing here is
 * fatal: a line that cannot be written or kept is counted, and the count
 * reported with the next one written. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "logprefix.h"
#include "logsink.h"
#include "logtext.h"

/* The text of one message, before its prefix; longer is cut. */
#define LOG_TEXT_MAX_BYTES 2048u
/* The prefix: "<PRI>Mmm dd hh:mm:ss master[PID]: " (syslog), or in the
 * foreground logprefix.h's then "master[PID]: " or "SERVICE[PID]: "
 * (a service name longer than this is cut). */
#define LOG_SERVICE_MAX_BYTES 256
/* The master's own lines kept while the log is full. */
#define LOG_PENDING_BYTES (64u * 1024u)
#define LOG_NOTE_BYTES 128

static struct {
	bool foreground;
	bool verbose;
	enum logprefix_mode mode; /* foreground: journald's <N>, a timestamp, or none */
	uint64_t dropped;        /* since the last line written */
	uint64_t dropped_master; /* in all, the master's own lines */
	uint64_t dropped_worker; /* in all, workers' lines */
	struct logsink sink;
} log_state = { .foreground = true, .sink = { .fd = STDERR_FILENO } };

/* Kept lines, each a uint16_t length then the line, oldest first. */
static struct {
	size_t len;
	unsigned lines;
	char buf[LOG_PENDING_BYTES];
} log_pending;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const log_level_names[] = { "error", "warning", "info", "debug" };
static const int log_syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_open(bool foreground, bool verbose)
{
	log_state.foreground = foreground;
	log_state.verbose = verbose;
	log_state.dropped = log_state.dropped_master = log_state.dropped_worker = 0;
	log_pending.len = 0;
	log_pending.lines = 0;
	log_state.mode = LOGPREFIX_PLAIN;
	if (foreground) {
		struct stat st;
		if (fstat(STDERR_FILENO, &st) == 0)
			log_state.mode = logprefix_mode(getenv("JOURNAL_STREAM"), st.st_dev,
							st.st_ino, isatty(STDERR_FILENO) == 1);
		logsink_open_stderr(&log_state.sink);
	} else
		logsink_open_syslog(&log_state.sink, LOGSINK_SYSLOG_PATH);
}

void log_open_syslog(const char *path, bool verbose)
{
	log_open(false, verbose);
	logsink_open_syslog(&log_state.sink, path);
}

void log_forked(void)
{
	/* The only thread now: a lock the reload thread held at the fork
	 * would be held for ever. The master's kept lines are the master's
	 * to write, not this copy's. */
	pthread_mutex_init(&log_lock, NULL);
	log_pending.len = 0;
	log_pending.lines = 0;
}

void log_close(void)
{
	/* Not flushed here: main.c flushes before; a forked copy (the guard)
	 * has dropped what the master kept (log_forked). */
	logsink_close(&log_state.sink);
	log_state.sink.fd = STDERR_FILENO; /* what is left goes to stderr */
}

bool log_verbose(void)
{
	return log_state.verbose;
}

uint64_t log_dropped_total(void)
{
	return log_state.dropped_master + log_state.dropped_worker;
}

uint64_t log_dropped_master(void)
{
	return log_state.dropped_master;
}

uint64_t log_dropped_workers(void)
{
	return log_state.dropped_worker;
}

unsigned log_pending_lines(void)
{
	return log_pending.lines;
}

/* Formats the prefix of a line at level into buf: the syslog header in
 * syslog mode (RFC 3164, as syslog(3) writes it). */
static size_t log_prefix(char *buf, size_t size, int syslog_prio, const char *who, pid_t pid)
{
	int n;

	if (log_state.foreground) {
		struct timespec now = { 0, 0 };
		if (log_state.mode == LOGPREFIX_STAMP)
			clock_gettime(CLOCK_REALTIME, &now);
		size_t k = logprefix_format(buf, size, log_state.mode, syslog_prio, &now);
		n = snprintf(buf + k, size - k, "%.*s[%ld]: ", LOG_SERVICE_MAX_BYTES, who,
			     (long)pid);
		if (n >= 0)
			n += (int)k;
	} else {
		char stamp[32] = "";
		time_t now = time(NULL);
		struct tm tm;
		if (localtime_r(&now, &tm) != NULL)
			strftime(stamp, sizeof(stamp), "%b %e %T", &tm);
		n = snprintf(buf, size, "<%d>%s master[%ld]: ", LOG_DAEMON | syslog_prio, stamp,
			     (long)getpid());
		if (who != NULL && n >= 0 && (size_t)n < size)
			n += snprintf(buf + n, size - (size_t)n, "%.*s[%ld]: ",
				      LOG_SERVICE_MAX_BYTES, who, (long)pid);
	}
	return n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n;
}

/* Formats prefix + escaped text + newline (streams) as one line into
 * line (LOGSINK_LINE_MAX_BYTES); returns its length. */
static size_t log_format(char *line, int syslog_prio, const char *who, pid_t pid,
			 const char *text, size_t len)
{
	size_t used;
	size_t n = log_prefix(line, LOGSINK_LINE_MAX_BYTES, syslog_prio, who, pid);

	n += logtext_escape(line + n, LOGSINK_LINE_MAX_BYTES - 1 - n, text, len, false, &used);
	if (log_state.foreground)
		line[n++] = '\n';
	return n;
}

static void log_drop(bool own)
{
	log_state.dropped++;
	if (own)
		log_state.dropped_master++;
	else
		log_state.dropped_worker++;
}

/* Keeps one of the master's own lines for later, or drops it. */
static void log_keep(const char *line, size_t n)
{
	uint16_t n16 = (uint16_t)n;

	if (log_pending.len + sizeof(n16) + n > sizeof(log_pending.buf)) {
		log_drop(true);
		return;
	}
	memcpy(log_pending.buf + log_pending.len, &n16, sizeof(n16));
	memcpy(log_pending.buf + log_pending.len + sizeof(n16), line, n);
	log_pending.len += sizeof(n16) + n;
	log_pending.lines++;
}

/* Writes what is kept, oldest first, then the count of lines dropped.
 * True once nothing is owed. */
static bool log_flush_locked(void)
{
	size_t off = 0;
	uint16_t n16;

	while (off < log_pending.len) {
		memcpy(&n16, log_pending.buf + off, sizeof(n16));
		if (!logsink_put(&log_state.sink, log_pending.buf + off + sizeof(n16), n16))
			break;
		off += sizeof(n16) + n16;
		log_pending.lines--;
	}
	if (off > 0) {
		memmove(log_pending.buf, log_pending.buf + off, log_pending.len - off);
		log_pending.len -= off;
	}
	if (log_pending.len > 0)
		return false;
	if (log_state.dropped > 0) {
		char note[LOG_NOTE_BYTES], line[LOGSINK_LINE_MAX_BYTES];
		int k = snprintf(note, sizeof(note), "%s: (%llu log lines dropped; in all %llu of "
				 "workers, %llu of the master)", log_level_names[LOG_LEVEL_WARN],
				 (unsigned long long)log_state.dropped,
				 (unsigned long long)log_state.dropped_worker,
				 (unsigned long long)log_state.dropped_master);
		if (k < 0 || (size_t)k >= sizeof(note))
			k = k < 0 ? 0 : (int)sizeof(note) - 1;
		size_t n = log_format(line, LOG_WARNING, log_state.foreground ? "master" : NULL,
				      getpid(), note, (size_t)k);
		if (!logsink_put(&log_state.sink, line, n))
			return false;
		log_state.dropped = 0;
	}
	return true;
}

void log_flush(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_pending.len > 0 || log_state.dropped > 0)
		log_flush_locked();
	pthread_mutex_unlock(&log_lock);
}

/* Writes one line (own: the master's), after what is owed. */
static void log_line(bool own, int syslog_prio, const char *who, pid_t pid, const char *text,
		     size_t len)
{
	char line[LOGSINK_LINE_MAX_BYTES];
	size_t n = log_format(line, syslog_prio, who, pid, text, len);

	pthread_mutex_lock(&log_lock);
	if (!log_flush_locked() || !logsink_put(&log_state.sink, line, n)) {
		if (own)
			log_keep(line, n);
		else
			log_drop(false);
	}
	pthread_mutex_unlock(&log_lock);
}

/* log_tap(): per thread, so a reload thread's errors never reach the
 * loop's client by accident. */
static _Thread_local void (*log_tap_fn)(void *arg, const char *text);
static _Thread_local void *log_tap_arg;

void log_tap(void (*fn)(void *arg, const char *text), void *arg)
{
	log_tap_fn = fn;
	log_tap_arg = arg;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char text[LOG_TEXT_MAX_BYTES];
	va_list ap;

	if (level == LOG_LEVEL_DEBUG && !log_state.verbose)
		return;
	int n = snprintf(text, sizeof(text), "%s: ", log_level_names[level]);
	va_start(ap, fmt);
	int m = vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	if (level == LOG_LEVEL_ERR && log_tap_fn != NULL)
		log_tap_fn(log_tap_arg, text + n);
	log_line(true, log_syslog_prio[level], log_state.foreground ? "master" : NULL, getpid(),
		 text, len);
}

/* Info, unless the line starts with its own "<N>" (logprefix.h). */
void log_worker_line(const char *service, pid_t pid, const char *line, size_t len)
{
	int prio = LOG_INFO;
	size_t skip = logprefix_worker_priority(line, len, &prio);

	log_line(false, prio, service, pid, line + skip, len - skip);
}
