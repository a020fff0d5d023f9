/* procstat.h - a process's resident memory and CPU time, from
 * /proc/PID/stat (procstat.c): what `masterctl status` shows per worker. */
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

#endif
