/* hostile.c - a worker that lies to the master, for end-to-end tests of the
 * monitor and the evictor (issue 8).
 *
 * It speaks the status protocol directly on MASTER_STATUS_FD (never through
 * libmaster, which would keep it honest) and accepts on fd 3 (LISTEN_FDS).
 * A serving mode writes one line per connection, "hostile MODE pid=P n=N
 * max_use=M\n", then closes: clients read, they never need to send.
 *
 * Usage: hostile MODE [ARGS]
 *   busy-repeat [HOLD_S=20] [WORD=busy]
 *                             takes a request, sends WORD ("busy", or
 *                             "next") every second for HOLD_S s, answers
 *   wrong-word-near-deadline MAX_BUSY_MS [MARGIN_MS=50] [MIB=1024]
 *                             touches MIB MiB, says ready, takes a request,
 *                             and MARGIN_MS before its max_busy deadline
 *                             sends "ready" (a wrong word): its SIGKILL is
 *                             slow to reap, so the deadline passes first
 *   retiring-keeps-serving [DELAY_MS=0]
 *                             "busy" then "retiring" with every request,
 *                             and keeps taking requests (answering those
 *                             after the first DELAY_MS after its "busy")
 *   close-channel [DELAY_MS=0]
 *                             says ready, DELAY_MS later closes its status
 *                             channel, ignores SIGTERM, keeps running (no
 *                             accept)
 *   busy-flood [DELAY_MS=0]   says ready, DELAY_MS later sends "busy"/"idle"
 *                             pairs as fast as it can, no client at all
 *   grow-while-busy STEP_MIB STEP_MS CAP_MIB [HOLD_MS=600000]
 *                             takes a request and, while busy, touches
 *                             STEP_MIB more every STEP_MS up to CAP_MIB;
 *                             answers after HOLD_MS
 *   ready-then-exit           says ready, exits 0
 *   shut-listener             serves with busy/idle; a client that sends
 *                             "shut" within 1 s has the worker call
 *                             shutdown(2) on the listening socket (which
 *                             every worker shares) and read "shut"; the
 *                             worker serves on once the socket listens
 *                             again (within 1 s), else exits 0
 *   ignore-max-use [DELAY_MS=0]
 *                             serves with busy/idle, answering DELAY_MS
 *                             after its "busy"; never retires
 *   fork-child                forks a child that keeps the listening
 *                             socket and answers "ORPHAN", then serves
 *   stop-launches SECS        says ready and for SECS s waits for each
 *                             next pid the kernel gives out and, if it
 *                             is a child of the master not yet exec'd,
 *                             sends it SIGSTOP until that goes through (a new
 *                             worker of the same user is signalable from
 *                             its setresuid on, before its exec); one
 *                             found already exec'd is continued. Then
 *                             lingers; prints the count of launches it
 *                             stopped before their exec to stderr
 *   idle-launches SECS        as stop-launches, but instead of stopping
 *                             each launch it makes it SCHED_IDLE, pinned
 *                             to CPU 0 (it runs, slowly, where it can
 *                             be kept from running); prints the count of
 *                             launches it slowed before their exec
 *   nice-launches SECS        as idle-launches, with nice 19 instead of
 *                             SCHED_IDLE (any process may lower the
 *                             priority of its user's processes)
 *   mem-launches SECS         says ready and for SECS s waits for each
 *                             next pid the kernel gives out and, while
 *                             it is a child of the master not yet
 *                             exec'd, tries to open its /proc/PID/mem
 *                             read-write (the master's memory: a launch
 *                             shares it until its exec). Then answers
 *                             each client "hostile mem-launches
 *                             launches=L tries=T opened=O" (launches
 *                             seen before their exec, opens tried on
 *                             them, opens that succeeded)
 *   say WORD...               sends each word as one packet ('_' sent as
 *                             a blank: next_3 is "next 3"), then waits
 *                             for the end of its channel (or 600 s)
 * Every wait is bounded (HOSTILE_LIFE_S at most); the master's parent-death
 * signal ends the worker (not a forked child) if the master dies. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HOSTILE_LISTEN_FD 3
#define HOSTILE_LIFE_S 600
#define HOSTILE_LINE_BYTES 160
#define HOSTILE_PAGE_BYTES 4096
#define HOSTILE_MIB_BYTES (1024 * 1024)
#define HOSTILE_FLOOD_BATCH 64
#define HOSTILE_SHUT_WAIT_MS 1000 /* shut-listener: for a client to say "shut" */

struct hostile {
	const char *mode;
	int status_fd;
	unsigned max_use;
	unsigned served;
};

static long long hostile_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hostile_sleep_ms(long long ms)
{
	struct timespec left = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	if (ms <= 0)
		return;
	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		;
}

/* One word, one packet; a dead master is not our problem here. */
static void hostile_say(const struct hostile *h, const char *word)
{
	(void)send(h->status_fd, word, strlen(word), MSG_NOSIGNAL);
}

/* Blocks until a connection arrives (the shared socket is non-blocking:
 * a sibling may win it) or the life bound passes; -1 then. */
static int hostile_accept(void)
{
	long long end = hostile_now_ms() + HOSTILE_LIFE_S * 1000LL;
	struct pollfd pfd = { .fd = HOSTILE_LISTEN_FD, .events = POLLIN };

	while (hostile_now_ms() < end) {
		int fd = accept4(HOSTILE_LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			return -1;
		(void)poll(&pfd, 1, 1000);
	}
	return -1;
}

/* The next client, said "busy" for: its fd, or -1 (the life bound). */
static int hostile_take(const struct hostile *h)
{
	int fd = hostile_accept();

	if (fd >= 0)
		hostile_say(h, "busy");
	return fd;
}

static void hostile_answer(struct hostile *h, int fd, const char *what)
{
	char line[HOSTILE_LINE_BYTES];
	int n;

	h->served++;
	n = snprintf(line, sizeof(line), "%s %s pid=%ld n=%u max_use=%u\n", what,
		     h->mode, (long)getpid(), h->served, h->max_use);
	(void)send(fd, line, (size_t)n, MSG_NOSIGNAL);
	close(fd);
}

/* Touches n bytes of fresh anonymous memory so that it is resident. */
static int hostile_touch(size_t n)
{
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	for (size_t i = 0; i < n; i += HOSTILE_PAGE_BYTES)
		p[i] = 1;
	return 0;
}

/* Waits for the end of the status channel (the master gone) or the life
 * bound; ignores whatever the master sends, "stop" included. */
static int hostile_linger(const struct hostile *h)
{
	long long end = hostile_now_ms() + HOSTILE_LIFE_S * 1000LL;
	struct pollfd pfd = { .fd = h->status_fd, .events = POLLIN };
	char buf[64];

	while (hostile_now_ms() < end) {
		if (poll(&pfd, 1, 1000) > 0 &&
		    recv(h->status_fd, buf, sizeof(buf), MSG_DONTWAIT) == 0)
			return 0;
	}
	return 0;
}

static int hostile_busy_repeat(struct hostile *h, int argc, char **argv)
{
	long hold_s = argc > 0 ? atol(argv[0]) : 20;
	const char *word = argc > 1 ? argv[1] : "busy";

	hostile_say(h, "ready");
	for (;;) {
		int fd = hostile_accept();
		if (fd < 0)
			return 1;
		hostile_say(h, "busy");
		for (long i = 0; i < hold_s; i++) {
			hostile_sleep_ms(1000);
			hostile_say(h, word);
		}
		hostile_answer(h, fd, "hostile");
		hostile_say(h, "idle");
	}
}

static int hostile_wrong_word(struct hostile *h, int argc, char **argv)
{
	long long max_busy_ms = argc > 0 ? atoll(argv[0]) : 2000;
	long long margin_ms = argc > 1 ? atoll(argv[1]) : 50;
	long mib = argc > 2 ? atol(argv[2]) : 1024;

	/* Resident before "ready": the SIGKILL we earn must take long to
	 * reap (tearing down ~1 GiB takes ~250 ms here). */
	if (hostile_touch((size_t)mib * HOSTILE_MIB_BYTES) < 0)
		return 1;
	hostile_say(h, "ready");
	int fd = hostile_accept();
	if (fd < 0)
		return 1;
	long long t0 = hostile_now_ms();
	hostile_say(h, "busy");
	hostile_sleep_ms(t0 + max_busy_ms - margin_ms - hostile_now_ms());
	hostile_say(h, "ready");
	hostile_sleep_ms(HOSTILE_LIFE_S * 1000LL);
	close(fd);
	return 0;
}

static int hostile_retiring_keeps_serving(struct hostile *h, int argc, char **argv)
{
	long long delay_ms = argc > 0 ? atoll(argv[0]) : 0;

	hostile_say(h, "ready");
	for (;;) {
		int fd = hostile_accept();
		if (fd < 0)
			return 1;
		hostile_say(h, "busy");
		hostile_say(h, "retiring");
		if (h->served > 0) /* past its last request: time to be caught */
			hostile_sleep_ms(delay_ms);
		hostile_answer(h, fd, "hostile");
		hostile_say(h, "idle");
	}
}

static int hostile_close_channel(struct hostile *h, int argc, char **argv)
{
	hostile_say(h, "ready");
	hostile_sleep_ms(argc > 0 ? atoll(argv[0]) : 0);
	close(h->status_fd);
	signal(SIGTERM, SIG_IGN); /* so that only kill_grace's SIGKILL ends us */
	hostile_sleep_ms(HOSTILE_LIFE_S * 1000LL);
	return 0;
}

/* Pairs of packets, a batch per sendmmsg(2): as fast as the master reads. */
static int hostile_busy_flood(struct hostile *h, int argc, char **argv)
{
	static char busy[] = "busy", idle[] = "idle";
	struct iovec iov[HOSTILE_FLOOD_BATCH];
	struct mmsghdr msgs[HOSTILE_FLOOD_BATCH];
	long long end = hostile_now_ms() + HOSTILE_LIFE_S * 1000LL;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < HOSTILE_FLOOD_BATCH; i++) {
		iov[i].iov_base = i % 2 ? idle : busy;
		iov[i].iov_len = 4;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	hostile_say(h, "ready");
	hostile_sleep_ms(argc > 0 ? atoll(argv[0]) : 0);
	while (hostile_now_ms() < end) {
		if (sendmmsg(h->status_fd, msgs, HOSTILE_FLOOD_BATCH, MSG_NOSIGNAL) < 0 &&
		    errno != EINTR)
			return 0; /* the master closed the channel: we are done */
	}
	return 0;
}

static int hostile_grow_while_busy(struct hostile *h, int argc, char **argv)
{
	long step_mib = argc > 0 ? atol(argv[0]) : 8;
	long long step_ms = argc > 1 ? atoll(argv[1]) : 100;
	long cap_mib = argc > 2 ? atol(argv[2]) : 256;
	long long hold_ms = argc > 3 ? atoll(argv[3]) : HOSTILE_LIFE_S * 1000LL;

	hostile_say(h, "ready");
	for (;;) {
		int fd = hostile_accept();
		if (fd < 0)
			return 1;
		long long end = hostile_now_ms() + hold_ms;
		hostile_say(h, "busy");
		for (long grown = 0; hostile_now_ms() < end; ) {
			if (grown + step_mib <= cap_mib &&
			    hostile_touch((size_t)step_mib * HOSTILE_MIB_BYTES) == 0)
				grown += step_mib;
			long long left = end - hostile_now_ms();
			hostile_sleep_ms(left < step_ms ? left : step_ms);
		}
		hostile_answer(h, fd, "hostile");
		hostile_say(h, "idle");
	}
}

static int hostile_ignore_max_use(struct hostile *h, int argc, char **argv)
{
	long long delay_ms = argc > 0 ? atoll(argv[0]) : 0;

	hostile_say(h, "ready");
	for (int fd; (fd = hostile_take(h)) >= 0;) {
		hostile_sleep_ms(delay_ms); /* time for the master to act */
		hostile_answer(h, fd, "hostile");
		hostile_say(h, "idle");
	}
	return 1;
}

/* What a client sent within HOSTILE_SHUT_WAIT_MS, NUL-terminated ("" if
 * nothing). */
static void hostile_client_says(int fd, char *buf, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n = 0;

	if (poll(&pfd, 1, HOSTILE_SHUT_WAIT_MS) > 0)
		n = recv(fd, buf, size - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
}

/* Whether the listening socket reports no hang-up (again) within
 * HOSTILE_SHUT_WAIT_MS. */
static bool hostile_listening_again(void)
{
	long long end = hostile_now_ms() + HOSTILE_SHUT_WAIT_MS;
	struct pollfd pfd = { .fd = HOSTILE_LISTEN_FD, .events = 0 };

	while (poll(&pfd, 1, 0) >= 0 && (pfd.revents & POLLHUP) != 0) {
		if (hostile_now_ms() >= end)
			return false;
		hostile_sleep_ms(1);
	}
	return true;
}

static int hostile_shut_listener(struct hostile *h)
{
	char said[16];

	hostile_say(h, "ready");
	for (int fd; (fd = hostile_take(h)) >= 0;) {
		hostile_client_says(fd, said, sizeof(said));
		if (strncmp(said, "shut", 4) == 0) {
			int rc = shutdown(HOSTILE_LISTEN_FD, SHUT_RDWR);
			fprintf(stderr, "hostile: shutdown of the listening socket: %s\n",
				rc == 0 ? "done" : strerror(errno));
			(void)send(fd, "shut\n", 5, MSG_NOSIGNAL);
			close(fd);
			hostile_say(h, "idle");
			/* Serves on once the master has mended it, to shut it
			 * again; one it cannot mend, never: gone. */
			if (!hostile_listening_again())
				return 0;
			continue;
		}
		hostile_answer(h, fd, "hostile");
		hostile_say(h, "idle");
	}
	return 1;
}

/* The child keeps the listening socket and answers "ORPHAN": whatever a
 * worker starts must not outlive it (issue 9's containment). */
static int hostile_fork_child(struct hostile *h)
{
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(h->status_fd);
		for (;;) {
			int fd = hostile_accept();
			if (fd < 0)
				_exit(0);
			hostile_answer(h, fd, "ORPHAN");
		}
	}
	return hostile_ignore_max_use(h, 0, NULL);
}

#define HOSTILE_PID_WAIT_MS 200   /* for the next pid to be given out */
#define HOSTILE_STOP_SETTLE_MS 5
#define HOSTILE_STAT_BYTES 512

/* The pid the kernel gave out last (pid namespace wide), or 0. */
static long hostile_last_pid(void)
{
	char buf[32];
	long last = 0;
	int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			last = strtol(buf, NULL, 10);
		}
		close(fd);
	}
	return last;
}

/* Whether pid is a child of our master still running under the name
 * "master": a launch not yet exec'd (/proc/PID/stat is readable by
 * anyone). Nothing of anyone else's is ever stopped. */
static int hostile_is_master(long pid)
{
	char path[40], buf[HOSTILE_STAT_BYTES];
	ssize_t n = -1;
	long ppid = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *end = strrchr(buf, ')');
	if (end == NULL || sscanf(end, ") %*c %ld", &ppid) != 1 || ppid != (long)getppid())
		return 0;
	return strstr(buf, " (master) ") != NULL;
}

/* Stops pid as soon as it may (a new worker: once it has our uid).
 * 1 if it was stopped before its exec. */
static int hostile_stop_one(long pid, long long until_ms)
{
	while (hostile_now_ms() < until_ms) {
		if (kill((pid_t)pid, SIGSTOP) == 0) {
			/* One caught inside its execve stops after it: look
			 * again once the stop has surely taken. */
			hostile_sleep_ms(HOSTILE_STOP_SETTLE_MS);
			if (hostile_is_master(pid))
				return 1;
			kill((pid_t)pid, SIGCONT); /* too late: leave it be */
			return 0;
		}
		if (errno == ESRCH)
			return 0;
	}
	return 0;
}

/* Makes pid SCHED_IDLE (or nice 19) on CPU 0 while it is still a launch:
 * 1 if it was (and still had not exec'd just after). */
static int hostile_idle_one(long pid, long long until_ms, bool nice)
{
	struct sched_param sp = { 0 };
	cpu_set_t cpu0;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	while (hostile_now_ms() < until_ms && hostile_is_master(pid)) {
		/* To CPU 0 first: made SCHED_IDLE where it ran, on a CPU
		 * with room, it would run on to its exec meanwhile. */
		if (sched_setaffinity((pid_t)pid, sizeof(cpu0), &cpu0) < 0) {
			if (errno == ESRCH)
				return 0;
			continue; /* EPERM: still root's */
		}
		if ((nice ? setpriority(PRIO_PROCESS, (id_t)pid, 19)
			  : sched_setscheduler((pid_t)pid, SCHED_IDLE, &sp)) == 0) {
			if (hostile_is_master(pid))
				return 1;
			/* Too late, exec'd: its CPUs back (its policy cannot
			 * be), or slowed workers fill the pool and the hunt
			 * sees no more launches. */
			cpu_set_t all;
			if (sched_getaffinity(0, sizeof(all), &all) == 0)
				(void)sched_setaffinity((pid_t)pid, sizeof(all), &all);
			return 0;
		}
		if (errno == ESRCH)
			return 0;
	}
	return 0;
}

/* Opens pid's memory read-write while it is still a launch (the master's
 * image): 1 if the kernel let us, with *tries counting the attempts. */
static int hostile_mem_one(long pid, long long until_ms, long *tries)
{
	char path[40];

	snprintf(path, sizeof(path), "/proc/%ld/mem", pid);
	while (hostile_now_ms() < until_ms && hostile_is_master(pid)) {
		int fd = open(path, O_RDWR | O_CLOEXEC);
		++*tries;
		if (fd >= 0) {
			/* Still the master's image after the open (an exec is
			 * for good): the fd holds the master's memory, not a
			 * worker's that exec'd in between. */
			int got = hostile_is_master(pid);
			close(fd);
			if (got)
				return 1;
		}
	}
	return 0;
}

static int hostile_mem_launches(struct hostile *h, int argc, char **argv)
{
	long long end = hostile_now_ms() + (argc > 0 ? atoi(argv[0]) : 10) * 1000LL;
	long launches = 0, tries = 0, opened = 0;
	char verdict[HOSTILE_STAT_BYTES];

	hostile_say(h, "ready");
	while (hostile_now_ms() < end) {
		long next = hostile_last_pid() + 1;
		long long until = hostile_now_ms() + HOSTILE_PID_WAIT_MS;
		while (hostile_now_ms() < until && kill((pid_t)next, 0) < 0 && errno == ESRCH)
			;
		if (next != (long)getpid() && hostile_is_master(next)) {
			long before = tries;
			opened += hostile_mem_one(next, until, &tries);
			launches += tries > before;
		}
	}
	snprintf(verdict, sizeof(verdict), "launches=%ld tries=%ld opened=%ld",
		 launches, tries, opened);
	fprintf(stderr, "hostile: %s\n", verdict);
	for (;;) {
		int fd = hostile_accept();
		if (fd < 0)
			return 0;
		hostile_answer(h, fd, verdict);
	}
}

enum hostile_slow { HOSTILE_STOP, HOSTILE_IDLE, HOSTILE_NICE };

static int hostile_stop_launches(struct hostile *h, int argc, char **argv,
				 enum hostile_slow how)
{
	long long end = hostile_now_ms() + (argc > 0 ? atoi(argv[0]) : 10) * 1000LL;
	long stops = 0;

	hostile_say(h, "ready");
	while (hostile_now_ms() < end) {
		long next = hostile_last_pid() + 1;
		long long until = hostile_now_ms() + HOSTILE_PID_WAIT_MS;
		/* EPERM: it exists, still root's. */
		while (hostile_now_ms() < until && kill((pid_t)next, 0) < 0 && errno == ESRCH)
			;
		if (next != (long)getpid() && hostile_is_master(next))
			stops += how == HOSTILE_STOP
					 ? hostile_stop_one(next, until)
					 : hostile_idle_one(next, until, how == HOSTILE_NICE);
	}
	fprintf(stderr, "hostile: %ld launches %s before their exec\n", stops,
		how == HOSTILE_STOP ? "stopped" : "slowed");
	return hostile_linger(h);
}

static int hostile_say_words(struct hostile *h, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		/* master.cf splits arguments at blanks: "next_3" says "next 3". */
		for (char *p = argv[i]; *p != '\0'; p++)
			if (*p == '_')
				*p = ' ';
		hostile_say(h, argv[i]);
	}
	return hostile_linger(h);
}

int main(int argc, char **argv)
{
	static struct hostile h;
	const char *fd = getenv("MASTER_STATUS_FD");
	const char *max_use = getenv("MASTER_MAX_USE");

	if (argc < 2 || fd == NULL) {
		fprintf(stderr, "usage: hostile MODE [ARGS] (under master)\n");
		return 2;
	}
	h.mode = argv[1];
	h.status_fd = atoi(fd);
	h.max_use = max_use ? (unsigned)atoi(max_use) : 0;
	/* Shared by the whole pool: a sibling may take the client first. */
	(void)fcntl(HOSTILE_LISTEN_FD, F_SETFL,
		    fcntl(HOSTILE_LISTEN_FD, F_GETFL) | O_NONBLOCK);
	argc -= 2;
	argv += 2;
	if (strcmp(h.mode, "busy-repeat") == 0)
		return hostile_busy_repeat(&h, argc, argv);
	if (strcmp(h.mode, "wrong-word-near-deadline") == 0)
		return hostile_wrong_word(&h, argc, argv);
	if (strcmp(h.mode, "retiring-keeps-serving") == 0)
		return hostile_retiring_keeps_serving(&h, argc, argv);
	if (strcmp(h.mode, "close-channel") == 0)
		return hostile_close_channel(&h, argc, argv);
	if (strcmp(h.mode, "busy-flood") == 0)
		return hostile_busy_flood(&h, argc, argv);
	if (strcmp(h.mode, "grow-while-busy") == 0)
		return hostile_grow_while_busy(&h, argc, argv);
	if (strcmp(h.mode, "ready-then-exit") == 0) {
		hostile_say(&h, "ready");
		return 0;
	}
	if (strcmp(h.mode, "shut-listener") == 0)
		return hostile_shut_listener(&h);
	if (strcmp(h.mode, "ignore-max-use") == 0)
		return hostile_ignore_max_use(&h, argc, argv);
	if (strcmp(h.mode, "fork-child") == 0)
		return hostile_fork_child(&h);
	if (strcmp(h.mode, "stop-launches") == 0)
		return hostile_stop_launches(&h, argc, argv, HOSTILE_STOP);
	if (strcmp(h.mode, "idle-launches") == 0)
		return hostile_stop_launches(&h, argc, argv, HOSTILE_IDLE);
	if (strcmp(h.mode, "nice-launches") == 0)
		return hostile_stop_launches(&h, argc, argv, HOSTILE_NICE);
	if (strcmp(h.mode, "mem-launches") == 0)
		return hostile_mem_launches(&h, argc, argv);
	if (strcmp(h.mode, "say") == 0)
		return hostile_say_words(&h, argc, argv);
	fprintf(stderr, "hostile: unknown mode \"%s\"\n", h.mode);
	return 2;
}
