/* log.h - the master's log: stderr in the foreground (-f), syslog
 * (LOG_DAEMON, ident "master") otherwise. Worker stderr lines are logged as
 * "SERVICE[PID]: line", at info unless the line starts with its own "<N>".
 * In the foreground a line starts with journald's "<N>" when stderr is the
 * journal, with a timestamp on a terminal (logprefix.h).
 *
 * Every line is escaped (logtext.h) and capped at LOGSINK_LINE_MAX_BYTES.
 * Writing never blocks (logsink.h): a line the reader is too slow for is
 * dropped and counted, and the next line that can be written is preceded
 * by "master[PID]: warning: (N log lines dropped)". */
#ifndef MASTER_LOG_H
#define MASTER_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_open(bool foreground, bool verbose);
/* syslog mode to the datagram socket at path (static storage), for tests
 * (log_open uses /dev/log). */
void log_open_syslog(const char *path, bool verbose);
void log_close(void);
/* In a forked copy of the master (the guard), first: the log's lock made
 * anew, the master's kept lines dropped. */
void log_forked(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One line a worker wrote to its stderr (no trailing newline). */
void log_worker_line(const char *service, pid_t pid, const char *line, size_t len);
/* While set (on this thread only): every error logged is also handed to
 * fn, without its "error: " prefix, so that a caller can tell its client
 * why (a failed reload). NULL ends it. */
void log_tap(void (*fn)(void *arg, const char *text), void *arg);
/* Whether debug lines are logged (-v). */
bool log_verbose(void);
/* Lines dropped since the log was opened (a slow reader): in all, the
 * master's own, workers'. */
uint64_t log_dropped_total(void);
uint64_t log_dropped_master(void);
uint64_t log_dropped_workers(void);
/* The master's own lines kept while the log is full, not yet written. */
unsigned log_pending_lines(void);
/* Writes what is kept, if the log takes it now (each turn of the loop). */
void log_flush(void);

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
