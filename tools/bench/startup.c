/* startup.c - bench-startup: where a worker launch's CPU goes, piece by
 * piece (issue 11: "measure where a launch's CPU goes").
 *
 *   bench-startup [-r ROUNDS] [-n LAUNCHES_PER_ROUND] [-w WORKER] [-m MUSL_WORKER]
 *
 * Each mode starts a child and reaps it, ROUNDS rounds of N launches, the
 * modes taking turns so that other people's load hits them alike; the CPU
 * of a launch is the launcher's own plus the child's (getrusage SELF and
 * CHILDREN), median over the rounds:
 *   exec-nolibc  vfork+exec of bench-startup-nolibc (no libc: _start
 *                makes the exit system call): the kernel's clone, exec,
 *                page faults, exit and reap, nothing of user space
 *   exec-static  vfork+exec of bench-startup-noop (main returns 0, static
 *                glibc, as our workers are): the above plus glibc's own
 *                start-up (on x86 it probes the CPU with CPUID: cache
 *                sizes, features)
 *   exec-worker  vfork+exec of WORKER (bench-oneline-worker) with an
 *                environment that makes libmaster stop at its first check
 *                (MASTER_STATUS_FD not a socket): + the worker's size
 *   exec-worker-musl  the same worker linked against musl (where
 *                musl-gcc was found at build time): no CPUID at start-up
 *                (-w and -m name other programs for these two, e.g. a
 *                glibc and a musl build's services/echo: worker_libc)
 *   fork         fork() of this process (static, small: what a pre-exec'd
 *                template of a worker, a zygote, pays per worker) and
 *                _exit(0) in the child
 * and, on x86, the CPU time of one CPUID instruction, timed in a loop: in
 * a virtual machine every CPUID traps to the hypervisor. The difference
 * between exec-static and exec-nolibc is glibc's start-up; divided by a
 * CPUID's cost, roughly how many CPUIDs it makes. */
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define BENCH_STARTUP_CPUID 1
#endif

#define BENCH_STARTUP_ROUNDS 7
#define BENCH_STARTUP_PER_ROUND 200
#define BENCH_STARTUP_CPUID_LOOPS 2000
#define BENCH_STARTUP_ROUNDS_MAX 101

#ifdef BENCH_STARTUP_WORKER_MUSL
#define BENCH_STARTUP_MUSL_PATH BENCH_STARTUP_WORKER_MUSL
#else
#define BENCH_STARTUP_MUSL_PATH NULL
#endif

enum bench_startup_mode { BS_NOLIBC, BS_STATIC, BS_WORKER, BS_MUSL, BS_FORK, BS_MODES };

static const char *const bench_startup_names[BS_MODES] = {
	"exec-nolibc", "exec-static", "exec-worker", "exec-worker-musl", "fork (zygote floor)",
};
static const char *bench_startup_paths[BS_MODES] = {
	BENCH_STARTUP_NOLIBC, BENCH_STARTUP_NOOP, BENCH_STARTUP_WORKER,
	BENCH_STARTUP_MUSL_PATH, NULL,
};

extern char **environ;

static double bench_startup_tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* CPU seconds so far: this process and its reaped children. */
static double bench_startup_cpu_s(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return bench_startup_tv_s(&self.ru_utime) + bench_startup_tv_s(&self.ru_stime) +
	       bench_startup_tv_s(&kids.ru_utime) + bench_startup_tv_s(&kids.ru_stime);
}

static int bench_startup_once(enum bench_startup_mode mode)
{
	/* exec-worker: libmaster reads its environment, finds fd 0 (not a
	 * socket) as its status channel, says so on stderr and exits 1. */
	static char *worker_env[] = { "LISTEN_FDS=1", "MASTER_STATUS_FD=0",
				      "MASTER_SERVICE=bench", NULL };
	pid_t pid;
	int status;

	if (mode == BS_FORK) {
		pid = fork();
		if (pid == 0)
			_exit(0);
	} else {
		char *argv[] = { (char *)bench_startup_paths[mode], NULL };
		posix_spawn_file_actions_t fa;
		int rc;

		posix_spawn_file_actions_init(&fa);
		/* The worker's complaint goes nowhere. */
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 0, 0);
		rc = posix_spawn(&pid, argv[0], &fa, NULL, argv,
				 mode == BS_WORKER || mode == BS_MUSL ? worker_env : environ);
		posix_spawn_file_actions_destroy(&fa);
		if (rc != 0) {
			errno = rc;
			pid = -1;
		}
	}
	if (pid < 0) {
		fprintf(stderr, "bench-startup: %s: %s\n", bench_startup_names[mode],
			strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int bench_startup_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#ifdef BENCH_STARTUP_CPUID
/* CPU microseconds of one CPUID (leaf 0x80000006: L2/L3 cache, one glibc
 * asks for). */
static double bench_startup_cpuid_us(void)
{
	unsigned a, b, c, d, sum = 0;
	double t0 = bench_startup_cpu_s();

	for (int i = 0; i < BENCH_STARTUP_CPUID_LOOPS; i++) {
		__cpuid(0x80000006, a, b, c, d);
		sum += a + b + c + d;
	}
	__asm__ volatile("" : : "r"(sum));
	return (bench_startup_cpu_s() - t0) * 1e6 / BENCH_STARTUP_CPUID_LOOPS;
}
#endif

int main(int argc, char **argv)
{
	int rounds = BENCH_STARTUP_ROUNDS, per = BENCH_STARTUP_PER_ROUND, opt;
	static double us[BS_MODES][BENCH_STARTUP_ROUNDS_MAX];

	while ((opt = getopt(argc, argv, "r:n:w:m:")) != -1) {
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'n')
			per = atoi(optarg);
		else if (opt == 'w')
			bench_startup_paths[BS_WORKER] = optarg;
		else if (opt == 'm')
			bench_startup_paths[BS_MUSL] = optarg;
		else
			goto usage;
	}
	if (optind != argc || rounds < 1 || rounds > BENCH_STARTUP_ROUNDS_MAX || per < 1)
		goto usage;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < BS_MODES; k++) {
			int mode = (r + k) % BS_MODES;
			double t0 = bench_startup_cpu_s();

			if (mode == BS_MUSL && bench_startup_paths[mode] == NULL)
				continue; /* not built */
			for (int i = 0; i < per; i++)
				if (bench_startup_once((enum bench_startup_mode)mode) < 0)
					return 1;
			us[mode][r] = (bench_startup_cpu_s() - t0) * 1e6 / per;
		}
	}
	printf("| mode | CPU us/launch (median of %d rounds of %d) | min | max |\n"
	       "|---|---|---|---|\n", rounds, per);
	double med[BS_MODES];
	for (int mode = 0; mode < BS_MODES; mode++) {
		if (mode == BS_MUSL && bench_startup_paths[mode] == NULL)
			continue;
		qsort(us[mode], (size_t)rounds, sizeof(double), bench_startup_cmp);
		med[mode] = us[mode][rounds / 2];
		printf("| %s | %.0f | %.0f | %.0f |\n", bench_startup_names[mode], med[mode],
		       us[mode][0], us[mode][rounds - 1]);
	}
	printf("glibc start-up (exec-static - exec-nolibc): %.0f us\n",
	       med[BS_STATIC] - med[BS_NOLIBC]);
#ifdef BENCH_STARTUP_CPUID
	double cpuid = bench_startup_cpuid_us();
	printf("one CPUID: %.2f us of CPU; glibc's start-up is worth %.0f of them\n",
	       cpuid, cpuid > 0 ? (med[BS_STATIC] - med[BS_NOLIBC]) / cpuid : 0.0);
#endif
	return 0;
usage:
	fprintf(stderr, "usage: bench-startup [-r ROUNDS] [-n LAUNCHES_PER_ROUND]"
		" [-w WORKER] [-m MUSL_WORKER]\n");
	return 2;
}
