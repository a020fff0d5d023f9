/* procstat.h - a process's resident memory and CPU time, from
 * /proc/PID/stat (procstat.c): what `masterctl status` shows per worker;
 * and the one way the master reads a /proc/PID pseudo file and a field of
 * its stat line. */
#ifndef MASTER_PROCSTAT_H
#define MASTER_PROCSTAT_H

#include <stdbool.h>
#include <sys/types.h>

struct procstat {
	bool known;                  /* false: gone, or unreadable */
	unsigned long long rss_bytes;
	unsigned long long cpu_ms;   /* user + system */
};

/* One /proc/PID/stat line: ticks_per_s is sysconf(_SC_CLK_TCK), page_bytes
 * the page size. Pure. False (out->known false) if it does not parse. */
bool procstat_parse(const char *line, long ticks_per_s, long page_bytes, struct procstat *out);
/* Reads /proc/PID/stat of pid. False (out->known false) if it is gone. */
bool procstat_read(pid_t pid, struct procstat *out);
/* Reads /proc/PID/NAME into buf (size bytes, NUL-terminated, at most
 * size - 1 read): the bytes read, or -1 if it is gone, unreadable or
 * empty. One read: the kernel makes these files whole at the first. */
ssize_t procstat_file(long pid, const char *name, char *buf, size_t size);
/* Field number field (as proc(5) counts them, 3 or more) of a
 * /proc/PID/stat line: its first character, or NULL if the line is
 * shorter. The comm (field 2) may hold anything, ")" and blanks too: the
 * fields after it follow its last ")". Pure. */
const char *procstat_field(const char *line, int field);

#endif
