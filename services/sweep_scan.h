/* sweep_scan.h - one sweep of a Maildir spool: count what is in new/,
 * cur/ and tmp/, and remove what is older than the policy allows. */
#ifndef SWEEP_SCAN_H
#define SWEEP_SCAN_H

#include <stdbool.h>
#include <time.h>

/* The Maildir convention: a file left in tmp/ for 36 hours is debris of
 * a delivery that died (a worker killed mid-message). */
#define SWEEP_TMP_AGE_S (36 * 3600)

struct sweep_policy {
	long long max_age_s;    /* remove delivered mail older than this; 0: never */
	long long tmp_age_s;    /* remove tmp/ debris older than this; 0: never */
};

struct sweep_counts {
	unsigned long files[3];         /* new/, cur/, tmp/ */
	unsigned long long bytes;       /* of the files kept */
	unsigned long removed;          /* delivered mail aged out */
	unsigned long tmp_removed;      /* debris from tmp/ */
	unsigned long errors;           /* entries that could not be read or removed */
};

/* Whether a file last modified at mtime is past age_s at now (pure). */
bool sweep_expired(time_t mtime, time_t now, long long age_s);

/* Sweeps the Maildir open at spool_fd (missing subdirectories count as
 * empty). Only regular files are counted or removed; nothing is
 * followed. Returns 0, or -1 when the spool itself cannot be read. */
int sweep_scan(int spool_fd, const struct sweep_policy *policy, time_t now,
	struct sweep_counts *counts);

#endif
