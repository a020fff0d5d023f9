/* launch_fds.c - bench-launch's fd table helpers (see launch_fds.h): the
 * extra fds that make the launching process look like a master with
 * thousands of workers (two fds each: a status channel and a stderr pipe;
 * here socketpairs, close-on-exec like the master's), and /proc/stat
 * readings so that every table row says how busy the machine was. */
#include "launch_fds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room left under the fd limit for the benchmark's own per-launch fds and
 * the launcher's block. */
#define BENCH_FDS_SLACK 256

static int *bench_fds_held;
static long bench_fds_nheld;

void bench_fds_machine(unsigned long long *total, unsigned long long *idle,
		       unsigned long long *steal)
{
	unsigned long long v[8] = { 0 };
	FILE *fp = fopen("/proc/stat", "re");

	if (fp == NULL || fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
				 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		memset(v, 0, sizeof(v));
	if (fp != NULL)
		fclose(fp);
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*idle = v[3] + v[4];
	*steal = v[7];
}

/* Raises the fd limit to `want` more fds plus slack, or as far as allowed;
 * returns how many more fit. */
static long bench_fds_limit(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rlim_t need = (rlim_t)(want + bench_fds_open() + BENCH_FDS_SLACK);
	if (rl.rlim_cur >= need)
		return want;
	struct rlimit up = { need, rl.rlim_max > need ? rl.rlim_max : need };
	if (setrlimit(RLIMIT_NOFILE, &up) == 0)
		return want;
	int err = errno;
	rl.rlim_cur = rl.rlim_max; /* as far as the hard limit goes */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	long fit = (long)rl.rlim_max - bench_fds_open() - BENCH_FDS_SLACK;
	fprintf(stderr, "bench-launch: cannot raise the fd limit to %llu (%s): %ld extra fds "
		"instead of %ld\n", (unsigned long long)need, strerror(err),
		bench_fds_nheld + (fit < 0 ? 0 : fit), bench_fds_nheld + want);
	return fit < 0 ? 0 : fit;
}

long bench_fds_hold(long want)
{
	int sv[2];

	if (want > bench_fds_nheld && (want = bench_fds_limit(want - bench_fds_nheld)) >= 0)
		want += bench_fds_nheld;
	if (want < 0)
		return perror("bench-launch: fd limit"), -1;
	int *more = realloc(bench_fds_held, (size_t)(want + 1) * sizeof(int));
	if (more == NULL)
		return perror("bench-launch"), -1;
	bench_fds_held = more;
	while (bench_fds_nheld + 2 <= want) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			return perror("bench-launch: socketpair"), -1;
		bench_fds_held[bench_fds_nheld++] = sv[0];
		bench_fds_held[bench_fds_nheld++] = sv[1];
	}
	return bench_fds_nheld;
}

void bench_fds_release(void)
{
	for (long i = 0; i < bench_fds_nheld; i++)
		close(bench_fds_held[i]);
	bench_fds_nheld = 0;
}

long bench_fds_open(void)
{
	struct rlimit rl;
	long n = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	for (long fd = 0; fd < (long)rl.rlim_cur; fd++)
		n += fcntl((int)fd, F_GETFD) >= 0;
	return n;
}

int bench_fds_parse(const char *arg, long *n, size_t max)
{
	size_t count = 0;
	char *end;

	while (*arg != '\0') {
		if (count == max)
			return -1;
		n[count] = strtol(arg, &end, 10);
		if (end == arg || n[count] < 0 || (count > 0 && n[count] < n[count - 1]) ||
		    (*end != ',' && *end != '\0'))
			return -1;
		count++;
		arg = *end == ',' ? end + 1 : end;
	}
	return count > 0 ? (int)count : -1;
}
