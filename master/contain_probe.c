/* contain_probe.c - owns looking into a worker's leaf (see contain.h):
 * which processes run there, the oldest of them, and their memory. For
 * daemons (ready=notify|exec) the master cannot ask: it looks. Nothing
 * here is fatal or blocks (cgroupfs and /proc answer at once); a leaf
 * with more than CONTAIN_PROBE_PIDS_MAX processes is looked at in part,
 * and its memory said to be unknown (rss_max then retires its worker). */
#include "contain.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

#define CONTAIN_PROBE_PIDS_MAX 1024
#define CONTAIN_PROBE_NAME_BYTES 48
#define CONTAIN_PROBE_STATM_BYTES 128
#define CONTAIN_PROBE_NUMBER_BYTES 32

/* The leaf's file name (cgroup.procs, memory.current) read whole into
 * buf; its length, or -1. */
static ssize_t contain_probe_read(const struct contain_leaf *leaf, const char *file,
				  char *buf, size_t size)
{
	char name[2 * CONTAIN_PROBE_NAME_BYTES], leafname[CONTAIN_PROBE_NAME_BYTES];
	ssize_t n, got = 0;

	if (leaf->svc_fd < 0)
		return -1;
	contain_leaf_name(leaf, leafname, sizeof(leafname));
	snprintf(name, sizeof(name), "%s/%s", leafname, file);
	int fd = openat(leaf->svc_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)got + 1 < size && (n = read(fd, buf + got, size - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

/* The pids in the leaf's cgroup.procs, at most max; how many. *more (if
 * not NULL): the leaf holds more than max. */
static size_t contain_probe_pids(const struct contain_leaf *leaf, pid_t *pids, size_t max,
				 bool *more)
{
	/* 8 bytes a pid ("4194304\n"), and room to see one more */
	size_t size = (max + 1) * 8 + 1, n = 0;
	char *buf = malloc(size);

	if (buf == NULL)
		return 0;
	if (contain_probe_read(leaf, "cgroup.procs", buf, size) > 0)
		for (char *p = buf, *end; n < max; p = end) {
			long v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (v > 0)
				pids[n++] = (pid_t)v;
			if (n == max && more != NULL) {
				(void)strtol(end, &p, 10);
				*more = p != end;
				break;
			}
		}
	free(buf);
	return n;
}

bool contain_leaf_holds(struct contain *c, const struct contain_leaf *leaf, pid_t pid)
{
	pid_t pids[CONTAIN_PROBE_PIDS_MAX];

	if (pid <= 0)
		return false;
	if (leaf->svc_fd < 0) /* its process group, unless its id may be reused */
		return !contain_uses_leaves(c) && !leaf->reaped && leaf->pid > 0 &&
		       getpgid(pid) == leaf->pid;
	size_t n = contain_probe_pids(leaf, pids, CONTAIN_PROBE_PIDS_MAX, NULL);
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

pid_t contain_leaf_oldest(struct contain *c, const struct contain_leaf *leaf)
{
	pid_t pids[CONTAIN_PROBE_PIDS_MAX], best = 0;
	unsigned long long best_start = 0;

	(void)c;
	size_t n = contain_probe_pids(leaf, pids, CONTAIN_PROBE_PIDS_MAX, NULL);
	for (size_t i = 0; i < n; i++) {
		unsigned long long start = contain_reaper_starttime(pids[i]);
		if (start != 0 && (best == 0 || start < best_start)) {
			best = pids[i];
			best_start = start;
		}
	}
	return best;
}

/* Resident bytes of pid (/proc/PID/statm), 0 if it is gone. */
unsigned long long contain_probe_rss(pid_t pid)
{
	char buf[CONTAIN_PROBE_STATM_BYTES];
	unsigned long long size = 0, resident = 0;

	if (procstat_file((long)pid, "statm", buf, sizeof(buf)) < 0)
		return 0;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident * (unsigned long long)sysconf(_SC_PAGESIZE);
}

bool contain_leaf_memory(const struct contain_leaf *leaf, pid_t main_pid,
			 unsigned long long *bytes, size_t *reads, char *how, size_t how_size)
{
	bool more = false;
	char num[CONTAIN_PROBE_NUMBER_BYTES];
	pid_t pids[CONTAIN_PROBE_PIDS_MAX];

	if (leaf->svc_fd < 0) {
		*bytes = contain_probe_rss(main_pid);
		*reads = 1;
		snprintf(how, how_size, "resident memory of its main process");
		return true;
	}
	*bytes = 0;
	*reads = 1;
	/* Only where the leaf has the memory controller (memory_max on its
	 * service delegates it); the kernel's own count, page cache included. */
	if (contain_probe_read(leaf, "memory.current", num, sizeof(num)) > 0) {
		*bytes = strtoull(num, NULL, 10);
		snprintf(how, how_size, "memory.current");
		return true;
	}
	size_t n = contain_probe_pids(leaf, pids, CONTAIN_PROBE_PIDS_MAX, &more);
	for (size_t i = 0; i < n; i++)
		*bytes += contain_probe_rss(pids[i]);
	*reads += 1 + n;
	snprintf(how, how_size, "resident memory of %s%zu process%s", more ? "the first " : "",
		 n, n == 1 ? "" : "es");
	return !more;
}
