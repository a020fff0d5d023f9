/* baseline.c - bench-baseline: the no-master comparison servers.
 *
 *   bench-baseline -a HOST:PORT -p POOL [-m prefork|epoll|fork|forkexec] [-x PROG] [-k K] [-l]
 *
 * prefork: open the listening socket, fork POOL children that each loop
 *   accept() -> echo_handle() -> close() for ever: the same per-connection
 *   work as the echo service, without a master, status reports or recycling.
 * epoll: the same pool, each child sleeping as a libmaster worker does
 *   (epoll_wait on the non-blocking listener with EPOLLEXCLUSIVE, then
 *   accept4 until EAGAIN) instead of in a blocking accept(): what that
 *   way of sleeping costs by itself, apart from anything the master adds.
 * -k K (prefork, epoll): each child exits after K connections and the
 *   parent forks a replacement at once: recycling with nothing but a fork
 *   and a reap per replacement (no exec, no status, no containment), the
 *   most any pre-forking supervisor could keep of the bare pool's rate
 *   when it replaces a worker every K connections. 0 (the default): never.
 * fork: one process accepts and forks a child per connection (child:
 *   echo_handle, _exit), reaping with waitpid(WNOHANG). -p is ignored.
 * forkexec: the same, but the child execs PROG (default /bin/cat) with the
 *   connection as stdin and stdout: what tcpserver, xinetd and Postfix
 *   spawn do, the design's comparison point for max_use=1.
 *
 * -l: the one-line protocol (oneline.h: read a line, write it back, close)
 * instead of echo-until-close, for prefork and fork.
 *
 * Port 0 picks a free port; "listening on HOST:PORT" is printed after bind.
 * On SIGTERM or SIGINT the parent kills its children by pid, waits for every
 * one of them and exits 0, so its own rusage as seen by wait4() includes all
 * of their CPU time. Children die with the parent (PR_SET_PDEATHSIG). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "echo_handler.h"
#include "oneline.h"

#define BASELINE_LISTEN_BACKLOG 4096 /* = net.core.somaxconn here */
#define BASELINE_MAX_POOL 4096
#define BASELINE_ACCEPT_RETRY_NS 10000000L /* after EMFILE/ENOBUFS and the like */

static volatile sig_atomic_t baseline_stop_flag;
static int baseline_oneline; /* -l: one line, then the server closes */
static long baseline_max_use; /* -k: connections per child, 0 = unlimited */

/* The per-connection work of the protocol in use. */
static void baseline_serve(int fd)
{
	if (baseline_oneline)
		(void)oneline_handle(fd, fd);
	else
		echo_handle(fd);
}

static void baseline_on_stop(int sig)
{
	(void)sig;
	baseline_stop_flag = 1;
}

static void baseline_on_child(int sig)
{
	(void)sig; /* only interrupts ppoll(); reaping happens in the loop */
}

static void baseline_usage(void)
{
	fprintf(stderr, "usage: bench-baseline -a HOST:PORT -p POOL [-m prefork|epoll|fork|forkexec] [-x PROG] [-k K] [-l]\n");
	exit(2);
}

/* Binds and listens on "1.2.3.4:PORT" or "[v6]:PORT"; prints the address. */
static int baseline_listen(const char *text)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (addr_parse(text, true, &ss, &len) < 0)
		return -1;
	int v6 = ss.ss_family == AF_INET6;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, BASELINE_LISTEN_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		fprintf(stderr, "bench-baseline: listen on %s: %s\n", text, strerror(errno));
		exit(1);
	}
	char host[INET6_ADDRSTRLEN];
	unsigned actual = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
	inet_ntop(ss.ss_family, v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
			   : (void *)&((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	printf(v6 ? "listening on [%s]:%u\n" : "listening on %s:%u\n", host, actual);
	fflush(stdout);
	return fd;
}

/* In a new child: default signals, unblocked, and death with the parent. */
static void baseline_child_setup(pid_t parent, const sigset_t *orig_mask)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	sigprocmask(SIG_SETMASK, orig_mask, NULL);
}

/* -k: counts a served connection; the child's life ends at K. */
static void baseline_served(long *served)
{
	if (baseline_max_use > 0 && ++*served >= baseline_max_use)
		_exit(0);
}

static void baseline_prefork_child(int lfd)
{
	long served = 0;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				nanosleep(&(struct timespec){ .tv_nsec = BASELINE_ACCEPT_RETRY_NS }, NULL);
			continue;
		}
		baseline_serve(fd);
		close(fd);
		baseline_served(&served);
	}
}

/* -m epoll: libmaster's way of sleeping (see the header), nothing else. */
static void baseline_epoll_child(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = lfd };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	long served = 0;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		fprintf(stderr, "bench-baseline: epoll: %s\n", strerror(errno));
		_exit(1);
	}
	for (;;) {
		if (epoll_wait(ep, &ev, 1, -1) < 0)
			continue; /* EINTR */
		for (;;) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				break; /* EAGAIN: a sibling took it, or none is left */
			baseline_serve(fd);
			close(fd);
			baseline_served(&served);
		}
	}
}

/* The live children, so that stopping can kill each one by pid. */
struct baseline_kids {
	pid_t *pids;
	size_t n, cap;
};

static void baseline_kids_add(struct baseline_kids *k, pid_t pid)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		pid_t *p = realloc(k->pids, cap * sizeof *p);
		if (!p) {
			fprintf(stderr, "bench-baseline: out of memory tracking %zu children\n", k->n);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		k->pids = p;
		k->cap = cap;
	}
	k->pids[k->n++] = pid;
}

static void baseline_kids_remove(struct baseline_kids *k, pid_t pid)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->pids[i] == pid) {
			k->pids[i] = k->pids[--k->n];
			return;
		}
}

/* Reaps every child that has ended; returns how many. */
static unsigned baseline_kids_reap(struct baseline_kids *k)
{
	pid_t pid;
	unsigned n = 0;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		baseline_kids_remove(k, pid);
		n++;
	}
	return n;
}

/* SIGTERM to every child by pid, then wait for all of them. */
static void baseline_kids_stop(struct baseline_kids *k)
{
	for (size_t i = 0; i < k->n; i++)
		kill(k->pids[i], SIGTERM);
	while (k->n > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid > 0)
			baseline_kids_remove(k, pid);
		else if (errno == ECHILD)
			break;
	}
}

/* Forks one pool child; false when fork failed (said on stderr). */
static bool baseline_spawn(int lfd, bool use_epoll, pid_t self, const sigset_t *orig,
			   struct baseline_kids *kids)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench-baseline: fork: %s\n", strerror(errno));
		return false;
	}
	if (pid == 0) {
		baseline_child_setup(self, orig);
		if (use_epoll)
			baseline_epoll_child(lfd);
		baseline_prefork_child(lfd);
	}
	baseline_kids_add(kids, pid);
	return true;
}

static void baseline_run_prefork(int lfd, unsigned pool, bool use_epoll, struct baseline_kids *kids,
				 const sigset_t *orig)
{
	pid_t self = getpid();
	for (unsigned i = 0; i < pool; i++)
		if (!baseline_spawn(lfd, use_epoll, self, orig, kids))
			break;
	/* Wait for a stop signal. Without -k a child that dies is not
	 * replaced; with it, each one that ends is forked again at once. */
	sigset_t waitmask = *orig;
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGCHLD);
	while (!baseline_stop_flag) {
		sigsuspend(&waitmask);
		unsigned ended = baseline_kids_reap(kids);
		while (baseline_max_use > 0 && !baseline_stop_flag && ended-- > 0)
			if (!baseline_spawn(lfd, use_epoll, self, orig, kids))
				break;
	}
}

static void baseline_run_fork(int lfd, struct baseline_kids *kids, const sigset_t *orig,
			      const char *exec_prog)
{
	pid_t self = getpid();
	sigset_t waitmask = *orig;
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGCHLD);
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	while (!baseline_stop_flag) {
		if (ppoll(&pfd, 1, NULL, &waitmask) < 0 && errno != EINTR)
			break;
		baseline_kids_reap(kids);
		for (;;) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				break;
			pid_t pid = fork();
			if (pid == 0) {
				baseline_child_setup(self, orig);
				close(lfd);
				if (exec_prog != NULL) {
					/* tcpserver/inetd style: the program's stdin
					 * and stdout are the connection. */
					char *const argv[] = { (char *)exec_prog, NULL };
					dup2(fd, 0);
					dup2(fd, 1);
					close(fd);
					execv(exec_prog, argv);
					_exit(127);
				}
				baseline_serve(fd);
				_exit(0);
			}
			if (pid < 0)
				fprintf(stderr, "bench-baseline: fork: %s\n", strerror(errno));
			else
				baseline_kids_add(kids, pid);
			close(fd);
		}
	}
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	long pool = -1;
	int fork_mode = 0;
	bool use_epoll = false;
	const char *exec_prog = NULL;
	int c;
	while ((c = getopt(argc, argv, "a:p:m:x:k:l")) != -1) {
		char *end;
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p':
			pool = strtol(optarg, &end, 10);
			if (*end || end == optarg || pool < 1 || pool > BASELINE_MAX_POOL) {
				fprintf(stderr, "bench-baseline: -p: bad pool size \"%s\" (1..%d)\n", optarg,
				        BASELINE_MAX_POOL);
				exit(2);
			}
			break;
		case 'm':
			if (strcmp(optarg, "fork") == 0)
				fork_mode = 1;
			else if (strcmp(optarg, "forkexec") == 0)
				fork_mode = 2;
			else if (strcmp(optarg, "epoll") == 0)
				use_epoll = true;
			else if (strcmp(optarg, "prefork") != 0) {
				fprintf(stderr, "bench-baseline: -m: unknown mode \"%s\" (prefork|epoll|fork|forkexec)\n", optarg);
				exit(2);
			}
			break;
		case 'x': exec_prog = optarg; break;
		case 'k':
			baseline_max_use = strtol(optarg, &end, 10);
			if (*end || end == optarg || baseline_max_use < 0) {
				fprintf(stderr, "bench-baseline: -k: bad connection count \"%s\" (0 or more)\n", optarg);
				exit(2);
			}
			break;
		case 'l': baseline_oneline = 1; break;
		default: baseline_usage();
		}
	}
	if (optind != argc || !addr || (!fork_mode && pool < 0))
		baseline_usage();

	/* Block the signals we wait for before any child exists, so that a
	 * stop cannot slip in between a check and the wait. */
	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	struct sigaction sa = { .sa_handler = baseline_on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = baseline_on_child;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int lfd = baseline_listen(addr);
	if (lfd < 0) {
		fprintf(stderr, "bench-baseline: -a: bad address \"%s\" (want 127.0.0.1:PORT or [::1]:PORT)\n", addr);
		exit(2);
	}
	struct baseline_kids kids = { 0 };
	if ((fork_mode || use_epoll) && fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) < 0) {
		fprintf(stderr, "bench-baseline: O_NONBLOCK on the listening socket: %s\n", strerror(errno));
		exit(1);
	}
	if (fork_mode == 2 && exec_prog == NULL)
		exec_prog = "/bin/cat";
	if (fork_mode)
		baseline_run_fork(lfd, &kids, &orig, fork_mode == 2 ? exec_prog : NULL);
	else
		baseline_run_prefork(lfd, (unsigned)pool, use_epoll, &kids, &orig);
	baseline_kids_stop(&kids);
	free(kids.pids);
	close(lfd);
	return 0;
}
