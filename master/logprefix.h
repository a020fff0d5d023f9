/* logprefix.h - what precedes a line the master writes to stderr in the
 * foreground (-f), decided once at log_open. Pure: the caller passes what
 * it found (JOURNAL_STREAM, fd 2's device and inode, isatty) and the time.
 *
 *   journal  JOURNAL_STREAM ("DEV:INO", decimal, as systemd sets it) names
 *            the very file fd 2 is: the line starts with "<N>", N its
 *            syslog priority (3 err .. 7 debug), which journald reads as
 *            the entry's priority (sd-daemon(3)). No timestamp: journald
 *            stamps entries itself. A JOURNAL_STREAM that names another
 *            file (stderr redirected by a shell under the unit) is ignored,
 *            as sd_journal_stream_fd(3) says to do.
 *   stamp    fd 2 is a terminal: "YYYY-MM-DD HH:MM:SS.mmm " local time.
 *   plain    anything else (a file, a pipe): the line as it was.
 *
 * Worker stderr lines may start with such a "<N>" themselves (a systemd
 * daemon run as a worker writes them); logprefix_worker_priority takes it
 * off and gives the priority, never above err: a worker cannot raise an
 * emergency (journald sends those to every terminal). */
#ifndef MASTER_LOGPREFIX_H
#define MASTER_LOGPREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

enum logprefix_mode { LOGPREFIX_PLAIN, LOGPREFIX_JOURNAL, LOGPREFIX_STAMP };

/* The mode for fd 2 (dev, ino); journal_stream may be NULL. */
enum logprefix_mode logprefix_mode(const char *journal_stream, dev_t dev, ino_t ino,
				   bool is_tty);
/* Writes the mode's prefix for a line of syslog priority prio (LOG_ERR..
 * LOG_DEBUG) at wall time now into buf (NUL-terminated, cut to size);
 * returns its length. */
size_t logprefix_format(char *buf, size_t size, enum logprefix_mode mode, int prio,
			const struct timespec *now);
/* A leading "<N>" (N a single digit 0..7) in line[0..len): its length (3),
 * and *prio set to N, at least LOG_ERR. 0 (and *prio untouched) if the
 * line has none. */
size_t logprefix_worker_priority(const char *line, size_t len, int *prio);

#endif
