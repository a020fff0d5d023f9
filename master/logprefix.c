/* logprefix.c - owns the prefix of a foreground log line: journald's
 * "<N>", a terminal's timestamp, or nothing (see logprefix.h). Pure: no
 * system call, nothing fatal. */
#include "logprefix.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

/* "DEV:INO" as systemd writes it: two decimal numbers, nothing else. */
static bool logprefix_parse_stream(const char *s, uintmax_t *dev, uintmax_t *ino)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*dev = strtoumax(s, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	*ino = strtoumax(end + 1, &end, 10);
	return errno == 0 && *end == '\0';
}

enum logprefix_mode logprefix_mode(const char *journal_stream, dev_t dev, ino_t ino,
				   bool is_tty)
{
	uintmax_t d, i;

	if (logprefix_parse_stream(journal_stream, &d, &i) && d == (uintmax_t)dev &&
	    i == (uintmax_t)ino)
		return LOGPREFIX_JOURNAL;
	return is_tty ? LOGPREFIX_STAMP : LOGPREFIX_PLAIN;
}

size_t logprefix_format(char *buf, size_t size, enum logprefix_mode mode, int prio,
			const struct timespec *now)
{
	int n = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (mode == LOGPREFIX_JOURNAL) {
		if (prio < LOG_EMERG || prio > LOG_DEBUG)
			prio = LOG_INFO;
		n = snprintf(buf, size, "<%d>", prio);
	} else if (mode == LOGPREFIX_STAMP) {
		struct tm tm;
		char date[32];
		time_t t = now->tv_sec;
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			return 0;
		n = snprintf(buf, size, "%s.%03ld ", date, now->tv_nsec / 1000000L);
	}
	if (n < 0)
		return 0;
	return (size_t)n >= size ? size - 1 : (size_t)n;
}

size_t logprefix_worker_priority(const char *line, size_t len, int *prio)
{
	if (len < 3 || line[0] != '<' || line[1] < '0' || line[1] > '7' || line[2] != '>')
		return 0;
	*prio = line[1] - '0';
	if (*prio < LOG_ERR)
		*prio = LOG_ERR;
	return 3;
}
