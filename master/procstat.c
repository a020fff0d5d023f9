/* procstat.c - owns reading a process's resource use from /proc/PID/stat
 * and statm for `masterctl status` (see procstat.h): resident memory and
 * CPU time, a read of each pseudo file per process (they answer at once;
 * nothing blocks). Nothing is fatal: a process gone, or a line that does not
 * parse, reads as "unknown". procstat_parse is pure, for unit tests. */
#include "procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROCSTAT_PATH_BYTES 48
#define PROCSTAT_LINE_BYTES 1024
/* After the comm's ")": state is field 3; utime 14, stime 15, rss 24. */
#define PROCSTAT_FIELD_FIRST 3
#define PROCSTAT_FIELD_UTIME 14
#define PROCSTAT_FIELD_STIME 15
#define PROCSTAT_FIELD_RSS 24

bool procstat_parse(const char *line, long ticks_per_s, long page_bytes, struct procstat *out)
{
	/* comm may hold anything, ")" and blanks too: fields follow the last ")". */
	const char *p = strrchr(line, ')');
	unsigned long long utime = 0, stime = 0;
	long long rss = -1;

	memset(out, 0, sizeof(*out));
	if (p == NULL || ticks_per_s <= 0 || page_bytes <= 0)
		return false;
	p++;
	for (int field = PROCSTAT_FIELD_FIRST; field <= PROCSTAT_FIELD_RSS; field++) {
		char *end;
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return false;
		if (field == PROCSTAT_FIELD_UTIME || field == PROCSTAT_FIELD_STIME) {
			unsigned long long v = strtoull(p, &end, 10);
			if (end == p)
				return false;
			*(field == PROCSTAT_FIELD_UTIME ? &utime : &stime) = v;
		} else if (field == PROCSTAT_FIELD_RSS) {
			rss = strtoll(p, &end, 10);
			if (end == p || rss < 0)
				return false;
		} else {
			end = strchr(p, ' ');
			if (end == NULL)
				return false;
		}
		p = end;
	}
	out->rss_bytes = (unsigned long long)rss * (unsigned long long)page_bytes;
	out->cpu_ms = (utime + stime) * 1000ull / (unsigned long long)ticks_per_s;
	out->known = true;
	return true;
}

bool procstat_read(pid_t pid, struct procstat *out)
{
	static long ticks_per_s, page_bytes; /* constant for the system's life */
	char buf[PROCSTAT_LINE_BYTES];

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return false;
	if (ticks_per_s == 0) {
		ticks_per_s = sysconf(_SC_CLK_TCK);
		page_bytes = sysconf(_SC_PAGESIZE);
	}
	if (procstat_file((long)pid, "stat", buf, sizeof(buf)) < 0 ||
	    !procstat_parse(buf, ticks_per_s, page_bytes, out))
		return false;
	/* stat's rss is the kernel's per-CPU estimate: 0 KiB for a small
	 * worker that statm, summed, shows at 80 (a tester saw it in status);
	 * statm's is what rss_max reads too. */
	unsigned long long size, resident;
	if (procstat_file((long)pid, "statm", buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%llu %llu", &size, &resident) == 2)
		out->rss_bytes = resident * (unsigned long long)page_bytes;
	return true;
}

ssize_t procstat_file(long pid, const char *name, char *buf, size_t size)
{
	char path[PROCSTAT_PATH_BYTES];

	if (size == 0)
		return -1;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

const char *procstat_field(const char *line, int field)
{
	const char *p = strrchr(line, ')');

	/* Field 3 follows ") "; each further one, one more blank. */
	for (int i = 2; p != NULL && i < field; i++)
		p = strchr(p + 1, ' ');
	return p != NULL && field >= 3 ? p + 1 : NULL;
}
