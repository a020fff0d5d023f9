/* launch.c - bench-launch: what one worker launch costs, and whether that
 * cost stays flat as the launching process grows.
 *
 *   bench-launch [-w WORKER] [-r ROUNDS] [-t MS_PER_ROUND] [-f N,N,...] [-M]
 *
 * Four ways to start the same tiny worker (bench-launch-worker: it says
 * "ready" on MASTER_STATUS_FD and exits), each counted from the start of
 * the launch to "ready" received and the child reaped:
 *   master     the master's own code: launch_start() with a spec built as
 *              worker_spawn() builds it (a listening socket, the status
 *              channel, the stderr pipe, the environment) and the isolation
 *              of a default service from isolation_create() (as root: ids
 *              to nobody, bounding set, securebits, capabilities, ...)
 *   copy       the same, with the launcher's fd block off: the child gets a
 *              copy of the whole fd table, as every launch did before the
 *              block (launch.c): the "before" beside the "after"
 *   bare       clone(CLONE_VM|CLONE_VFORK) + execve, nothing else
 *   fork       fork() + execve, for contrast
 * first at ~10 MB resident holding N extra open fds (socketpairs,
 * close-on-exec, as the master's channels are) for each N of -f (default
 * 0,1000,10000,20000; the fd limit is raised to fit, which takes
 * CAP_SYS_RESOURCE past the hard limit: without it, N is cut to what the
 * hard limit allows, said on stderr), then with the process at ~10 MB and
 * ~1 GB resident (pages touched; -M skips this table). Modes alternate in short rounds so that drift hits all
 * of them alike. Prints tables: launches per second, wall microseconds per
 * launch, CPU microseconds per launch (the launcher's own plus the child's
 * up to its exit, from wait4: steadier than wall time on a busy machine),
 * the ratio of launch rates to bare at the same size (target: master >=
 * 0.8x bare), in the fd table the CPU per launch against the same mode's
 * at the first N (target: master flat), and the machine's idle and steal
 * time while each size or N ran (other people's load is noise). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "config.h"
#include "isolation.h"
#include "launch_fds.h"
#include "launch.h"
#include "log.h"
#include "settings.h"

#define BENCH_LAUNCH_ROUNDS 10
#define BENCH_LAUNCH_ROUND_MS 300
#define BENCH_LAUNCH_SMALL_BYTES (10ULL << 20)
#define BENCH_LAUNCH_BIG_BYTES (1ULL << 30)
#define BENCH_LAUNCH_STACK_BYTES (64u * 1024u)
#define BENCH_LAUNCH_PAGE_BYTES 4096u
#define BENCH_LAUNCH_PID_PREFIX (sizeof("LISTEN_PID=") - 1)
#define BENCH_LAUNCH_FDS_MAX 8
#define BENCH_LAUNCH_FDS_DEFAULT "0,1000,10000,20000"

enum bench_launch_mode { BENCH_MASTER, BENCH_COPY, BENCH_BARE, BENCH_FORK, BENCH_MODES };
static const char *const bench_launch_names[] = { "master launch", "master, table copied",
						  "bare clone+exec", "fork+exec" };

struct bench_launch {
	const char *worker;
	struct launcher launcher;
	struct isolation *iso;
	struct master_settings ms;
	struct service_config sc;
	int listen_fd;
	bool root;
	uid_t uid;
	gid_t gid;
	void *bare_stack;
	char pid_env[32];        /* LISTEN_PID=digits, written by the child */
	char status_env[32];     /* bare and fork: MASTER_STATUS_FD=N */
	char *argv[2];
	char *envp[8];           /* master: as a service's */
	char *bare_envp[2];
};

static double bench_launch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_launch_bare_child(void *arg)
{
	struct bench_launch *b = arg;

	execve(b->worker, b->argv, b->bare_envp);
	_exit(127);
}

static double bench_launch_cpu_s(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

/* One launch, to "ready" and reaped; adds the child's CPU to *child_cpu.
 * Returns 0 or -1 (said why). */
static int bench_launch_once(struct bench_launch *b, enum bench_launch_mode mode,
			     double *child_cpu)
{
	struct rusage ru;
	int chan[2], errp[2] = { -1, -1 };
	char buf[16];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0)
		return perror("socketpair"), -1;
	if (mode == BENCH_MASTER || mode == BENCH_COPY) {
		struct launch_error e;
		if (pipe2(errp, O_CLOEXEC) < 0)
			return perror("pipe"), -1;
		struct launch_spec spec = {
			.path = b->worker, .argv = b->argv, .envp = b->envp,
			.pid_digits = b->pid_env + BENCH_LAUNCH_PID_PREFIX,
			.pid_digits_size = sizeof(b->pid_env) - BENCH_LAUNCH_PID_PREFIX,
			.listen_fds = &b->listen_fd, .nlisten = 1,
			.status_fd = chan[1], .stderr_fd = errp[1],
			.set_ids = b->root, .uid = b->uid, .gid = b->gid,
			.groups = &b->gid, .ngroups = 1, .parent = getpid(),
		};
		isolation_apply(b->iso, &spec);
		b->launcher.copy_fd_table = mode == BENCH_COPY;
		pid = launch_start(&b->launcher, &spec, &e);
		if (pid < 0)
			fprintf(stderr, "bench-launch: %s failed: %s\n", e.step, strerror(e.err));
		close(errp[1]);
	} else {
		fcntl(chan[1], F_SETFD, 0); /* the worker's status channel */
		snprintf(b->status_env, sizeof(b->status_env), "MASTER_STATUS_FD=%d", chan[1]);
		if (mode == BENCH_BARE)
			pid = clone(bench_launch_bare_child, (char *)b->bare_stack +
				    BENCH_LAUNCH_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD, b);
		else if ((pid = fork()) == 0)
			bench_launch_bare_child(b);
	}
	close(chan[1]);
	ssize_t n = pid > 0 ? recv(chan[0], buf, sizeof(buf), 0) : -1;
	close(chan[0]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (pid > 0 && wait4(pid, NULL, 0, &ru) == pid)
		*child_cpu += bench_launch_cpu_s(&ru);
	if (n != 5 || memcmp(buf, "ready", 5) != 0) {
		fprintf(stderr, "bench-launch: %s: no \"ready\" from %s\n",
			bench_launch_names[mode], b->worker);
		return -1;
	}
	return 0;
}

/* Grows the process to about `bytes` resident, touching every page. */
static int bench_launch_grow(unsigned long long bytes)
{
	long pages = 0, resident = 0;
	FILE *fp = fopen("/proc/self/statm", "re");

	if (fp == NULL || fscanf(fp, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	if (fp != NULL)
		fclose(fp);
	unsigned long long have = (unsigned long long)resident * BENCH_LAUNCH_PAGE_BYTES;
	if (have >= bytes)
		return 0;
	char *p = mmap(NULL, bytes - have, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return perror("mmap"), -1;
	for (unsigned long long off = 0; off < bytes - have; off += BENCH_LAUNCH_PAGE_BYTES)
		p[off] = 1;
	return 0;
}

static double bench_launch_rss_mb(void)
{
	long pages, resident = 0;
	FILE *fp = fopen("/proc/self/statm", "re");

	if (fp != NULL && fscanf(fp, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	if (fp != NULL)
		fclose(fp);
	return (double)resident * BENCH_LAUNCH_PAGE_BYTES / (1 << 20);
}

/* Rounds of each mode in turn; rate[mode] in launches per second,
 * cpu_us[mode] in CPU microseconds per launch (launcher and child). */
static int bench_launch_measure(struct bench_launch *b, int rounds, int round_ms,
				double rate[BENCH_MODES], double cpu_us[BENCH_MODES])
{
	double spent[BENCH_MODES] = { 0 }, cpu[BENCH_MODES] = { 0 };
	long count[BENCH_MODES] = { 0 };
	struct rusage r0, r1;

	/* fork+exec ends every round, and the mode after it changes from
	 * round to round: at 1 GB the one that follows it runs ~10% slower
	 * (measured), and must not always be the same one. */
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < BENCH_MODES; k++) {
			int mode = k == BENCH_FORK ? BENCH_FORK : (r + k) % BENCH_FORK;
			double t0 = bench_launch_now(), t = t0;
			getrusage(RUSAGE_SELF, &r0);
			while (t - t0 < round_ms / 1000.0) {
				if (bench_launch_once(b, (enum bench_launch_mode)mode, &cpu[mode]) < 0)
					return -1;
				count[mode]++;
				t = bench_launch_now();
			}
			getrusage(RUSAGE_SELF, &r1);
			spent[mode] += t - t0;
			cpu[mode] += bench_launch_cpu_s(&r1) - bench_launch_cpu_s(&r0);
		}
	for (int mode = 0; mode < BENCH_MODES; mode++) {
		rate[mode] = (double)count[mode] / spent[mode];
		cpu_us[mode] = cpu[mode] * 1e6 / (double)count[mode];
	}
	return 0;
}

static int bench_launch_setup(struct bench_launch *b)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char fds_env[] = "LISTEN_FDS=1", names_env[] = "LISTEN_FDNAMES=bench",
		status_env[] = "MASTER_STATUS_FD=4", svc_env[] = "MASTER_SERVICE=bench";

	log_open(true, false);
	b->root = geteuid() == 0;
	struct passwd *pw = b->root ? getpwnam("nobody") : NULL;
	b->uid = pw ? pw->pw_uid : getuid();
	b->gid = pw ? pw->pw_gid : getgid();
	b->root = pw != NULL;
	settings_defaults(&b->ms, &b->sc.set);
	b->sc.name = "bench";
	b->sc.type = SERVICE_UNIX;
	b->sc.unpriv = true;
	/* As config_load() leaves it: no jail, the worker opened once and
	 * exec'd by fd (execveat), as the master does. */
	b->sc.jail_fd = -1;
	b->sc.exec_fd = open(b->worker, O_PATH | O_CLOEXEC);
	if (b->sc.exec_fd < 0)
		return perror(b->worker), -1;
	b->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b->listen_fd < 0 || bind(b->listen_fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(b->listen_fd, 16) < 0)
		return perror("listening socket"), -1;
	if (launcher_init(&b->launcher) < 0 || (b->iso = isolation_create(&b->ms, &b->sc, NULL)) == NULL)
		return perror("launcher"), -1;
	b->bare_stack = mmap(NULL, BENCH_LAUNCH_STACK_BYTES, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (b->bare_stack == MAP_FAILED)
		return perror("stack"), -1;
	b->argv[0] = (char *)b->worker;
	char **e = b->envp;
	*e++ = fds_env;
	strcpy(b->pid_env, "LISTEN_PID=");
	*e++ = b->pid_env;
	*e++ = names_env;
	*e++ = status_env;
	*e++ = svc_env;
	*e = NULL;
	b->bare_envp[0] = b->status_env;
	return 0;
}

/* Measures one size or fd count: fills rate, cpu_us, and the machine's
 * idle and steal shares in percent meanwhile. */
static int bench_launch_point(struct bench_launch *b, int rounds, int round_ms,
			      double rate[BENCH_MODES], double cpu_us[BENCH_MODES],
			      double *idle_pct, double *steal_pct)
{
	unsigned long long t0, i0, s0, t1, i1, s1;

	bench_fds_machine(&t0, &i0, &s0);
	if (bench_launch_measure(b, rounds, round_ms, rate, cpu_us) < 0)
		return -1;
	bench_fds_machine(&t1, &i1, &s1);
	double ticks = t1 > t0 ? (double)(t1 - t0) : 1.0;
	*idle_pct = 100.0 * (double)(i1 - i0) / ticks;
	*steal_pct = 100.0 * (double)(s1 - s0) / ticks;
	return 0;
}

static int bench_launch_sizes(struct bench_launch *b, int rounds, int round_ms)
{
	const unsigned long long sizes[] = { BENCH_LAUNCH_SMALL_BYTES, BENCH_LAUNCH_BIG_BYTES };
	double rate[BENCH_MODES], cpu_us[BENCH_MODES], idle, steal;

	printf("| resident | mode | launches/s | wall us/launch | CPU us/launch | rate vs bare "
	       "| idle%% | steal%% |\n|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (bench_launch_grow(sizes[i]) < 0 ||
		    bench_launch_point(b, rounds, round_ms, rate, cpu_us, &idle, &steal) < 0)
			return -1;
		for (int mode = 0; mode < BENCH_MODES; mode++)
			printf("| %.0f MB | %s | %.0f | %.0f | %.0f | %.2fx | %.0f | %.0f |\n",
			       bench_launch_rss_mb(), bench_launch_names[mode], rate[mode],
			       1e6 / rate[mode], cpu_us[mode], rate[mode] / rate[BENCH_BARE],
			       idle, steal);
		fflush(stdout);
	}
	return 0;
}

/* The fd table: at ~10 MB, each mode with n[0], n[1]... extra fds held;
 * they are closed again at the end. */
static int bench_launch_fds(struct bench_launch *b, int rounds, int round_ms,
			    const long *n, size_t count)
{
	double rate[BENCH_MODES], cpu_us[BENCH_MODES], cpu0[BENCH_MODES], idle, steal;
	long held, base;

	if (bench_launch_grow(BENCH_LAUNCH_SMALL_BYTES) < 0)
		return -1;
	base = bench_fds_open();
	printf("| extra fds | open fds | mode | launches/s | wall us/launch | CPU us/launch "
	       "| CPU vs first row | rate vs bare | idle%% | steal%% |\n"
	       "|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < count; i++) {
		if ((held = bench_fds_hold(n[i])) < 0 ||
		    bench_launch_point(b, rounds, round_ms, rate, cpu_us, &idle, &steal) < 0)
			return -1;
		if (i == 0)
			memcpy(cpu0, cpu_us, sizeof(cpu0));
		for (int mode = 0; mode < BENCH_MODES; mode++)
			printf("| %ld | %ld | %s | %.0f | %.0f | %.0f | %.2fx | %.2fx | %.0f | %.0f |\n",
			       held, base + held, bench_launch_names[mode], rate[mode],
			       1e6 / rate[mode], cpu_us[mode], cpu_us[mode] / cpu0[mode],
			       rate[mode] / rate[BENCH_BARE], idle, steal);
		fflush(stdout);
	}
	bench_fds_release();
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench_launch b = { .worker = BENCH_LAUNCH_WORKER };
	int rounds = BENCH_LAUNCH_ROUNDS, round_ms = BENCH_LAUNCH_ROUND_MS, opt, nfd;
	const char *fds = BENCH_LAUNCH_FDS_DEFAULT;
	bool sizes = true;
	long n[BENCH_LAUNCH_FDS_MAX];

	while ((opt = getopt(argc, argv, "w:r:t:f:M")) != -1) {
		switch (opt) {
		case 'w': b.worker = optarg; break;
		case 'r': rounds = atoi(optarg); break;
		case 't': round_ms = atoi(optarg); break;
		case 'f': fds = optarg; break;
		case 'M': sizes = false; break;
		default:
			fprintf(stderr, "usage: bench-launch [-w WORKER] [-r ROUNDS] [-t MS] "
				"[-f N,N,...] [-M]\n");
			return 2;
		}
	}
	if ((nfd = bench_fds_parse(fds, n, BENCH_LAUNCH_FDS_MAX)) < 0) {
		fprintf(stderr, "bench-launch: -f wants ascending counts: 0,1000,10000\n");
		return 2;
	}
	double warm_rate[BENCH_MODES], warm_cpu[BENCH_MODES];
	/* One short round of each mode, not counted: the first figures of a
	 * run were the highest. */
	if (rounds < 1 || round_ms < 1 || bench_launch_setup(&b) < 0 ||
	    bench_launch_measure(&b, 1, round_ms, warm_rate, warm_cpu) < 0)
		return 1;
	printf("bench-launch: worker %s, %d rounds of %d ms per mode and point, %s\n",
	       b.worker, rounds, round_ms, b.root ? "as root (ids switched to nobody, "
	       "capabilities dropped)" : "not root (no id or capability steps)");
	if (bench_launch_fds(&b, rounds, round_ms, n, (size_t)nfd) < 0 ||
	    (sizes && bench_launch_sizes(&b, rounds, round_ms) < 0))
		return 1;
	return 0;
}
