/* launch_fds.h - bench-launch's helpers for its fd table (launch_fds.c):
 * extra open fds held by the launching process, and the machine's idle
 * and steal time around a measurement. */
#ifndef BENCH_LAUNCH_FDS_H
#define BENCH_LAUNCH_FDS_H

#include <stddef.h>

/* The machine's total, idle (with iowait) and steal clock ticks so far. */
void bench_fds_machine(unsigned long long *total, unsigned long long *idle,
		       unsigned long long *steal);
/* Holds `want` extra open fds (socketpairs, close-on-exec), raising the fd
 * limit to fit; where the hard limit cannot be raised (no
 * CAP_SYS_RESOURCE), as many as it allows, said on stderr. Returns how
 * many are held, or -1 (said why). */
long bench_fds_hold(long want);
/* Closes every extra fd held. */
void bench_fds_release(void);
/* How many fds this process has open. */
long bench_fds_open(void);
/* "0,1000,..." into n[], ascending; returns the count or -1. */
int bench_fds_parse(const char *arg, long *n, size_t max);

#endif
