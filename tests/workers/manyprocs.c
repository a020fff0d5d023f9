/* manyprocs.c - a worker whose cgroup leaf holds many processes, for
 * rss_max (tests/e2e/test_retire.py RssManyProcesses): the master counts
 * the memory of at most 1,024 processes of a leaf (contain_probe.c).
 *
 * Usage: manyprocs N
 * Says "ready" on its status channel, forks N children that only pause
 * (each a few pages: all N together stay far below the tests' rss_max),
 * writes "manyprocs PID: N children" to stderr, and pauses. It ignores
 * "stop"; SIGTERM ends it, and the master's kill of its leaf the rest. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *fd_text = getenv("MASTER_STATUS_FD");
	int status_fd = fd_text != NULL ? atoi(fd_text) : -1;
	int n = argc > 1 ? atoi(argv[1]) : 0, made = 0;

	signal(SIGPIPE, SIG_IGN);
	for (; made < n; made++) {
		pid_t pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			for (;;)
				pause();
		}
	}
	fprintf(stderr, "manyprocs %ld: %d children\n", (long)getpid(), made);
	(void)send(status_fd, "ready", 5, MSG_NOSIGNAL);
	for (;;)
		pause();
}
