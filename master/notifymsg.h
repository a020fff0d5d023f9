/* notifymsg.h - the sd_notify(3) datagram, parsed: pure, no system calls.
 *
 * A daemon run with ready=notify speaks to the master as it would to
 * systemd: one datagram of newline-separated NAME=VALUE assignments. The
 * master believes nothing in it beyond what it can check: the datagram is
 * refused whole when it is empty, longer than NOTIFYMSG_DATAGRAM_MAX_BYTES
 * or holds a NUL byte; within it, only the names below are understood,
 * each with the exact values systemd accepts, and everything else (unknown
 * names, bad values, lines without '=') is counted and ignored. A later
 * assignment of a name overrides an earlier one, as in systemd. */
#ifndef MASTER_NOTIFYMSG_H
#define MASTER_NOTIFYMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What one datagram may hold: several assignments and a STATUS line. */
#define NOTIFYMSG_DATAGRAM_MAX_BYTES 4096
/* STATUS= text kept (for `status`), longer text is cut. */
#define NOTIFYMSG_STATUS_MAX_BYTES 200

struct notifymsg {
	bool ready;            /* READY=1 */
	bool stopping;         /* STOPPING=1: it is leaving on its own */
	bool watchdog;         /* WATCHDOG=1: it is alive */
	bool watchdog_trigger; /* WATCHDOG=trigger: it asks to be treated as hung */
	bool has_status;       /* STATUS= given (status may be empty) */
	/* printable ASCII only: every other byte is written '?' */
	char status[NOTIFYMSG_STATUS_MAX_BYTES + 1];
	pid_t mainpid;         /* MAINPID=, 0 when absent or not a pid */
	unsigned ignored;      /* assignments not understood */
};

/* Parses one datagram of len bytes (not NUL-terminated). Returns 0 with
 * *out filled, or -1 (out zeroed) for a datagram refused whole. */
int notifymsg_parse(const char *buf, size_t len, struct notifymsg *out);

#endif
