/* portholder.c - owns naming what holds a TCP port a bind found in use
 * (see portholder.h), for the operator's log line: the listening socket
 * on that port in /proc/net/tcp and tcp6, then the process whose fd is
 * that socket (/proc/PID/fd). It runs only after a failed bind, never on
 * a path a client or worker drives. Bounded: PORTHOLDER_FDS_MAX fds
 * looked at. Nothing here is fatal; what is not found is said so. */
#include "portholder.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

#define PORTHOLDER_LINE_BYTES 512
#define PORTHOLDER_PATH_BYTES 288 /* /proc/ + a d_name (256) + /fd */
#define PORTHOLDER_ADDR_BYTES 64  /* /proc/net/tcp6's local_address */
#define PORTHOLDER_LINK_BYTES 64
#define PORTHOLDER_COMM_BYTES 32
#define PORTHOLDER_STATUS_BYTES 2048 /* /proc/PID/status: "Uid:" is in its first 1 KiB */
#define PORTHOLDER_TCP_LISTEN 0x0A   /* /proc/net/tcp's st column */
#define PORTHOLDER_FDS_MAX 100000u   /* fds looked at, all processes together */

/* The inode and owner of a socket listening on port in one /proc/net
 * table; false if none. */
static bool portholder_socket(const char *table, unsigned port, unsigned long *inode,
			      unsigned *uid)
{
	char line[PORTHOLDER_LINE_BYTES];
	FILE *f = fopen(table, "re");
	bool found = false;

	if (f == NULL)
		return false;
	/* "sl local_address rem_address st ... uid timeout inode": the
	 * address is hex, its port after the last ':'. */
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char local[PORTHOLDER_ADDR_BYTES];
		unsigned st;
		char *colon;
		if (sscanf(line, " %*s %63s %*s %x %*s %*s %*s %u %*s %lu", local, &st, uid,
			   inode) != 4 || st != PORTHOLDER_TCP_LISTEN ||
		    (colon = strrchr(local, ':')) == NULL)
			continue;
		found = strtoul(colon + 1, NULL, 16) == port;
	}
	fclose(f);
	return found;
}

/* Whether one of pid's fds is the socket "socket:[inode]"; *budget fds
 * may still be looked at. */
static bool portholder_pid_has(const char *pid, const char *want, unsigned *budget)
{
	char path[PORTHOLDER_PATH_BYTES], link[PORTHOLDER_LINK_BYTES];
	bool found = false;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return false;
	}
	while (!found && *budget > 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		(*budget)--;
		ssize_t n = readlinkat(dfd, e->d_name, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, want) == 0;
		}
	}
	closedir(d);
	return found;
}

/* The real uid of pid (its status file's "Uid:" line), or -1. */
static long portholder_uid(long pid)
{
	char status[PORTHOLDER_STATUS_BYTES];
	const char *line;

	if (procstat_file(pid, "status", status, sizeof(status)) < 0 ||
	    (line = strstr(status, "\nUid:")) == NULL)
		return -1;
	return strtol(line + sizeof("\nUid:") - 1, NULL, 10);
}

void portholder_name(unsigned port, char *out, size_t size)
{
	unsigned long inode = 0;
	unsigned uid = 0, budget = PORTHOLDER_FDS_MAX;
	char want[PORTHOLDER_LINK_BYTES], comm[PORTHOLDER_COMM_BYTES];
	struct dirent *e;
	DIR *proc;

	out[0] = '\0';
	if (!portholder_socket("/proc/net/tcp", port, &inode, &uid) &&
	    !portholder_socket("/proc/net/tcp6", port, &inode, &uid))
		return;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if ((proc = opendir("/proc")) == NULL)
		return;
	while (budget > 0 && (e = readdir(proc)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    !portholder_pid_has(e->d_name, want, &budget))
			continue;
		long pid = strtol(e->d_name, NULL, 10);
		if (procstat_file(pid, "comm", comm, sizeof(comm)) < 0)
			snprintf(comm, sizeof(comm), "?");
		comm[strcspn(comm, "\n")] = '\0';
		for (char *c = comm; *c != '\0'; c++) /* the process names itself */
			if (*c < ' ' || *c > '~')
				*c = '?';
		/* The process's own uid: the socket's is its maker's (the master,
		 * for one a worker gave away). */
		long puid = portholder_uid(pid);
		if (puid < 0 || (unsigned long)puid == uid)
			snprintf(out, size, "listened on by pid %ld (%s), uid %u", pid, comm, uid);
		else
			snprintf(out, size, "listened on by pid %ld (%s), uid %ld, on a socket "
				 "uid %u made", pid, comm, puid, uid);
		closedir(proc);
		return;
	}
	closedir(proc);
	snprintf(out, size, "listened on by a socket of uid %u that no process here shows",
		 uid);
}
